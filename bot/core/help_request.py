"""A citizen asks for a person: consent, a phone number (checked), the commune, what is needed and a
good time; the request goes to the commune's team, and the citizen hears who will call."""

from __future__ import annotations

import uuid

from bot.core import i18n
from bot.core.commune_choice import CommuneChoice
from bot.core.community_base import CommunityContext
from bot.core.desk import GOOD_TIMES, NewRequest, Notice, Target, Ticket
from bot.core.flow_runner import NAV_WORDS
from bot.core.help_texts import announcement, contact_line, in_sentence, time_label
from bot.core.i18n import _
from bot.core.messages import Button, Outbound, UsageEvent
from bot.core.pending import ask
from bot.core.phone import check_phone, looks_like_phone, phone_problem
from bot.core.redact import redact
from bot.core.state import HelpDraft
from bot.core.text import fold
from bot.core.turn import Turn

MAX_NEED = 300
HELP_YES = "hd:yes"
"""The "yes, ask someone to call me" button under the offer of a call."""
STOP_WORDS = NAV_WORDS["cancel"] | {"khong can nua", "thoi khong can", "bo qua yeu cau"}
_REFUSALS = frozenset({"khong", "ko", "k", "kg", "no", "khong muon", "ko muon", "khong dong y", "khong cho",
                       "thoi khoi", "khoi"})  # fmt: skip
""""No" to a question of the request: at the phone or commune it ends the request (nothing half
given is kept); at "what do you need" it just means nothing in particular."""


class HelpRequests:
    def __init__(self, ctx: CommunityContext, choice: CommuneChoice) -> None:
        self.ctx = ctx
        self.choice = choice

    # --- a citizen asks for a person -----------------------------------------------------------
    def offer(self, turn: Turn) -> None:
        """The first answer to "I want a person": who can help, and an offer to be called back."""
        commune = self.ctx.commune(turn.state.commune)
        office = contact_line(commune)
        text = _("A volunteer of your commune's community digital technology team (Tổ công nghệ số cộng đồng) or the commune one-stop office can help you in person. You can also call the VNeID hotline 1900 0368 for account problems.")
        if office:
            text += "\n" + office
        if self.ctx.desk is None:
            turn.messages.append(Outbound(text, (Button(_("All procedures"), "m:0"),)))
            return
        text += "\n\n" + _("Shall I ask a volunteer to call you? I will need your phone number: only your commune's team and the administrators see it, and it is deleted after {days} days.").format(days=self.ctx.retention_days)
        ask(turn, Outbound(text, (Button(_("Yes, ask someone to call me"), HELP_YES), Button(_("No, thank you"), "hd:no"))),
            yes=HELP_YES, no="hd:no")  # fmt: skip

    async def draft_button(self, action: str, me: Target, turn: Turn) -> None:
        state = turn.state
        if action == "yes":
            if self.ctx.desk is None:
                self.offer(turn)
                return
            if await self._consent(me, turn):
                self.ask_phone(turn)
        elif action == "no":
            turn.messages.append(Outbound(_("All right. Ask me anything, or choose a topic."), self.ctx.start_buttons()))
        elif action == "stop":
            self.drop_draft(turn)
        elif action == "keep" and state.help is not None and state.commune:
            state.help.commune = state.commune
            self.ask_need(turn)
        elif action == "other" and state.help is not None:
            self.choice.ask(turn, for_request=True)
        else:
            self.ctx.stale(turn)

    async def number_for_offer(self, text: str, me: Target, turn: Turn) -> bool:
        """A phone number typed under "Shall I ask a volunteer to call you?": people skip the yes
        and give the number, which says both. False (nothing done) if ``text`` holds no number."""
        if self.ctx.desk is None or not looks_like_phone(text):
            return False
        if await self._consent(me, turn):
            await self.draft_text(text, me, turn)  # the phone step: taken, or said what is wrong with it
        return True

    async def number_alone(self, text: str, me: Target, turn: Turn) -> bool:
        """A phone number typed with nothing asked (:func:`bot.core.phone.only_a_phone`): the person
        wants a call. Said back with who sees the number, then the request goes on as under the
        offer of a call; its commune question has a Cancel. False (nothing done) without a desk."""
        if self.ctx.desk is None:
            return False
        turn.messages.append(Outbound(_("I understand you would like a volunteer to call you on this number: only your commune's team and the administrators see it, and it is deleted after {days} days. If you did not mean that, press Cancel.").format(days=self.ctx.retention_days)))
        if await self._consent(me, turn):
            await self.draft_text(text, me, turn)
        return True

    async def _consent(self, me: Target, turn: Turn) -> bool:
        """Start a request; False (and the open one shown) if this person has one open already."""
        assert self.ctx.desk is not None
        active = await self.ctx.desk.active_ticket(me)
        if active is not None:
            self._say_ticket(active, turn)
            return False
        turn.state.help = HelpDraft(key=uuid.uuid4().hex, step="phone", procedure=turn.state.procedure)
        turn.events.append(UsageEvent("help_consent", turn.state.procedure))
        return True

    async def draft_text(self, text: str, me: Target, turn: Turn) -> bool:
        draft = turn.state.help
        assert draft is not None
        folded = fold(text)
        if folded in STOP_WORDS or (folded in _REFUSALS and draft.step in ("phone", "commune")):
            self.drop_draft(turn)
            return True
        if draft.step == "commune" and folded in NAV_WORDS["idk"]:
            self.choice.chosen("none", turn)
            self.ask_need(turn)
            return True
        if draft.step == "need" and folded in _REFUSALS | NAV_WORDS["idk"]:
            self.ask_time(turn)
            return True
        if draft.step == "phone":
            checked = check_phone(text)
            if checked.number is None:
                if not looks_like_phone(text):
                    return False  # words, not a number: the engine answers them or asks again
                turn.messages.append(Outbound(phone_problem(checked), (Button(_("✖ Cancel"), "hd:stop"),), expects="phone"))
                return True
            draft.phone = checked.number
            if turn.state.commune and self.ctx.commune(turn.state.commune):
                draft.step = "commune"
                self._ask_keep_commune(turn)
            elif self.ctx.communes.all():
                self.choice.ask(turn, for_request=True)
            else:
                self.ask_need(turn)
            return True
        if draft.step == "commune":
            return self.choice.text(text, turn)
        if draft.step == "need":
            draft.need = redact(" ".join(text.split()))[:MAX_NEED] or None  # stored: no ID numbers, phones, secrets
            self.ask_time(turn)
            return True
        if draft.step == "time":
            padded = f" {folded} "
            for value, words in _TIME_WORDS.items():
                if any(f" {w} " in padded for w in words):
                    draft.good_time = value
                    await self.submit(me, turn)
                    return True
        return False

    def reask(self, turn: Turn, lead: str) -> None:
        """The request's open question again, after ``lead`` (why it is asked again)."""
        state = turn.state
        draft = state.help
        turn.messages.append(Outbound(lead))
        if draft is None:
            self.choice.ask(turn, for_request=False)
        elif draft.step == "phone":
            self.ask_phone(turn)
        elif draft.step == "commune":
            if state.commune and self.ctx.commune(state.commune) and draft.commune is None:
                self._ask_keep_commune(turn)
            else:
                self.choice.ask(turn, for_request=True)
        elif draft.step == "need":
            self.ask_need(turn)
        else:
            self.ask_time(turn)

    def ask_phone(self, turn: Turn) -> None:
        turn.messages.append(Outbound(
            _("What phone number should the volunteer call? For example: 0912 345 678."),
            (Button(_("✖ Cancel"), "hd:stop"),), expects="phone"))  # fmt: skip

    def _ask_keep_commune(self, turn: Turn) -> None:
        name = self.ctx.commune_name(turn.state.commune)
        ask(turn, Outbound(_("Is your commune still {commune}?").format(commune=name),
                           (Button(_("Yes"), "hd:keep"), Button(_("Choose another"), "hd:other"))),
            yes="hd:keep", no="hd:other")  # fmt: skip

    def drop_draft(self, turn: Turn) -> None:
        drafting = turn.state.help is not None
        turn.state.help = None
        turn.state.awaiting = None
        if drafting:
            self.ctx.say(turn, _("Cancelled: no request was sent. What else can I help you with?"))
        else:
            self.ctx.say(turn, _("All right. Ask me anything, or choose a topic."))

    def ask_need(self, turn: Turn) -> None:
        draft = turn.state.help
        assert draft is not None
        draft.step = "need"
        buttons: list[Button] = []
        if turn.state.procedure:
            buttons.append(Button(self.ctx.procedure_name(turn.state.procedure), "hn:proc"))
        buttons.append(Button(_("Skip"), "hn:skip"))
        turn.messages.append(Outbound(_("In a few words, what do you need help with? (Or press Skip.)"), tuple(buttons)))

    def ask_time(self, turn: Turn) -> None:
        draft = turn.state.help
        assert draft is not None
        draft.step = "time"
        turn.messages.append(Outbound(_("When is a good time to call you?"),
                                      tuple(Button(time_label(t), f"ht:{t}") for t in GOOD_TIMES)))  # fmt: skip

    async def submit(self, me: Target, turn: Turn) -> None:
        state = turn.state
        draft = state.help
        assert draft is not None
        assert self.ctx.desk is not None
        if draft.phone is None:  # cannot happen through the buttons; be safe with old states
            state.help = None
            self.offer(turn)
            return
        ticket = await self.ctx.desk.open_request(NewRequest(
            key=draft.key, citizen=me, phone=draft.phone, commune=draft.commune, need=draft.need,
            good_time=draft.good_time, procedure=draft.procedure, lang=i18n.current()))  # fmt: skip
        state.help = None
        state.ticket = ticket.id
        routes = await self.ctx.desk.routes(ticket.commune)
        targets = routes.targets
        no_team = not targets
        if no_team:
            await self.ctx.desk.escalate(ticket.id)
            targets = routes.escalation
        with i18n.use(i18n.DEFAULT_LANGUAGE):  # teams read Vietnamese
            announcement = self.announcement(ticket, reminder=False)
        turn.notices.extend(Notice(t, (announcement,)) for t in targets if t != me)
        commune = self.ctx.commune(ticket.commune)
        place = in_sentence(commune) if commune else None
        if not no_team and place:
            text = _("Sent: request #{id} is with the community digital technology team of {place}. When a volunteer takes it, I will send you their name and phone number here.").format(id=ticket.id, place=place)
        else:
            text = _("Sent: request #{id}. No team of your commune is connected to the assistant yet, so it went to the province's administrators. When someone takes it, I will send you their name and phone number here.").format(id=ticket.id)
        office = contact_line(commune)
        if office:
            text += "\n" + _("If it is urgent: {office}").format(office=office)
        turn.messages.append(Outbound(text, (Button(_("Cancel my request"), f"hx:{ticket.id}"),
                                             Button(_("All procedures"), "m:0"))))  # fmt: skip
        turn.events.append(UsageEvent("help_requested", draft.procedure, detail={"commune": ticket.commune or ""}))

    def announcement(self, ticket: Ticket, reminder: bool) -> Outbound:
        return announcement(ticket, self.ctx.commune_name(ticket.commune), self.ctx.procedure_name, "reminder" if reminder else "new")

    def _say_ticket(self, ticket: Ticket, turn: Turn) -> None:
        if ticket.claimed_by is not None:
            text = _("Your request #{id} has been taken by {name} ({team}), who will call you.").format(
                id=ticket.id, name=ticket.claimed_by.name, team=ticket.claimed_by.team)  # fmt: skip
        else:
            text = _("Your request #{id} is waiting for a volunteer of your commune's team. I will tell you here when someone takes it.").format(id=ticket.id)
        turn.messages.append(Outbound(text, (Button(_("Cancel my request"), f"hx:{ticket.id}"),
                                             Button(_("All procedures"), "m:0"))))  # fmt: skip

    async def cancel(self, ticket_id: int | None, me: Target, turn: Turn) -> None:
        if self.ctx.desk is None:
            self.ctx.say(turn, _("You have no help request to cancel."))
            return
        if ticket_id is None:
            active = await self.ctx.desk.active_ticket(me)
            ticket_id = active.id if active else None
        ticket = await self.ctx.desk.cancel(ticket_id, me) if ticket_id is not None else None
        if ticket is None:
            self.ctx.say(turn, _("You have no help request to cancel."))
            return
        turn.state.ticket = None
        self.ctx.say(turn, _("Request #{id} is cancelled. You can ask for a person again at any time.").format(id=ticket.id))
        turn.events.append(UsageEvent("help_cancelled", ticket.procedure, detail={"commune": ticket.commune or ""}))
        with i18n.use(i18n.DEFAULT_LANGUAGE):
            note = Outbound(_("Request #{id} was cancelled by the citizen.").format(id=ticket.id))
        if ticket.claimed_by is not None:
            targets = await self.ctx.desk.accounts(ticket.claimed_by.id)
        else:
            targets = (await self.ctx.desk.routes(ticket.commune)).targets
        turn.notices.extend(Notice(t, (note,)) for t in targets)




_TIME_WORDS = {  # whole folded words; checked in this order ("tôi" folds to "toi" too: not evening)
    "any": ("luc nao", "bat ky", "gio nao", "khi nao", "any", "anytime", "cung duoc", "sao cung duoc"),
    "afternoon": ("chieu", "buoi chieu", "afternoon", "trua"),
    "morning": ("sang", "buoi sang", "morning"),
    "evening": ("buoi toi", "toi nay", "evening", "night", "dem"),
}
