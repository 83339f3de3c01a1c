"""The whole engine on the held-out rounds' messages and conversations (tests/data/heldout_round<N>*.yaml),
each written before its round's fixes and never fitted on; `python bench/typed.py --round N -v` lists
what is wrong.

The thresholds are what the engine reached after each round's fixes, not targets chosen to pass."""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.engine import Engine
from bot.core.messages import Inbound
from bot.core.redact import redact
from bot.testing import play_singles, play_talks

DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Round:
    number: int
    singles: int  # at least this many single messages…
    near: int  # …of which near the procedures, and
    declined: int  # …to be declined
    talks: int  # at least this many conversations
    missed_talks: frozenset[str] = frozenset()  # conversations allowed to miss (why: see test_conversations)
    missed_turns: int = 0
    right: float = 0.99  # answerable messages answered right, at least this share
    wrong: int = 0  # confident wrong answers, at most
    answered: int = 0  # messages to decline that were answered, at most

    def singles_data(self) -> list[dict[str, Any]]:
        text = (DATA / f"heldout_round{self.number}.yaml").read_text(encoding="utf-8")
        return list(yaml.safe_load(text)["questions"])

    def talks_data(self) -> list[dict[str, Any]]:
        text = (DATA / f"heldout_round{self.number}_talks.yaml").read_text(encoding="utf-8")
        return list(yaml.safe_load(text)["conversations"])


ROUNDS = [
    Round(3, singles=100, near=10, declined=15, talks=15),
    # Round 4: 'thuê trọ đi làm công nhân' names two options of the tạm trú guide's reason step and
    # is asked again (the set expected the guide to move on), so that conversation's later turns
    # answer the step before the one they meant.
    Round(4, singles=120, near=12, declined=20, talks=18,
          missed_talks=frozenset({"a worker renting a room walks the residence guide in words"}), missed_turns=5),
    # Round 5: the figures reached after its fixes and rounds 6-7's (docs/matching.md), not yet those of rounds 3-4.
    # Wrong: 'put my driving licence into the vneid app' (the licence), a family leaving for two years
    # (temporary residence), unmarried parents' birth registration (marriage), a late fine 'biên bản phạt từ
    # tháng trước' ('từ' read as 'tử', death); answered though not covered: a child's name change in the birth
    # certificate. Conversations: 'bác ko đi dc' after the ID card (from a health-insurance talk) misses the
    # home visit.
    Round(5, singles=140, near=16, declined=25, talks=20, right=106 / 115, wrong=4, answered=1,
          missed_talks=frozenset({"a volunteer for an old man's lost health card"}), missed_turns=1),
    # Round 6: the figures reached after its fixes and round 7's (docs/matching.md): no confident wrong answer
    # left. Conversations: 'hướng dẫn nhập khẩu cho con mới đẻ' asks the case the request already told, so
    # the later answers answer the step before the one they meant.
    Round(6, singles=140, near=18, declined=27, talks=21, right=109 / 115, wrong=0, answered=0,
          missed_talks=frozenset({"a newborn's household registration guide, typed"}), missed_turns=3),
    # Round 7: the figures reached after its fixes (docs/matching.md). Wrong: 'tích hợp bằng lái vào vneid rồi
    # có cần mang bằng giấy nữa ko' (VNeID's integrated papers; the labelled set puts 'tich hop bang lai xe vao
    # vneid' there too). Every conversation passes.
    Round(7, singles=140, near=13, declined=23, talks=21, right=113 / 118, wrong=1, answered=0),
    # Round 8: the figures reached after its fixes (docs/matching.md). Wrong: 'nộp hồ sơ thường trú rồi chờ mấy
    # hôm…' (the portal's "nộp hồ sơ… kết quả"), 'lệ phí tạm trú… nộp trực tiếp hay online rẻ hơn' (permanent
    # residence), a camera fine read as the plate ('gõ biển số xe vào trang nào để biết bị phạt nguội').
    # Conversations: 'bán xe cho người ta rồi, giờ làm gì' is asked about (the vehicle first), 'bà ko biết dùng
    # đt, có ai giúp ko' ties the portal's entry and a person and is asked about.
    Round(8, singles=140, near=13, declined=21, talks=21, right=113 / 120, wrong=3, answered=0,
          missed_talks=frozenset({"a bike sold, what the seller must do",
                                  "a mother's expired health card, then a person to help"}),
          missed_turns=2),
]  # fmt: skip
pytestmark = pytest.mark.parametrize("round_", ROUNDS, ids=[f"round{r.number}" for r in ROUNDS])


def test_the_sets_are_large_and_typed_only(round_: Round) -> None:
    """Enough single messages (some near and out of scope, none twice) and conversations of typed
    turns only, each turn checking something."""
    items = round_.singles_data()
    assert len(items) >= round_.singles
    assert len({q["q"] for q in items}) == len(items)
    assert sum(1 for q in items if q.get("near")) >= round_.near
    assert sum(1 for q in items if q["expect"] is None) >= round_.declined
    scripts = round_.talks_data()
    assert len(scripts) >= round_.talks
    assert all(set(t) == {"user", "expect"} and t["expect"] for s in scripts for t in s["turns"])


async def test_single_messages(engine: Engine, round_: Round) -> None:
    """Answerable messages: the right procedure at the section asked; no more confident wrong
    answers, nor answered messages we must not answer, than the round allows (none for rounds 3-4)."""
    graded = await play_singles(engine, round_.singles_data())
    answerable = [g for g in graded if g[0]["expect"] is not None]
    counts = Counter(verdict for _item, verdict, _got in answerable)
    misses = [(item["q"], verdict, got) for item, verdict, got in graded if verdict != "right"]
    assert counts["right"] / len(answerable) >= round_.right - 1e-9, misses
    assert counts["wrong"] <= round_.wrong, misses
    assert sum(verdict != "right" for item, verdict, _got in graded if item["expect"] is None) <= round_.answered, misses


async def test_conversations(engine: Engine, round_: Round) -> None:
    """Typed turns of the held-out conversations do what each expects, but for the round's known
    misses (named in ROUNDS, with why)."""
    turns = await play_talks(engine, round_.talks_data())
    bad = [t for t in turns if t[3]]
    assert {name for name, *_rest in bad} <= round_.missed_talks, bad
    assert len(bad) <= round_.missed_turns, bad


async def test_typed_numbers_are_never_echoed(engine: Engine, round_: Round, caplog: pytest.LogCaptureFixture) -> None:
    """A phone or ID number typed in a held-out conversation appears in no reply, no log record, no
    usage event's detail and no redacted usage text."""
    numbers = {n for s in round_.talks_data() for t in s["turns"] for n in re.findall(r"\d{9,}", t["user"])}
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    for script in round_.talks_data():
        state = None
        for step in script["turns"]:
            turn = await engine.handle(Inbound("test", "held-out", step["user"]), state)
            state = turn.state
            seen += [m.text for m in turn.messages]
            seen += [f"{e.detail} {redact(e.text or '')}" for e in turn.events]
    seen += [r.getMessage() for r in caplog.records]
    assert not [n for n in numbers if any(n in text for text in seen)]
