"""A person chatting with the real engine, one turn at a time, keeping the conversation state."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.engine import Engine
from bot.core.messages import Button, Inbound, Outbound
from bot.core.state import ConversationState
from bot.core.turn import Turn


class Chat:
    """Sends messages and presses buttons like a citizen would; remembers the last replies.

    The engine turns a crash into a kind apology and an ``error`` usage event, so a crash would
    look like an ordinary reply: every turn here fails loudly on that event instead.
    """

    def __init__(self, engine: Engine, user: str = "citizen", channel: str = "test") -> None:
        self.engine = engine
        self.user = user
        self.channel = channel
        self.state: ConversationState | None = None
        self.replies: list[Outbound] = []
        self.seen: list[Button] = []  # every button offered so far, oldest first

    async def send(self, inbound: Inbound) -> Turn:
        turn = await self.engine.handle(inbound, self.state)
        errors = [e for e in turn.events if e.kind == "error"]
        assert not errors, f"the engine failed on {inbound!r}; see the log for the traceback"
        self.state = turn.state
        self.replies = list(turn.messages)
        self.seen += [b for m in turn.messages for b in m.buttons]
        return turn

    async def say(self, text: str, lang_hint: str | None = None) -> Turn:
        return await self.send(Inbound(self.channel, self.user, text=text, lang_hint=lang_hint))

    async def press(self, payload: str) -> Turn:
        return await self.send(Inbound(self.channel, self.user, payload=payload))

    async def start(self, flow_id: str) -> Turn:
        return await self.press(f"f:{flow_id}")

    async def press_label(self, label: str) -> Turn:
        """Press the button of the last reply whose label contains ``label``."""
        matches = [b for b in self.buttons if label.casefold() in b.label.casefold()]
        assert matches, f"no button like {label!r}; offered: {[b.label for b in self.buttons]}"
        assert matches[0].payload is not None
        return await self.press(matches[0].payload)

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.replies)

    @property
    def last(self) -> Outbound:
        assert self.replies, "no reply yet"
        return self.replies[-1]

    @property
    def buttons(self) -> list[Button]:
        return [b for m in self.replies for b in m.buttons]

    @property
    def payloads(self) -> list[str]:
        return [b.payload for b in self.buttons if b.payload]

    @property
    def step(self) -> str | None:
        return self.state.flow.step if self.state and self.state.flow else None

    @property
    def answers(self) -> dict[str, str]:
        assert self.state is not None, "no conversation yet"
        assert self.state.flow is not None, "no flow in progress"
        return dict(self.state.flow.answers)


def labels(buttons: Sequence[Button]) -> list[str]:
    return [b.label for b in buttons]
