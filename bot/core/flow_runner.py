"""Walk a person through a flow one question at a time, and build their personalised checklist.

Button payloads carry the flow and step they answer (``fa:<flow>:<step>:<value>``), so a press on
an old message is recognised as old instead of answering the wrong question.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from bot.core import answers_parse as parse
from bot.core.choices import is_place
from bot.core.dates import vietnam_today
from bot.core.i18n import _, current
from bot.core.messages import Button, Outbound, UsageEvent
from bot.core.replies import Reply, echoed_reply, read_reply
from bot.core.state import ConversationState, FlowState
from bot.core.step_answers import StepReading, read_answer
from bot.core.text import KEPT_CHARS, fold
from bot.data.flow_models import END, SKIP, Condition, Flow, ResultBlock, Step, Test
from bot.data.flows import FlowSet

NAV_WORDS = {
    "back": {"quay lai", "tro lai", "lui lai", "back", "quay ve", "cau truoc"},
    "restart": {"lam lai", "bat dau lai", "restart", "start over", "lam lai tu dau"},
    "cancel": {"huy", "thoi", "dung lai", "cancel", "stop", "thoat", "khong lam nua", "huy bo", "khong muon lam nua",
               "khong can nua", "thoi khong lam", "thoat ra", "ket thuc", "huy huong dan", "quit", "exit"},
    "idk": {"khong biet", "ko biet", "k biet", "kh biet", "chua biet", "khong ro", "ko ro", "idk",
            "dont know", "i don t know", "i dont know", "not sure", "khong chac", "hong biet", "ko bit",
            "k bit", "khong bit", "ko chac", "k chac", "chua chac", "chua ro", "khong nho", "ko nho",
            "k nho", "quen roi", "khong ro lam", "unsure", "no idea", "chiu", "bo tay"},
    "continue": {"tiep tuc", "tiep", "continue", "lam tiep", "quay lai huong dan"},
}  # fmt: skip

_NEGATION = {"ko": "khong", "k": "khong", "kh": "khong", "khg": "khong", "hok": "khong", "hong": "khong", "khum": "khong"}
_NAV_CLOSE = frozenset({"a", "ah", "ak", "nhe", "nha", "di", "nhi", "oi", "dau", "ban", "em", "ad", "thoi", "please"})
_NAV_OPEN = frozenset({"thoi", "da", "toi", "minh", "em", "oi", "ok", "uh", "u"})

RESULT_SECTIONS: tuple[tuple[str, str], ...] = (
    ("papers", "📄"), ("where", "🏛"), ("fees", "💰"), ("time", "⏱"),
    ("warnings", "⚠️"), ("mistakes", "🚫"), ("next_steps", "➡️"),
)  # fmt: skip


def nav_intent(text: str, step: Step | None = None) -> str | None:
    """"back", "restart", "cancel", "idk" or "continue" when the message asks to move in the guide.
    Given the open ``step``, a yes/no answer to it is an answer first: "thôi" to an offer means no,
    not cancel."""
    if step is None and len(text) <= KEPT_CHARS:
        return _nav_kept(text)  # every typed message outside a guide asks whether it goes "back"
    return _nav_intent(text, step)


@functools.lru_cache(maxsize=4096)
def _nav_kept(text: str) -> str | None:
    return _nav_intent(text, None)


def _nav_intent(text: str, step: Step | None) -> str | None:
    folded = fold(text)
    if step is not None and step.type == "yesno" and parse.parse_yesno(text, f"{step.ask.vi} {step.ask.en}"):
        # "Thôi" declines an offer ("Bạn có muốn làm liên thông không?" — "thôi": no thanks); to
        # a question of fact ("đã đăng ký kết hôn chưa?") it is no answer, it leaves.
        said = folded.split()
        if not (said[:1] == ["thoi"] and set(said[1:]) <= _NAV_CLOSE and "muon" not in fold(step.ask.vi)):
            return None
    for intent, words in NAV_WORDS.items():
        if folded in words:
            return intent
    # The same words with a particle or an opener around them: "thôi không làm nữa", "hủy đi ạ",
    # "dạ quay lại", "ko lam nua dau".
    core = [_NEGATION.get(w, w) for w in folded.split()]
    while len(core) > 1 and core[0] in _NAV_OPEN:
        core.pop(0)
    while core:  # each shorter form is tried: "đầu" of "làm lại từ đầu" folds like the particle "đâu"
        trimmed = " ".join(core)
        for intent, words in NAV_WORDS.items():
            if trimmed in words:
                return intent
        if core[-1] not in _NAV_CLOSE:
            break
        core.pop()
    if parse.parse_dont_know(text):  # "ko bt ạ", "chưa rõ lắm", "not sure"
        return "idk"
    return None


_SECTION_TITLES: dict[str, Callable[[], str]] = {  # one translation per title shown, not seven
    "papers": lambda: _("Papers to prepare"),
    "where": lambda: _("Where and how to submit"),
    "fees": lambda: _("Fees"),
    "time": lambda: _("Processing time"),
    "warnings": lambda: _("Deadlines and warnings"),
    "mistakes": lambda: _("Mistakes to avoid"),
    "next_steps": lambda: _("What to do next"),
}

# What to type at a step, by its type; asked for at each question, so translated only when shown.
_HINTS: dict[str, Callable[[], str]] = {
    "date": lambda: _("Type the date, day first (3/5/2025), or in words (hôm qua, 2 tuần trước)."),
    "number": lambda: _("Type a number."),
    "text": lambda: _("Type your answer."),
    "commune": lambda: _("Type the name of your commune or ward."),
}


def _number_cuts(flow: Flow, step_id: str) -> tuple[float, ...]:
    """Every number the guide compares the answer of ``step_id`` with."""
    conditions = [rule.when for step in flow.steps for rule in step.next]
    conditions += [block.when for block in flow.result] + [d.when for d in flow.deadlines]
    cuts = {cut for when in conditions if isinstance(test := when.get(step_id), Test)
            for cut in (test.over, test.at_most) if cut is not None}  # fmt: skip
    return tuple(sorted(cuts))


def _date_cuts(flow: Flow, step_id: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The day counts the guide compares the date of ``step_id`` with (days before today), and
    the deadlines counted from it (days after it)."""
    conditions = [rule.when for step in flow.steps for rule in step.next] + [block.when for block in flow.result]
    cuts = {cut for when in conditions if isinstance(test := when.get(step_id), Test)
            for cut in (test.days_ago_over, test.days_ago_at_most) if cut is not None}  # fmt: skip
    return tuple(sorted(cuts)), tuple(sorted(d.days for d in flow.deadlines if d.after == step_id))


def _said_back(step: Step, value: str) -> str:
    """A yes/no question and the answer taken for it, to say back: "Cha mẹ bé đã đăng ký kết hôn chưa? — Có"."""
    return f"✔ {step.ask.get(current())} — {_('Yes') if value == 'yes' else _('No')}"


def _section_title(name: str) -> str:
    return _SECTION_TITLES[name]()


class FlowRunner:
    def __init__(self, flows: FlowSet, today: Callable[[], dt.date] = vietnam_today) -> None:
        self.flows = flows
        self.today = today
        # Each number step's limits, as its guide compares the answer anywhere (rules, checklist, deadlines).
        self._cuts = {id(step): _number_cuts(flow, step.id) for flow in flows.flows.values()
                      for step in flow.steps if step.type == "number"}  # fmt: skip
        self._date_cuts = {id(step): _date_cuts(flow, step.id) for flow in flows.flows.values()
                           for step in flow.steps if step.type == "date"}  # fmt: skip
        # Asked several times a turn (does the procedure in hand have a guide?): the first flow of
        # each procedure, as FlowSet.for_procedure finds it, looked up instead of searched.
        self._guides: dict[str, Flow] = {}
        for flow in flows.flows.values():
            self._guides.setdefault(flow.procedure, flow)

    def for_procedure(self, procedure: str) -> Flow | None:
        return self._guides.get(procedure)

    # --- moving through a flow ---------------------------------------------------------------
    def start(self, flow: Flow, state: ConversationState, events: list[UsageEvent]) -> list[Outbound]:
        state.flow = FlowState(flow=flow.id, step=flow.start)
        state.procedure = flow.procedure
        events.append(UsageEvent("flow_started", flow.procedure, detail={"flow": flow.id}))
        intro = f"🧭 {flow.title.get(current())}\n{flow.intro.get(current())}"
        return [Outbound(intro), self.ask(flow, self._step(flow, flow.start), state)]

    def current(self, state: ConversationState) -> tuple[Flow, Step] | None:
        """The flow and step a conversation is on, or None if the flow or step no longer exists."""
        if state.flow is None:
            return None
        flow = self.flows.flows.get(state.flow.flow)
        step = flow.step(state.flow.step) if flow else None
        return (flow, step) if flow and step else None

    def ask(self, flow: Flow, step: Step, state: ConversationState, prefix: str = "",
            first: Button | None = None) -> Outbound:  # fmt: skip
        buttons: list[Button] = [first] if first else []
        if step.type == "choice":
            buttons += [Button(o.label.get(current()), f"fa:{flow.id}:{step.id}:{o.id}") for o in step.options]
        elif step.type == "date" and not step.year_ok:
            # One tap for the commonest answer, so a guide can be finished by buttons alone
            # (in the terminal chat a number on its own presses a button).
            today = self.today()
            buttons.append(Button(_("📅 Today ({date})").format(date=f"{today.day}/{today.month}"),
                                  f"fa:{flow.id}:{step.id}:{today.isoformat()}"))  # fmt: skip
        elif step.type == "yesno":
            buttons += [Button(_("Yes"), f"fa:{flow.id}:{step.id}:yes"), Button(_("No"), f"fa:{flow.id}:{step.id}:no")]
        if step.optional and not (first and first.payload == f"fa:{flow.id}:{step.id}:{SKIP}"):
            buttons.append(Button(_("Skip"), f"fa:{flow.id}:{step.id}:{SKIP}"))
        if step.help:
            buttons.append(Button(_("I don't know"), "fn:idk"))
        if state.flow and state.flow.history:
            buttons.append(Button(_("◀ Back"), "fn:back"))
        buttons += [Button(_("↺ Start over"), "fn:restart"), Button(_("✖ Cancel"), "fn:cancel")]
        hint = _HINTS[step.type]() if step.type in _HINTS else ""
        if step.year_ok:
            hint = _("Type the year (1990) or the whole date (15/3/1985).")
            if step.under_age is not None:  # a child's year: an adult's example reads as a model answer
                hint = _("Type the year (2019) or the whole date (15/3/2019).")
        text = step.ask.get(current()) + (f"\n{hint}" if hint else "")
        return Outbound(f"{prefix}{text}", tuple(buttons))

    def answer(self, flow: Flow, step: Step, raw: str, state: ConversationState,
               events: list[UsageEvent]) -> list[Outbound] | None:  # fmt: skip
        """Record a typed or pressed answer and move on; None if the answer does not fit.
        A date is said back in words at the top of the next message."""
        reading = self.read(step, raw)
        value = reading.value
        if value is None:
            return None
        assert state.flow is not None
        state.procedure = flow.procedure
        state.flow.answers[step.id] = value
        state.flow.history.append(step.id)
        events.append(UsageEvent("flow_step", flow.procedure, detail={"flow": flow.id, "step": step.id}))
        target = self._next(step, state.flow.answers)
        said = [reading.echo] if reading.echo else []
        while target != END and target in state.flow.ahead:
            # Answered before it was asked ("bố mẹ cưới rồi" at the date of birth): taken now, said back.
            kept = self._step(flow, target)
            state.flow.answers[target] = state.flow.ahead.pop(target)
            state.flow.history.append(target)
            events.append(UsageEvent("flow_step", flow.procedure, detail={"flow": flow.id, "step": target, "ahead": "1"}))
            said.append(_said_back(kept, state.flow.answers[target]))
            target = self._next(kept, state.flow.answers)
        prefix = "".join(f"{line}\n\n" for line in said)
        if target == END:
            done = self.finish(flow, state, events)
            return [Outbound(prefix.strip()), *done] if said else done
        state.flow.step = target
        return [self.ask(flow, self._step(flow, target), state, prefix=prefix)]

    def answer_typed(self, flow: Flow, step: Step, raw: str, state: ConversationState,
                     events: list[UsageEvent]) -> list[Outbound] | None:  # fmt: skip
        """A typed answer (``answer``); when it picked an option whose next question is a choice
        the same words also answer ("đánh rơi mất rồi" at "which case?" is the lost-or-damaged
        case, then "lost"), that question is answered too, said back, instead of asked."""
        reply = self.answer(flow, step, raw, state, events)
        if reply is None or step.type != "choice" or state.flow is None or state.flow.step == step.id:
            return reply
        after = flow.step(state.flow.step)
        if after is None or after.type != "choice" or parse.bare_reply(raw) is not None or is_place(raw):
            return reply
        value = self.read(after, raw).value
        if value is None:
            return reply
        more = self.answer(flow, after, value, state, events)
        if more is None:
            return reply
        label = next(o.label.get(current()) for o in after.options if o.id == value)
        return [Outbound(_("All right: {choice}.").format(choice=label)), *more]

    def take_ahead(self, flow: Flow, step: Step, raw: str, state: ConversationState) -> list[Outbound] | None:
        """A later yes/no question answered in its own words before it is asked ("bố mẹ cưới rồi"
        at the baby's date of birth, "muốn làm liên thông luôn"): kept for when the guide gets
        there, said back, and the open question asked again. Only when the text is no attempt at
        the open question and exactly one question ahead takes it; a bare "có" never does."""
        if state.flow is None or self.read(step, raw).problem is not None:
            return None
        found = [(later, reply) for later in self._ahead_of(flow, step)
                 if later.type == "yesno" and later.id not in state.flow.answers
                 and (reply := echoed_reply(raw, f"{later.ask.vi} {later.ask.en}")) is not None]  # fmt: skip
        if len(found) != 1:
            return None
        later, reply = found[0]
        value = "yes" if reply is Reply.YES else "no"
        state.flow.ahead[later.id] = value
        noted = _("Noted for later: {answer}").format(answer=_said_back(later, value))
        return [self.ask(flow, step, state, prefix=f"{noted}\n\n")]

    def _ahead_of(self, flow: Flow, step: Step) -> list[Step]:
        """The steps the guide may still reach from ``step``, whatever is answered."""
        seen: list[str] = []
        todo = [rule.goto for rule in step.next]
        while todo:
            target = todo.pop(0)
            if target == END or target == step.id or target in seen:
                continue
            seen.append(target)
            todo += [rule.goto for rule in self._step(flow, target).next]
        return [self._step(flow, target) for target in seen]

    def answer_ahead(self, flow: Flow, step: Step, raw: str, state: ConversationState,
                     events: list[UsageEvent]) -> list[Outbound] | None:  # fmt: skip
        """A choice answered with the answer to the choice one of its options leads to: "nhà bố mẹ
        chồng" at "which case?", whose "moving" leads to "whose home?". That option is taken, said
        back, and the text answers the next question. Only when exactly one option's next step is
        a choice that takes the text; a bare yes or no, a number or a pick by place never counts
        (they would fit the next step of several options)."""
        if step.type != "choice" or state.flow is None or read_reply(raw) is not None or is_place(raw):
            return None
        if any(c.isdigit() for c in raw):
            return None
        found = []
        for option in step.options:
            target = self._next(step, {**state.flow.answers, step.id: option.id})
            after = flow.step(target) if target != END else None
            if after is not None and after.type == "choice" and after.id != step.id:
                value = self.read(after, raw).value
                if value is not None:
                    found.append((option, after, value))
        if len(found) != 1:
            return None
        option, after, value = found[0]
        if self.answer(flow, step, option.id, state, events) is None or state.flow.step != after.id:
            return None
        taken = _("All right: {choice}.").format(choice=option.label.get(current()))
        reply = self.answer(flow, after, value, state, events) or []
        return [Outbound(taken), *reply]

    def read(self, step: Step, raw: str) -> StepReading:
        """The answer ``raw`` gives to ``step``: a value, or the problem with an attempted
        answer, or neither when it is not an answer at all (see bot.core.step_answers)."""
        if step.type == "date":
            return read_answer(step, raw, self.today(), *self._date_cuts.get(id(step), ((), ())))
        return read_answer(step, raw, self.today(), self._cuts.get(id(step)))

    def interpret(self, step: Step, raw: str) -> str | None:
        return self.read(step, raw).value

    def invalid(self, flow: Flow, step: Step, state: ConversationState, raw: str = "") -> Outbound:
        reason = {
            "yesno": _("Sorry, I didn't understand. Please answer yes or no (có / không)."),
            "date": _("That doesn't look like a valid date. Please type it like 3/5/2025 (day/month/year)."),
            "number": _("Please type a number."),
        }.get(step.type, _("Please type an answer."))
        problem = self.read(step, raw).problem
        if step.year_ok:
            reason = _("Please type the year you were born, like 1990, or the whole date, like 15/3/1985.")
            if step.under_age is not None:
                reason = _("Please type the year the child was born, like 2019, or the whole date, like 15/3/2019.")
        if step.type == "choice":
            reason = self._choice_reason(step, raw)
        if problem is not None:
            reason = problem
        elif step.type == "number" and (step.min is not None or step.max is not None):
            reason = _("Please type a number between {low} and {high}.").format(
                low=f"{step.min:g}" if step.min is not None else "…", high=f"{step.max:g}" if step.max is not None else "…")
        return self.ask(flow, step, state, prefix=f"{reason}\n\n")

    @staticmethod
    def _choice_reason(step: Step, raw: str) -> str:
        """Why a typed answer picked nothing, with the options listed to type from."""
        listed = "\n".join(f"{i}. {o.label.get(current())}" for i, o in enumerate(step.options, 1))
        if parse.bare_reply(raw) in (parse.Reply.YES, parse.Reply.NO):
            lead = _("“{answer}” does not tell me which one. Please choose one of these (type its number or its words):")
            lead = lead.format(answer=raw.strip()[:40])
        else:
            lead = _("Sorry, I didn't understand which one you mean. Please choose one of these (type its number or its words):")
        return f"{lead}\n{listed}"

    def dont_know(self, flow: Flow, step: Step, state: ConversationState) -> list[Outbound]:
        text = step.help.get(current()) if step.help else _("No problem.")
        suggested: Button | None = None
        if step.default is not None:
            label = step.default
            if step.default == SKIP:
                label = _("Skip")
            elif step.type == "choice":
                label = next(o.label.get(current()) for o in step.options if o.id == step.default)
            elif step.type == "yesno":
                label = _("Yes") if step.default == "yes" else _("No")
            text += "\n\n" + _("If you are not sure, the safe choice is: {choice}.").format(choice=label)
            suggested = Button(f"✅ {label}", f"fa:{flow.id}:{step.id}:{step.default}")
            if state.flow is not None:
                state.flow.suggested = step.id
        return [Outbound(text), self.ask(flow, step, state, first=suggested)]

    def back(self, flow: Flow, state: ConversationState) -> list[Outbound]:
        assert state.flow is not None
        if not state.flow.history:
            return [self.ask(flow, self._step(flow, state.flow.step), state, _("This is the first question.") + "\n\n")]
        previous = state.flow.history.pop()
        state.flow.answers.pop(previous, None)
        state.flow.step = previous
        return [self.ask(flow, self._step(flow, previous), state)]

    def finish(self, flow: Flow, state: ConversationState, events: list[UsageEvent]) -> list[Outbound]:
        assert state.flow is not None
        answers = dict(state.flow.answers)
        state.checklists[flow.id] = answers
        state.flow = None
        events.append(UsageEvent("flow_completed", flow.procedure, detail={"flow": flow.id}))
        return self.render_result(flow, answers)

    # --- results -----------------------------------------------------------------------------
    def render_result(self, flow: Flow, answers: dict[str, str]) -> list[Outbound]:
        blocks = [b for b in flow.result if self.holds(b.when, answers)]
        lines = ["✅ " + _("Your checklist") + ": " + flow.title.get(current())]
        for name, icon in RESULT_SECTIONS:
            items = [t.get(current()) for b in blocks for t in getattr(b, name)]
            if items:
                lines += ["", f"{icon} {_section_title(name)}:"] + [f"• {i}" for i in dict.fromkeys(items)]
        links = [link for b in blocks for link in b.links]
        if links:
            lines += ["", "🔗 " + _("Links") + ":"]
            lines += [f"• {link.label.get(current())}: {link.url}" for link in dict.fromkeys(links)]
        lines += ["", _("Fees and deadlines change: check the official page before you pay.")]
        lines += self._source_footer(flow, blocks)
        buttons = (
            Button(_("Start this guide again"), f"f:{flow.id}"),
            Button(_("All procedures"), "m:0"),
            Button(_("Talk to a person"), "h"),
        )
        return [Outbound("\n".join(lines), buttons)]

    def _source_footer(self, flow: Flow, blocks: list[ResultBlock]) -> list[str]:
        """"Source: …, checked dd/mm/yyyy" and its link: the first official source cited (else the
        first cited), and the oldest check date among the sources behind the lines shown."""
        cited = self.flows.cited(flow.id, (sid for b in blocks for sid in b.sources))
        if not cited:
            return []
        main = next((s for s in cited if s.official), cited[0])
        oldest = min(s.checked for s in cited)
        date = f"{oldest.day:02d}/{oldest.month:02d}/{oldest.year}"
        return ["🔎 " + _("Source: {title}, checked {date}").format(title=main.title, date=date), main.url]

    def holds(self, cond: Condition, answers: dict[str, str]) -> bool:
        return all(self._test(answers.get(key), expected) for key, expected in cond.items())

    def _test(self, value: str | None, expected: object) -> bool:
        if value is None:
            return False
        if isinstance(expected, list):
            return any(self._test(value, e) for e in expected)
        if isinstance(expected, bool):
            return value == ("yes" if expected else "no")
        if isinstance(expected, Test):
            return self._compare(value, expected)
        return value == expected

    def _compare(self, value: str, test: Test) -> bool:
        try:
            if test.days_ago_over is not None or test.days_ago_at_most is not None:
                days = (self.today() - dt.date.fromisoformat(value)).days
                return (test.days_ago_over is None or days > test.days_ago_over) and (
                    test.days_ago_at_most is None or days <= test.days_ago_at_most)  # fmt: skip
            number = float(value)
        except ValueError:
            return False
        return (test.over is None or number > test.over) and (test.at_most is None or number <= test.at_most)

    def _next(self, step: Step, answers: dict[str, str]) -> str:
        return next(r.goto for r in step.next if self.holds(r.when, answers))

    @staticmethod
    def _step(flow: Flow, step_id: str) -> Step:
        step = flow.step(step_id)
        if step is None:  # load-time checks make this impossible; fail loudly if it happens
            raise KeyError(f"flow {flow.id!r} has no step {step_id!r}")
        return step

