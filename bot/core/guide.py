"""The engine's side of step-by-step guides: typed answers, buttons, navigation, pausing for a
side question and coming back, checklists. The guide itself runs in :mod:`bot.core.flow_runner`."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.core.checklist import Checklists
from bot.core.choices import is_the_other
from bot.core.flow_runner import FlowRunner
from bot.core.i18n import _
from bot.core.i18n import current as current_language
from bot.core.messages import Button, Outbound, UsageEvent
from bot.core.pending import ask
from bot.core.replies import accepts_suggestion
from bot.core.state import ConversationState
from bot.core.text import fold, kept_per_text
from bot.core.turn import Turn
from bot.data.flow_models import Flow, Step

# "chỉ cấy thủ tục…" (Nghệ An "cấy" is "cái"), "chỉ cái cách…", "các bước làm khai tử": show me how. "Chỉ
# cái" alone stays out: "chỉ cái thẻ cũ thôi" is "only the old card".
GUIDE_WORDS = ("huong dan", "tung buoc", "cac buoc", "chi toi", "chi minh", "chi em", "chi e", "chi tui", "chi giup",
               "chi cach", "chi cay", "chi cai cach", "chi cai thu tuc", "chi dum", "bay cho", "bay em", "bay e",
               "step by step",
               "guide me through", "walk me through", "guide me", "walk me", "help me with", "help me",
               "guide")  # fmt: skip


RESUME = "fn:continue"
"""The payload that takes a paused guide up again where it was left."""

# "thủ tục kia thì sao", "cái lúc nãy", "quay lại cái đang làm", "the other one": at "Continue where
# we were?" after a side question, the procedure of the paused guide, not a new question.
_THE_PAUSED = re.compile(
    r"^(?:(?:con|vay|the|the con|quay lai|tro lai|ve|quay ve|lam tiep|tiep)\s+)*"
    r"(?:(?:thu tuc|cai|viec|phan|muc|huong dan|chuyen|van de|cau)\s+)?"
    r"(?:kia|luc nay|ban nay|hoi nay|luc truoc|dang lam|dang do|dang hoi|vua roi|hoi nay|truoc do)"
    r"(?:\s+(?:thi sao|thi the nao|the nao|thi lam sao|sao|nhi|nhe|nha|a|ah|di|tiep|oi|ntn|thi))*$"
    r"|^(?:and\s+|what about\s+|back to\s+)*the (?:other|previous|first) (?:one|procedure)\??$"
)


# "à không, ý tôi là…", "nhầm, ý e là…", "sorry, I meant…": the person corrects what they asked for.
_CORRECTS = re.compile(r"^(?:\S+\s+){0,3}?(?:y\s+(?:toi|em|e|minh|tui|to|con|chau|anh|chi|ban)\s+la|nham|i meant?)\b")


def corrects_itself(text: str) -> bool:
    """Whether a message opens by correcting what was asked ("à không, ý tôi là…", "nhầm…")."""
    return _CORRECTS.match(fold(text)) is not None


def means_the_paused(text: str) -> bool:
    """Whether a message typed at the offer to continue a paused guide points back to it."""
    return _THE_PAUSED.match(fold(text).rstrip("?").strip()) is not None


# "hd khai tạm vắng", "hd e làm khai sinh": "hd" opening a message before a word of doing or asking is
# "hướng dẫn"; elsewhere it is as often "hợp đồng" (a contract: "hđ thuê nhà") and stays as typed.
_HD = re.compile(r"^(?:hd|hdan|hdg)\s+(?=(?:e|em|toi|tui|minh|giup|cach|khai|dang|dk|lam|thu|cac|chi|voi|bao|xin|doi)\b)")


def spelled_out(folded: str) -> str:
    """A folded message with a leading "hd" (hướng dẫn, before a word of doing) written out."""
    return _HD.sub("huong dan ", folded)


@kept_per_text
def wants_guide(text: str) -> bool:
    """A direct request to be walked through ("hướng dẫn tôi làm khai sinh", "hd khai tạm vắng")."""
    folded = f" {spelled_out(fold(text))} "
    return any(f" {w} " in folded for w in GUIDE_WORDS)


class Guide:
    def __init__(self, runner: FlowRunner, start_buttons: Callable[[], tuple[Button, ...]]) -> None:
        self.runner = runner
        self.start_buttons = start_buttons

    def take_answer(self, text: str, turn: Turn) -> bool:
        """Read a typed message as the answer to the guide's open question; False if it is not one
        (the caller decides between a side question and asking again)."""
        state = turn.state
        current = self.runner.current(state)
        if current is None:
            return self.changed(turn)
        flow, step = current
        assert state.flow is not None
        suggested, state.flow.suggested = state.flow.suggested, None
        if suggested == step.id and step.default is not None and accepts_suggestion(text):
            # "Nếu chưa chắc, bạn có thể chọn: Không" — "ok", "ừ": agreed to that, not a yes to the question.
            self.button(flow.id, step.id, step.default, turn)
            return True
        if is_the_other(text) and self._the_other(turn):
            return True
        reply = self.runner.answer_typed(flow, step, text, state, turn.events)
        if reply is None:  # the answer to the next question, given first? ("nhà bố mẹ chồng")
            reply = self.runner.answer_ahead(flow, step, text, state, turn.events)
        if reply is None and self._said_again(text, turn):
            return True
        if reply is None:
            return False
        turn.flow_spoke = True
        turn.messages.extend(reply)
        return True

    def _said_again(self, text: str, turn: Turn) -> bool:
        """The choice just taken, said once more ("mất" after "mất thẻ" already told the lost card
        and the guide moved on): noted, and the open question asked again, not a new question."""
        state = turn.state
        found = self._previous_choice(state)
        if found is None:
            return False
        _flow, asked_now, previous = found
        if previous.id == asked_now.id:
            return False
        assert state.flow is not None
        if len(fold(text).split()) > 3 or self.runner.read(asked_now, text).problem is not None:
            return False  # "mất thẻ làm lại hết bao nhiêu" is a question, whatever it repeats
        if self.runner.read(previous, text).value != state.flow.answers.get(previous.id):
            return False
        self.reask(text, turn, _("Let's continue where we were."))
        return True

    def take_ahead(self, text: str, turn: Turn) -> bool:
        """A message that is neither the open question's answer nor a question of its own may
        answer a yes/no question further on, in its words ("bố mẹ cưới rồi" at the date of birth):
        kept for then, and the open question asked again (FlowRunner.take_ahead). Tried after side
        questions: "chủ nhà ko cho" is the landlord problem's entry, not a "no" kept for later."""
        current = self.runner.current(turn.state)
        if current is None:
            return False
        reply = self.runner.take_ahead(*current, text, turn.state)
        if reply is None:
            return False
        turn.flow_spoke = True
        turn.messages.extend(reply)
        return True

    def _the_other(self, turn: Turn) -> bool:
        """"Cái kia" just after a question of two options was answered: the person meant the
        other one. Go back and take it, saying so; False when the last answer was no such pick."""
        state = turn.state
        found = self._previous_choice(state)
        if found is None:
            return False
        flow, _open, previous = found
        assert state.flow is not None
        taken = state.flow.answers.get(previous.id)
        if len(previous.options) != 2 or taken is None:
            return False
        other = next(o for o in previous.options if o.id != taken)
        self.runner.back(flow, state)
        reply = self.runner.answer(flow, previous, other.id, state, turn.events)
        if reply is None:
            return False
        turn.flow_spoke = True
        label = other.label.get(current_language())
        turn.messages.append(Outbound(_("All right, I changed that answer to: {choice}.").format(choice=label)))
        turn.messages.extend(reply)
        return True

    def _previous_choice(self, state: ConversationState) -> tuple[Flow, Step, Step] | None:
        """The guide's open step and the choice answered just before it (the last step in the
        history); None when no guide is open or the last answer was to no choice."""
        current = self.runner.current(state)
        if current is None or state.flow is None or not state.flow.history:
            return None
        flow, open_step = current
        previous = flow.step(state.flow.history[-1])
        if previous is None or previous.type != "choice":
            return None
        return flow, open_step, previous

    def misfits(self, text: str, turn: Turn) -> bool:
        """``text`` is an attempted year of birth that does not fit (a year too early for a child,
        an age, a future year): asked again saying why, even when it also reads as a question
        ("born in 1990" names birth registration). Other steps keep side questions first: "trẻ 15
        tuổi có phải làm không" at the child's age is a question, not a number out of range."""
        current = self.runner.current(turn.state)
        return current is not None and current[1].year_ok and self.runner.read(current[1], text).problem is not None

    def reask(self, text: str, turn: Turn, lead: str = "") -> None:
        """The open question again, saying why (``lead``, or what was wrong with ``text``)."""
        current = self.runner.current(turn.state)
        if current is None:
            return
        flow, step = current
        turn.flow_spoke = True
        if lead:
            turn.messages.append(self.runner.ask(flow, step, turn.state, f"{lead}\n\n"))
        else:
            turn.messages.append(self.runner.invalid(flow, step, turn.state, text))

    def pause(self, turn: Turn) -> None:
        """A side question is being answered: keep the place, offer the way back after it."""
        if turn.state.flow is not None:
            turn.state.flow.paused = True

    def button(self, flow_id: str, step_id: str, value: str, turn: Turn) -> None:
        current = self.runner.current(turn.state)
        if current is None or current[0].id != flow_id or current[1].id != step_id:
            if current is None and turn.state.flow is None:
                turn.messages.append(Outbound(_("That question belongs to a guide that has ended. Start it again?"),
                                              self.restart_buttons(flow_id)))  # fmt: skip
            else:
                turn.messages.append(Outbound(_("That button is from an earlier question.")))
                self.nav("continue", turn)
            return
        flow, step = current
        assert turn.state.flow is not None
        turn.state.flow.paused = False
        turn.flow_spoke = True
        reply = self.runner.answer(flow, step, value, turn.state, turn.events)
        turn.messages.extend(reply or [self.runner.invalid(flow, step, turn.state, value)])

    def nav(self, action: str, turn: Turn) -> None:
        state = turn.state
        current = self.runner.current(state)
        turn.flow_spoke = True
        if current is None:
            if state.flow is not None:
                self.changed(turn)
            else:
                turn.messages.append(Outbound(_("There is no guide in progress. What can I help you with?"),
                                              self.start_buttons()))  # fmt: skip
            return
        flow, step = current
        assert state.flow is not None
        if action == "back" and state.flow.paused:
            # "quay lại" after a side question (the fee, another procedure) asks to go back to the
            # guide where it was, not one step further back than the question left open.
            action = "continue"
        state.flow.paused = False
        state.procedure = flow.procedure  # follow-up questions are about the guide again
        if action == "cancel":
            self.cancel(turn)
        elif action == "restart":
            turn.messages.extend(self.runner.start(flow, state, turn.events))
        elif action == "back":
            turn.messages.extend(self.runner.back(flow, state))
        elif action == "idk":
            turn.messages.extend(self.runner.dont_know(flow, step, state))
        else:
            turn.messages.append(self.runner.ask(flow, step, state, _("Let's continue where we were.") + "\n\n"))

    def changed(self, turn: Turn) -> bool:
        """The flow or its step vanished in a deploy: restart it politely (True), or drop it and
        let the message be answered as a question (False)."""
        state = turn.state
        assert state.flow is not None
        flow = self.runner.flows.flows.get(state.flow.flow)
        state.flow = None
        if flow is None:
            turn.messages.append(Outbound(_("The guide you were following is no longer available. Ask me anything, or choose a topic."), self.start_buttons()))  # fmt: skip
            return False
        turn.flow_spoke = True
        turn.messages.append(Outbound(_("This guide has been updated since we last talked, so let's start it again from the beginning.")))  # fmt: skip
        turn.messages.extend(self.runner.start(flow, state, turn.events))
        return True

    def switch(self, flow_id: str, text: str, turn: Turn) -> None:
        """A correction at a guide's question names another procedure's guide ("à không, ý tôi là
        khai tạm vắng, con tôi đi làm xa" in the tạm trú guide): that guide instead, its first
        question answered by the same words when they name one of its options whole."""
        left = turn.state.flow
        if left is not None:
            turn.events.append(UsageEvent("flow_abandoned", turn.state.procedure, detail={"flow": left.flow, "step": left.step}))
        turn.state.flow = None
        flow = self.runner.flows.flows[flow_id]
        turn.flow_spoke = True
        opening = self.runner.start(flow, turn.state, turn.events)
        told = self.case_told(text, turn)
        turn.messages.extend(opening[:1] + told if told else opening)

    def case_told(self, text: str, turn: Turn) -> list[Outbound] | None:
        """The message that opened a guide already answers its first choice: taken and said back,
        and the next question asked. Only an option's own words typed whole count; a bare yes or
        no, a number, or words of two options leave the question open."""
        at = self.runner.current(turn.state)
        if at is None or at[1].type != "choice" or any(c.isdigit() for c in text):
            return None
        flow, step = at
        if self.runner.read(step, text).value is None:
            return None
        before = len(turn.events)
        reply = self.runner.answer_typed(flow, step, text, turn.state, turn.events)
        if reply is None or turn.state.flow is None:
            del turn.events[before:]
            return None
        taken = turn.state.flow.answers.get(step.id)
        label = next((o.label.get(current_language()) for o in step.options if o.id == taken), "")
        return [Outbound(_("All right: {choice}.").format(choice=label)), *reply]

    def cancel(self, turn: Turn) -> None:
        flow = turn.state.flow
        turn.state.flow = None
        if flow is not None:
            turn.events.append(UsageEvent("flow_abandoned", turn.state.procedure,
                                          detail={"flow": flow.flow, "step": flow.step}))  # fmt: skip
        turn.messages.append(Outbound(
            _("Cancelled. What else can I help you with?") if flow else _("Nothing to cancel. What can I help you with?"),
            self.start_buttons()))  # fmt: skip

    def offer_resume(self, turn: Turn) -> None:
        flow = turn.state.flow
        shown = any(b.payload == RESUME for m in turn.messages for b in m.buttons)
        if flow is not None and flow.paused and not shown:
            offer = Outbound(_("We were in the middle of a step-by-step guide."),
                             (Button(_("▶ Continue where we were"), RESUME), Button(_("✖ Cancel"), "fn:cancel")))  # fmt: skip
            current = self.runner.current(turn.state)
            # A typed "ko" after a side question most likely answers the guide's own yes/no question
            # ("chủ trọ không dùng VNeID" then "ko"): it must not cancel the guide; it takes the
            # person back to that question, where it is read as its answer.
            no = RESUME if current is not None and current[1].type == "yesno" else "fn:cancel"
            if turn.state.asked is None:  # a question the reply itself asked is the one to answer
                # guesses: a question typed here instead of "có"/"không" is answered (or guessed at),
                # not met with "answer yes or no"; the offer comes back under its answer.
                ask(turn, offer, yes=RESUME, no=no, keep=False, guesses=True)
            else:
                turn.messages.append(offer)

    def checklists(self, turn: Turn) -> None:
        """`/checklist`: what is still missing and the ticks first, then each checklist."""
        Checklists(self.runner, self.start_buttons).show_all(turn)

    def restart_buttons(self, flow_id: str) -> tuple[Button, ...]:
        return (Button(_("Start the guide"), f"f:{flow_id}"), Button(_("All procedures"), "m:0"))
