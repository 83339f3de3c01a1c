"""Scam alerts: a message that describes a scam contact gets the warning before any answer, and
answers about VNeID or paying online carry one line saying officials never ask for OTPs.

The phrases and texts are data (knowledge/scams.yaml); this module only folds and compares.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.core.i18n import _, current
from bot.core.messages import Button, Outbound, UsageEvent
from bot.core.text import fold, kept_per_text
from bot.data.scam_models import ScamsFile

if TYPE_CHECKING:
    from bot.core.turn import Turn

SCAM_EVENT = "scam_alert"
"""The usage event kind of a warned scam description, counted by commune on the dashboard."""


def _any_of(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One search for any of the (folded) phrases as whole words: every message of every turn is
    checked, and one regular expression costs a fraction of a loop over ~100 phrases."""
    if not phrases:
        return re.compile(r"(?!)")  # matches nothing
    # Longest first, though any match will do; spaces around each so "otp" never matches "lotpa".
    return re.compile("|".join(re.escape(f" {p} ") for p in sorted(set(phrases), key=len, reverse=True)))


class ScamAlerts:
    """Recognises scam descriptions; safe to share between conversations."""

    def __init__(self, scams: ScamsFile | None) -> None:
        self.scams = scams
        signals = scams.signals if scams else None
        self._alone = _any_of(signals.alone if signals else ())
        self._contact = _any_of(signals.contact if signals else ())
        self._demand = _any_of(signals.demand if signals else ())
        self._kept = kept_per_text(self._describes_scam)  # every typed message is checked

    def describes_scam(self, text: str) -> bool:
        """True when ``text`` tells of a scam contact (someone calls and asks for an app, an
        OTP, money…), however it is typed: accents or not, Vietnamese or English."""
        return self._kept(text)

    def _describes_scam(self, text: str) -> bool:
        if self.scams is None:
            return False
        folded = f" {fold(text)} "
        if self._alone.search(folded):
            return True
        return bool(self._contact.search(folded)) and bool(self._demand.search(folded))

    def alert(self, text: str) -> tuple[Outbound, UsageEvent] | None:
        """The warning to show first, and the event to count, when ``text`` describes a scam."""
        if self.scams is None or not self.describes_scam(text):
            return None
        lang = current()
        lines = [self.scams.warning.get(lang), "", _("What to do:")]
        lines += [f"• {a.get(lang)}" for a in self.scams.advice]
        lines += ["", _("Who to contact:")]
        lines += [f"• {c.get(lang)}" for c in self.scams.contacts]
        buttons = (Button(_("Talk to a person"), "h"),)
        return Outbound("\n".join(lines), buttons), UsageEvent(SCAM_EVENT)

    def after(self, turn: Turn) -> None:
        """Add the OTP line under this turn's answers about VNeID or paying online (the message
        carrying the answer's section buttons), unless the turn warned of a scam already — once
        per conversation: under every answer it would crowd out what was asked on a small screen."""
        if self.scams is None or turn.state.otp_noted or any(e.kind == SCAM_EVENT for e in turn.events):
            return
        answered = {e.procedure for e in turn.events if e.kind in ("answered", "section") and e.procedure}
        for procedure in answered & set(self.scams.reminder_procedures):
            mine = [i for i, m in enumerate(turn.messages)
                    if any((b.payload or "").startswith(f"s:{procedure}:") for b in m.buttons)]  # fmt: skip
            if mine:
                end = mine[-1] + 1
                answer = turn.messages[:end]
                reminded = self.remind(procedure, answer)
                turn.messages[:end] = reminded
                if reminded is not answer:
                    turn.state.otp_noted = True
                    return

    def remind(self, procedure: str, messages: list[Outbound]) -> list[Outbound]:
        """The answer about ``procedure`` with the OTP reminder added once, under its last
        message, when the procedure involves VNeID or paying online and the answer does not
        already say it."""
        if self.scams is None or procedure not in self.scams.reminder_procedures or not messages:
            return messages
        if any(_says_no_otp(m.text) for m in messages):
            return messages
        last = messages[-1]
        note = self.scams.reminder.get(current())
        return [*messages[:-1], Outbound(f"{last.text}\n\n{note}", last.buttons)]


@lru_cache(maxsize=4096)  # the same answer texts come back turn after turn
def _says_no_otp(text: str) -> bool:
    """The text already warns about sharing OTPs (a FAQ answer about scams does)."""
    folded = fold(text)
    return "otp" in folded and any(w in folded for w in ("khong doc", "khong dua", "never", "khong bao gio", "khong cung cap"))
