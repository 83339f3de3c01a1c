"""The people side of the assistant: a citizen asking for a person, a volunteer assisting one.

* Help requests: consent, a phone number (checked), the commune (typed, chosen from at most five
  buttons), what is needed and a good time; the request goes to the commune's team, and the
  citizen hears who will call once a volunteer claims it (``hr:claim`` from a team group or a
  volunteer's own chat). The citizen can cancel; the volunteer closes with an outcome.
* Volunteers: ``/lienket CODE`` links a chat account, ``/nhom`` makes a group the team's group,
  ``/hotro`` … ``/ketthuc`` marks an assisted session and records its outcome in two taps,
  ``/yeucau`` lists open requests.
* ``/xa``: anybody may say which commune they live in, so their questions count for it.

Everything that touches shared data goes through :class:`bot.core.desk.BaseHelpDesk`; messages
for other people (a team, a citizen) leave as :class:`bot.core.desk.Notice`.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.core import i18n
from bot.core.communes import CommuneFinder
from bot.core.desk import (
    ASSIST_OUTCOMES,
    ASSIST_REASONS,
    GOOD_TIMES,
    REQUEST_OUTCOMES,
    BaseHelpDesk,
    ClaimOutcome,
    LinkOutcome,
    NewRequest,
    Notice,
    Target,
    Ticket,
    Volunteer,
)
from bot.core.flow_runner import NAV_WORDS
from bot.core.i18n import _
from bot.core.messages import Button, Inbound, Outbound, UsageEvent
from bot.core.phone import looks_like_phone, mask_phone, parse_phone, spaced
from bot.core.redact import redact
from bot.core.state import AssistState, ConversationState, HelpDraft
from bot.core.text import fold
from bot.data.communes import Commune, CommuneBook

if TYPE_CHECKING:
    from bot.core.engine import Turn

log = logging.getLogger("bot.community")

CODE_RE = re.compile(r"[A-Za-z0-9]{4}-[A-Za-z0-9]{4}")
"""A link code as the dashboard prints it ("7KQ4-M9XP"); sent alone, it is taken as a code."""
MAX_NEED = 300
MAX_COMMUNE_CHOICES = 4
PAYLOADS = frozenset({"hd", "hc", "hn", "ht", "hx", "hr", "av", "ar"})
VOLUNTEER_COMMANDS = frozenset({"hotro", "assist", "ketthuc", "endassist", "lienket", "link", "nhom", "team",
                                "yeucau", "requests"})  # fmt: skip
CITIZEN_COMMANDS = frozenset({"xa", "commune", "huyyeucau", "cancelhelp"})
COMMANDS = VOLUNTEER_COMMANDS | CITIZEN_COMMANDS
_STOP_WORDS = NAV_WORDS["cancel"] | {"khong can nua", "thoi khong can", "bo qua yeu cau"}
_REFUSALS = frozenset({"khong", "ko", "k", "kg", "no", "khong muon", "ko muon", "khong dong y", "khong cho",
                       "thoi khoi", "khoi"})  # fmt: skip
""""No" to a question of the request: at the phone or commune it ends the request (nothing half
given is kept); at "what do you need" it just means nothing in particular."""


def outcome_label(outcome: str) -> str:
    return {
        "done": _("✅ Helped, all done"),
        "office": _("🏢 Sent to the office"),
        "unreachable": _("📵 Could not reach them"),
        "not_needed": _("🙅 No longer needed"),
        "online": _("✅ Done online"),
        "unfinished": _("❌ Could not finish"),
    }.get(outcome, outcome)


def reason_label(reason: str) -> str:
    return {
        "no_vneid": _("No VNeID level 2 account yet"),
        "papers": _("Papers missing"),
        "portal": _("The portal or app failed"),
        "device": _("No phone, signal or internet"),
        "declined": _("The citizen changed their mind"),
        "other": _("Another reason"),
    }.get(reason, reason)


def time_label(value: str | None) -> str:
    return {
        "morning": _("In the morning"),
        "afternoon": _("In the afternoon"),
        "evening": _("In the evening"),
        "any": _("Any time"),
    }.get(value or "", _("not said"))


@dataclass
class Community:
    """Help requests, volunteers and communes for the engine. ``desk`` None: no shared storage
    (a bare engine in tests); people are then pointed to their commune office instead."""

    desk: BaseHelpDesk | None
    communes: CommuneBook
    start_buttons: Callable[[], tuple[Button, ...]]
    procedure_name: Callable[[str], str]
    retention_days: int = 90
    finder: CommuneFinder = field(init=False)

    def __post_init__(self) -> None:
        self.finder = CommuneFinder(self.communes)

    # --- what is ours ------------------------------------------------------------------------
    def wants(self, inbound: Inbound, state: ConversationState) -> bool:
        """Whether this message belongs to a help request, a volunteer or a commune choice."""
        if inbound.group is not None:
            return True
        if inbound.payload:
            return inbound.payload.partition(":")[0] in PAYLOADS
        text = (inbound.text or "").strip()
        if text.startswith("/"):
            return _command_name(text) in COMMANDS
        if CODE_RE.fullmatch(text):
            return True
        return state.help is not None or state.awaiting == "commune"

    async def handle(self, inbound: Inbound, turn: Turn) -> bool:
        """Answer the message; False hands it back to the engine (a question typed mid-request)."""
        me = Target(inbound.channel, inbound.user_id)
        if inbound.group is not None:
            await self._group(inbound, me, turn)
            return True
        if inbound.payload:
            await self._press(inbound.payload, me, turn)
            return True
        text = (inbound.text or "").strip()
        if text.startswith("/"):
            await self._command(_command_name(text), text.partition(" ")[2].strip(), me, turn)
            return True
        if CODE_RE.fullmatch(text):
            await self._link(text, me, turn)
            return True
        if turn.state.help is not None:
            return await self._draft_text(text, me, turn)
        if turn.state.awaiting == "commune":
            if fold(text) in _STOP_WORDS:
                self._drop_draft(turn)
                return True
            return self._commune_text(text, turn)
        return False

    # --- commands ----------------------------------------------------------------------------
    async def _command(self, name: str, arg: str, me: Target, turn: Turn) -> None:
        if name in ("xa", "commune"):
            self._ask_commune(turn, for_request=False)
        elif name in ("huyyeucau", "cancelhelp"):
            await self._cancel(None, me, turn)
        elif name in ("lienket", "link"):
            await self._link(arg, me, turn)
        elif name in ("hotro", "assist"):
            await self._assist_start(me, turn)
        elif name in ("ketthuc", "endassist"):
            self._assist_end(turn)
        elif name in ("yeucau", "requests"):
            await self._queue(me, turn)
        elif name in ("nhom", "team"):
            self._say(turn, _("Send /nhom inside your team's Telegram group (after adding me to it), not here."))

    async def _group(self, inbound: Inbound, me: Target, turn: Turn) -> None:
        """A team group: /nhom links it; "Nhận" presses claim. Anything else there is not ours to answer."""
        assert inbound.group is not None
        payload = inbound.payload or ""
        text = (inbound.text or "").strip()
        if payload.startswith("hr:claim:"):
            await self._press(payload, me, turn)
            return
        if _command_name(text) not in ("nhom", "team"):
            return
        volunteer = await self._volunteer(me)
        group = Target(inbound.channel, inbound.group)
        if volunteer is None:
            turn.notices.append(Notice(group, (Outbound(_("Only a linked volunteer can make this group a team group. Link your account first: send me /lienket and your code in a private chat.")),)))
            return
        assert self.desk is not None
        await self.desk.link_group(group, volunteer)
        where = self._commune_name(volunteer.commune) or _("the whole province")
        turn.notices.append(Notice(group, (Outbound(
            _("This group now receives the help requests of {place} for the team \"{team}\". Press \"Nhận\" under a request to take it; the phone number is then sent to you privately.").format(place=where, team=volunteer.team)),)))  # fmt: skip
        turn.events.append(UsageEvent("team_group_linked", detail={"commune": volunteer.commune or ""}))

    # --- buttons -----------------------------------------------------------------------------
    async def _press(self, payload: str, me: Target, turn: Turn) -> None:
        kind, _sep, rest = payload.partition(":")
        parts = rest.split(":") if rest else []
        if kind == "hd":
            await self._draft_button(parts[0] if parts else "", me, turn)
        elif kind == "hc" and parts:
            self._commune_chosen(parts[0], turn)
            if turn.state.help is not None and turn.state.help.step == "commune":
                self._ask_need(turn)
        elif kind == "hn" and parts and turn.state.help is not None:
            draft = turn.state.help
            if parts[0] == "proc" and turn.state.procedure:
                draft.need = self.procedure_name(turn.state.procedure)
                draft.procedure = turn.state.procedure
            self._ask_time(turn)
        elif kind == "ht" and parts and parts[0] in GOOD_TIMES and turn.state.help is not None:
            turn.state.help.good_time = parts[0]
            await self._submit(me, turn)
        elif kind == "hx":
            await self._cancel(_int(parts[0]) if parts else None, me, turn)
        elif kind == "hr" and len(parts) >= 2 and (ticket_id := _int(parts[1])) is not None:
            if parts[0] == "claim":
                await self._claim(ticket_id, me, turn)
            elif parts[0] == "close" and len(parts) == 3 and parts[2] in REQUEST_OUTCOMES:
                await self._close(ticket_id, parts[2], me, turn)
            else:
                self._stale(turn)
        elif kind == "hr" and parts == ["queue"]:
            await self._queue(me, turn)
        elif kind == "av" and parts and parts[0] in ASSIST_OUTCOMES:
            await self._assist_outcome(parts[0], None, turn)
        elif kind == "ar" and parts and parts[0] in ASSIST_REASONS:
            await self._assist_outcome("unfinished", parts[0], turn)
        else:
            self._stale(turn)

    def _stale(self, turn: Turn) -> None:
        turn.messages.append(Outbound(_("That button is no longer available. What can I help you with?"), self.start_buttons()))
        turn.events.append(UsageEvent("stale_button"))

    # --- a citizen asks for a person -----------------------------------------------------------
    def offer(self, turn: Turn) -> None:
        """The first answer to "I want a person": who can help, and an offer to be called back."""
        commune = self._commune(turn.state.commune)
        office = _contact_line(commune)
        text = _("A volunteer of your commune's community digital technology team (Tổ công nghệ số cộng đồng) or the commune one-stop office can help you in person. You can also call the VNeID hotline 1900 0368 for account problems.")
        if office:
            text += "\n" + office
        if self.desk is None:
            turn.messages.append(Outbound(text, (Button(_("All procedures"), "m:0"),)))
            return
        text += "\n\n" + _("Shall I ask a volunteer to call you? I will need your phone number: only your commune's team and the administrators see it, and it is deleted after {days} days.").format(days=self.retention_days)
        turn.messages.append(Outbound(text, (Button(_("Yes, ask someone to call me"), "hd:yes"),
                                             Button(_("No, thank you"), "hd:no"))))  # fmt: skip

    async def _draft_button(self, action: str, me: Target, turn: Turn) -> None:
        state = turn.state
        if action == "yes":
            if self.desk is None:
                self.offer(turn)
                return
            active = await self.desk.active_ticket(me)
            if active is not None:
                self._say_ticket(active, turn)
                return
            state.help = HelpDraft(key=uuid.uuid4().hex, step="phone", procedure=state.procedure)
            turn.messages.append(Outbound(
                _("What phone number should the volunteer call? For example: 0912 345 678."),
                (Button(_("✖ Cancel"), "hd:stop"),)))  # fmt: skip
            turn.events.append(UsageEvent("help_consent", state.procedure))
        elif action == "no":
            turn.messages.append(Outbound(_("All right. Ask me anything, or choose a topic."), self.start_buttons()))
        elif action == "stop":
            self._drop_draft(turn)
        elif action == "keep" and state.help is not None and state.commune:
            state.help.commune = state.commune
            self._ask_need(turn)
        elif action == "other" and state.help is not None:
            self._ask_commune(turn, for_request=True)
        else:
            self._stale(turn)

    async def _draft_text(self, text: str, me: Target, turn: Turn) -> bool:
        draft = turn.state.help
        assert draft is not None
        folded = fold(text)
        if folded in _STOP_WORDS or (folded in _REFUSALS and draft.step in ("phone", "commune")):
            self._drop_draft(turn)
            return True
        if draft.step == "commune" and folded in NAV_WORDS["idk"]:
            self._commune_chosen("none", turn)
            self._ask_need(turn)
            return True
        if draft.step == "need" and folded in _REFUSALS | NAV_WORDS["idk"]:
            self._ask_time(turn)
            return True
        if draft.step == "phone":
            phone = parse_phone(text)
            if phone is None:
                if not looks_like_phone(text):
                    return self._wander(turn)
                turn.messages.append(Outbound(
                    _("That does not look like a Vietnamese phone number. A mobile number has 10 digits and starts with 03, 05, 07, 08 or 09 (for example 0912 345 678); a landline has 11 digits and starts with 02."),
                    (Button(_("✖ Cancel"), "hd:stop"),)))  # fmt: skip
                return True
            draft.phone = phone
            if turn.state.commune and self._commune(turn.state.commune):
                draft.step = "commune"
                turn.messages.append(Outbound(
                    _("Is your commune still {commune}?").format(commune=self._commune_name(turn.state.commune)),
                    (Button(_("Yes"), "hd:keep"), Button(_("Choose another"), "hd:other"))))  # fmt: skip
            elif self.communes.all():
                self._ask_commune(turn, for_request=True)
            else:
                self._ask_need(turn)
            return True
        if draft.step == "commune":
            return self._commune_text(text, turn)
        if draft.step == "need":
            draft.need = " ".join(text.split())[:MAX_NEED] or None
            self._ask_time(turn)
            return True
        if draft.step == "time":
            padded = f" {folded} "
            for value, words in _TIME_WORDS.items():
                if any(f" {w} " in padded for w in words):
                    draft.good_time = value
                    await self._submit(me, turn)
                    return True
            self._ask_time(turn)
            return True
        return False

    def _wander(self, turn: Turn) -> bool:
        """Words instead of a number: the person moved on; keep nothing half-given."""
        turn.state.help = None
        return False

    def _drop_draft(self, turn: Turn) -> None:
        drafting = turn.state.help is not None
        turn.state.help = None
        turn.state.awaiting = None
        if drafting:
            self._say(turn, _("Cancelled: no request was sent. What else can I help you with?"))
        else:
            self._say(turn, _("All right. Ask me anything, or choose a topic."))

    def _ask_need(self, turn: Turn) -> None:
        draft = turn.state.help
        assert draft is not None
        draft.step = "need"
        buttons: list[Button] = []
        if turn.state.procedure:
            buttons.append(Button(self.procedure_name(turn.state.procedure), "hn:proc"))
        buttons.append(Button(_("Skip"), "hn:skip"))
        turn.messages.append(Outbound(_("In a few words, what do you need help with? (Or press Skip.)"), tuple(buttons)))

    def _ask_time(self, turn: Turn) -> None:
        draft = turn.state.help
        assert draft is not None
        draft.step = "time"
        turn.messages.append(Outbound(_("When is a good time to call you?"),
                                      tuple(Button(time_label(t), f"ht:{t}") for t in GOOD_TIMES)))  # fmt: skip

    async def _submit(self, me: Target, turn: Turn) -> None:
        state = turn.state
        draft = state.help
        assert draft is not None
        assert self.desk is not None
        if draft.phone is None:  # cannot happen through the buttons; be safe with old states
            state.help = None
            self.offer(turn)
            return
        ticket = await self.desk.open_request(NewRequest(
            key=draft.key, citizen=me, phone=draft.phone, commune=draft.commune, need=draft.need,
            good_time=draft.good_time, procedure=draft.procedure, lang=i18n.current()))  # fmt: skip
        state.help = None
        state.ticket = ticket.id
        routes = await self.desk.routes(ticket.commune)
        targets = routes.targets
        no_team = not targets
        if no_team:
            await self.desk.escalate(ticket.id)
            targets = routes.escalation
        with i18n.use(i18n.DEFAULT_LANGUAGE):  # teams read Vietnamese
            announcement = self._announcement(ticket, reminder=False)
        turn.notices.extend(Notice(t, (announcement,)) for t in targets if t != me)
        commune = self._commune(ticket.commune)
        place = _in_sentence(commune) if commune else None
        if not no_team and place:
            text = _("Sent: request #{id} is with the community digital technology team of {place}. When a volunteer takes it, I will send you their name and phone number here.").format(id=ticket.id, place=place)
        else:
            text = _("Sent: request #{id}. No team of your commune is connected to the assistant yet, so it went to the province's administrators. When someone takes it, I will send you their name and phone number here.").format(id=ticket.id)
        office = _contact_line(commune)
        if office:
            text += "\n" + _("If it is urgent: {office}").format(office=office)
        turn.messages.append(Outbound(text, (Button(_("Cancel my request"), f"hx:{ticket.id}"),
                                             Button(_("All procedures"), "m:0"))))  # fmt: skip
        turn.events.append(UsageEvent("help_requested", draft.procedure, detail={"commune": ticket.commune or ""}))

    def _announcement(self, ticket: Ticket, reminder: bool) -> Outbound:
        return announcement(ticket, self._commune_name(ticket.commune), self.procedure_name, "reminder" if reminder else "new")

    def _say_ticket(self, ticket: Ticket, turn: Turn) -> None:
        if ticket.claimed_by is not None:
            text = _("Your request #{id} has been taken by {name} ({team}), who will call you.").format(
                id=ticket.id, name=ticket.claimed_by.name, team=ticket.claimed_by.team)  # fmt: skip
        else:
            text = _("Your request #{id} is waiting for a volunteer of your commune's team. I will tell you here when someone takes it.").format(id=ticket.id)
        turn.messages.append(Outbound(text, (Button(_("Cancel my request"), f"hx:{ticket.id}"),
                                             Button(_("All procedures"), "m:0"))))  # fmt: skip

    async def _cancel(self, ticket_id: int | None, me: Target, turn: Turn) -> None:
        if self.desk is None:
            self._say(turn, _("You have no help request to cancel."))
            return
        if ticket_id is None:
            active = await self.desk.active_ticket(me)
            ticket_id = active.id if active else None
        ticket = await self.desk.cancel(ticket_id, me) if ticket_id is not None else None
        if ticket is None:
            self._say(turn, _("You have no help request to cancel."))
            return
        turn.state.ticket = None
        self._say(turn, _("Request #{id} is cancelled. You can ask for a person again at any time.").format(id=ticket.id))
        turn.events.append(UsageEvent("help_cancelled", ticket.procedure, detail={"commune": ticket.commune or ""}))
        with i18n.use(i18n.DEFAULT_LANGUAGE):
            note = Outbound(_("Request #{id} was cancelled by the citizen.").format(id=ticket.id))
        if ticket.claimed_by is not None:
            targets = await self.desk.accounts(ticket.claimed_by.id)
        else:
            targets = (await self.desk.routes(ticket.commune)).targets
        turn.notices.extend(Notice(t, (note,)) for t in targets)

    # --- communes ------------------------------------------------------------------------------
    def _ask_commune(self, turn: Turn, for_request: bool) -> None:
        if not self.communes.all():
            self._say(turn, _("I have no list of communes yet."))
            return
        if for_request:
            assert turn.state.help is not None
            turn.state.help.step = "commune"
        else:
            turn.state.awaiting = "commune"
        turn.messages.append(Outbound(
            _("Which commune or ward do you live in? Type its name, with or without accents, for example: Anh Sơn, Vinh Hưng. A name from before the 2025 merger works too."),
            (Button(_("✖ Cancel"), "hd:stop"),)))  # fmt: skip

    def _commune_text(self, text: str, turn: Turn) -> bool:
        # Four communes and "not listed": five buttons, what Zalo shows at once without a "more" page.
        hits = self.finder.search(text, limit=MAX_COMMUNE_CHOICES)
        if not hits:
            if len(fold(text).split()) > 4:  # a sentence, not a place name: answer it instead
                turn.state.awaiting = None
                if turn.state.help is not None:
                    turn.state.help = None
                return False
            turn.messages.append(Outbound(
                _("I could not find a commune or ward called \"{name}\". Check the spelling, or type the old name of your commune.").format(name=text[:60]),
                (Button(_("My commune is not listed"), "hc:none"), Button(_("✖ Cancel"), "hd:stop"))))  # fmt: skip
            return True
        buttons = []
        for hit in hits:
            label = hit.commune.full_name
            if hit.via is not None and fold(hit.via.name) != fold(hit.commune.name):
                label = _("{commune} (includes former {old})").format(commune=label, old=hit.via.name)
            buttons.append(Button(label, f"hc:{hit.commune.id}"))
        buttons.append(Button(_("My commune is not listed"), "hc:none"))
        turn.messages.append(Outbound(_("Choose your commune or ward:"), tuple(buttons)))
        return True

    def _commune_chosen(self, commune_id: str, turn: Turn) -> None:
        state = turn.state
        commune = self._commune(commune_id)
        draft = state.help
        if commune is None and commune_id != "none":
            self._stale(turn)
            return
        state.awaiting = None
        if draft is not None and draft.step == "commune":
            draft.commune = commune.id if commune else None
            if commune is not None:
                state.commune = commune.id
            return
        if commune is None:
            self._say(turn, _("All right. You can still ask me anything; for a person, your commune's People's Committee can help."))
            return
        state.commune = commune.id
        text = _("Saved: you live in {commune}. Your questions are counted for it, without anything personal.").format(commune=commune.full_name)
        office = _contact_line(commune)
        if office:
            text += "\n" + office
        turn.messages.append(Outbound(text, self.start_buttons()))
        turn.events.append(UsageEvent("commune_set", detail={"commune": commune.id}))

    def _commune(self, commune_id: str | None) -> Commune | None:
        return self.communes.get(commune_id) if commune_id else None

    def _commune_name(self, commune_id: str | None) -> str | None:
        commune = self._commune(commune_id)
        return commune.full_name if commune else commune_id

    # --- volunteers ----------------------------------------------------------------------------
    async def _volunteer(self, me: Target) -> Volunteer | None:
        return await self.desk.volunteer(me.channel, me.chat_id) if self.desk is not None else None

    async def _link(self, code: str, me: Target, turn: Turn) -> None:
        if self.desk is None:
            self._say(turn, _("Volunteer accounts are not available here."))
            return
        if not code:
            self._say(turn, _("Send /lienket followed by the code the administrator gave you, for example: /lienket 7KQ4-M9XP"))
            return
        result = await self.desk.link(me.channel, me.chat_id, code)
        if result.outcome is LinkOutcome.LINKED and result.volunteer is not None:
            v = result.volunteer
            turn.messages.append(Outbound(
                _("Welcome, {name}! Your account is linked to the team \"{team}\" of {place}.\n• /hotro when you sit with a citizen, /ketthuc when you finish;\n• /yeucau lists help requests waiting in your commune;\n• add me to your team's Telegram group and send /nhom there to receive requests in the group.").format(
                    name=v.name, team=v.team, place=self._commune_name(v.commune) or _("the whole province"))))  # fmt: skip
            turn.events.append(UsageEvent("volunteer_linked", detail={"commune": v.commune or ""}))
            return
        reply = {
            LinkOutcome.EXPIRED: _("This code has expired. Ask your administrator for a new one."),
            LinkOutcome.USED: _("This code has already been used. Ask your administrator for a new one."),
            LinkOutcome.THROTTLED: _("Too many wrong codes. Please wait an hour and try again, or ask your administrator."),
        }.get(result.outcome, _("This code is not valid. Check it, or ask your administrator for a new one."))
        self._say(turn, reply)
        turn.events.append(UsageEvent("link_refused", detail={"reason": result.outcome.value}))

    async def _assist_start(self, me: Target, turn: Turn) -> None:
        volunteer = await self._volunteer(me)
        if volunteer is None:  # a citizen typing "/hotro" (help) wants help
            self.offer(turn)
            return
        assert self.desk is not None
        state = turn.state
        if state.assist is not None:  # a session left without an outcome
            await self.desk.finish_assist(state.assist.session, "unknown", None, state.assist.procedures)
        session = await self.desk.start_assist(volunteer, me.channel)
        _fresh(state)
        state.assist = AssistState(session=session, volunteer=volunteer.id, name=volunteer.name, commune=volunteer.commune)
        state.commune = volunteer.commune
        turn.messages.append(Outbound(
            _("Assisted session started. Everything from now on counts as helped by you. Ask questions or start a guide as the citizen would; send /ketthuc when you finish."),
            self.start_buttons()))  # fmt: skip
        turn.events.append(UsageEvent("assist_started", detail={"commune": volunteer.commune or ""}))

    def _assist_end(self, turn: Turn) -> None:
        if turn.state.assist is None:
            self._say(turn, _("There is no assisted session to end. Send /hotro to start one."))
            return
        turn.messages.append(Outbound(_("How did it end?"),
                                      tuple(Button(outcome_label(o), f"av:{o}") for o in ASSIST_OUTCOMES)))  # fmt: skip

    async def _assist_outcome(self, outcome: str, reason: str | None, turn: Turn) -> None:
        state = turn.state
        assist = state.assist
        if assist is None or self.desk is None:
            self._stale(turn)
            return
        if outcome == "unfinished" and reason is None:
            turn.messages.append(Outbound(_("What stopped it?"),
                                          tuple(Button(reason_label(r), f"ar:{r}") for r in ASSIST_REASONS)))  # fmt: skip
            return
        await self.desk.finish_assist(assist.session, outcome, reason, assist.procedures)
        turn.events.append(UsageEvent("assist_finished", detail={"outcome": outcome, "reason": reason or "",
                                                                 "commune": assist.commune or "",
                                                                 "assisted_by": str(assist.volunteer)}))  # fmt: skip
        state.assist = None
        _fresh(state)
        turn.messages.append(Outbound(_("Session recorded. Thank you for helping! Send /hotro when you sit with the next person.")))

    async def _queue(self, me: Target, turn: Turn) -> None:
        volunteer = await self._volunteer(me)
        if volunteer is None or self.desk is None:
            self._say(turn, _("Only linked volunteers can see help requests."))
            return
        tickets = await self.desk.queue(volunteer)
        if not tickets:
            self._say(turn, _("No help request is waiting. Thank you!"))
            return
        turn.messages.extend(self._announcement(ticket, reminder=False) for ticket in tickets)

    async def _claim(self, ticket_id: int, me: Target, turn: Turn) -> None:
        volunteer = await self._volunteer(me)
        if volunteer is None or self.desk is None:
            self._say(turn, _("Only a linked volunteer of the commune's team can take help requests."))
            return
        result = await self.desk.claim(ticket_id, volunteer)
        ticket = result.ticket
        if result.outcome in (ClaimOutcome.CLAIMED, ClaimOutcome.ALREADY_YOURS) and ticket is not None:
            turn.messages.append(self._details(ticket))
            if result.outcome is ClaimOutcome.CLAIMED:
                await self._announce_claim(ticket, volunteer, me, turn)
            return
        if result.outcome is ClaimOutcome.TAKEN and ticket is not None and ticket.claimed_by is not None:
            text = _("Request #{id} was already taken by {name}.").format(id=ticket_id, name=ticket.claimed_by.name)
        elif result.outcome is ClaimOutcome.OTHER_COMMUNE:
            text = _("Request #{id} belongs to another commune; you can take the requests of your own commune.").format(id=ticket_id)
        else:
            text = _("Request #{id} has ended (closed, or cancelled by the citizen).").format(id=ticket_id)
        self._say(turn, text)
        turn.events.append(UsageEvent("claim_refused", detail={"reason": result.outcome.value}))

    def _details(self, ticket: Ticket) -> Outbound:
        lines = [
            _("You took request #{id}. Please call the citizen:").format(id=ticket.id),
            _("📞 {phone}").format(phone=spaced(ticket.phone) if ticket.phone else "—"),
            _("📍 {place}").format(place=self._commune_name(ticket.commune) or _("commune not given")),
            _("Needs: {need}").format(need=_need(ticket, self.procedure_name, private=True)),
            _("Good time: {time}").format(time=time_label(ticket.good_time)),
            _("When you are done, record the outcome:"),
        ]
        return Outbound("\n".join(lines), tuple(Button(outcome_label(o), f"hr:close:{ticket.id}:{o}")
                                                for o in REQUEST_OUTCOMES))  # fmt: skip

    async def _announce_claim(self, ticket: Ticket, volunteer: Volunteer, me: Target, turn: Turn) -> None:
        assert self.desk is not None
        with i18n.use(ticket.lang):
            text = _("Good news: {name} of the team \"{team}\" has taken your request #{id} and will call you soon.").format(
                name=volunteer.name, team=volunteer.team, id=ticket.id)  # fmt: skip
            if volunteer.phone:
                text += " " + _("Their number is {phone}, so you know the call is genuine.").format(phone=spaced(volunteer.phone))
            to_citizen = Outbound(text, (Button(_("Cancel my request"), f"hx:{ticket.id}"),))
        turn.notices.append(Notice(ticket.citizen, (to_citizen,)))
        with i18n.use(i18n.DEFAULT_LANGUAGE):
            to_team = Outbound(_("✅ Request #{id} was taken by {name}.").format(id=ticket.id, name=volunteer.name))
        routes = await self.desk.routes(ticket.commune)
        turn.notices.extend(Notice(t, (to_team,)) for t in routes.targets if t != me)
        turn.events.append(UsageEvent("help_claimed", ticket.procedure, detail={"commune": ticket.commune or ""}))

    async def _close(self, ticket_id: int, outcome: str, me: Target, turn: Turn) -> None:
        volunteer = await self._volunteer(me)
        if volunteer is None or self.desk is None:
            self._say(turn, _("Only a linked volunteer of the commune's team can take help requests."))
            return
        result = await self.desk.close(ticket_id, volunteer, outcome)
        ticket = result.ticket
        if result.outcome is not ClaimOutcome.CLAIMED or ticket is None:
            self._say(turn, _("Request #{id} is not yours to close, or has ended already.").format(id=ticket_id))
            return
        self._say(turn, _("Request #{id} closed: {outcome}. Thank you!").format(id=ticket_id, outcome=outcome_label(outcome)))
        turn.events.append(UsageEvent("help_closed", ticket.procedure, detail={"outcome": outcome, "commune": ticket.commune or ""}))
        with i18n.use(ticket.lang):
            note = Outbound(_("The volunteer has closed your request #{id}. If you still need help, just ask again.").format(id=ticket.id),
                            (Button(_("Talk to a person"), "h"), Button(_("All procedures"), "m:0")))  # fmt: skip
        turn.notices.append(Notice(ticket.citizen, (note,)))

    # --- small helpers -------------------------------------------------------------------------
    def _say(self, turn: Turn, text: str) -> None:
        turn.messages.append(Outbound(text, self.start_buttons()))


def announcement(ticket: Ticket, place: str | None, procedure_name: Callable[[str], str], kind: str = "new") -> Outbound:
    """What a team sees of a request: enough to decide, nothing to call with until claimed.
    ``kind``: new, reminder (nobody took it yet) or escalated (to the province)."""
    head = {
        "reminder": _("⏰ Still waiting: help request #{id}"),
        "escalated": _("⚠️ Escalated, nobody took it: help request #{id}"),
    }.get(kind, _("🆘 Help request #{id}")).format(id=ticket.id)
    lines = [
        head,
        _("📍 {place}").format(place=place or _("commune not given")),
        _("Needs: {need}").format(need=_need(ticket, procedure_name)),
        _("Good time: {time}").format(time=time_label(ticket.good_time)),
        _("Phone: {masked} (shown in full to whoever takes it)").format(masked=mask_phone(ticket.phone or "")),
    ]
    return Outbound("\n".join(lines), (Button(_("✋ Nhận (take it)"), f"hr:claim:{ticket.id}"),))


def _need(ticket: Ticket, procedure_name: Callable[[str], str], private: bool = False) -> str:
    """What the citizen needs; outside the claimer's private chat, with any ID number, phone or
    other identifier they typed in it blanked (a team group may hold more than the team)."""
    if ticket.need:
        return ticket.need if private else redact(ticket.need)
    if ticket.procedure:
        return procedure_name(ticket.procedure)
    return _("not said")


def _contact_line(commune: Commune | None) -> str | None:
    """Where to go in person: the commune's published contact point."""
    if commune is None or commune.contact is None:
        return None
    contact = commune.contact
    bits = [contact.name]
    if contact.phone:
        bits.append(f"☎ {contact.phone}")
    if contact.address:
        bits.append(contact.address)
    return "🏛 " + " — ".join(bits)


def _in_sentence(commune: Commune) -> str:
    """"xã Anh Sơn" inside a sentence, where "Xã Anh Sơn" would read as shouting."""
    name = commune.full_name
    return name[:1].lower() + name[1:]


def _fresh(state: ConversationState) -> None:
    """Forget what the last person did: a volunteer's phone serves one citizen after another."""
    state.flow = None
    state.procedure = None
    state.checklists = {}
    state.feedback_for = None
    state.feedback_given = []
    state.help = None
    state.awaiting = None


def _command_name(text: str) -> str:
    """"/nhom@trolyso_bot abc" → "nhom"; "" when ``text`` is not a command."""
    return text[1:].partition(" ")[0].split("@")[0].lower() if text.startswith("/") else ""


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 12 else None


_TIME_WORDS = {  # whole folded words; checked in this order ("tôi" folds to "toi" too: not evening)
    "any": ("luc nao", "bat ky", "gio nao", "khi nao", "any", "anytime", "cung duoc", "sao cung duoc"),
    "afternoon": ("chieu", "buoi chieu", "afternoon", "trua"),
    "morning": ("sang", "buoi sang", "morning"),
    "evening": ("buoi toi", "toi nay", "evening", "night", "dem"),
}
