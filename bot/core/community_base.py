"""What every part of the people side shares: the help desk, the communes and a few replies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.core.desk import BaseHelpDesk, Target, Volunteer
from bot.core.flow_runner import FlowRunner
from bot.core.i18n import _
from bot.core.messages import Button, Outbound, UsageEvent
from bot.core.turn import Turn
from bot.data.communes import Commune, CommuneBook


@dataclass
class CommunityContext:
    """``desk`` None: no shared storage (a bare engine in tests); people are then pointed to
    their commune office instead."""

    desk: BaseHelpDesk | None
    communes: CommuneBook
    start_buttons: Callable[[], tuple[Button, ...]]
    procedure_name: Callable[[str], str]
    retention_days: int = 90
    runner: FlowRunner | None = None  # the guides, for the papers a volunteer marks as missing

    def say(self, turn: Turn, text: str) -> None:
        turn.messages.append(Outbound(text, self.start_buttons()))

    def stale(self, turn: Turn) -> None:
        turn.messages.append(Outbound(_("That button is no longer available. What can I help you with?"), self.start_buttons()))
        turn.events.append(UsageEvent("stale_button"))

    def commune(self, commune_id: str | None) -> Commune | None:
        return self.communes.get(commune_id) if commune_id else None

    def commune_name(self, commune_id: str | None) -> str | None:
        commune = self.commune(commune_id)
        return commune.full_name if commune else commune_id

    async def volunteer(self, me: Target) -> Volunteer | None:
        return await self.desk.volunteer(me.channel, me.chat_id) if self.desk is not None else None
