"""Reading dates: our grammar (bot/core/dates.py) beside dateparser, on the same table.

    python bench/dates.py                     # our grammar only
    .venv/bin/pip install dateparser && python bench/dates.py   # with the baseline beside it

The table is tests/core/test_dates.py's (190 ways people type a date, or a non-date, read
against a fixed today). dateparser gets its best settings for the task: day first, Vietnamese
and English, dates from the past, today as the relative base, a day and a month required.
Import cost is measured in a fresh interpreter; latency per call on a warm process.
"""

from __future__ import annotations

import datetime as dt
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.dates import parse_date  # noqa: E402
from tests.core.test_dates import TABLE, TODAY  # noqa: E402


def import_ms(module: str, after: str = "") -> float:
    """Milliseconds to import ``module`` in a fresh interpreter (after ``after`` is loaded);
    the best of five, as other processes share the machine."""
    code = (f"import {after}\n" if after else "") + (
        f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
            for _ in range(5)]  # fmt: skip
    return min(float(done.stdout.strip()) for done in runs)


def measure(name: str, read: Callable[[str], dt.date | None]) -> None:
    right = 0
    times = []
    for text, expected in TABLE:
        started = time.perf_counter()
        got = read(text)
        times.append((time.perf_counter() - started) * 1000)
        right += got == expected
    for text, _expected in TABLE:  # a second, warm pass for latency
        started = time.perf_counter()
        read(text)
        times.append((time.perf_counter() - started) * 1000)
    warm = sorted(times[len(TABLE):])
    print(f"{name:<12} {right:>3}/{len(TABLE)} right   mean {statistics.mean(warm):7.3f} ms"
          f"   p99 {warm[int(0.99 * (len(warm) - 1))]:7.3f} ms")


def main() -> None:
    print(f"import: ours {import_ms('bot.core.dates', after='bot.core.i18n'):.1f} ms (beyond the i18n the bot loads anyway)")
    measure("ours", lambda text: parse_date(text, TODAY))
    try:
        import dateparser
    except ImportError:
        print("dateparser   not installed (pip install dateparser to compare)")
        return
    print(f"import: dateparser {import_ms('dateparser'):.1f} ms")
    settings = {"DATE_ORDER": "DMY", "RELATIVE_BASE": dt.datetime.combine(TODAY, dt.time()),
                "PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["day", "month"]}

    def baseline(text: str) -> dt.date | None:
        if not text.strip():
            return None
        found = dateparser.parse(text, languages=["vi", "en"], settings=settings)  # type: ignore[arg-type]
        return found.date() if found else None

    measure(f"dateparser {dateparser.__version__}", baseline)


if __name__ == "__main__":
    main()
