"""Held-out messages and conversations typed through the whole engine (not only the matcher).

    python bench/typed.py             # figures of tests/data/heldout_round3*.yaml (docs/matching.md)
    python bench/typed.py --round 4   # of tests/data/heldout_round4*.yaml
    python bench/typed.py --round 5   # of tests/data/heldout_round5*.yaml
    python bench/typed.py --round 6   # of tests/data/heldout_round6*.yaml
    python bench/typed.py --round 7   # of tests/data/heldout_round7*.yaml
    python bench/typed.py --round 8   # of tests/data/heldout_round8*.yaml
    python bench/typed.py -v          # and every message or turn that went wrong

Singles (`heldout_round3.yaml`): each message in a fresh conversation, graded by what the engine
did: right (the procedure, at the section asked when one is given), wrong section, wrong (another
procedure, or an answer where none should be), "did you mean" or declined. Conversations
(`heldout_round3_talks.yaml`): typed turns in order, each turn checked against its expectations
(bot.testing.turn_misses). Today is fixed (2026-11-23) as in the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from collections import Counter
from pathlib import Path

import yaml

from bot.core.engine import Engine
from bot.data.flows import load_flows
from bot.data.knowledge import load_knowledge
from bot.testing import play_singles, play_talks

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests/data"
TODAY = dt.date(2026, 11, 23)


def make_engine() -> Engine:
    kb = load_knowledge()
    return Engine(kb, load_flows(kb.procedures), today=lambda: TODAY)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list what went wrong")
    parser.add_argument(
        "--round", type=int, choices=(3, 4, 5, 6, 7, 8), default=3, help="which held-out round (default 3)"
    )
    args = parser.parse_args()
    engine = make_engine()
    singles = DATA / f"heldout_round{args.round}.yaml"
    talks = DATA / f"heldout_round{args.round}_talks.yaml"
    items = yaml.safe_load(singles.read_text(encoding="utf-8"))["questions"]
    graded = asyncio.run(play_singles(engine, items))
    answerable = [g for g in graded if g[0]["expect"] is not None]
    counts = Counter(g[1] for g in answerable)
    nots = [g for g in graded if g[0]["expect"] is None]
    print(f"singles: {len(answerable)} answerable: right {counts['right']} ({counts['right'] / len(answerable):.1%}), "
          f"wrong section {counts['wrong_section']}, wrong {counts['wrong']}, did-you-mean {counts['asked']}, "
          f"declined {counts['declined']}; {len(nots)} not to answer: declined "
          f"{sum(g[1] == 'right' for g in nots)}")  # fmt: skip
    scripts = yaml.safe_load(talks.read_text(encoding="utf-8"))["conversations"]
    turns = asyncio.run(play_talks(engine, scripts))
    bad = [t for t in turns if t[3]]
    whole = len(scripts) - len({t[0] for t in bad})
    print(f"conversations: {len(scripts)}, {whole} without a miss; typed turns {len(turns)}, "
          f"right {len(turns) - len(bad)} ({1 - len(bad) / len(turns):.1%})")  # fmt: skip
    if args.verbose:
        for item, verdict, got in graded:
            if verdict != "right":
                print(f"  {verdict:<13} {item['q']!r}: expected {item['expect']}/{item.get('section', '-')}, "
                      f"got {got.kind} {got.procedure}/{got.section}")  # fmt: skip
        for name, number, text, misses in bad:
            print(f"  {name} #{number} {text!r}: {'; '.join(misses)}")


if __name__ == "__main__":
    main()
