"""The people side of the assistant: a citizen asking for a person, a volunteer assisting one.

This module routes; the parts live beside it: :mod:`bot.core.help_request` (consent, phone,
commune, need, good time, then the team is told), :mod:`bot.core.volunteers` (``/lienket CODE``,
``/nhom``, ``/hotro`` … ``/ketthuc``, ``/yeucau``, taking and closing requests) and
:mod:`bot.core.commune_choice` (``/xa``: which commune a person lives in).

Everything that touches shared data goes through :class:`bot.core.desk.BaseHelpDesk`; messages
for other people (a team, a citizen) leave as :class:`bot.core.desk.Notice`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.core.choices import is_place, place
from bot.core.commune_choice import CommuneChoice
from bot.core.community_base import CommunityContext
from bot.core.desk import ASSIST_OUTCOMES, ASSIST_REASONS, GOOD_TIMES, REQUEST_OUTCOMES, BaseHelpDesk, Target
from bot.core.flow_runner import FlowRunner
from bot.core.help_request import STOP_WORDS, HelpRequests
from bot.core.i18n import _
from bot.core.messages import Button, Inbound, Outbound
from bot.core.pending import ask
from bot.core.state import ConversationState
from bot.core.text import fold, kept_per_text
from bot.core.turn import Turn
from bot.core.volunteers import MISSING_STEP, Volunteers, command_name
from bot.data.communes import CommuneBook

CODE_RE = re.compile(r"[A-Za-z0-9]{4}-[A-Za-z0-9]{4}")
"""A link code as the dashboard prints it ("7KQ4-M9XP"); sent alone, it is taken as a code."""
PAYLOADS = frozenset({"hd", "hc", "hn", "ht", "hx", "hr", "av", "ar", "am"})
_PICKED_BY_PLACE = frozenset({"hc", "hn", "ht"})
_WHERE_I_LIVE = frozenset({
    "nha", "em", "e", "toi", "tui", "minh", "o", "tai", "thuoc", "song", "que", "la", "cua", "ben", "dia", "chi",
    "xa", "phuong", "thi", "tran", "huyen", "tinh", "thanh", "pho", "tp", "nghe", "an", "a", "ah", "nhe", "oi",
})  # fmt: skip
"""Words around a place name when someone says where they live ("nhà em ở xã …", "tôi ở phường …")."""
"""Lists of ours a typed place picks from: communes, what is needed, a good time (not a lone Cancel)."""
COMMUNE_ASK = "hc:ask"  # "choose my commune": also what a typed "có" presses under the soft question
VOLUNTEER_COMMANDS = frozenset({"hotro", "assist", "ketthuc", "endassist", "lienket", "link", "nhom", "team",
                                "yeucau", "requests"})  # fmt: skip
CITIZEN_COMMANDS = frozenset({"xa", "commune", "huyyeucau", "cancelhelp"})
COMMANDS = VOLUNTEER_COMMANDS | CITIZEN_COMMANDS


class Community:
    """Help requests, volunteers and communes for the engine."""

    def __init__(self, desk: BaseHelpDesk | None, communes: CommuneBook, start_buttons: Callable[[], tuple[Button, ...]],
                 procedure_name: Callable[[str], str], retention_days: int = 90,
                 runner: FlowRunner | None = None) -> None:  # fmt: skip
        self.ctx = CommunityContext(desk, communes, start_buttons, procedure_name, retention_days, runner)
        self.choice = CommuneChoice(self.ctx)
        self.help = HelpRequests(self.ctx, self.choice)
        self.volunteers = Volunteers(self.ctx, self.help)
        finder = self.choice.finder  # built once from the book, like its answers
        self._names_where = kept_per_text(lambda text: finder.names_only(text, _WHERE_I_LIVE))  # every question asks

    @property
    def desk(self) -> BaseHelpDesk | None:
        return self.ctx.desk

    def offer(self, turn: Turn) -> None:
        self.help.offer(turn)

    # --- what is ours ------------------------------------------------------------------------
    def wants(self, inbound: Inbound, state: ConversationState) -> bool:
        """Whether this message belongs to a help request, a volunteer or a commune choice."""
        if inbound.group is not None:
            return True
        if inbound.payload:
            return inbound.payload.partition(":")[0] in PAYLOADS
        text = (inbound.text or "").strip()
        if text.startswith("/"):
            return command_name(text) in COMMANDS
        return bool(CODE_RE.fullmatch(text))

    @staticmethod
    def waiting(state: ConversationState) -> bool:
        """Whether a question of ours (a help request's, "which commune?", or the papers a
        volunteer marks as missing) is open."""
        return state.help is not None or state.awaiting in ("commune", MISSING_STEP)

    async def handle(self, inbound: Inbound, turn: Turn) -> bool:
        """Answer the message; False hands it back to the engine (a question typed mid-request)."""
        me = Target(inbound.channel, inbound.user_id)
        if inbound.group is not None:
            await self.volunteers.group(inbound, me, turn)
            return True
        if inbound.payload:
            await self.press(inbound.payload, me, turn)
            return True
        text = (inbound.text or "").strip()
        if text.startswith("/"):
            await self._command(command_name(text), text.partition(" ")[2].strip(), me, turn)
            return True
        if CODE_RE.fullmatch(text):
            await self.volunteers.link(text, me, turn)
            return True
        return False

    @staticmethod
    def asks_commune(state: ConversationState) -> bool:
        """Whether our open question is "which commune?" (a help request's, or the soft one)."""
        return (state.help is not None and state.help.step == "commune") or state.awaiting == "commune"

    def names_commune(self, text: str) -> bool:
        return bool(self.choice.finder.search(text, limit=1))

    async def take(self, text: str, me: Target, turn: Turn) -> bool:
        """Read a typed message as the answer to our open question; False if it is not one."""
        if is_place(text):  # "cái đầu tiên", "2" under "Choose your commune" or "When shall they call?"
            at = place(text, len(turn.state.shown))
            if at is not None and turn.state.shown[at].partition(":")[0] in _PICKED_BY_PLACE:
                await self.press(turn.state.shown[at], me, turn)
                return True
        if turn.state.help is not None:
            return await self.help.draft_text(text, me, turn)
        if turn.state.awaiting == MISSING_STEP:
            return await self.volunteers.missing_typed(text, turn)
        if fold(text) in STOP_WORDS:
            self.help.drop_draft(turn)
            return True
        return self.choice.text(text, turn)

    def reask(self, turn: Turn, lead: str) -> None:
        if turn.state.awaiting == MISSING_STEP and turn.state.assist is not None:
            self.volunteers.ask_missing(turn, lead)
        else:
            self.help.reask(turn, lead)

    def resume_lead(self, turn: Turn) -> str:
        """What to say when our open question comes back after a side question."""
        if turn.state.awaiting == MISSING_STEP:
            return _("Let's continue where we were.")
        return _("When you are ready, let's go on with your request for a call (or press Cancel).")

    def set_aside(self, turn: Turn) -> bool:
        """A side question was answered while our question was open: a help request, and the
        volunteer's missing papers, keep their place (True: offer the way back); "which commune?"
        from /xa is simply dropped."""
        if turn.state.awaiting == MISSING_STEP:
            return turn.state.assist is not None
        if turn.state.help is None:
            turn.state.awaiting = None
            return False
        return True

    def offer_commune(self, turn: Turn) -> None:
        """After something helped, ask once, softly, which commune the person lives in: one tap,
        never in the way, so the commune's admins see what their people struggle with."""
        state = turn.state
        if (state.commune or state.commune_offered or state.assist is not None or state.asked is not None
                or not self.ctx.communes.all()):  # fmt: skip
            return  # (a question of ours already waits: this one can come another time)
        state.commune_offered = True
        # Typed answers count: "có" opens the choice, "không" is fine, a commune's name is taken
        # as the answer (see soft_commune); anything else is a question of its own (keep=False).
        ask(turn, Outbound(
            _("One more thing, if you like: which commune or ward do you live in? It helps your commune see what people need help with (nothing personal is kept)."),
            (Button(_("Choose my commune"), COMMUNE_ASK),)), yes=COMMUNE_ASK, no="hd:no", keep=False)  # fmt: skip

    def tells_commune(self, text: str, turn: Turn) -> bool:
        """"Nhà em ở xã Nghi Lộc", unasked: the person says where they live. The communes it names
        are offered, as under the soft "which commune?" (True); the matcher would read "Nghi
        Lộc" as "nghỉ lại", a guest's accommodation notice. Only when nothing else is said."""
        if "?" in text or len(fold(text).split()) > 8 or not self._names_where(text):
            return False  # (most messages end here: the search costs 0.3-1.3 ms, this a few µs)
        hits = self.choice.finder.search(text, limit=1)
        if not hits:
            return False
        hit = hits[0]
        named = {w for name in (hit.commune.name, hit.via.name if hit.via else "") for w in fold(name).split()}
        if any(w not in named and w not in _WHERE_I_LIVE for w in fold(text).split()):
            return False
        turn.state.awaiting = "commune"  # "1", "cái đầu tiên" then pick from the communes offered
        return self.choice.text(text, turn)

    def soft_commune(self, text: str, turn: Turn) -> bool:
        """A short message under the soft "which commune?" that names communes: the choice of
        them (True). Anything else is not an answer to it (False): the question never blocks."""
        if len(fold(text).split()) > 4 or not self.choice.finder.search(text, limit=1):
            return False
        return self.choice.text(text, turn)

    async def _command(self, name: str, arg: str, me: Target, turn: Turn) -> None:
        if name in ("xa", "commune"):
            self.choice.ask(turn, for_request=False)
        elif name in ("huyyeucau", "cancelhelp"):
            await self.help.cancel(None, me, turn)
        elif name in ("lienket", "link"):
            await self.volunteers.link(arg, me, turn)
        elif name in ("hotro", "assist"):
            await self.volunteers.assist_start(me, turn)
        elif name in ("ketthuc", "endassist"):
            self.volunteers.assist_end(turn)
        elif name in ("yeucau", "requests"):
            await self.volunteers.queue(me, turn)
        elif name in ("nhom", "team"):
            self.ctx.say(turn, _("Send /nhom inside your team's Telegram group (after adding me to it), not here."))

    async def press(self, payload: str, me: Target, turn: Turn) -> None:
        kind, _sep, rest = payload.partition(":")
        parts = rest.split(":") if rest else []
        help = self.help
        if kind == "hd":
            await help.draft_button(parts[0] if parts else "", me, turn)
        elif payload == COMMUNE_ASK:
            self.choice.ask(turn, for_request=False)
        elif kind == "hc" and parts:
            self.choice.chosen(parts[0], turn)
            if turn.state.help is not None and turn.state.help.step == "commune":
                help.ask_need(turn)
        elif kind == "hn" and parts and turn.state.help is not None:
            draft = turn.state.help
            if parts[0] == "proc" and turn.state.procedure:
                draft.need = self.ctx.procedure_name(turn.state.procedure)
                draft.procedure = turn.state.procedure
            help.ask_time(turn)
        elif kind == "ht" and parts and parts[0] in GOOD_TIMES and turn.state.help is not None:
            turn.state.help.good_time = parts[0]
            await help.submit(me, turn)
        elif kind == "hx":
            await help.cancel(_int(parts[0]) if parts else None, me, turn)
        elif kind == "hr" and len(parts) >= 2 and (ticket_id := _int(parts[1])) is not None:
            if parts[0] == "claim":
                await self.volunteers.claim(ticket_id, me, turn)
            elif parts[0] == "close" and len(parts) == 3 and parts[2] in REQUEST_OUTCOMES:
                await self.volunteers.close(ticket_id, parts[2], me, turn)
            else:
                self.ctx.stale(turn)
        elif kind == "hr" and parts == ["queue"]:
            await self.volunteers.queue(me, turn)
        elif kind == "av" and parts and parts[0] in ASSIST_OUTCOMES:
            await self.volunteers.assist_outcome(parts[0], None, turn)
        elif kind == "ar" and parts and parts[0] in ASSIST_REASONS:
            await self.volunteers.assist_outcome("unfinished", parts[0], turn)
        elif kind == "am" and parts:
            await self.volunteers.missing_press(":".join(parts), turn)
        else:
            self.ctx.stale(turn)


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 12 else None
