"""Which papers were missing when a citizen could not finish in an assisted session (/hotro …
/ketthuc → "Chưa xong" → the reason → this question).

The papers offered are the checklist lines of the guides run in the session (the papers of the
person's case when the guide was finished, else every paper the guide lists), for the
procedures helped with. The volunteer presses several (each press toggles it) and "Xong", or
types "thiếu giấy khai sinh", "1, 3", "không thiếu giấy" or "bỏ qua". What is kept is the
procedure and the paper's line of the guide, never anything about the person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.checklist import MISSING, Checklists, paper_key
from bot.core.flow_runner import FlowRunner
from bot.core.state import ConversationState
from bot.core.text import fold
from bot.data.models import Text

MAX_OFFERED = 12
"""At most this many papers are offered (the first guides' first): buttons, not a form."""
NONE_WORDS = frozenset({"khong thieu", "ko thieu", "k thieu", "khong thieu giay", "ko thieu giay", "k thieu giay",
                        "khong thieu gi", "ko thieu gi", "khong thieu giay nao", "du giay", "du giay roi", "du roi",
                        "khong co", "khong", "ko", "bo qua", "skip", "none", "nothing missing", "no papers missing",
                        "nothing", "khong thieu giay to", "ko thieu giay to", "du giay to"})  # fmt: skip
_LEAD = re.compile(r"^(?:con thieu|van thieu|bi thieu|thieu|chua co|missing|lacking|no)\s+")
_SPLIT = re.compile(r"\s*(?:,|;|\bva\b|\bvoi\b|\band\b|\+|&)\s*")
_FILLER = frozenset({"giay", "to", "cua", "ban", "nguoi", "dan", "ho", "the", "a", "an", "paper", "papers", "so"})


@dataclass(frozen=True)
class Paper:
    procedure: str
    key: str  # the checklist's key of the line (bot.core.checklist.paper_key)
    text: Text

    @property
    def ref(self) -> str:
        """How a button and the conversation state name it: "<procedure>:<key>"."""
        return f"{self.procedure}:{self.key}"


def offered(runner: FlowRunner, state: ConversationState) -> list[Paper]:
    """The papers to offer for the procedures helped with in the session, in order, each once."""
    if state.assist is None:
        return []
    checklists = Checklists(runner)
    out: dict[str, Paper] = {}
    for procedure in state.assist.procedures:
        flow = runner.for_procedure(procedure)
        if flow is None:
            continue
        answers = state.checklists.get(flow.id)
        papers = checklists.papers(flow, answers) if answers is not None else [p for b in flow.result for p in b.papers]
        for text in papers:
            paper = Paper(procedure, paper_key(text), text)
            out.setdefault(paper.ref, paper)
    return list(out.values())[:MAX_OFFERED]


def ticked_missing(state: ConversationState, papers: list[Paper], runner: FlowRunner) -> list[str]:
    """Papers ticked "còn thiếu" in the session's checklists: pressed already when the question opens."""
    refs = []
    for paper in papers:
        flow = runner.for_procedure(paper.procedure)
        if flow is not None and state.ticks.get(flow.id, {}).get(paper.key) == MISSING:
            refs.append(paper.ref)
    return refs


def read_missing(text: str, papers: list[Paper]) -> list[Paper] | None:
    """The papers a typed answer names: [] for "không thiếu giấy" / "bỏ qua", None when it names
    none of them (or a number that is not on the list): the question is asked again."""
    folded = fold(text)
    if folded in NONE_WORDS:
        return []
    folded = _LEAD.sub("", folded)
    found: list[Paper] = []
    for part in (p for p in _SPLIT.split(folded) if p):
        words = [w for w in part.split() if w not in _FILLER]
        if not words:
            continue
        if all(w.isdigit() for w in words):
            numbers = [int(w) for w in words]
            if not all(1 <= n <= len(papers) for n in numbers):
                return None
            found += [papers[n - 1] for n in numbers]
            continue
        best = _best(words, papers)
        if best is None:
            return None
        found.append(best)
    return list(dict.fromkeys(found)) or None


def _best(words: list[str], papers: list[Paper]) -> Paper | None:
    """The one paper most of ``words`` belong to (60 %), none when two fit equally."""
    wanted = set(words)
    scored = []
    for paper in papers:
        have = set(fold(paper.text.vi).split()) | set(fold(paper.text.en).split())
        scored.append((len(wanted & have) / len(wanted), paper))
    scored.sort(key=lambda s: -s[0])
    if not scored or scored[0][0] < 0.6 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]
