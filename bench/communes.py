"""Commune finder benchmark: our finder beside plain rapidfuzz over the folded names.

    python bench/communes.py

Both answer the same typed commune names: current names with and without accents, with typos and
Telex leftovers, with "xã/phường/tôi ở" around them, and pre-2025 names (which only the finder
knows: the baseline sees current names). Accuracy counts the expected commune among the first
five buttons; latency is per search on a warm index.
"""

from __future__ import annotations

import statistics
import time

from rapidfuzz import fuzz, process

from bot.core.communes import CommuneFinder
from bot.core.text import fold
from bot.data.communes import load_communes

CASES = [  # (typed, expected id) — the expected ids come from knowledge/communes.yaml
    ("Anh Sơn", "nghean.xa-anh-son"), ("anh son", "nghean.xa-anh-son"), ("xa anh sonn", "nghean.xa-anh-son"),
    ("tôi ở xã anh sơn", "nghean.xa-anh-son"), ("duc son", "nghean.xa-anh-son"), ("Kim Nhan", "nghean.xa-anh-son"),
    ("vinh hung", "nghean.phuong-vinh-hung"), ("p. vinh hưng", "nghean.phuong-vinh-hung"),
    ("vinh hng", "nghean.phuong-vinh-hung"), ("phuong vinh tan", "nghean.phuong-truong-vinh"),
    ("cua lo", "nghean.phuong-cua-lo"), ("Thu Thủy", "nghean.phuong-cua-lo"),
    ("nhan hoa", "nghean.xa-nhan-hoa"), ("tam dinh", "nghean.xa-nhan-hoa"),
    ("yen xuan", "nghean.xa-yen-xuan"), ("lĩnh sơn", "nghean.xa-yen-xuan"),
]  # fmt: skip


def main() -> None:
    book = load_communes()
    finder = CommuneFinder(book)
    names = {c.id: fold(c.full_name) for c in book.all()}
    ids, choices = list(names), list(names.values())

    def baseline(text: str) -> list[str]:
        return [ids[i] for _n, _s, i in process.extract(fold(text), choices, scorer=fuzz.WRatio, limit=5)]

    def ours(text: str) -> list[str]:
        return [hit.commune.id for hit in finder.search(text)]

    print(f"{len(book)} communes; {len(CASES)} typed names\n")
    print(f"{'':<28} {'in first 5':>10} {'first':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for name, search in (("finder (bot/core/communes.py)", ours), ("rapidfuzz WRatio, names only", baseline)):
        top5 = sum(expected in search(text) for text, expected in CASES)
        first = sum(search(text)[:1] == [expected] for text, expected in CASES)
        times = []
        for _round in range(200):
            for text, _expected in CASES:
                started = time.perf_counter()
                search(text)
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(f"{name:<28} {top5:>7}/{len(CASES)} {first:>4}/{len(CASES)} {statistics.median(times):>8.3f} "
              f"{times[int(len(times) * 0.99)]:>8.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
