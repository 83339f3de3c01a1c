"""Dashboard queries over a million usage events on PostgreSQL: every page under a second.

    python bench/dashboard.py [--events 1000000] [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                              [--repeat 5] [--keep | --reuse NAME]

Creates a throwaway database next to the one in --url (dropped afterwards unless --keep), fills it
with a year of events and their daily counts (bench/dashboard_data.py, about a minute), then
times what each page runs — the same functions the pages call, with the real matcher's
normaliser for the inbox. "first" is the first visit, which also counts the closed days'
people into admin_daily_people once; "median" is over --repeat later visits. The target is
1 s per page for the median; the first visit of a year-long period is reported apart.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard_data import COMMUNES, fill

from bot.admin.inbox_queries import EventFilters, browse, inbox
from bot.admin.params import MAX_DAYS
from bot.admin.people import OPEN_DAYS
from bot.admin.people import fill as fill_people
from bot.admin.queries import Filters, communes, dashboard
from bot.admin.report import build_report, current_quarter, report_xlsx
from bot.admin.report_pdf import report_pdf
from bot.app import build_engine
from bot.storage.db import create_db_engine, normalize_url, upgrade
from bot.usage.rows import local_day

TARGET = 1.0


def timed(work: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Seconds of the first call, median seconds of ``repeat`` more, and the last result."""
    started = time.perf_counter()
    result = work()
    first = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return first, statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    parser.add_argument("--reuse", metavar="NAME", help="time the pages on a database a --keep run left")
    args = parser.parse_args()

    server = normalize_url(args.url)
    admin = create_db_engine(server.render_as_string(hide_password=False)).execution_options(
        isolation_level="AUTOCOMMIT")  # fmt: skip
    name = args.reuse or f"trolyso_bench_{uuid.uuid4().hex[:10]}"
    if not args.reuse:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = create_db_engine(server.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        if not args.reuse:
            started = time.perf_counter()
            fill(engine, args.events)
            print(f"filled {args.events:,} events and their daily counts in {time.perf_counter() - started:.1f} s "
                  f"(database {name})")  # fmt: skip
        with engine.connect() as connection:
            daily = connection.execute(sa.text("SELECT count(*) FROM usage_daily")).scalar_one()
        print(f"usage_daily: {daily:,} rows\n")
        run(engine, args.repeat)
    finally:
        engine.dispose()
        if not (args.keep or args.reuse):
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    return 0


def run(engine: sa.Engine, repeat: int) -> None:
    today = local_day(datetime.now(UTC))
    matcher = build_engine().matcher
    year, quarter = current_quarter(today)
    commune = COMMUNES[0]

    def page(work: Callable[[sa.Connection], Any]) -> Callable[[], Any]:
        def call() -> Any:
            with engine.connect() as connection:
                return work(connection)

        return call

    last_30 = Filters(today - timedelta(days=29), today)
    last_90 = Filters(today - timedelta(days=89), today)
    last_365 = Filters(today - timedelta(days=364), today)

    def overview(filters: Filters) -> Callable[[sa.Connection], Any]:
        return lambda c: (dashboard(c, filters, today), communes(c, filters))

    def report(place: str | None) -> Callable[[sa.Connection], Any]:
        return lambda c: build_report(c, year, quarter, place, today, "Tỉnh", datetime.now(UTC))

    cases: list[tuple[str, Callable[[sa.Connection], Any], Callable[[Any], str]]] = [
        ("overview, 30 days", overview(last_30), lambda r: f"{r[0].totals.questions:,} questions"),
        ("overview, 90 days, channel zalo", overview(Filters(last_90.start, today, channel="zalo")),
         lambda r: f"{r[0].totals.conversations:,} conversations"),
        ("overview, 365 days", overview(last_365), lambda r: f"{r[0].totals.questions:,} questions"),
        (f"commune page, 90 days ({commune})", lambda c: dashboard(c, Filters(last_90.start, today, commune), today),
         lambda r: f"{r.totals.questions:,} questions"),
        ("inbox, 90 days", lambda c: inbox(c, last_90.start, today, matcher.norm, set()),
         lambda r: f"{len(r)} groups of {sum(g.count for g in r):,}"),
        ("events page 1: 30 days, zalo, not_understood",
         lambda c: browse(c, EventFilters(last_30.start, today, channel="zalo", kind="not_understood"), 1),
         lambda r: f"{len(r[0])} rows"),
        ("events page 1: 365 days, commune, feedback_not_helpful",
         lambda c: browse(c, EventFilters(last_365.start, today, commune=commune, kind="feedback_not_helpful"), 1),
         lambda r: f"{len(r[0])} rows"),
        ("events page 1: 365 days, text contains 'sổ đỏ'",
         lambda c: browse(c, EventFilters(last_365.start, today, text="sổ đỏ"), 1), lambda r: f"{len(r[0])} rows"),
        ("events page 20: 365 days", lambda c: browse(c, EventFilters(last_365.start, today), 20),
         lambda r: f"{len(r[0])} rows"),
        (f"quarterly report data Q{quarter}/{year}, province", report(None),
         lambda r: f"{r.board.totals.questions:,} questions"),
        (f"quarterly report data Q{quarter}/{year}, commune", report(commune),
         lambda r: f"{r.board.totals.questions:,} questions"),
    ]  # fmt: skip
    started = time.perf_counter()
    with engine.connect() as connection:
        counted = fill_people(connection, today - timedelta(days=MAX_DAYS), today - timedelta(days=OPEN_DAYS))
    print(f"start-up: people of {counted} past days counted in {time.perf_counter() - started:.2f} s "
          "(AdminSite.start does this in the background)\n")  # fmt: skip
    print(f"{'page (its queries)':<58} {'first s':>8} {'median s':>9}  {'':<4} result")
    failures = 0
    for label, work, describe in cases:
        first, median, result = timed(page(work), repeat)
        ok = median < TARGET
        failures += not ok
        print(f"{label:<58} {first:>8.3f} {median:>9.3f}  {'ok' if ok else 'SLOW':<4} {describe(result)}")
    with engine.connect() as connection:
        quarterly = build_report(connection, year, quarter, None, today, "Tỉnh", datetime.now(UTC))
    for label, make in (("report XLSX", lambda: report_xlsx(quarterly, str)),
                        ("report PDF", lambda: report_pdf(quarterly, str))):  # fmt: skip
        first, median, body = timed(make, repeat)
        print(f"{label:<58} {first:>8.3f} {median:>9.3f}  {'ok' if median < TARGET else 'SLOW':<4} {len(body):,} bytes")
    failures += asyncio.run(over_http(engine, repeat))
    print(f"\n{'every page under' if not failures else f'{failures} pages over'} {TARGET:g} s (median)")


async def over_http(engine: sa.Engine, repeat: int) -> int:
    """The same pages through the ASGI app: session check, queries, template and SVG included."""
    import httpx
    from argon2 import PasswordHasher
    from starlette.applications import Starlette

    from bot.admin.config import AdminConfig
    from bot.admin.site import AdminSite
    from bot.app import App
    from bot.settings import Settings

    settings = Settings(database_url=engine.url.render_as_string(hide_password=False), secret_key="bench" * 8)
    core = App(settings, build_engine(), engine, None, None)  # type: ignore[arg-type]
    site = AdminSite(core, settings, AdminConfig(bootstrap=False, alias_refresh_seconds=0),
                     hasher=PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1))  # fmt: skip
    with contextlib.suppress(Exception):
        site.accounts.create("bench", "bench-password", "admin")
    year, quarter = current_quarter(local_day(datetime.now(UTC)))
    pages = ("/admin", "/admin?days=365", f"/admin/commune?name={COMMUNES[0]}&days=90", "/admin/inbox?days=90",
             "/admin/events?kind=not_understood&channel=zalo",
             f"/admin/report/download?year={year}&quarter={quarter}&format=pdf",
             "/admin/export/overview.xlsx?days=90")  # fmt: skip
    transport = httpx.ASGITransport(app=Starlette(routes=site.routes()))
    failures = 0
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as client:
        form = await client.get("/admin/login")
        token = form.text.split('name="csrf" value="')[1].split('"')[0]
        await client.post("/admin/login", data={"username": "bench", "password": "bench-password", "csrf": token})
        print(f"\n{'page over HTTP (render included)':<58} {'first s':>8} {'median s':>9}  {'':<4} bytes")
        for path in pages:
            times = []
            for _ in range(repeat + 1):
                started = time.perf_counter()
                response = await client.get(path)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, (path, response.status_code)
            median = statistics.median(times[1:])
            failures += median >= TARGET
            print(f"{path:<58} {times[0]:>8.3f} {median:>9.3f}  {'ok' if median < TARGET else 'SLOW':<4} "
                  f"{len(response.content):,}")  # fmt: skip
    return failures


if __name__ == "__main__":
    sys.exit(main())
