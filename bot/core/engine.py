"""The assistant: a deterministic function of (inbound message, conversation state).

It returns the messages to send, the new state and the usage events to count. It knows no
channel, web framework or database: channels and storage sit behind ``bot.core.messages`` and
the ports in ``bot.core.ports``.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import replace

from bot.core import answers, i18n
from bot.core.aspects import ASPECT_WORDS, detect_aspect
from bot.core.community import Community
from bot.core.desk import BaseHelpDesk
from bot.core.flow_runner import FlowRunner, nav_intent
from bot.core.i18n import _
from bot.core.matcher import Decision, Match, Matcher
from bot.core.messages import Button, Inbound, Outbound, UsageEvent, split_text
from bot.core.smalltalk import SmallTalk
from bot.core.state import ConversationState
from bot.core.text import fold
from bot.core.turn import Turn
from bot.data.communes import CommuneBook
from bot.data.flows import FlowSet
from bot.data.knowledge import CATALOG_IDS, HUMAN_HELP, KnowledgeBase

log = logging.getLogger("bot.engine")

MAX_INPUT = 1000
"""Only the start of a very long message is read: questions are short, pastes are not."""
MENU_PAGE = 6


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
        self.smalltalk = SmallTalk(kb, self.matcher.norm)
        self.runner = FlowRunner(flows or FlowSet({}), today)
        # The catalog's order puts the most asked-about procedures first in the menu.
        self._order = [p for p in CATALOG_IDS if p in kb.procedures] + sorted(
            p for p in kb.procedures if p not in CATALOG_IDS
        )
        self._name_words: dict[str, set[str]] = {}
        self.community = Community(desk, communes or CommuneBook(()), self._start_buttons, self._name,
                                   help_retention_days)  # fmt: skip

    def with_desk(self, desk: BaseHelpDesk | None, communes: CommuneBook, help_retention_days: int = 90) -> Engine:
        """This engine (sharing its matcher and flows) over one application's help desk."""
        engine = copy.copy(self)
        engine.community = Community(desk, communes, engine._start_buttons, engine._name, help_retention_days)
        return engine

    async def handle(self, inbound: Inbound, state: ConversationState | None = None) -> Turn:
        state = (state or ConversationState()).model_copy(deep=True)
        state.turns += 1
        lang = state.lang or _guess_language(inbound) or i18n.pick_language(inbound.lang_hint)
        started = time.perf_counter()
        with i18n.use(lang):
            turn = Turn([], state)
            try:
                community = self.community
                if not (community.wants(inbound, turn.state) and await community.handle(inbound, turn)):
                    if inbound.payload:  # another button: a half-filled request is left, not kept
                        turn.state.help = None
                        turn.state.awaiting = None
                    self._dispatch(inbound, turn)
            except Exception:  # a bug must never reach the citizen as a traceback
                log.exception("turn failed channel=%s", inbound.channel)
                turn.messages = [Outbound(_("Sorry, something went wrong on my side. Please try again, or ask for a person."), (Button(_("Talk to a person"), "h"),))]
                turn.events.append(UsageEvent("error"))
        turn.messages = _fit(turn.messages)
        turn.events = self._tagged(turn.events, turn.state, lang)
        log.debug("turn channel=%s procedure=%s ms=%.2f", inbound.channel, turn.state.procedure,
                  (time.perf_counter() - started) * 1000)  # fmt: skip
        return turn

    @staticmethod
    def _tagged(events: list[UsageEvent], state: ConversationState, lang: str) -> list[UsageEvent]:
        """Every event carries the language, the person's commune and, in an assisted session,
        the volunteer, so reports can count by commune and count assisted use apart."""
        assist = state.assist
        if assist is not None:
            for event in events:
                if event.procedure and event.procedure != HUMAN_HELP and event.procedure not in assist.procedures:
                    assist.procedures.append(event.procedure)
        if not state.commune and assist is None:
            return [replace(e, locale=lang) for e in events]
        extra = {"commune": state.commune or ""}
        if assist is not None:
            extra["assisted_by"] = str(assist.volunteer)
        return [replace(e, locale=lang, detail={**extra, **e.detail}) for e in events]

    # --- dispatch ------------------------------------------------------------------------
    def _dispatch(self, inbound: Inbound, turn: Turn) -> None:
        self._route(inbound, turn)
        # Whatever was not the guide's own question (a side question, /menu, a section button)
        # leaves the guide paused, with a way back to it under the reply.
        flow = turn.state.flow
        if flow is not None and not turn.flow_spoke:
            flow.paused = True
            self._offer_resume(turn)

    def _route(self, inbound: Inbound, turn: Turn) -> None:
        if inbound.payload:
            self._press(inbound.payload, turn)
            return
        text = (inbound.text or "")[:MAX_INPUT * 4]
        stripped = text.strip()
        if stripped.startswith("/"):
            self._command(stripped, turn)
            return
        flow = turn.state.flow
        if flow is not None:
            nav = nav_intent(stripped)
            if nav is not None:
                self._flow_nav(nav, turn)
                return
            if (not flow.paused or self._resumes(stripped, turn)) and self._flow_text(stripped, turn):
                return
        if stripped and set(stripped) <= set("?¿？ "):
            self._help(turn)
            return
        if not fold(stripped):
            turn.messages.append(Outbound(
                _("I did not catch a question there. Type what you need, for example: \"làm căn cước ở đâu\"."),
                self._start_buttons()))  # fmt: skip
            turn.events.append(UsageEvent("empty"))
            return
        self._question(stripped[:MAX_INPUT], turn)

    def _command(self, text: str, turn: Turn) -> None:
        name, _sep, arg = text[1:].partition(" ")
        name = name.split("@")[0].lower()
        if name == "start":
            self._greet(turn)
        elif name in ("help", "trogiup"):
            self._help(turn)
        elif name in ("menu", "danhmuc"):
            self._menu(turn, 0)
        elif name in ("lang", "ngonngu"):
            self._lang(arg.strip().lower(), turn)
        elif name in ("cancel", "huy"):
            self._cancel_flow(turn)
        elif name in ("checklist", "danhsach"):
            self._checklists(turn)
        elif name in ("xoadulieu", "deletemydata", "erase"):
            turn.messages.append(Outbound(
                _("This deletes everything the assistant keeps about you: this conversation, your checklists and the record of your questions. Delete?"),
                (Button(_("Yes, delete my data"), "erase:yes"), Button(_("No, keep it"), "erase:no"))))  # fmt: skip
        else:
            turn.messages.append(Outbound(
                _("I don't know that command. Try /menu, /help or just type your question."),
                self._start_buttons()))  # fmt: skip

    def _press(self, payload: str, turn: Turn) -> None:
        kind, _sep, rest = payload.partition(":")
        parts = rest.split(":") if rest else []
        procs = self.kb.procedures
        if kind == "p" and parts and parts[0] in procs:
            self._answer(parts[0], "overview", None, turn, score=None)
        elif kind == "s" and len(parts) == 2 and parts[0] in procs and parts[1] in (*answers.SECTIONS, "overview"):
            turn.state.procedure = parts[0]
            proc = procs[parts[0]]
            turn.messages.append(Outbound(answers.render_section(proc, parts[1]),
                                          answers.section_buttons(proc, parts[1], self._has_flow(proc.id))))  # fmt: skip
            turn.events.append(UsageEvent("section", proc.id, detail={"section": parts[1]}))
        elif kind == "m":
            self._menu(turn, int(parts[0]) if parts and parts[0].isdigit() else 0)
        elif kind == "l" and parts:
            self._lang(parts[0], turn, quiet=parts[-1] == "quiet")
        elif kind == "h":
            self._human(turn)
        elif kind == "help":
            self._help(turn)
        elif kind == "erase":
            if parts == ["yes"]:
                turn.erase = True
                turn.state = ConversationState(lang=turn.state.lang)
                turn.messages.append(Outbound(_("Done: your data has been deleted. You can start again any time.")))
            else:
                turn.messages.append(Outbound(_("Nothing was deleted."), self._start_buttons()))
        elif kind == "fb" and len(parts) == 2:
            self._feedback(parts[0], parts[1], turn)
        elif kind == "f" and parts and (flow := self.runner.flows.flows.get(parts[0])):
            turn.flow_spoke = True
            turn.messages.extend(self.runner.start(flow, turn.state, turn.events))
        elif kind == "fa" and len(parts) == 3:
            self._flow_button(parts[0], parts[1], parts[2], turn)
        elif kind == "fn" and parts:
            self._flow_nav(parts[0], turn)
        else:  # an old or foreign button: say so kindly and offer the start
            turn.messages.append(Outbound(_("That button is no longer available. What can I help you with?"),
                                          self._start_buttons()))  # fmt: skip
            turn.events.append(UsageEvent("stale_button"))

    # --- questions -----------------------------------------------------------------------
    # --- guided flows ----------------------------------------------------------------------
    def _flow_text(self, text: str, turn: Turn) -> bool:
        """Handle a typed message inside a flow; False lets it be answered as a question."""
        state = turn.state
        current = self.runner.current(state)
        if current is None:
            return self._flow_changed(turn)
        flow, step = current
        reply = self.runner.answer(flow, step, text, state, turn.events)
        if reply is not None:
            turn.flow_spoke = True
            turn.messages.extend(reply)
            return True
        match = self.matcher.match(text) if fold(text) else None
        if match is not None and (match.decision is Decision.ANSWER or self.smalltalk.classify(text)):
            assert state.flow is not None
            state.flow.paused = True  # answer the side question, keep the place
            return False
        turn.flow_spoke = True
        turn.messages.append(self.runner.invalid(flow, step, state, text))
        return True

    def _resumes(self, text: str, turn: Turn) -> bool:
        """While a guide is paused, a message that answers its question (and is not a question of
        its own) resumes it: "3" after "how many months?" is an answer, not a search."""
        current = self.runner.current(turn.state)
        if current is None or self.runner.interpret(current[1], text) is None:
            return False
        if self.matcher.match(text).decision is Decision.ANSWER:
            return False
        assert turn.state.flow is not None
        turn.state.flow.paused = False
        return True

    def _flow_button(self, flow_id: str, step_id: str, value: str, turn: Turn) -> None:
        current = self.runner.current(turn.state)
        if current is None or current[0].id != flow_id or current[1].id != step_id:
            if current is None and turn.state.flow is None:
                turn.messages.append(Outbound(_("That question belongs to a guide that has ended. Start it again?"),
                                              self._restart_buttons(flow_id)))  # fmt: skip
            else:
                turn.messages.append(Outbound(_("That button is from an earlier question.")))
                self._flow_nav("continue", turn)
                return
            return
        flow, step = current
        assert turn.state.flow is not None
        turn.state.flow.paused = False
        turn.flow_spoke = True
        reply = self.runner.answer(flow, step, value, turn.state, turn.events)
        turn.messages.extend(reply or [self.runner.invalid(flow, step, turn.state, value)])

    def _flow_nav(self, action: str, turn: Turn) -> None:
        state = turn.state
        current = self.runner.current(state)
        turn.flow_spoke = True
        if current is None:
            if state.flow is not None:
                self._flow_changed(turn)
            else:
                turn.messages.append(Outbound(_("There is no guide in progress. What can I help you with?"),
                                              self._start_buttons()))  # fmt: skip
            return
        flow, step = current
        assert state.flow is not None
        state.flow.paused = False
        state.procedure = flow.procedure  # follow-up questions are about the guide again
        if action == "cancel":
            self._cancel_flow(turn)
        elif action == "restart":
            turn.messages.extend(self.runner.start(flow, state, turn.events))
        elif action == "back":
            turn.messages.extend(self.runner.back(flow, state))
        elif action == "idk":
            turn.messages.extend(self.runner.dont_know(flow, step, state))
        else:
            turn.messages.append(self.runner.ask(flow, step, state, _("Let's continue where we were.") + "\n\n"))

    def _flow_changed(self, turn: Turn) -> bool:
        """The flow or its step vanished in a deploy: restart it politely (True), or drop it and
        let the message be answered as a question (False)."""
        state = turn.state
        assert state.flow is not None
        flow = self.runner.flows.flows.get(state.flow.flow)
        state.flow = None
        if flow is None:
            turn.messages.append(Outbound(_("The guide you were following is no longer available. Ask me anything, or choose a topic."), self._start_buttons()))
            return False
        turn.flow_spoke = True
        turn.messages.append(Outbound(_("This guide has been updated since we last talked, so let's start it again from the beginning.")))
        turn.messages.extend(self.runner.start(flow, state, turn.events))
        return True

    def _cancel_flow(self, turn: Turn) -> None:
        flow = turn.state.flow
        turn.state.flow = None
        if flow is not None:
            turn.events.append(UsageEvent("flow_abandoned", turn.state.procedure,
                                          detail={"flow": flow.flow, "step": flow.step}))  # fmt: skip
        turn.messages.append(Outbound(
            _("Cancelled. What else can I help you with?") if flow else _("Nothing to cancel. What can I help you with?"),
            self._start_buttons()))  # fmt: skip

    def _offer_resume(self, turn: Turn) -> None:
        flow = turn.state.flow
        if flow is not None and flow.paused:
            turn.messages.append(Outbound(_("We were in the middle of a step-by-step guide."),
                                          (Button(_("▶ Continue where we were"), "fn:continue"),
                                           Button(_("✖ Cancel"), "fn:cancel"))))  # fmt: skip

    def _checklists(self, turn: Turn) -> None:
        if not turn.state.checklists:
            turn.messages.append(Outbound(_("You have no checklist yet. Finish a step-by-step guide to get one."),
                                          self._start_buttons()))  # fmt: skip
            return
        for flow_id, given in turn.state.checklists.items():
            flow = self.runner.flows.flows.get(flow_id)
            if flow is not None:
                turn.messages.extend(self.runner.render_result(flow, given))

    def _restart_buttons(self, flow_id: str) -> tuple[Button, ...]:
        return (Button(_("Start the guide"), f"f:{flow_id}"), Button(_("All procedures"), "m:0"))

    # --- questions -----------------------------------------------------------------------
    def _question(self, text: str, turn: Turn) -> None:
        if fold(text) in _CHECKLIST_WORDS:
            self._checklists(turn)
            return
        talk = self.smalltalk.classify(text)
        if talk == "greeting":
            self._greet(turn)
            return
        if talk == "thanks":
            turn.messages.append(Outbound(_("You're welcome! Ask me anything else about public services."), self._start_buttons()))
            return
        if talk == "goodbye":
            turn.messages.append(Outbound(_("Goodbye! Come back any time.")))
            return
        if talk == "help":
            self._help(turn)
            return
        if talk == "menu":
            self._menu(turn, 0)
            return
        follow_up = self._follow_up(text, turn.state.procedure)
        if follow_up is not None:
            assert turn.state.procedure is not None
            turn.events.append(UsageEvent("question", turn.state.procedure, None, {"follow_up": follow_up}, text=text))
            self._answer(turn.state.procedure, follow_up, None, turn, None)
            return
        # A new guide asked for by name replaces one left paused ("hướng dẫn đăng ký tạm trú").
        flow = turn.state.flow
        if (flow is None or flow.paused) and _wants_guide(text) and self._guide_request(text, turn):
            return
        match = self.matcher.match(text) if any(c.isalpha() for c in text) else Match(Decision.UNKNOWN, ())
        turn.events.append(UsageEvent("question", match.procedure, match.score, text=text))
        if match.decision is Decision.ANSWER and match.best:
            if match.best.id == HUMAN_HELP:
                self._human(turn)
                return
            tokens = list(self.matcher.norm(text))
            self._answer(match.best.id, detect_aspect(tokens) or "overview",
                         self._faq_for(match.best.id, tokens), turn, match.score)  # fmt: skip
        elif match.decision is Decision.CLARIFY:
            buttons = [Button(self._name(c.id), f"p:{c.id}" if c.id != HUMAN_HELP else "h")
                       for c in match.candidates if c.score >= 0.5 * match.score]  # fmt: skip
            turn.messages.append(Outbound(_("Did you mean one of these?"),
                                          (*buttons, Button(_("None of these"), "m:0"))))  # fmt: skip
            turn.events.append(UsageEvent("did_you_mean", None, match.score,
                                          {"candidates": ",".join(c.id for c in match.candidates)}, text=text))  # fmt: skip
        else:
            turn.messages.append(Outbound(
                _("Sorry, I can only help with public-service procedures (ID card, VNeID, residence, birth, marriage, vehicles…), and I don't know the answer to that. Choose a topic, or ask for a person."),
                (Button(_("All procedures"), "m:0"), Button(_("Talk to a person"), "h"))))  # fmt: skip
            turn.events.append(UsageEvent("not_understood", None, match.score, text=text))

    def _guide_request(self, text: str, turn: Turn) -> bool:
        """"Hướng dẫn tôi làm căn cước": match what follows the request, so the words of asking
        for guidance (which also ask for a person) do not decide the procedure."""
        rest = fold(text)
        for phrase in _GUIDE_WORDS:
            rest = f" {rest} ".replace(f" {phrase} ", " ").strip()
        if not rest:
            return False
        match = self.matcher.match(rest)
        flow = self.runner.for_procedure(match.procedure) if match.procedure else None
        if flow is None:
            return False
        turn.events.append(UsageEvent("question", match.procedure, match.score, {"guide": flow.id}))
        turn.flow_spoke = True
        turn.messages.extend(self.runner.start(flow, turn.state, turn.events))
        return True

    def _follow_up(self, text: str, procedure: str | None) -> str | None:
        """A short follow-up ("bao nhiêu tiền?", "nộp ở đâu") about the procedure just discussed:
        the section it asks for, if the message names nothing else."""
        if procedure is None or procedure not in self.kb.procedures:
            return None
        tokens = list(self.matcher.norm(text))
        aspect = detect_aspect(tokens)
        if aspect is None:
            return None
        rest = [t for t in tokens if t not in self.matcher.norm.stopwords and t not in ASPECT_WORDS]
        return aspect if not rest else None

    def _faq_for(self, proc_id: str, tokens: list[str]) -> int | None:
        """A common-problem entry the question closely matches, judged on the words that make
        the entry specific (not the procedure's own name, which every entry shares)."""
        proc = self.kb.procedures[proc_id]
        stop = self.matcher.norm.stopwords
        named = self._name_words.setdefault(proc_id, {
            t for text in (proc.names.vi, proc.names.en) for t in self.matcher.norm(text)
        })  # fmt: skip
        words = {t for t in tokens if t not in stop} - named
        if not words:
            return None
        best: tuple[float, int] | None = None
        for i, item in enumerate(proc.faq):
            for text in (item.q.vi, *item.match):
                specific = {t for t in self.matcher.norm(text) if t not in stop} - named
                hits = len(words & specific)
                if not specific or hits < min(2, len(specific)):
                    continue
                score = hits / len(specific | words)
                if score >= 0.4 and (best is None or score > best[0]):
                    best = (score, i)
        return best[1] if best else None

    def _answer(self, proc_id: str, section: str, faq: int | None, turn: Turn, score: float | None) -> None:
        proc = self.kb.procedures[proc_id]
        turn.state.procedure = proc_id
        replies = answers.procedure_answer(proc, section, self._has_flow(proc_id), faq)
        if score is not None and turn.state.feedback_for != proc_id and proc_id not in turn.state.feedback_given:
            # Ask "did this help?" once per procedure and conversation: a light touch, never nagging.
            # The two buttons go last under the answer itself, so numbered buttons stay where they were.
            turn.state.feedback_for = proc_id
            last = replies[-1]
            replies[-1] = Outbound(last.text, (*last.buttons, Button(_("👍 Helpful"), f"fb:{proc_id}:up"),
                                               Button(_("👎 Not helpful"), f"fb:{proc_id}:down")))  # fmt: skip
        turn.messages.extend(replies)
        turn.events.append(UsageEvent("answered", proc_id, score, {"section": section}))

    def _feedback(self, proc_id: str, verdict: str, turn: Turn) -> None:
        """Record 👍/👎 once per answer; a second press of the same buttons changes nothing."""
        state = turn.state
        if proc_id in state.feedback_given or verdict not in ("up", "down"):
            turn.messages.append(Outbound(_("Thanks, we already have your feedback.")))
            return
        state.feedback_given.append(proc_id)
        if state.feedback_for == proc_id:
            state.feedback_for = None
        turn.events.append(UsageEvent("feedback_helpful" if verdict == "up" else "feedback_not_helpful", proc_id))
        if verdict == "up":
            turn.messages.append(Outbound(_("Thank you! Glad it helped.")))
        else:
            turn.messages.append(Outbound(
                _("Thank you for telling us. We will improve this answer. A person can also help you."),
                (Button(_("Talk to a person"), "h"), Button(_("All procedures"), "m:0"))))  # fmt: skip

    # --- fixed replies -------------------------------------------------------------------
    def _greet(self, turn: Turn) -> None:
        turn.messages.append(Outbound(
            _("Hello! I am Trợ lý số, the digital assistant for online public services. Ask me in your own words — for example \"làm căn cước cho con\", \"đăng ký tạm trú online\" or \"kích hoạt VNeID mức 2\" — or choose a topic."),
            self._start_buttons()))  # fmt: skip
        turn.events.append(UsageEvent("greeting"))

    def _help(self, turn: Turn) -> None:
        turn.messages.append(Outbound(
            _("How to use me:\n• Type your question, with or without accents.\n• Press the buttons under my answers for papers, fees and where to apply.\n• /menu lists all procedures; /lang switches language; /cancel stops a step-by-step guide.\n• /xa tells me your commune.\n• Ask for a person at any time: a volunteer of your commune's team can call you."),
            self._start_buttons()))  # fmt: skip

    def _menu(self, turn: Turn, page: int) -> None:
        pages = max(1, -(-len(self._order) // MENU_PAGE))
        page = min(max(page, 0), pages - 1)
        ids = self._order[page * MENU_PAGE:(page + 1) * MENU_PAGE]
        buttons = [Button(self._name(pid), f"p:{pid}") for pid in ids]
        if page + 1 < pages:
            buttons.append(Button(_("More ▶"), f"m:{page + 1}"))
        if page > 0:
            buttons.append(Button(_("◀ Back"), f"m:{page - 1}"))
        turn.messages.append(Outbound(_("Procedures I can guide you through (page {page} of {pages}):").format(page=page + 1, pages=pages), tuple(buttons)))

    def _lang(self, code: str, turn: Turn, quiet: bool = False) -> None:
        if code in i18n.LANGUAGES:
            turn.state.lang = code
            if quiet:
                return
            with i18n.use(code):
                turn.messages.append(Outbound(_("Language set to English."), self._start_buttons()))
            return
        turn.messages.append(Outbound(_("Choose a language:"),
                                      (Button("Tiếng Việt", "l:vi"), Button("English", "l:en"))))  # fmt: skip

    def _human(self, turn: Turn) -> None:
        self.community.offer(turn)
        turn.events.append(UsageEvent("human_help", HUMAN_HELP))

    def _start_buttons(self) -> tuple[Button, ...]:
        return (
            Button(self._name("identity_card"), "p:identity_card"),
            Button(self._name("vneid"), "p:vneid"),
            Button(self._name("birth_registration"), "p:birth_registration"),
            Button(_("All procedures"), "m:0"),
            Button(_("Talk to a person"), "h"),
        )

    def _name(self, proc_id: str) -> str:
        if proc_id == HUMAN_HELP:
            return _("Talk to a person")
        proc = self.kb.procedures.get(proc_id)
        return proc.names.get(i18n.current()) if proc else proc_id

    def _has_flow(self, proc_id: str) -> bool:
        return self.runner.for_procedure(proc_id) is not None


MAX_MESSAGE = 4096
"""No message is longer than this (Telegram's limit); channels with less split further."""


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


_CHECKLIST_WORDS = frozenset({"danh sach cua toi", "checklist", "my checklist", "xem lai danh sach",
                              "danh sach viec can lam", "ket qua cua toi", "xem checklist"})  # fmt: skip
_GUIDE_WORDS = ("huong dan", "tung buoc", "chi toi", "chi minh", "chi em", "chi giup", "step by step",
                "guide me through", "walk me through", "guide me", "walk me", "help me with", "help me",
                "guide")  # fmt: skip


def _wants_guide(text: str) -> bool:
    """A direct request to be walked through ("hướng dẫn tôi làm khai sinh")."""
    folded = f" {fold(text)} "
    return any(f" {w} " in folded for w in _GUIDE_WORDS)


_EN_WORDS = frozenset(["how", "do", "i", "to", "the", "a", "my", "what", "where", "can", "for", "is", "of", "get", "need", "in", "with", "much", "long", "apply"])


def _guess_language(inbound: Inbound) -> str | None:
    """English when a message is plainly English; None to fall back to the platform hint."""
    text = inbound.text or ""
    if not text or any(ord(c) > 127 and c.isalpha() for c in text):
        return None
    words = fold(text).split()
    if len(words) >= 3 and sum(w in _EN_WORDS for w in words) >= max(2, len(words) // 3):
        return "en"
    return None
