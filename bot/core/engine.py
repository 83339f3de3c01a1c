"""The assistant: a deterministic function of (inbound message, conversation state).

It returns the messages to send, the new state and the usage events to count. It knows no
channel, web framework or database: channels and storage sit behind ``bot.core.messages`` and
the ports in ``bot.core.ports``.

The engine routes; the parts answer. Whenever the assistant has asked something (a guide's step,
a help request's question, a yes/no or a choice shown with buttons), the next typed message is
read as its answer first. Only a message that is clearly a request of its own is answered as a
question, and the open question is kept and offered again; small talk never swallows it.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import re
import time
from collections.abc import Callable
from dataclasses import replace

from bot.core import i18n, language
from bot.core.answers import SECTIONS, render_section, section_buttons
from bot.core.checklist import Checklists
from bot.core.choices import is_place, place
from bot.core.community import COMMUNE_ASK, Community
from bot.core.desk import BaseHelpDesk, Target
from bot.core.flow_runner import FlowRunner, nav_intent
from bot.core.guide import RESUME, Guide, corrects_itself, means_the_paused, wants_guide
from bot.core.help_request import HELP_YES
from bot.core.i18n import _
from bot.core.matcher import Decision, Matcher
from bot.core.menus import Menus
from bot.core.messages import Button, Inbound, Outbound, UsageEvent, split_text
from bot.core.pending import again, ask, read_asked
from bot.core.phone import only_a_phone
from bot.core.questions import Questions
from bot.core.reminders import ReminderTalk
from bot.core.replies import read_reply
from bot.core.scams import ScamAlerts
from bot.core.smalltalk import SmallTalk
from bot.core.state import Asked, ConversationState
from bot.core.text import fold, storable
from bot.core.turn import Turn
from bot.data.communes import CommuneBook
from bot.data.flows import FlowSet
from bot.data.knowledge import HUMAN_HELP, KnowledgeBase
from bot.errors import ConflictError, Unavailable

log = logging.getLogger("bot.engine")

MAX_INPUT = 1000
"""Only the start of a very long message is read: questions are short, pastes are not."""
_THANKS = re.compile(r"\b(?:cam on|cam ong|camon|thanks?|thank you|tks|thx|ty)\b")
"""Words of thanks, which make "ok cảm ơn" small talk even where a yes or a choice is asked."""
_HELPED = frozenset({"feedback_helpful", "flow_completed"})
"""Moments when something has just helped: the natural time to ask, once, for the commune."""


_GO_ON = re.compile(r" (?:tiep tuc|lam tiep|quay lai|tro lai|quay ve|tiep|continue|go on|back to) ")
"""Words of going on with something left off: with the paused guide's procedure named, they resume it."""


class Engine:
    """Answers one inbound message at a time; safe to share between conversations."""

    def __init__(
        self,
        kb: KnowledgeBase,
        flows: FlowSet | None = None,
        matcher: Matcher | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        desk: BaseHelpDesk | None = None,
        communes: CommuneBook | None = None,
        help_retention_days: int = 90,
    ) -> None:
        self.kb = kb
        self.matcher = matcher or Matcher(kb)
        self.smalltalk = SmallTalk(kb, self.matcher.norm, self.matcher.per_index)
        self.runner = FlowRunner(flows or FlowSet({}), today)
        self.menus = Menus(kb)
        self.guide = Guide(self.runner, self.menus.start_buttons)
        self.questions = Questions(kb, self.matcher, self.smalltalk, self.runner, self.guide, self.menus, self._human)
        self.community = Community(desk, communes or CommuneBook(()), self.menus.start_buttons, self.menus.name,
                                   help_retention_days, self.runner)  # fmt: skip
        self.scams = ScamAlerts(kb.scams)
        self.checklist = Checklists(self.runner, self.menus.start_buttons)
        self.reminders = ReminderTalk(None, self.runner)  # the app gives it a book (bot/app.py)

    def with_desk(self, desk: BaseHelpDesk | None, communes: CommuneBook, help_retention_days: int = 90) -> Engine:
        """This engine (sharing its matcher and flows) over one application's help desk."""
        engine = copy.copy(self)
        engine.community = Community(desk, communes, self.menus.start_buttons, self.menus.name, help_retention_days,
                                     self.runner)  # fmt: skip
        engine.questions = copy.copy(self.questions)
        engine.questions.human = engine._human
        return engine

    async def handle(self, inbound: Inbound, state: ConversationState | None = None, *, owned: bool = False) -> Turn:
        """One turn. The turn works on a copy of ``state``, which stays as it was — unless
        ``owned``: the caller hands over a state it just loaded (Conversations does, the store
        decodes a fresh one each load), and the copy is skipped (~10 µs of a ~100 µs turn)."""
        if inbound.text and storable(inbound.text) != inbound.text:
            # Telegram and Zalo pass text as sent: a NUL or a lone surrogate kept in a help request
            # draft made the state unsavable, and the turn failed with no answer.
            inbound = replace(inbound, text=storable(inbound.text))
        # Kept as JSON (the cheapest dump) to restore the conversation if the turn cannot be done.
        original = state.model_dump_json() if state is not None else None
        if state is None:
            state = ConversationState()
        elif not owned:  # rebuilt from JSON: half of model_validate(model_dump())'s cost, a third of model_copy(deep=True)'s
            state = ConversationState.model_validate_json(original or "")
        state.turns += 1
        written = language.text_language(inbound.text or "")
        lang = state.lang or language.choose(written, inbound.lang_hint, i18n.LANGUAGES, earlier=state.wrote_in)
        if written is not None:
            state.wrote_in = written  # a button pressed next is answered in the same language
        started = time.perf_counter()
        with i18n.use(lang):
            turn = Turn([], state)
            try:
                await self.reminders.before(inbound, turn)  # reminders the channel could not push
                if not (self.reminders.wants(inbound) and await self.reminders.handle(inbound, turn)):
                    await self._route(inbound, turn)
                self.scams.after(turn)
                self.checklist.after(turn)
                await self.reminders.after(inbound, turn)
                _remember_buttons(turn)
            except ConflictError:
                raise  # its state was stale (bot.storage.speculative): the caller runs the turn again
            except Unavailable:
                # What this message needs the database for (a help request, a claim) must wait. The
                # conversation stays as it was before it, so the same message later does the same.
                log.warning("turn needs the database, which is unavailable channel=%s", inbound.channel)
                turn = Turn([unavailable_reply(inbound)], _before(original))
                turn.events.append(UsageEvent("error", detail={"reason": "database_unavailable"}))
            except Exception:  # a bug must never reach the citizen as a traceback
                log.exception("turn failed channel=%s", inbound.channel)
                turn.messages = [Outbound(_("Sorry, something went wrong on my side. Please try again, or ask for a person."), (Button(_("Talk to a person"), "h"),))]  # fmt: skip
                turn.events.append(UsageEvent("error"))
        turn.messages = _fit(turn.messages)
        latency = round((time.perf_counter() - started) * 1000, 3)
        turn.events = self._tagged(turn.events, turn.state, lang, latency)
        log.debug("turn channel=%s procedure=%s ms=%.3f", inbound.channel, turn.state.procedure, latency)
        return turn

    @staticmethod
    def _tagged(events: list[UsageEvent], state: ConversationState, lang: str, latency: float) -> list[UsageEvent]:
        """Every event carries the language, the turn's time, the person's commune and, in an
        assisted session, the volunteer, so reports can count by commune and count assisted use apart."""
        assist = state.assist
        if assist is not None:
            for event in events:
                if event.procedure and event.procedure != HUMAN_HELP and event.procedure not in assist.procedures:
                    assist.procedures.append(event.procedure)
        if not state.commune and assist is None:
            return [e.stamped(lang, latency) for e in events]
        extra = {"commune": state.commune or ""}
        if assist is not None:
            extra["assisted_by"] = str(assist.volunteer)
        return [e.stamped(lang, latency, {**extra, **e.detail}) for e in events]

    # --- dispatch ------------------------------------------------------------------------
    async def _route(self, inbound: Inbound, turn: Turn) -> None:
        state = turn.state
        asked, state.asked = state.asked, None  # answered once; asking again sets it again
        text = (inbound.text or "")[: MAX_INPUT * 4].strip()
        typed = not inbound.payload and inbound.group is None and not text.startswith("/")
        if typed and asked is not None and (payload := self._read_asked(asked, text, state)) is not None:
            inbound, typed = replace(inbound, text="", payload=payload), False  # typed "có": that button
        elif typed and asked is not None and asked.yes == HELP_YES and await self.community.help.number_for_offer(
                text, Target(inbound.channel, inbound.user_id), turn):  # fmt: skip
            return  # a phone number typed under the offer of a call: yes, and the number
        if self.community.wants(inbound, state) and await self.community.handle(inbound, turn):
            return
        if inbound.payload:
            state.help = None  # another button: a half-filled request is left, not kept
            state.awaiting = None
            self._press(inbound.payload, turn)
        elif not typed:
            self._command(text, turn)
        else:
            await self._typed(text, asked, Target(inbound.channel, inbound.user_id), turn)
        # Whatever was not the guide's own question (a side question, /menu, a section button)
        # leaves the guide paused, with a way back to it under the reply.
        flow = turn.state.flow
        if flow is not None and not turn.flow_spoke:
            flow.paused = True
            self.guide.offer_resume(turn)
        if any(e.kind in _HELPED for e in turn.events):
            self.community.offer_commune(turn)

    async def _typed(self, text: str, asked: Asked | None, me: Target, turn: Turn) -> None:
        """A typed message: the answer to our open question if it is one, else a request of its own."""
        state = turn.state
        # At an open yes/no question "thôi" is its no, not "leave the guide" (nav_intent reads it so
        # given the step); a paused guide's question is not open, so there it still leaves.
        current = self.runner.current(state) if state.flow is not None and not state.flow.paused else None
        if state.flow is not None and (nav := nav_intent(text, current[1] if current else None)) is not None:
            self.guide.nav(nav, turn)
            return
        if text and set(text) <= set("?¿？ "):
            self.menus.help(turn)
            return
        if not fold(text):
            if state.flow is not None and not state.flow.paused and not self.community.waiting(state):
                # "👍", "..." at a step: the step once more, the guide is not left for it
                self.guide.reask(text, turn, _("Sorry, I didn't catch that."))
                return
            turn.messages.append(Outbound(
                _("I did not catch a question there. Type what you need, for example: \"làm căn cước ở đâu\"."),
                self.menus.start_buttons()))  # fmt: skip
            turn.events.append(UsageEvent("empty"))
            return
        text = text[:MAX_INPUT]
        if self.smalltalk.classify(text) == "erase":  # "xóa dữ liệu của tôi" is /xoadulieu, wherever we are
            self._command("/xoadulieu", turn)
            return
        if self._scam_first(text, turn):
            return
        owner: str | None = None
        if self.community.waiting(state):
            owner = "people"
            # "làm cccd" where the commune is asked: a question to answer (then asked again), not
            # a commune that was not found.
            question = (self.community.asks_commune(state) and self.questions.is_new(text, state)
                        and not self.community.names_commune(text))  # fmt: skip
            if not question and await self.community.take(text, me, turn):
                return
        elif state.flow is not None and not state.flow.paused:
            owner = "guide"
            if self._corrects_the_guide(text, turn):
                return
            if self.guide.take_answer(text, turn):
                return
            if state.flow is None:  # the guide vanished in a deploy: the message is a question
                owner = None
        elif state.flow is not None and self._resumes(text, turn):
            return
        if owner is None and self.checklist.typed(text, turn):
            return
        offered = (asked.yes or "")[2:] if asked is not None and (asked.yes or "").startswith("p:") else None
        if owner is None and offered and wants_guide(text) and self.matcher.names_procedure(text) in (None, offered):
            # "Did you mean: birth registration?" — "step by step": yes, and walk me through it.
            state.procedure, asked = offered, None
        if owner is None and asked is not None and asked.guesses and self.questions.answers_or_narrows(text):
            asked = None  # "did you mean…?" guessed; the person asked again in other words: that question
        if owner is None and asked is not None and asked.yes == COMMUNE_ASK and not self.questions.is_new(text, state):
            if self.community.soft_commune(text, turn):  # "Nghi Lộc": the commune asked for
                return
            asked = None  # the soft question never blocks: the message is a question of its own
        if owner is None and asked is None and self._picks(text, turn):
            return
        if (owner is None and asked is None and state.flow is None and only_a_phone(text)
                and await self.community.help.number_alone(text, me, turn)):  # fmt: skip
            return  # a phone number and nothing else: the person wants a call
        if owner is None and asked is None and state.flow is None and self.community.tells_commune(text, turn):
            return  # "nhà em ở xã Nghi Lộc": where the person lives, not a question
        if owner is None and asked is None:
            self.questions.answer(text, turn)
        elif self.questions.is_new(text, state) and not (owner == "guide" and self._an_attempt(text, turn)):
            self._aside(text, owner, asked, turn)
        else:
            self._ask_again(text, owner, asked, turn)

    def _corrects_the_guide(self, text: str, turn: Turn) -> bool:
        """"À không, ý tôi là khai tạm vắng" at a guide's question: the person meant another
        procedure. Its guide starts (or, without one, the message is answered as a question); the
        words were read as an answer to the open question before ("đi làm" picked a reason)."""
        current = self.runner.current(turn.state)
        if current is None or not corrects_itself(text):
            return False
        named = self.matcher.names_procedure(text)
        if named is None or named == current[0].procedure or named not in self.kb.procedures:
            return False
        flow = self.runner.for_procedure(named)
        if flow is None:
            turn.state.flow = None
            self.questions.answer(text, turn)
        else:
            self.guide.switch(flow.id, text, turn)
        return True

    def _an_attempt(self, text: str, turn: Turn) -> bool:
        """At a guide's question, a message that also reads as a question is still an attempt at
        the answer: a year of birth that does not fit, or the person's case told about the guide's
        own procedure ("thuê trọ đi làm công nhân", naming two of the options): asked again."""
        if self.guide.misfits(text, turn):
            return True
        current = self.runner.current(turn.state)
        return current is not None and self.questions.tells_its_case(text, current[0].procedure)

    def _read_asked(self, asked: Asked, text: str, state: ConversationState) -> str | None:
        """The button a typed answer to our open question presses; "thủ tục kia thì sao" at the
        offer to continue a paused guide points back to the guide (it names nothing to search), and
        so does "tiếp tục khai sinh đi", "quay lại làm tiếp khai sinh": going on, naming its procedure."""
        payload = read_asked(asked, text)
        going_on = means_the_paused(text) or self._goes_on_with_paused(text, state)
        if payload is None and asked.yes == RESUME and going_on:
            return RESUME
        return payload

    def _goes_on_with_paused(self, text: str, state: ConversationState) -> bool:
        if state.flow is None or not _GO_ON.search(f" {fold(text)} "):
            return False
        flow = self.runner.flows.flows.get(state.flow.flow)
        return flow is not None and self.matcher.names_procedure(text) == flow.procedure

    def _picks(self, text: str, turn: Turn) -> bool:
        """Nothing is asked, yet the message picks by place ("2", "cái thứ 2", "cai dau tien") or goes
        back ("quay lại"): it means the buttons last shown, on every channel as in the terminal."""
        state = turn.state
        if state.flow is None and nav_intent(text) == "back":
            proc = state.procedure
            self._press(f"s:{proc}:overview" if proc in self.kb.procedures else "m:0", turn)
            return True
        if not is_place(text):
            return False
        at = place(text, len(state.shown))
        if at is not None and state.shown[at]:
            self._press(state.shown[at], turn)
            return True
        turn.messages.append(Outbound(
            _("I am not sure which one you mean. Press a button, or type your question in a few words."),
            self.menus.start_buttons()))  # fmt: skip
        turn.events.append(UsageEvent("not_understood", detail={"reason": "pick"}, text=text))
        return True

    def _scam_first(self, text: str, turn: Turn) -> bool:
        """A described scam contact gets the warning before anything else; True when the warning
        is the whole reply (the message asks nothing we can answer, and no guide waits for it)."""
        alert = self.scams.alert(text)
        if alert is None:
            return False
        turn.messages.append(alert[0])
        turn.events.append(alert[1])
        if turn.state.flow is not None and not turn.state.flow.paused:
            return False  # the guide still reads its answer
        return self.matcher.match(text).decision is not Decision.ANSWER

    def _aside(self, text: str, owner: str | None, asked: Asked | None, turn: Turn) -> None:
        """Answer a request made while our question is open, and keep the question."""
        if owner == "guide":
            self.guide.pause(turn)
        keep_request = owner == "people" and self.community.set_aside(turn)
        self.questions.answer(text, turn)
        if keep_request:
            self.community.reask(turn, self.community.resume_lead(turn))
        elif asked is not None and asked.keep and turn.state.asked is None:
            turn.messages.append(again(asked, _("Let's continue where we were.")))
            turn.state.asked = asked

    def _ask_again(self, text: str, owner: str | None, asked: Asked | None, turn: Turn) -> None:
        """Not an answer and not a request of its own: the question once more, saying why.
        Small talk ("cảm ơn", "bạn là ai") gets its short reply first; nothing is picked for the person."""
        # A bare "có" or "ok" where a choice is asked is a failed answer, not a greeting or thanks;
        # "ok thanks", "vâng cảm ơn" are thanks all the same.
        talk = self.smalltalk.classify(text)
        if talk is not None and read_reply(text) is not None and not _THANKS.search(fold(text)):
            talk = None
        chatted = talk is not None and self.menus.small_talk(talk, turn, waiting=True)
        if owner == "guide" and not chatted and self.guide.take_ahead(text, turn):
            return
        if owner == "guide":
            self.guide.reask(text, turn, _("Let's continue where we were.") if chatted else "")
        elif owner == "people":
            self.community.reask(turn, _("Let's continue where we were.") if chatted else _("Sorry, I didn't catch that."))
        elif asked is not None and chatted and asked.guesses:
            return  # thanks or a greeting at "did you mean…?": the guess is dropped, not asked again
        elif asked is not None:
            lead = ""
            if not chatted:
                yes_no = (asked.yes or asked.no) and len(asked.buttons) <= 2  # "which of these?" is no yes/no question
                lead = (_("Sorry, I didn't catch that. Please answer yes or no, or press a button.") if yes_no
                        else _("Sorry, I didn't catch that. Please press one of the buttons, or type its words."))  # fmt: skip
            turn.messages.append(again(asked, lead))
            turn.state.asked = asked

    def _resumes(self, text: str, turn: Turn) -> bool:
        """While a guide is paused, a message that answers its question (and is not a question of
        its own) resumes it: "3" after "how many months?" is an answer, not a search."""
        current = self.runner.current(turn.state)
        if current is None or self.runner.interpret(current[1], text) is None:
            return False
        if self.questions.is_new(text, turn.state):
            return False
        assert turn.state.flow is not None
        turn.state.flow.paused = False
        return self.guide.take_answer(text, turn)

    def _command(self, text: str, turn: Turn) -> None:
        name, _sep, arg = text[1:].partition(" ")
        name = name.split("@")[0].lower()
        if name == "start":
            self.menus.greet(turn)
        elif name in ("help", "trogiup"):
            self.menus.help(turn)
        elif name in ("menu", "danhmuc"):
            self.menus.menu(turn, 0)
        elif name in ("lang", "ngonngu"):
            self.menus.lang(arg.strip().lower(), turn)
        elif name in ("cancel", "huy"):
            self.guide.cancel(turn)
        elif name in ("checklist", "danhsach"):
            self.guide.checklists(turn)
        elif name in ("xoadulieu", "deletemydata", "erase"):
            ask(turn, Outbound(
                _("This deletes everything the assistant keeps about you: this conversation, your checklists and the record of your questions. Delete?"),
                (Button(_("Yes, delete my data"), "erase:yes"), Button(_("No, keep it"), "erase:no"))),
                yes="erase:yes", no="erase:no", keep=False)  # fmt: skip
        else:
            turn.messages.append(Outbound(
                _("I don't know that command. Try /menu, /help or just type your question."),
                self.menus.start_buttons()))  # fmt: skip

    def _press(self, payload: str, turn: Turn) -> None:
        kind, _sep, rest = payload.partition(":")
        parts = rest.split(":") if rest else []
        procs = self.kb.procedures
        if kind == "p" and parts and parts[0] in procs:
            self.questions.show(parts[0], "overview", None, turn, score=None)
        elif kind == "s" and len(parts) == 2 and parts[0] in procs and parts[1] in (*SECTIONS, "overview"):
            turn.state.procedure = parts[0]
            proc = procs[parts[0]]
            has_flow = self.runner.for_procedure(proc.id) is not None
            turn.messages.append(Outbound(render_section(proc, parts[1]), section_buttons(proc, parts[1], has_flow)))
            turn.events.append(UsageEvent("section", proc.id, detail={"section": parts[1]}))
        elif kind == "m":
            self.menus.menu(turn, int(parts[0]) if parts and parts[0].isdigit() else 0)
        elif kind == "l" and parts:
            self.menus.lang(parts[0], turn, quiet=parts[-1] == "quiet")
        elif kind == "h":
            self._human(turn)
        elif kind == "help":
            self.menus.help(turn)
        elif kind == "erase":
            if parts == ["yes"]:
                turn.erase = True
                turn.state = ConversationState(lang=turn.state.lang)
                turn.messages.append(Outbound(_("Done: your data has been deleted. You can start again any time.")))
            else:
                turn.messages.append(Outbound(_("Nothing was deleted."), self.menus.start_buttons()))
        elif kind == "fb" and len(parts) == 2:
            self.questions.feedback(parts[0], parts[1], turn)
        elif kind == "f" and parts and (flow := self.runner.flows.flows.get(parts[0])):
            turn.flow_spoke = True
            turn.messages.extend(self.runner.start(flow, turn.state, turn.events))
        elif kind == "fa" and len(parts) == 3:
            self.guide.button(parts[0], parts[1], parts[2], turn)
        elif kind == "fn" and parts:
            self.guide.nav(parts[0], turn)
        elif kind == "ck" and self.checklist.press(parts, turn):
            pass  # ticked and shown; a tick for a checklist no longer kept falls to the stale reply
        else:  # an old or foreign button: say so kindly and offer the start
            turn.messages.append(Outbound(_("That button is no longer available. What can I help you with?"),
                                          self.menus.start_buttons()))  # fmt: skip
            turn.events.append(UsageEvent("stale_button"))

    def _human(self, turn: Turn) -> None:
        self.community.offer(turn)
        turn.events.append(UsageEvent("human_help", HUMAN_HELP))


MAX_MESSAGE = 4096
"""No message is longer than this (Telegram's limit); channels with less split further."""


def _remember_buttons(turn: Turn) -> None:
    """Keep the payloads of the last message that offers buttons, in the order shown, so a typed
    "cái thứ 2" presses the second one; a reply without buttons leaves the last list in place."""
    for msg in reversed(turn.messages):
        if any(b.payload for b in msg.buttons):
            turn.state.shown = [b.payload or "" for b in msg.buttons]
            return


def _fit(messages: list[Outbound]) -> list[Outbound]:
    """Split any over-long message at paragraph or line ends; its buttons go with the last piece."""
    out: list[Outbound] = []
    for msg in messages:
        if len(msg.text) <= MAX_MESSAGE:
            out.append(msg)
            continue
        pieces = split_text(msg.text, MAX_MESSAGE)
        out += [Outbound(p) for p in pieces[:-1]] + [Outbound(pieces[-1], msg.buttons)]
    return out


def unavailable_reply(inbound: Inbound) -> Outbound:
    """What a person hears when their message needs the database and it cannot be reached: plainly
    that it was not saved and to send it again shortly; a pressed button comes back to press again."""
    text = _("Sorry, the system cannot save this right now. Nothing you entered is lost: please send it again in a minute.")
    if inbound.payload:
        return Outbound(text, (Button(_("Try again"), inbound.payload),))
    return Outbound(text)


def _before(original: str | None) -> ConversationState:
    """The conversation as it was before a turn that could not be done (counted as a turn)."""
    kept = ConversationState.model_validate_json(original) if original is not None else ConversationState()
    kept.turns += 1
    return kept
