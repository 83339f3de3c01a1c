"""Free questions: matched to a procedure and answered, asked to choose, or declined honestly.

The procedure talked about last is context, not a lock: a short follow-up that names no other
procedure ("có mất tiền không", "đi đâu làm") is answered from its matching section, and a
question that names another procedure switches to it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from datetime import date
from itertools import pairwise

from bot.core import answers
from bot.core.aspects import ASPECT_KEYS, ASPECT_WORDS, HOW, ON_VNEID, asking_words, detect_aspect
from bot.core.dates import read_date, vietnam_today
from bot.core.flow_runner import FlowRunner
from bot.core.guide import GUIDE_WORDS, Guide, spelled_out, wants_guide
from bot.core.i18n import _, current
from bot.core.matcher import UNSURE_AT, Candidate, Decision, Match, Matcher
from bot.core.menus import Menus
from bot.core.messages import Button, Outbound, UsageEvent
from bot.core.pending import ask
from bot.core.replies import Reply, read_reply
from bot.core.smalltalk import SmallTalk
from bot.core.state import ConversationState
from bot.core.text import fold
from bot.core.turn import Turn
from bot.data.knowledge import HUMAN_HELP, KnowledgeBase
from bot.data.models import NotCoveredTopic

CHECKLIST_WORDS = frozenset({"danh sach cua toi", "checklist", "my checklist", "xem lai danh sach",
                             "danh sach viec can lam", "ket qua cua toi", "xem checklist"})  # fmt: skip
_TALK_AS_QUESTION = frozenset({"help", "menu"})
"""Small talk that is a request of its own, even while a question of ours is open."""
_KIN = frozenset({"noi", "ngoai", "trai", "gai", "ut", "ca", "lon", "nho", "nam", "nay"})
"""Words that may come with an age typed as a person's case ("cháu nội 15 tuổi", "con trai út năm nay 10 tuổi").
Not "thì sao": "thế con trai tôi 10t thì sao" asks the same procedure for someone else, and is answered."""
_ASKS = frozenset({"sao", "nao", "khong", "ko", "k", "kh", "chua", "gi", "j", "duoc", "dc", "can", "phai", "ntn", "bn"})
"""Words that make a message with an age in it a question rather than the case told."""
_HOW_FILLER = frozenset({"thu", "tuc", "lam", "dang", "ky", "nop", "xin", "cap"})
"""Words that may stand beside "thế nào" and still ask only how: "thủ tục ntn", "đăng ký thế nào"."""
_GUIDE_FILLER = _HOW_FILLER | {"di", "lai", "cach", "voi", "giup", "e", "a", "c", "b", "bn", "mk", "mik", "t", "tui"}
"""Words beside a request for guidance that name nothing: "hướng dẫn đi", "chỉ e cách làm lại với",
"hướng dẫn e với" (the person, typed short: e, a, c, mk, t) asks for the guide of the procedure in hand."""


class Questions:
    def __init__(self, kb: KnowledgeBase, matcher: Matcher, smalltalk: SmallTalk, runner: FlowRunner,
                 guide: Guide, menus: Menus, human: Callable[[Turn], None]) -> None:  # fmt: skip
        self.kb = kb
        self.matcher = matcher
        self.smalltalk = smalltalk
        self.runner = runner
        self.guide = guide
        self.menus = menus
        self.human = human  # the people side's offer of a person
        self._faq_index: dict[str, tuple[set[str], list[tuple[int, frozenset[str], frozenset[str]]]]] = {}
        self._answers: dict[tuple[str, str, bool, int | None, str], tuple[Outbound, ...]] = {}
        # A turn reads the same message's words several times; common questions repeat.
        self._named_kept = matcher.per_index(self._names_in)
        self._faq_kept = matcher.per_index(self._faq_entry)

    # --- is it a question? --------------------------------------------------------------------
    def answers_or_narrows(self, text: str) -> bool:
        """Whether the matcher answers ``text`` or offers its own guesses (not "nothing fits")."""
        return self.matcher.match(text).decision is not Decision.UNKNOWN

    def is_new(self, text: str, state: ConversationState) -> bool:
        """Whether a message typed while a question of ours is open is clearly a request of its
        own: it names a procedure (or one we do not cover), asks about the procedure in hand,
        asks for a guide, a checklist, help or the menu. Anything else is read as a failed answer."""
        folded = fold(text)
        if not folded or _is_date(text):  # a date typed at a step is a (maybe wrong) answer, never a search
            return False
        if folded in CHECKLIST_WORDS or (wants_guide(text) and self._guide_target(text, state.procedure) is not None):
            return True
        if self.smalltalk.classify(text) in _TALK_AS_QUESTION:
            return True
        match = self.matcher.match(text)
        if match.decision is Decision.ANSWER or match.not_covered is not None:
            return True
        return self.follow_up(text, state.procedure, match) is not None or self.problem_in_hand(text, state.procedure, match) is not None

    # --- answering ---------------------------------------------------------------------------
    def answer(self, text: str, turn: Turn) -> None:
        """Answer a free question (no question of ours is waiting for this message)."""
        if fold(text) in CHECKLIST_WORDS:
            self.guide.checklists(turn)
            return
        talk = self.smalltalk.classify(text)
        if talk != "thanks" and len(fold(text).split()) <= 2 and read_reply(text) in (Reply.YES, Reply.NO):
            # "có", "ko" with nothing asked: acknowledged, not mistaken for a greeting or a search
            turn.messages.append(Outbound(_("All right. What else would you like to know?"), self.menus.start_buttons()))
            return
        procedure = turn.state.procedure
        if talk in (None, "help") and turn.state.flow is None and (self.asks_how(text, procedure)
                                                                    or self.tells_an_age(text, procedure)):
            assert procedure is not None
            turn.events.append(UsageEvent("question", procedure, None, {"follow_up": "how"}, text=text))
            guide = self.runner.for_procedure(procedure)
            if guide is not None:  # the guide is the how: a few questions, then the checklist
                turn.flow_spoke = True
                turn.messages.extend(self.runner.start(guide, turn.state, turn.events))
            else:
                self.show(procedure, "online", None, turn, None)
            return
        if talk == "help" and self.follow_up(text, procedure) is not None:
            talk = None  # "what do I need" after an answer asks for its papers, not how to use me
        if talk == "help" and self._guide_in_hand(text, procedure):
            talk = None  # "hướng dẫn", "hướng dẫn em với" after an answer: its guide, not how to use me
        if talk is not None and self.menus.small_talk(talk, turn):
            return
        # A new guide asked for by name replaces one left paused ("hướng dẫn đăng ký tạm trú").
        flow = turn.state.flow
        if (flow is None or flow.paused) and wants_guide(text):
            if self._start_guide(text, turn):
                return
            if self._guide_for_hand(text, procedure):
                assert procedure is not None
                turn.events.append(UsageEvent("question", procedure, None, {"follow_up": "how"}, text=text))
                self.show(procedure, "online", None, turn, None)
                return
            if procedure not in self.kb.procedures and self._names_nothing(_without_guide_words(text)):
                # "hướng dẫn từng bước" with nothing in hand: which guide, not a search (it found
                # the portal's "các bước nộp hồ sơ")
                turn.messages.append(Outbound(
                    _("Which procedure shall I walk you through, step by step?"),
                    (*(Button(self.menus.name(f.procedure), f"f:{f.id}") for f in self.runner.flows.flows.values()),
                     Button(_("All procedures"), "m:0"))))  # fmt: skip
                turn.events.append(UsageEvent("question", None, None, {"guide": "which"}, text=text))
                return
        if procedure in self.kb.procedures and turn.state.flow is None and _BRING.match(fold(text)):
            # "có cần mang cccd ko" after the passport's papers: a paper to bring for the procedure
            # in hand, though the paper's name is also a procedure of its own.
            assert procedure is not None
            turn.events.append(UsageEvent("question", procedure, None, {"follow_up": "papers"}, text=text))
            self.show(procedure, "papers", None, turn, None)
            return
        if procedure in self.kb.procedures and _for_another(self.matcher.norm(text)):
            # "thế con trai tôi 10t thì sao", "what about my wife": the procedure in hand, for them
            assert procedure is not None
            turn.events.append(UsageEvent("question", procedure, None, {"follow_up": "person"}, text=text))
            # the procedure's own entry for them when it has one ("người nước ngoài thì sao" after marriage)
            self.show(procedure, "overview", self._faq_for(procedure, list(self.matcher.norm(text))), turn, None)
            return
        match = self._match(text) if any(c.isalpha() for c in text) else Match(Decision.UNKNOWN, ())
        follow_up = self.follow_up(text, procedure, match)
        if follow_up is not None and procedure is not None:
            turn.events.append(UsageEvent("question", procedure, None, {"follow_up": follow_up}, text=text))
            self.show(procedure, follow_up, None, turn, None)
            return
        problem = self.problem_in_hand(text, procedure, match)
        if problem is not None and procedure is not None:
            turn.events.append(UsageEvent("question", procedure, None, {"follow_up": "faq"}, text=text))
            self.show(procedure, "overview", problem, turn, None)
            return
        turn.events.append(UsageEvent("question", match.procedure, match.score, text=text))
        if match.not_covered is not None:
            self._not_covered(match.not_covered, match, text, turn)
            return
        best = match.best
        if match.decision is Decision.CLARIFY and best is not None and procedure is not None and any(
            c.id == procedure and c.score >= 0.8 * best.score for c in match.candidates
        ):
            best, match = next(c for c in match.candidates if c.id == procedure), Match(Decision.ANSWER, match.candidates)
        if self._guessed_away(match, procedure, text):
            # "có cần đưa bé đi không" after a passport answer names nothing, yet the words alone
            # make it a question about the ID card: ask which, the procedure in hand first.
            assert best is not None
            assert procedure is not None
            others = tuple(c for c in match.candidates if c.id != procedure)
            self._clarify(Match(Decision.CLARIFY, (Candidate(procedure, best.score), *others)), text, turn)
            return
        if match.decision is Decision.ANSWER and best is not None:
            if best.id == HUMAN_HELP:
                entry = self._entry_in_hand(match, procedure, text)
                if entry is not None and procedure is not None:
                    # "công an có đến tận nhà không" after the ID card: its home-visit entry, though
                    # someone coming to the house also reads as asking for a person
                    self.show(procedure, "overview", entry, turn, match.score)
                    return
                self.human(turn)
                return
            tokens = list(self.matcher.norm(text))
            self.show(best.id, detect_aspect(tokens) or "overview", self._faq_for(best.id, tokens), turn, match.score)
            self._also(text, best.id, turn)
        elif match.decision is Decision.CLARIFY:
            self._clarify(match, text, turn)
        elif self._about_the_case(match, procedure, turn):
            # "cả 2 đều là người Việt", "em 19 chồng 22" after an answer: the person tells their case,
            # which the guide's questions take in order; "I only help with procedures" would be wrong.
            assert procedure is not None
            turn.messages.append(Outbound(
                _("I am not sure I understood. If you are telling me about your case, let me ask you a few short questions about {procedure}, then list what to do.").format(procedure=self.menus.name(procedure)),
                (Button(_("Step-by-step guide"), f"f:{procedure}"), Button(_("All procedures"), "m:0"),
                 Button(_("Talk to a person"), "h"))))  # fmt: skip
            turn.events.append(UsageEvent("not_understood", procedure, match.score, text=text))
        elif self._asks_about_the_hand(text, match, procedure):
            # "có phải thi lại ko" after the driving licence: every word is one any question uses,
            # so it asks about the procedure in hand; which part of it, we cannot tell.
            assert procedure is not None
            proc = self.kb.procedures[procedure]
            turn.messages.append(Outbound(
                _("I am not sure what you are asking about {procedure}, and I would rather not guess. Choose what you want to know, or ask a person.").format(procedure=self.menus.name(procedure)),
                answers.section_buttons(proc, "", self.runner.for_procedure(procedure) is not None)))  # fmt: skip
            turn.events.append(UsageEvent("not_understood", procedure, match.score, {"reason": "vague"}, text=text))
        elif self._near_the_hand(match, procedure, turn):
            # "e đi xuất khẩu lao động nhật bản 3 năm" after tạm vắng: nothing answered, yet near a
            # procedure (the passport): which one, the procedure in hand first, rather than "I only
            # help with public-service procedures" to someone talking about one.
            assert procedure is not None
            assert match.best is not None
            others = tuple(c for c in match.candidates if c.id != procedure and c.score >= UNSURE_AT)
            self._clarify(Match(Decision.CLARIFY, (Candidate(procedure, match.best.score), *others)), text, turn)
        else:
            turn.messages.append(Outbound(
                _("Sorry, I can only help with public-service procedures (ID card, VNeID, residence, birth, marriage, vehicles…), and I don't know the answer to that. Choose a topic, or ask for a person."),
                (Button(_("All procedures"), "m:0"), Button(_("Talk to a person"), "h"))))  # fmt: skip
            turn.events.append(UsageEvent("not_understood", None, match.score, text=text))

    def _also(self, text: str, answered: str, turn: Turn) -> None:
        """"Thủ tục đăng ký tạm trú và xin giấy xác nhận cư trú": a message joining two procedures
        is answered for the one it is most about, and the other is not left unsaid: its summary
        and the button to it follow."""
        parts = [part for part in _JOINED.split(fold(text)) if part.strip()]
        if len(parts) < 2:
            return
        others = []
        for part in parts:
            named = self.matcher.match(part).procedure
            if named is None:
                named = next(iter(found), None) if len(found := self.named(part) & set(self.kb.procedures)) == 1 else None
            if named is not None and named != answered and named in self.kb.procedures and named not in others:
                others.append(named)
        for other in others[:1]:
            proc = self.kb.procedures[other]
            turn.messages.append(Outbound(
                _("You also asked about {procedure}:").format(procedure=self.menus.name(other)) + "\n\n" + proc.summary.get(current()),
                (Button(self.menus.name(other), f"p:{other}"),)))  # fmt: skip
            turn.events.append(UsageEvent("also_named", other, None, {"with": answered}))

    def _guessed_away(self, match: Match, procedure: str | None, text: str) -> bool:
        """A short message right after an answer, naming no procedure, that the matcher still
        answers with another one: its words alone are no reason to leave the procedure in hand."""
        best = match.best
        if match.decision is not Decision.ANSWER or best is None or procedure not in self.kb.procedures:
            return False
        if best.id in (procedure, HUMAN_HELP) or self.named(text) & self.kb.procedures.keys() or _WHAT_ABOUT.match(fold(text)):
            # "còn thường trú thì sao" names what it turns to; a topic we do not cover named by one
            # word ("học" of driving lessons) is no such turn when the matcher answers a procedure
            return False
        if self.matcher.names_procedure(text) is not None:
            return False
        content = [t for t in self.matcher.norm(text) if t not in self.matcher.norm.stopwords]
        return len(content) <= _SHORT

    def _entry_in_hand(self, match: Match, procedure: str | None, text: str) -> int | None:
        """A common problem of the procedure in hand the message matches, when that procedure is a
        close runner-up (at least 80 %) of a reading as a request for a person."""
        if procedure is None or procedure not in self.kb.procedures or match.best is None:
            return None
        if not any(c.id == procedure and c.score >= 0.8 * match.best.score for c in match.candidates):
            return None
        return self._faq_for(procedure, list(self.matcher.norm(text)))

    def _asks_about_the_hand(self, text: str, match: Match, procedure: str | None) -> bool:
        """A short question right after an answer, made only of words every question uses, or
        one asking "what if" of something the matcher cannot place ("ở xa thì sao"): about the
        procedure in hand, though we cannot tell which part of it."""
        if procedure not in self.kb.procedures or len(text.split()) > 8:
            return False
        if match.decision is Decision.UNKNOWN and len(text.split()) <= 6 and _WHAT_ABOUT.match(fold(text)):
            return True
        if match.candidates:
            return False
        tokens = self.matcher.norm(text)
        stop = self.matcher.norm.stopwords
        return all(t in stop for t in tokens) and ("?" in text or bool(set(tokens) & _ASKING_WORDS))

    def _near_the_hand(self, match: Match, procedure: str | None, turn: Turn) -> bool:
        """Not understood right after an answer, though a procedure is near enough to ask about."""
        if procedure not in self.kb.procedures or (turn.state.flow is not None and not turn.state.flow.paused):
            return False
        return match.decision is Decision.UNKNOWN and match.best is not None and match.best.score >= UNSURE_AT

    def _about_the_case(self, match: Match, procedure: str | None, turn: Turn) -> bool:
        """A message not understood, right after an answer about a procedure with a guide, that
        still shares words with that procedure (and none closer): likely the person's own case."""
        if procedure is None or self.runner.for_procedure(procedure) is None:
            return False
        if turn.state.flow is not None and not turn.state.flow.paused:
            return False
        return bool(match.candidates) and match.candidates[0].id == procedure

    def _match(self, text: str) -> Match:
        """The matcher's decision; "còn thường trú thì sao" ("and what about X?") is about X: the
        frame's words ("thì" folds like "thi", an exam) must not pull it to another procedure."""
        match = self.matcher.match(text)
        inner = _WHAT_ABOUT.match(fold(text))
        if inner is not None:
            about = self.matcher.match(inner.group(1))
            if about.decision is Decision.ANSWER:
                return about
        if match.decision is Decision.ANSWER or match.not_covered is not None or len(text.split()) < _LONG:
            return match
        # A long message (a name, a commune, the child's class, then the question) drowns its
        # question in words the index never saw: read it clause by clause, and answer with the
        # procedure most clauses name (two at least, more than any other), if the whole message
        # has it among its candidates too.
        votes: dict[str, list[Match]] = {}
        for clause in _CLAUSE.split(text):
            if len(clause.split()) >= 3 and (m := self.matcher.match(clause)).decision is Decision.ANSWER:
                assert m.procedure is not None
                votes.setdefault(m.procedure, []).append(m)
        ranked = sorted(votes.items(), key=lambda kv: len(kv[1]), reverse=True)
        if ranked and len(ranked[0][1]) >= 2 and (len(ranked) == 1 or len(ranked[1][1]) < len(ranked[0][1])) \
                and ranked[0][0] in {c.id for c in match.candidates}:  # fmt: skip
            return max(ranked[0][1], key=lambda m: m.score)
        return match

    def _clarify(self, match: Match, text: str, turn: Turn) -> None:
        candidates = [c for c in match.candidates if c.score >= 0.5 * match.score]
        buttons = [Button(self.menus.name(c.id), f"p:{c.id}" if c.id != HUMAN_HELP else "h") for c in candidates]
        only = buttons[0].payload if len(buttons) == 1 else None
        ask(turn, Outbound(_("Did you mean one of these?"), (*buttons, Button(_("None of these"), "m:0"))),
            yes=only, no="m:0", keep=False, guesses=True)  # fmt: skip
        turn.events.append(UsageEvent("did_you_mean", None, match.score,
                                      {"candidates": ",".join(c.id for c in match.candidates)}, text=text))  # fmt: skip

    def _not_covered(self, topic: NotCoveredTopic, match: Match, text: str, turn: Turn) -> None:
        name, url = topic.names.get(current()), PORTAL_SEARCH
        turn.messages.append(Outbound(
            _("I don't guide the procedure \"{name}\" yet, so I would rather not guess. You can look it up on the National Public Service Portal, or a person from your commune's community digital technology team can help you.").format(name=name),
            (Button(_("Search the National Public Service Portal"), url=url), Button(_("Talk to a person"), "h"),
             Button(_("All procedures"), "m:0"))))  # fmt: skip
        turn.events.append(UsageEvent("not_covered", None, match.score, {"topic": topic.id}, text=text))

    def follow_up(self, text: str, procedure: str | None, match: Match | None = None) -> str | None:
        """A short follow-up ("bao nhiêu tiền?", "đi đâu làm", "có làm online được không") about
        the procedure just discussed: the section it asks for, if it names no other procedure."""
        if procedure is None or procedure not in self.kb.procedures:
            return None
        tokens = list(self.matcher.norm(text))
        aspect = detect_aspect(tokens) or next(
            (section for words, section in _FOLLOW_UP_ONLY if _holds(tokens, words)), None)
        if aspect is None or _is_date(text):  # "ngày 3 tháng 5" asks nothing
            return None
        rest = [t for t in tokens if t not in self.matcher.norm.stopwords and t not in ASPECT_WORDS]
        if len(rest) > 4:
            return None
        match = match or self.matcher.match(text)
        if match.not_covered is not None:
            return None
        # A topic we do not cover counts when the matcher says so (above), not by one word of its
        # names: "1 năm" is a year, though "sửa năm sinh" names a civil-status change.
        if aspect == "online" and {f"{a} {b}" for a, b in pairwise(tokens)} & ON_VNEID:
            # "làm trên vneid được không": where it is done, not the app; named without those words
            tokens = [t for t in tokens if t != "vneid"]
        named = {p for p in self._named(_without_police(tokens)) if p in self.kb.procedures}
        return aspect if not named - {procedure} else None

    def tells_its_case(self, text: str, procedure: str) -> bool:
        """A statement about ``procedure`` that asks nothing ("thuê trọ đi làm công nhân" at the
        tạm trú guide's question): the person telling their case, not a side question."""
        if "?" in text or wants_guide(text) or self.matcher.match(text).procedure != procedure:
            return False
        tokens = self.matcher.norm(text)
        return detect_aspect(tokens) is None and not set(tokens) & _ASKING_WORDS

    def problem_in_hand(self, text: str, procedure: str | None, match: Match) -> int | None:
        """A common problem of the procedure just discussed that a short message describes, too
        briefly for the matcher to place alone: "chủ nhà ko cho" in a temporary-residence guide is
        its "landlord won't confirm" entry. Only when the matcher answers nothing else and the
        message names no other procedure."""
        if procedure is None or procedure not in self.kb.procedures:
            return None
        if match.decision is Decision.ANSWER or match.not_covered is not None:
            return None
        tokens = list(self.matcher.norm(text))
        if self._named(tokens) - {procedure}:
            return None
        return self._faq_for(procedure, tokens)

    def asks_how(self, text: str, procedure: str | None) -> bool:
        """"ntn", "làm thế nào", "how do I do it" after an answer: how to do the procedure in hand."""
        if procedure is None or procedure not in self.kb.procedures:
            return False
        toks = self.matcher.norm(text)
        if not any(toks[i : i + 3] == HOW for i in range(len(toks) - 2)):
            return False
        return not {t for t in toks if t not in self.matcher.norm.stopwords} - {*HOW, *_HOW_FILLER}

    def tells_an_age(self, text: str, procedure: str | None) -> bool:
        """"Cháu 15 tuổi rồi", "bà 70t" after an answer: whose case it is, and how old, for the
        procedure in hand; its guide asks what else matters (the overview again would say nothing new)."""
        if procedure is None or self.runner.for_procedure(procedure) is None or "?" in text:
            return False
        if set(fold(text).split()) & _ASKS:
            return False  # "thế con trai tôi 10t thì sao": asks the procedure for him, answered as such
        toks = self.matcher.norm(text)
        aged = any(a.isdigit() and b == "tuoi" for a, b in pairwise(toks))
        rest = {t for t in toks if t not in self.matcher.norm.stopwords and not t.isdigit()} - {"tuoi", *_KIN}
        return aged and not rest

    def named(self, text: str) -> set[str]:
        """The procedures a message names by their own words ("căn cước", "khai sinh"); "giấy tờ"
        or "đăng ký" name none."""
        return self._named(list(self.matcher.norm(text)))

    def _named(self, toks: Sequence[str]) -> set[str]:
        return set(self._named_kept(tuple(toks)))

    def _names_in(self, toks: tuple[str, ...]) -> frozenset[str]:
        plain = ASPECT_WORDS | self.matcher.norm.stopwords  # "lệ phí", "phạt" ask, they do not name
        stop = self.matcher.norm.stopwords
        # A pair of asking words that is no asking phrase may still name: "nộp phạt" is the fine.
        terms = {t for t in toks if t not in plain} | {
            f"{a} {b}" for a, b in pairwise(toks)
            if not {a, b} <= plain or (not {a, b} & stop and f"{a} {b}" not in ASPECT_KEYS)}  # fmt: skip
        return frozenset(proc for proc, words in self.matcher.named_terms().items() if terms & words)

    def show(self, proc_id: str, section: str, faq: int | None, turn: Turn, score: float | None) -> None:
        """A procedure's answer, opened at ``section``."""
        proc = self.kb.procedures[proc_id]
        turn.state.procedure = proc_id
        has_flow = self.runner.for_procedure(proc_id) is not None
        key = (proc_id, section, has_flow, faq, current())
        kept = self._answers.get(key)
        if kept is None:  # the knowledge base and the translations are fixed: each answer is built once
            kept = self._answers[key] = tuple(answers.procedure_answer(proc, section, has_flow, faq))
        replies = list(kept)
        if score is not None and turn.state.feedback_for != proc_id and proc_id not in turn.state.feedback_given:
            # Ask "did this help?" once per procedure and conversation: a light touch, never nagging.
            # The two buttons go last under the answer itself, so numbered buttons stay where they were.
            turn.state.feedback_for = proc_id
            last = replies[-1]
            replies[-1] = Outbound(last.text, (*last.buttons, Button(_("👍 Helpful"), f"fb:{proc_id}:up"),
                                               Button(_("👎 Not helpful"), f"fb:{proc_id}:down")))  # fmt: skip
        turn.messages.extend(replies)
        turn.events.append(UsageEvent("answered", proc_id, score, {"section": section}))

    def feedback(self, proc_id: str, verdict: str, turn: Turn) -> None:
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

    # --- guides asked for by name ---------------------------------------------------------------
    def _guide_target(self, text: str, procedure: str | None) -> str | None:
        """"Hướng dẫn tôi làm căn cước": the guide named by what follows the request, so the
        words of asking for guidance (which also ask for a person) do not decide the procedure.
        Naming nothing ("hướng dẫn từng bước đi") asks for the guide of the procedure in hand."""
        rest = _without_guide_words(text)
        named = self.matcher.match(rest).procedure if rest else None
        if named is None and self._names_nothing(rest):
            named = procedure
        flow = self.runner.for_procedure(named) if named else None
        return flow.id if flow is not None else None

    def _names_nothing(self, rest: str) -> bool:
        return not [t for t in self.matcher.norm(rest) if t not in self.matcher.norm.stopwords and t not in _GUIDE_FILLER]

    def _guide_in_hand(self, text: str, procedure: str | None) -> bool:
        """A request for guidance that names nothing else, with a procedure in hand."""
        if procedure is None or procedure not in self.kb.procedures or not wants_guide(text):
            return False
        return self._names_nothing(_without_guide_words(text))

    def _guide_for_hand(self, text: str, procedure: str | None) -> bool:
        """"Hướng dẫn đi" after an answer about a procedure that has no guide: how to apply is
        the nearest thing to a guide (its "where and online" section), never the human-help text."""
        return procedure is not None and self._guide_in_hand(text, procedure) and self.runner.for_procedure(procedure) is None

    def _start_guide(self, text: str, turn: Turn) -> bool:
        flow_id = self._guide_target(text, turn.state.procedure)
        if flow_id is None:
            return False
        flow = self.runner.flows.flows[flow_id]
        turn.events.append(UsageEvent("question", flow.procedure, None, {"guide": flow.id}))
        turn.flow_spoke = True
        turn.messages.extend(self.runner.start(flow, turn.state, turn.events))
        return True

    def _faq_for(self, proc_id: str, tokens: Sequence[str]) -> int | None:
        """A common-problem entry the question closely matches, judged on the words that make
        the entry specific (not the procedure's own name, which every entry shares)."""
        return self._faq_kept(proc_id, tuple(tokens))

    def _faq_entry(self, proc_id: str, given: tuple[str, ...]) -> int | None:
        named, entries = self._faq_words(proc_id)
        tokens = _without_costs(list(given))
        words = {t for t in tokens if t not in self.matcher.norm.stopwords} - named
        if not words:
            return None
        # The papers or the place asked ("cần giấy tờ gì", "online được không") are that section's,
        # unless the question shares other words with an entry: words of asking alone match none.
        asked = asking_words(tokens)
        best: tuple[float, int] | None = None
        # An age or a length of time is the person's case, not an entry's topic: "con 14 tuổi" is
        # not "trẻ dưới 14 tuổi" (it still counts once two other words of the entry match).
        case = {t for t, unit in pairwise(tokens) if t.isdigit() and unit in _CASE_UNITS}
        said_here = set(tokens)
        for i, specific, said in entries:
            shared = words & specific
            if len(shared - case) < min(2, len(specific)):
                continue
            if asked and len(shared - case - asked) < min(2, len(specific - asked)):
                continue  # only the words of asking shared: "giấy tờ" is not "giấy tờ cũ", "online" not the scam
            if len(specific) <= 2 and not said <= said_here:
                continue  # a short phrasing is matched whole: "mất ở nhà" is not "bố mất rồi giờ nhà em"
            score = len(shared) / len(specific | words)
            if score >= 0.4 and (best is None or score > best[0]):
                best = (score, i)
        return best[1] if best else None

    def _faq_words(self, proc_id: str) -> tuple[set[str], list[tuple[int, frozenset[str], frozenset[str]]]]:
        """A procedure's name words, and each common-problem phrasing's specific words (once: the
        knowledge base's words are never repaired, so teaching a phrasing changes none of them)."""
        found = self._faq_index.get(proc_id)
        if found is None:
            proc, stop = self.kb.procedures[proc_id], self.matcher.norm.stopwords
            named = {t for text in (proc.names.vi, proc.names.en) for t in self.matcher.norm(text)}
            said = [(i, _without_costs(list(self.matcher.norm(text))))
                    for i, item in enumerate(proc.faq) for text in (item.q.vi, *item.match)]  # fmt: skip
            # Each phrasing's specific words, and all its words but the name and words of asking
            entries = [(i, frozenset(t for t in toks if t not in stop) - named, frozenset(toks) - named - _FILLER)
                       for i, toks in said]  # fmt: skip
            found = self._faq_index[proc_id] = (named, [entry for entry in entries if entry[1]])
        return found


def _without_guide_words(text: str) -> str:
    """The message folded, without its words of asking for guidance ("hướng dẫn", "chỉ em")."""
    rest = spelled_out(fold(text))
    for phrase in GUIDE_WORDS:
        rest = f" {rest} ".replace(f" {phrase} ", " ").strip()
    return rest


_BRING = re.compile(r"^(?:(?:the|vay|con|co|thi|toi|em|e|minh|co can|can|phai|co phai)\s+)*(?:mang|dem|cam|xuat trinh)"
                    r"(?:\s+theo)?\s+(?:ca\s+)?(?:cccd|can cuoc|the can cuoc|cmnd|ho chieu|giay khai sinh|so ho khau|anh|hinh|"
                    r"ban chinh|ban sao|giay to)(?:\s+\w+)?\s+(?:khong|ko|k|hong|hok|chua|a|nua khong|nua ko)\??$"
                    r"|^(?:do|should)\s+i\s+(?:need\s+to\s+)?bring\s+(?:my\s+|the\s+)?(?:id card|passport|photos?|papers|"
                    r"birth certificate)\??$")
"""'Có cần mang cccd ko', 'phải đem hộ chiếu không', 'do I need to bring my ID card': asked right after
an answer, about a paper to bring for it."""
_JOINED = re.compile(r"\s+(?:va|and|voi ca|cung voi|cung nhu|kem theo|plus)\s+|\s*[+&]\s*")
"""Where a message joins two requests ("tạm trú và CT07"); a comma more often adds the case
("đang ở trọ ngoài Vinh, quê ở Quỳnh Lưu, cccd hết hạn") than a second request."""
_WHAT_ABOUT = re.compile(r"^(?:(?:the|vay|va|con)\s+)*(?:con\s+)?(.+?)\s+thi\s+(?:sao|the nao|nhu the nao|lam sao|ntn)(?:\s+(?:a|ah|nhi|nhe))?$")
"""'(còn) X thì sao': X is what is asked about."""
_PEOPLE = frozenset({"con", "chau", "vo", "chong", "bo", "me", "ong", "ba", "em", "anh", "chi", "trai", "gai",
                     "wife", "husband", "mom", "dad", "mother", "father", "grandma", "grandpa", "grandmother",
                     "grandfather", "daughter", "kid", "kids", "child", "children", "baby", "parents", "family"})
"""Who a question may turn to: "con trai tôi", "bà nội em", "my wife" ("son", "bé" fold into "con")."""
_PERSON_FILLER = frozenset({"the", "vay", "va", "cho", "toi", "minh", "tui", "e", "cua", "nha", "a", "ah", "nhi",
                            "noi", "ngoai", "ruot", "nho", "lon", "tuoi", "thang", "my", "her", "his", "our", "for",
                            "and", "what", "about", "how", "thi", "sao", "nhu", "nao", "nguoi"})
_PERSON_FRAMES = (("thi", "sao"), ("thi", "nhu", "the", "nao"), ("what", "about"), ("how", "about"), ("and", "for"))
_PERSON_PHRASES = ("nguoi nuoc ngoai", "nguoi gia", "nguoi cao tuoi", "nguoi lon", "tre em", "hoc sinh", "sinh vien",
                   "viet kieu", "old people", "elderly", "the elderly", "foreigners", "foreigner", "a foreigner")
"""Who, said in two or three words: "còn người già thì sao", "học sinh thì sao", "người nước ngoài thì sao"."""


def _for_another(tokens: tuple[str, ...]) -> bool:
    """"(Thế) con trai tôi 10t thì sao", "còn bà nội em thì thế nào", "and for my son?": asked
    again about someone else, naming nothing but who (and how old)."""
    joined = f" {' '.join(tokens)} "
    if not any(f" {' '.join(frame)} " in joined for frame in _PERSON_FRAMES):
        return False
    for phrase in _PERSON_PHRASES:
        joined = joined.replace(f" {phrase} ", " con ")
    words = joined.split()
    return bool(set(words) & _PEOPLE) and all(t in _PEOPLE or t in _PERSON_FILLER or t.isdigit() for t in words)


_ASKING_WORDS = frozenset({"khong", "chua", "sao", "gi", "nao", "dau", "ha", "nhi", "ai", "may", "bao"})
"""Words (normalised: "ko", "j", "ntn" fold into these) that can make a message a question."""


def _without_costs(tokens: list[str]) -> list[str]:
    """"Mất" before how much or how long is what it costs ("mất bao lâu", "có mất tiền không"), a
    word of its own: "hộ chiếu mất bao lâu thì có" asks about no lost passport."""
    return [_COSTS if t == "mat" and nxt in _COST_NEXT else t for t, nxt in zip(tokens, [*tokens[1:], ""], strict=True)]


def _asked_words(tokens: list[str]) -> frozenset[str]:
    """The words of the aspect phrases a question holds ("giấy tờ", "bao lâu", "trực tuyến")."""
    pairs = {(a, b) for a, b in pairwise(tokens) if f"{a} {b}" in ASPECT_KEYS}
    return frozenset({w for pair in pairs for w in pair} | {t for t in tokens if t in ASPECT_KEYS})


_FILLER = frozenset({"co", "can", "thi", "duoc", "nhu", "the", "nao", "sao", "gi", "len"})
"""Words of asking a short phrasing is matched without: "kết hôn có cần giấy độc thân" is said by
"xin giấy độc thân để kết hôn", "lên mức 2" by "mức 2 làm ở đâu". "Không" is kept: "không có
giấy báo tử" is not "giấy báo tử"."""
_COSTS = "mat~"
""""Mất" as a cost: a word of its own, never the "mất" of something lost."""
_COST_NEXT = frozenset({"bao", "phi", "tien", "thoi", "lau", "nhieu"})
"""Not "mấy": folded it is also "máy", and "mất máy", "mất xe máy" are lost."""
_CASE_UNITS = frozenset({"tuoi", "thang", "ngay", "nam"})
"""Units that make a number the person's own case ("14 tuổi", "3 tháng")."""
_FOLLOW_UP_ONLY: tuple[tuple[tuple[str, ...], str], ...] = (
    (("ve", "que"), "online"),  # "vậy phải về quê à": where it is done
    (("ra", "xa"), "online"), (("len", "xa"), "online"),  # "có phải ra xã không": must I go there
    (("de", "lam", "gi"), "overview"), (("what", "for"), "overview"),  # "giấy đó để làm gì": what it is for
)
"""Words that, right after an answer, ask for a part of it. In a whole question they say as often
something else ("chuyển hộ khẩu về quê" is where one moves to), so only a follow-up reads them so."""


def _without_police(tokens: list[str]) -> list[str]:
    """The words without "công an" (the police): where most procedures are done, it names none of
    them, though its "công" folds like the portal's "cổng" ("làm ở công an xã nào cũng được hả")."""
    out: list[str] = []
    for word in tokens:
        if word == "an" and out and out[-1] == "cong":
            out.pop()
        else:
            out.append(word)
    return out


def _holds(tokens: list[str], words: tuple[str, ...]) -> bool:
    n = len(words)
    return any(tuple(tokens[i : i + n]) == words for i in range(len(tokens) - n + 1))

_SHORT = 5
"""Content words up to which a message right after an answer reads as a follow-up to it."""
_LONG = 25
"""Words from which a message is long enough to be read clause by clause when it is unclear whole."""
_CLAUSE = re.compile(r"[.!?;\n]+|,\s+(?:va|và|con|còn|nhung|nhưng|ma|mà|toi|tôi|em|minh|mình)\s+|,\s*")

PORTAL_SEARCH = "https://dichvucong.gov.vn"
"""The National Public Service Portal, where every procedure can be searched by name."""


def _is_date(text: str) -> bool:
    """Whether a message is a date ("3/5", "hôm qua", "ngày 3 tháng 5"): an answer, not a question."""
    return _is_date_on(text, vietnam_today())


@functools.lru_cache(maxsize=4096)
def _is_date_on(text: str, today: date) -> bool:
    # Asked of most messages, some twice a turn; the answer depends on the day ("hôm qua").
    return read_date(text, today) is not None
