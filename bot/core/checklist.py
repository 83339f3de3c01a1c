"""Ticking off a checklist's papers: "đã có" / "còn thiếu" by button or by typing ("có rồi giấy
chứng sinh", "thiếu 2", "co roi 1 va 3"), kept with the conversation (``ConversationState.ticks``).
`/checklist` shows what is still missing first; when everything is ticked it says what to do next.

Papers are the ``papers`` of a guide's result blocks that hold for the person's answers; each is
known by a short key made from its Vietnamese text, so ticks survive a reordering of the file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.core.flow_runner import FlowRunner
from bot.core.i18n import _, current
from bot.core.messages import Button, Outbound, UsageEvent
from bot.core.reminders import checklist_message
from bot.core.state import ConversationState
from bot.core.text import fold
from bot.data.flow_models import Flow
from bot.data.models import Text

if TYPE_CHECKING:
    from bot.core.turn import Turn

HAVE, MISSING = "have", "missing"
_MISSING_WORDS = ("con thieu", "van thieu", "chua co", "khong co", "ko co", "k co", "thieu", "mat",
                  "missing", "dont have", "don t have", "do not have", "lack", "lost")  # fmt: skip
_HAVE_WORDS = ("co roi", "da co", "co san", "xong roi", "xong", "du roi", "lay roi", "chuan bi xong",
               "co", "got", "have", "done", "ready")  # fmt: skip
_FILLER = frozenset({"giay", "to", "cua", "toi", "minh", "em", "roi", "va", "voi", "a", "oi", "nhe", "the", "so", "i",
                     "my", "an", "and", "with", "paper", "papers", "item"})  # fmt: skip
_NUMBER = re.compile(r"^\d{1,2}$")


def paper_key(text: Text) -> str:
    return hashlib.sha256(fold(text.vi).encode()).hexdigest()[:8]


class Checklists:
    """Renders and ticks checklists; safe to share between conversations."""

    def __init__(self, runner: FlowRunner, restart_buttons: Callable[[], tuple[Button, ...]] | None = None) -> None:
        self.runner = runner
        self.restart_buttons = restart_buttons or (lambda: ())

    def papers(self, flow: Flow, answers: dict[str, str]) -> list[Text]:
        """The papers of the person's case, in order, each once."""
        seen: dict[str, Text] = {}
        for block in flow.result:
            if self.runner.holds(block.when, answers):
                for paper in block.papers:
                    seen.setdefault(paper_key(paper), paper)
        return list(seen.values())

    # --- showing -----------------------------------------------------------------------------
    def show_all(self, turn: Turn) -> None:
        """`/checklist`: for each finished guide, the ticks first, then the full checklist."""
        state = turn.state
        if not state.checklists:
            turn.messages.append(Outbound(_("You have no checklist yet. Finish a step-by-step guide to get one."),
                                          self.restart_buttons()))  # fmt: skip
            return
        for flow_id, answers in state.checklists.items():
            flow = self.runner.flows.flows.get(flow_id)
            if flow is not None:
                if self.papers(flow, answers):  # nothing to tick (a birth abroad): the checklist alone
                    turn.messages.append(self.ticks_message(flow, answers, state))
                turn.messages.extend(self.runner.render_result(flow, answers))

    def ticks_message(self, flow: Flow, answers: dict[str, str], state: ConversationState) -> Outbound:
        papers = self.papers(flow, answers)
        ticks = state.ticks.get(flow.id, {})
        lang = current()
        lines = [f"📋 {flow.title.get(lang)}"]
        missing = [p for p in papers if ticks.get(paper_key(p)) != HAVE]
        if papers and not missing:
            lines.append(_("✅ You have all {n} papers. What to do next:").format(n=len(papers)))
            lines += [f"➡️ {t}" for t in self._next_steps(flow, answers)]
        elif papers:
            lines.append(_("📄 Still missing {n} of {total}: {names}").format(
                n=len(missing), total=len(papers), names="; ".join(short(p.get(lang)) for p in missing)))  # fmt: skip
        else:
            lines.append(_("This checklist has no papers to tick."))
        buttons: list[Button] = []
        for number, paper in enumerate(papers, 1):
            have = ticks.get(paper_key(paper)) == HAVE
            mark = "☑" if have else ("✖" if ticks.get(paper_key(paper)) == MISSING else "☐")
            lines.append(f"{number}. {mark} {paper.get(lang)}")
            key = f"ck:{flow.id}:{paper_key(paper)}"
            buttons.append(Button(_("↩ {n}: still missing").format(n=number), f"{key}:n") if have
                           else Button(_("☑ {n}: I have it").format(n=number), f"{key}:y"))  # fmt: skip
        if papers:
            lines += ["", _("Press a button, or type for example “có rồi 1” or “thiếu giấy chứng sinh”.")]
        return Outbound("\n".join(lines), tuple(buttons))

    def _next_steps(self, flow: Flow, answers: dict[str, str]) -> list[str]:
        blocks = [b for b in flow.result if self.runner.holds(b.when, answers)]
        items = [t.get(current()) for b in blocks for t in (*b.where, *b.time, *b.next_steps)]
        return list(dict.fromkeys(items))

    # --- ticking -----------------------------------------------------------------------------
    def press(self, parts: list[str], turn: Turn) -> bool:
        """A tick button ``ck:<flow>[:<key>:y|n]``; False when it no longer fits the conversation."""
        state = turn.state
        flow = self.runner.flows.flows.get(parts[0]) if parts else None
        answers = state.checklists.get(flow.id) if flow is not None else None
        if flow is None or answers is None:
            return False
        if len(parts) == 3 and parts[2] in ("y", "n"):
            keys = {paper_key(p) for p in self.papers(flow, answers)}
            if parts[1] not in keys:
                return False
            self._tick(state, flow.id, [parts[1]], HAVE if parts[2] == "y" else MISSING, turn)
        turn.messages.append(self.ticks_message(flow, answers, state))
        return True

    def typed(self, text: str, turn: Turn) -> bool:
        """"có rồi giấy chứng sinh", "thiếu 2": tick and show; False when the message is not that."""
        state = turn.state
        if not state.checklists:
            return False
        folded = f" {fold(text)} "
        verb = next((w for w in _MISSING_WORDS if f" {w} " in folded), None)
        status = MISSING
        if verb is None:
            verb, status = next((w for w in _HAVE_WORDS if f" {w} " in folded), None), HAVE
        if verb is None:
            return False
        flow_id = state.procedure if state.procedure in state.checklists else next(reversed(state.checklists))
        flow = self.runner.flows.flows.get(flow_id)
        if flow is None:
            return False
        answers = state.checklists[flow_id]
        keys = self._find(folded.replace(f" {verb} ", " ", 1), self.papers(flow, answers))
        if not keys:
            return False
        self._tick(state, flow_id, keys, status, turn)
        turn.messages.append(self.ticks_message(flow, answers, state))
        return True

    def _find(self, rest: str, papers: list[Text]) -> list[str]:
        """The papers ``rest`` names: by number ("1", "1 va 3"), else by most of its words."""
        words = [w for w in rest.split() if w not in _FILLER]
        numbers = [int(w) for w in words if _NUMBER.match(w)]
        if numbers:
            return [paper_key(papers[n - 1]) for n in numbers if 1 <= n <= len(papers)]
        wanted = set(words)
        if not wanted:
            return []
        best: tuple[float, str] | None = None
        for paper in papers:
            have = set(fold(paper.vi).split()) | set(fold(paper.en).split())
            score = len(wanted & have) / len(wanted)
            if score >= 0.6 and (best is None or score > best[0]):
                best = (score, paper_key(paper))
        return [best[1]] if best else []

    @staticmethod
    def _tick(state: ConversationState, flow_id: str, keys: list[str], status: str, turn: Turn) -> None:
        marks = state.ticks.setdefault(flow_id, {})
        for key in keys:
            marks[key] = status
        turn.events.append(UsageEvent("checklist_tick", turn.state.procedure, detail={"flow": flow_id, "status": status}))

    def after(self, turn: Turn) -> None:
        """Under a checklist just finished: a button to start ticking its papers."""
        for event in turn.events:
            if event.kind == "flow_completed":
                self.offer(event.detail.get("flow", ""), turn)

    def offer(self, flow_id: str, turn: Turn) -> None:
        flow = self.runner.flows.flows.get(flow_id)
        answers = turn.state.checklists.get(flow_id)
        if flow is None or answers is None or not turn.messages or not self.papers(flow, answers):
            return
        at = checklist_message(turn.messages, flow_id)
        last = turn.messages[at]
        button = Button(_("☑ Tick the papers I have"), f"ck:{flow_id}")
        turn.messages[at] = Outbound(last.text, (*last.buttons[:1], button, *last.buttons[1:]))


def short(text: str, limit: int = 40) -> str:
    """A paper's name short enough for the summary line."""
    head = re.split(r"[(:;,]", text, maxsplit=1)[0].strip()
    return head if len(head) <= limit else head[: limit - 1].rstrip() + "…"
