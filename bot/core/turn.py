"""One turn of a conversation: what the engine and its helpers build while answering a message."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.desk import Notice
from bot.core.messages import Outbound, UsageEvent
from bot.core.state import ConversationState


@dataclass
class Turn:
    messages: list[Outbound]
    state: ConversationState
    events: list[UsageEvent] = field(default_factory=list)
    flow_spoke: bool = False  # this turn's reply is the guide's own (a question, a result)
    erase: bool = False  # the person asked to delete their data: state and usage go after this turn
    notices: list[Notice] = field(default_factory=list)  # messages for others (a team, a citizen)
