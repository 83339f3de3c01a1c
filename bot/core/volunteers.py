"""Volunteers in chat: linking an account by code, a team group, assisted sessions, taking and
closing help requests."""

from __future__ import annotations

from bot.core import i18n
from bot.core.assist_papers import Paper, offered, read_missing, ticked_missing
from bot.core.checklist import short
from bot.core.community_base import CommunityContext
from bot.core.desk import (
    ASSIST_OUTCOMES,
    ASSIST_REASONS,
    REQUEST_OUTCOMES,
    ClaimOutcome,
    LinkOutcome,
    MissingPaper,
    Notice,
    Target,
    Ticket,
    Volunteer,
)
from bot.core.help_request import HelpRequests
from bot.core.help_texts import need_text, outcome_label, reason_label, time_label
from bot.core.i18n import _
from bot.core.messages import Button, Inbound, Outbound, UsageEvent
from bot.core.pending import ask
from bot.core.phone import spaced
from bot.core.state import AssistState, ConversationState
from bot.core.trust import may_link_volunteer
from bot.core.turn import Turn

MISSING_STEP = "missing_papers"
"""``ConversationState.awaiting`` while the volunteer says which papers were missing."""


def command_name(text: str) -> str:
    """"/nhom@trolyso_bot abc" → "nhom"; "" when ``text`` is not a command."""
    return text[1:].partition(" ")[0].split("@")[0].lower() if text.startswith("/") else ""


class Volunteers:
    def __init__(self, ctx: CommunityContext, help: HelpRequests) -> None:
        self.ctx = ctx
        self.help = help

    async def group(self, inbound: Inbound, me: Target, turn: Turn) -> None:
        """A team group: /nhom links it; "Nhận" presses claim. Anything else there is not ours to answer."""
        assert inbound.group is not None
        payload = inbound.payload or ""
        text = (inbound.text or "").strip()
        if payload.startswith("hr:claim:"):
            ticket_id = payload.rpartition(":")[2]
            if ticket_id.isdigit() and len(ticket_id) < 12:
                await self.claim(int(ticket_id), me, turn)
            return
        if command_name(text) not in ("nhom", "team"):
            return
        volunteer = await self.ctx.volunteer(me)
        group = Target(inbound.channel, inbound.group)
        if volunteer is None:
            turn.notices.append(Notice(group, (Outbound(_("Only a linked volunteer can make this group a team group. Link your account first: send me /lienket and your code in a private chat.")),)))
            return
        assert self.ctx.desk is not None
        await self.ctx.desk.link_group(group, volunteer)
        where = self.ctx.commune_name(volunteer.commune) or _("the whole province")
        turn.notices.append(Notice(group, (Outbound(
            _("This group now receives the help requests of {place} for the team \"{team}\". Press \"Nhận\" under a request to take it; the phone number is then sent to you privately.").format(place=where, team=volunteer.team)),)))  # fmt: skip
        turn.events.append(UsageEvent("team_group_linked", detail={"commune": volunteer.commune or ""}))


    async def link(self, code: str, me: Target, turn: Turn) -> None:
        if self.ctx.desk is None:
            self.ctx.say(turn, _("Volunteer accounts are not available here."))
            return
        if not may_link_volunteer(me.channel):  # the web chat's id is the browser's own choice
            self.ctx.say(turn, _("Volunteer accounts can be linked only in Telegram or Zalo. Send the code to the assistant there."))
            return
        if not code:
            self.ctx.say(turn, _("Send /lienket followed by the code the administrator gave you, for example: /lienket 7KQ4-M9XP"))
            return
        result = await self.ctx.desk.link(me.channel, me.chat_id, code)
        if result.outcome is LinkOutcome.LINKED and result.volunteer is not None:
            v = result.volunteer
            turn.messages.append(Outbound(
                _("Welcome, {name}! Your account is linked to the team \"{team}\" of {place}.\n• /hotro when you sit with a citizen, /ketthuc when you finish;\n• /yeucau lists help requests waiting in your commune;\n• add me to your team's Telegram group and send /nhom there to receive requests in the group.").format(
                    name=v.name, team=v.team, place=self.ctx.commune_name(v.commune) or _("the whole province"))))  # fmt: skip
            turn.events.append(UsageEvent("volunteer_linked", detail={"commune": v.commune or ""}))
            return
        reply = {
            LinkOutcome.EXPIRED: _("This code has expired. Ask your administrator for a new one."),
            LinkOutcome.USED: _("This code has already been used. Ask your administrator for a new one."),
            LinkOutcome.THROTTLED: _("Too many wrong codes. Please wait an hour and try again, or ask your administrator."),
        }.get(result.outcome, _("This code is not valid. Check it, or ask your administrator for a new one."))
        self.ctx.say(turn, reply)
        turn.events.append(UsageEvent("link_refused", detail={"reason": result.outcome.value}))

    async def assist_start(self, me: Target, turn: Turn) -> None:
        volunteer = await self.ctx.volunteer(me)
        if volunteer is None:  # a citizen typing "/hotro" (help) wants help
            self.help.offer(turn)
            return
        assert self.ctx.desk is not None
        state = turn.state
        if state.assist is not None:  # a session left without an outcome
            await self.ctx.desk.finish_assist(state.assist.session, "unknown", None, state.assist.procedures)
        session = await self.ctx.desk.start_assist(volunteer, me.channel)
        fresh(state)
        state.assist = AssistState(session=session, volunteer=volunteer.id, name=volunteer.name, commune=volunteer.commune)
        state.commune = volunteer.commune
        turn.messages.append(Outbound(
            _("Assisted session started. Everything from now on counts as helped by you. Ask questions or start a guide as the citizen would; send /ketthuc when you finish."),
            self.ctx.start_buttons()))  # fmt: skip
        turn.events.append(UsageEvent("assist_started", detail={"commune": volunteer.commune or ""}))

    def assist_end(self, turn: Turn) -> None:
        if turn.state.assist is None:
            self.ctx.say(turn, _("There is no assisted session to end. Send /hotro to start one."))
            return
        ask(turn, Outbound(_("How did it end?"), tuple(Button(outcome_label(o), f"av:{o}") for o in ASSIST_OUTCOMES)))

    async def assist_outcome(self, outcome: str, reason: str | None, turn: Turn) -> None:
        state = turn.state
        assist = state.assist
        if assist is None or self.ctx.desk is None:
            self.ctx.stale(turn)
            return
        if outcome == "unfinished" and reason is None:
            ask(turn, Outbound(_("What stopped it?"), tuple(Button(reason_label(r), f"ar:{r}") for r in ASSIST_REASONS)))
            return
        papers = offered(self.ctx.runner, state) if self.ctx.runner is not None and outcome == "unfinished" else []
        if papers:  # which papers of the checklist were missing: pressed one by one, or typed
            assist.reason = reason
            assist.missing = ticked_missing(state, papers, self.ctx.runner) if self.ctx.runner else []
            self.ask_missing(turn)
            return
        await self._finish(outcome, reason, [], turn)

    async def _finish(self, outcome: str, reason: str | None, missing: list[Paper], turn: Turn) -> None:
        state = turn.state
        assist = state.assist
        assert assist is not None
        assert self.ctx.desk is not None
        await self.ctx.desk.finish_assist(assist.session, outcome, reason, assist.procedures,
                                          [MissingPaper(p.procedure, p.key, p.text.vi) for p in missing])  # fmt: skip
        turn.events.append(UsageEvent("assist_finished", detail={"outcome": outcome, "reason": reason or "",
                                                                 "commune": assist.commune or "",
                                                                 "assisted_by": str(assist.volunteer),
                                                                 "missing_papers": str(len(missing))}))  # fmt: skip
        state.assist = None
        state.awaiting = None
        fresh(state)
        lines = []
        if missing:
            lines.append(_("Missing papers noted: {papers}.").format(papers="; ".join(p.text.get(i18n.current()) for p in missing)))
        lines.append(_("Session recorded. Thank you for helping! Send /hotro when you sit with the next person."))
        turn.messages.append(Outbound("\n".join(lines)))

    # --- the outcome step: which papers were missing --------------------------------------------
    def _papers(self, turn: Turn) -> list[Paper]:
        return offered(self.ctx.runner, turn.state) if self.ctx.runner is not None else []

    def ask_missing(self, turn: Turn, lead: str = "") -> None:
        """The papers of the session's checklists as buttons (a press toggles one), "Xong" and
        "Không thiếu giấy"; a typed "1, 3" or "thiếu giấy khai sinh" is read by :meth:`missing_typed`."""
        state = turn.state
        assert state.assist is not None
        papers = self._papers(turn)
        chosen = set(state.assist.missing)
        lines = [lead] if lead else []
        lines.append(_("Which papers of the checklist were missing? Press each one (press again to undo), then “Done”; or type their numbers, like “1, 3”."))
        lines += [f"{n}. {'☑' if p.ref in chosen else '☐'} {p.text.get(i18n.current())}" for n, p in enumerate(papers, 1)]
        buttons = [Button(f"{'☑' if p.ref in chosen else '☐'} {n}. {short(p.text.get(i18n.current()))}", f"am:t:{n}")
                   for n, p in enumerate(papers, 1)]  # fmt: skip
        buttons += [Button(_("✅ Done"), "am:done"), Button(_("No paper was missing"), "am:none")]
        state.awaiting = MISSING_STEP
        turn.messages.append(Outbound("\n".join(lines), tuple(buttons)))

    async def missing_press(self, action: str, turn: Turn) -> None:
        """``am:t:<n>`` toggles paper n; ``am:done`` records the pressed ones; ``am:none`` none."""
        assist = turn.state.assist
        if assist is None or self.ctx.desk is None or turn.state.awaiting != MISSING_STEP:
            self.ctx.stale(turn)
            return
        papers = self._papers(turn)
        kind, _sep, number = action.partition(":")
        if kind == "t" and number.isdigit() and 1 <= int(number) <= len(papers):
            ref = papers[int(number) - 1].ref
            assist.missing = [r for r in assist.missing if r != ref] if ref in assist.missing else [*assist.missing, ref]
            self.ask_missing(turn)
        elif kind == "done":
            await self._finish("unfinished", assist.reason, [p for p in papers if p.ref in assist.missing], turn)
        elif kind == "none":
            await self._finish("unfinished", assist.reason, [], turn)
        else:
            self.ctx.stale(turn)

    async def missing_typed(self, text: str, turn: Turn) -> bool:
        """"1, 3", "thiếu giấy khai sinh", "không thiếu giấy": recorded at once; False when the
        message names no paper of the list (the engine then asks again, or answers a question)."""
        if turn.state.assist is None or self.ctx.desk is None:
            turn.state.awaiting = None
            return False
        found = read_missing(text, self._papers(turn))
        if found is None:
            return False
        await self._finish("unfinished", turn.state.assist.reason, found, turn)
        return True

    async def queue(self, me: Target, turn: Turn) -> None:
        volunteer = await self.ctx.volunteer(me)
        if volunteer is None or self.ctx.desk is None:
            self.ctx.say(turn, _("Only linked volunteers can see help requests."))
            return
        tickets = await self.ctx.desk.queue(volunteer)
        if not tickets:
            self.ctx.say(turn, _("No help request is waiting. Thank you!"))
            return
        turn.messages.extend(self.help.announcement(ticket, reminder=False) for ticket in tickets)

    async def claim(self, ticket_id: int, me: Target, turn: Turn) -> None:
        volunteer = await self.ctx.volunteer(me)
        if volunteer is None or self.ctx.desk is None:
            self.ctx.say(turn, _("Only a linked volunteer of the commune's team can take help requests."))
            return
        result = await self.ctx.desk.claim(ticket_id, volunteer)
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
        self.ctx.say(turn, text)
        turn.events.append(UsageEvent("claim_refused", detail={"reason": result.outcome.value}))

    def _details(self, ticket: Ticket) -> Outbound:
        lines = [
            _("You took request #{id}. Please call the citizen:").format(id=ticket.id),
            _("📞 {phone}").format(phone=spaced(ticket.phone) if ticket.phone else "—"),
            _("📍 {place}").format(place=self.ctx.commune_name(ticket.commune) or _("commune not given")),
            _("Needs: {need}").format(need=need_text(ticket, self.ctx.procedure_name, private=True)),
            _("Good time: {time}").format(time=time_label(ticket.good_time)),
            _("When you are done, record the outcome:"),
        ]
        return Outbound("\n".join(lines), tuple(Button(outcome_label(o), f"hr:close:{ticket.id}:{o}")
                                                for o in REQUEST_OUTCOMES))  # fmt: skip

    async def _announce_claim(self, ticket: Ticket, volunteer: Volunteer, me: Target, turn: Turn) -> None:
        assert self.ctx.desk is not None
        with i18n.use(ticket.lang):
            text = _("Good news: {name} of the team \"{team}\" has taken your request #{id} and will call you soon.").format(
                name=volunteer.name, team=volunteer.team, id=ticket.id)  # fmt: skip
            if volunteer.phone:
                text += " " + _("Their number is {phone}, so you know the call is genuine.").format(phone=spaced(volunteer.phone))
            to_citizen = Outbound(text, (Button(_("Cancel my request"), f"hx:{ticket.id}"),))
        # Zalo refuses pushes to a person silent for 7 days (-230): then the volunteer is told to call.
        unreached = Outbound(_("I could not message the citizen in the chat (they have not written for a while). Please call them: {phone}").format(
            phone=spaced(ticket.phone) if ticket.phone else "—"))  # fmt: skip
        turn.notices.append(Notice(ticket.citizen, (to_citizen,), undelivered=unreached))
        with i18n.use(i18n.DEFAULT_LANGUAGE):
            to_team = Outbound(_("✅ Request #{id} was taken by {name}.").format(id=ticket.id, name=volunteer.name))
        routes = await self.ctx.desk.routes(ticket.commune)
        turn.notices.extend(Notice(t, (to_team,)) for t in routes.targets if t != me)
        turn.events.append(UsageEvent("help_claimed", ticket.procedure, detail={"commune": ticket.commune or ""}))

    async def close(self, ticket_id: int, outcome: str, me: Target, turn: Turn) -> None:
        volunteer = await self.ctx.volunteer(me)
        if volunteer is None or self.ctx.desk is None:
            self.ctx.say(turn, _("Only a linked volunteer of the commune's team can take help requests."))
            return
        result = await self.ctx.desk.close(ticket_id, volunteer, outcome)
        ticket = result.ticket
        if result.outcome is not ClaimOutcome.CLAIMED or ticket is None:
            self.ctx.say(turn, _("Request #{id} is not yours to close, or has ended already.").format(id=ticket_id))
            return
        self.ctx.say(turn, _("Request #{id} closed: {outcome}. Thank you!").format(id=ticket_id, outcome=outcome_label(outcome)))
        turn.events.append(UsageEvent("help_closed", ticket.procedure, detail={"outcome": outcome, "commune": ticket.commune or ""}))
        with i18n.use(ticket.lang):
            note = Outbound(_("The volunteer has closed your request #{id}. If you still need help, just ask again.").format(id=ticket.id),
                            (Button(_("Talk to a person"), "h"), Button(_("All procedures"), "m:0")))  # fmt: skip
        turn.notices.append(Notice(ticket.citizen, (note,)))



def fresh(state: ConversationState) -> None:
    """Forget what the last person did: a volunteer's phone serves one citizen after another."""
    state.flow = None
    state.procedure = None
    state.checklists = {}
    state.feedback_for = None
    state.feedback_given = []
    state.help = None
    state.awaiting = None
