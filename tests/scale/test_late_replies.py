"""Replies acknowledged before they left are sent even when the worker is killed (issue 13, item 3).

Zalo answers its webhook 200 at 1.5 s and Telegram at 10 s whether or not the turn's replies have
reached the platform, and neither delivers the update again after a 200. A worker killed then used
to lose those replies for good: the citizen's question saved, never answered. Now the replies
still to go are kept in the database at that moment (and only then), deleted once sent, and a
restarted worker (the leader's ``unsent.resend`` job) sends what a dead worker left, in order.

Real HTTP to the fake Zalo and the fake Bot API, on SQLite and PostgreSQL, with the harnesses of
tests/scale/test_zalo_burst.py and test_telegram_burst.py; a kill is played as there (the worker's
turns stop where they are). The safe age (``unsent_resend_after_seconds``, 60 s) is scaled down."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.app import build_app
from bot.channels import telegram_common
from bot.core.messages import Inbound
from bot.settings import Settings
from bot.storage.db import create_db_engine
from bot.storage.deliveries import decode
from bot.storage.tables import unsent_replies
from bot.storage.unsent import UnsentReplies
from tests.channels.test_telegram import serve
from tests.channels.zalo_harness import USER, fake_zalo, serving
from tests.fakes.telegram_api import FakeTelegram, WebhookQueues
from tests.scale.test_exactly_once import fake, read_rows, stored_turns, url  # noqa: F401  (fixtures)
from tests.scale.test_telegram_burst import BOUND, EchoEngine, expected, poster, sent_texts, settings_for
from tests.scale.test_telegram_burst import USER as TG_USER
from tests.scale.test_telegram_burst import acks as tg_acks
from tests.scale.test_zalo_burst import BURST, acks, burst, replies_by_message

AFTER = 1.0
"""The safe age in these tests: a kept row another worker may send once it is this old."""
AFTER_KILL = 3.0
"""The safe age where a worker is killed and another started: long enough for the restart to come
before the rows are due, so its first run must send nothing."""
BUSY = {"error": -100, "message": "Unknown error"}
"""Zalo's busy answer: the channel waits ``retry_pause`` and tries again. A kill during that pause
leaves nothing in flight, so "once" can be checked exactly."""


async def until_due(url: str) -> None:  # noqa: F811
    """Wait until every kept row is due (the killed worker's last renewal plus the safe age)."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            due = connection.execute(sa.select(sa.func.max(unsent_replies.c.due_at))).scalar_one()
    finally:
        engine.dispose()
    assert due is not None
    await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.1)


def kept(url: str) -> list[tuple[str, str, list[str]]]:  # noqa: F811
    """(channel, chat id, texts) of each kept row, in the order kept."""
    rows = read_rows(url, "SELECT channel, chat_id, replies FROM unsent_replies ORDER BY id")
    return [(row.channel, row.chat_id, [r.text for r in decode(row.replies)]) for row in rows]


@contextmanager
def statements_on(engine: sa.Engine, table: str) -> Iterator[list[str]]:
    """Every SQL statement ``engine`` runs that names ``table``, while the block runs."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if table in statement:
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


async def resend_job(core: Any) -> None:
    """One run of the leader's job that sends what dead workers kept."""
    await core.scheduler.jobs["unsent.resend"].run()


def kill(tasks: set[asyncio.Task[None]]) -> list[asyncio.Task[None]]:
    killed = list(tasks)
    for task in killed:
        task.cancel()
    return killed


async def test_a_zalo_worker_killed_after_acknowledging_a_burst_unsent_answers_it_after_a_restart(
    url: str,  # noqa: F811
) -> None:
    """Zalo is busy when the first reply of a burst goes out (the worker waits 3 s to try again):
    all five messages get their 200 at the bound with their replies unsent, and the worker is
    killed. The restarted worker sends nothing before the safe age, then every reply of the burst,
    in the order the messages came, each once, and keeps no row."""
    async with fake_zalo() as zalo:
        async with serving(zalo, url, None, unsent_resend_after_seconds=AFTER_KILL) as dying:
            dying.channel.retry_pause = 3.0
            zalo.fail_next.append(BUSY)
            events = [dying.zalo.event(USER, text) for text in BURST]
            answers = await burst(dying, events)
            assert [response.status_code for response, _at in answers] == [200] * len(BURST)
            assert acks(dying, "ok_unsent") == len(BURST)
            await asyncio.gather(*kill(dying.channel._tasks), return_exceptions=True)
        assert zalo.sent == [], "a reply reached Zalo before the kill: nothing left to test"
        rows = kept(url)
        assert [(channel, chat) for channel, chat, _texts in rows] == [("zalo", USER)] * len(BURST)
        async with serving(zalo, url, None, unsent_resend_after_seconds=AFTER_KILL) as restarted:
            await resend_job(restarted.core)  # at once: the rows are younger than the safe age
            assert zalo.sent == []
            await until_due(url)
            await resend_job(restarted.core)
            await restarted.channel.idle()
            await resend_job(restarted.core)  # again: nothing more
        got = replies_by_message(zalo)
        ids = [event["message"]["msg_id"] for event in events]
        assert sorted({msg_id for msg_id, _text in got}, key=ids.index) == ids, "a message went unanswered"
        assert got == [(msg_id, text) for msg_id, (_c, _u, texts) in zip(ids, rows, strict=True) for text in texts]
        assert kept(url) == []
        assert stored_turns(url, f"zalo:{USER}") == len(BURST)


async def test_a_zalo_turn_answered_before_the_bound_writes_no_row(url: str) -> None:  # noqa: F811
    """The usual turn, its replies sent before the 200: no statement touches the kept replies."""
    async with fake_zalo() as zalo, serving(zalo, url, None) as running:
        with statements_on(running.core.db, "unsent_replies") as seen:
            replies = await running.say("lam cccd o dau")
        assert replies
        assert acks(running, "ok") >= 1
        assert acks(running, "ok_unsent") == 0
        assert seen == []
    assert kept(url) == []


async def test_a_zalo_row_is_deleted_once_its_late_send_went_out(url: str) -> None:  # noqa: F811
    """A 200 at the bound keeps the replies; once the worker sends them, without a crash, the row
    goes, and a recovery run afterwards sends nothing again."""
    async with fake_zalo() as zalo, serving(zalo, url, None, unsent_resend_after_seconds=AFTER) as running:
        running.channel.retry_pause = 3.0
        zalo.fail_next.append(BUSY)
        event = running.zalo.event(USER, "làm cccd cần gì")
        assert (await running.zalo.post(event)).status_code == 200
        assert acks(running, "ok_unsent") == 1
        assert len(kept(url)) == 1
        await running.channel.idle()
        assert kept(url) == []
        sent = len(zalo.sent)
        assert sent >= 1
        await asyncio.sleep(AFTER)
        await resend_job(running.core)
        assert len(zalo.sent) == sent


async def test_another_zalo_worker_does_not_send_a_living_workers_rows(url: str) -> None:  # noqa: F811
    """Worker A's send is still waiting past the safe age (Zalo busy, 4 s before the retry); B's
    recovery run meanwhile sends nothing of it, because A, alive, keeps its row from being due.
    A then sends the replies itself, once, and deletes the row."""
    async with fake_zalo() as zalo:
        async with serving(zalo, url, None, unsent_resend_after_seconds=0.6) as a, \
                serving(zalo, url, None, unsent_resend_after_seconds=0.6) as b:  # fmt: skip
            a.channel.retry_pause = 4.0
            zalo.fail_next.append(BUSY)
            event = a.zalo.event(USER, "cho hỏi làm cccd ở đâu")
            assert (await a.zalo.post(event)).status_code == 200
            assert acks(a, "ok_unsent") == 1
            [(_channel, _chat, texts)] = kept(url)
            await asyncio.sleep(0.9)  # older than the safe age
            await resend_job(b.core)
            assert zalo.sent == []
            await a.channel.idle()
            await resend_job(b.core)
            await b.channel.idle()
        assert [text for _id, text in replies_by_message(zalo)] == texts
        assert kept(url) == []


@pytest.mark.parametrize("lib", ["aiogram", "ptb"])
async def test_a_telegram_worker_killed_behind_a_flood_wait_answers_the_burst_after_a_restart(
    lib: str, fake: FakeTelegram, url: str, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """The first reply of a burst waits out a 5 s flood wait, so each message is answered 200 at
    the bound (scaled down to 0.5 s) with its replies unsent, and the worker is killed. After a
    restart and the safe age, the chat gets all ten replies in the order of the messages, once."""
    monkeypatch.setattr(telegram_common, "ANSWER_WITHIN", BOUND)
    settings = settings_for(lib, fake, url, unsent_resend_after_seconds=AFTER_KILL)
    engine = EchoEngine()
    telegram = WebhookQueues()
    async with serve(settings, engine, fake) as dying:
        fake.flood_once("sendMessage", retry_after=5)
        telegram.add(*(dying.updates.text(text, TG_USER) for text in BURST))
        await telegram.run(poster(dying))
        assert tg_acks(dying, "ok_unsent") == len(BURST)
        await asyncio.gather(*kill(dying.web.state.channels[0]._tasks), return_exceptions=True)
    assert sent_texts(fake) == []
    assert [texts for _c, _chat, texts in kept(url)] == [list(expected((text,))) for text in BURST]
    async with serve(settings, engine, fake) as restarted:
        await resend_job(restarted.core)
        assert sent_texts(fake) == []  # younger than the safe age: perhaps a living worker's
        await until_due(url)
        await resend_job(restarted.core)
        await resend_job(restarted.core)
    assert sent_texts(fake) == expected(BURST)
    assert kept(url) == []
    assert stored_turns(url, f"telegram:{TG_USER}") == len(BURST)


@pytest.mark.parametrize("lib", ["aiogram", "ptb"])
async def test_a_telegram_turn_answered_in_time_writes_no_row_and_a_late_one_is_deleted_once_sent(
    lib: str, fake: FakeTelegram, url: str, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """A calm message touches no kept-replies statement; one answered at the bound behind a 2 s
    flood wait keeps its replies until they are sent, then the row goes."""
    monkeypatch.setattr(telegram_common, "ANSWER_WITHIN", BOUND)
    async with serve(settings_for(lib, fake, url, unsent_resend_after_seconds=AFTER), EchoEngine(), fake) as live:
        with statements_on(live.core.db, "unsent_replies") as seen:
            assert (await live.post(live.updates.text("cho hoi", TG_USER))).status_code == 200
        assert seen == []
        assert tg_acks(live, "ok") == 1
        fake.flood_once("sendMessage", retry_after=2)
        assert (await live.post(live.updates.text("lam cccd", TG_USER))).status_code == 200
        assert tg_acks(live, "ok_unsent") == 1
        assert [texts for _c, _chat, texts in kept(url)] == [expected(("lam cccd",))]
        channel = live.web.state.channels[0]
        await asyncio.wait(set(channel._tasks), timeout=10)
        assert kept(url) == []
    assert sent_texts(fake)[-2:] == expected(("lam cccd",))


def test_kept_rows_are_claimed_once_and_purged_after_a_day(url: str) -> None:  # noqa: F811
    """A due row is claimed by one run only (a second run meanwhile gets nothing), a row not yet
    due by none, and a row a day old is deleted unsent (what it said is no longer an answer)."""
    engine = create_db_engine(url)
    try:
        rows = UnsentReplies(engine)
        now = datetime.now(UTC)
        old = rows.keep("zalo", USER, "zalo:1:m:a", '[{"t":"a","b":[],"e":null}]', now - timedelta(days=2), now)
        due = rows.keep("zalo", USER, "zalo:1:m:b", '[{"t":"b","b":[],"e":null}]', now, now)
        rows.keep("zalo", USER, "zalo:1:m:c", '[{"t":"c","b":[],"e":null}]', now, now + timedelta(minutes=1))
        assert [r.id for r in rows.claim({"zalo"}, now, now + timedelta(minutes=1))] == [old, due]
        assert rows.claim({"zalo"}, now, now + timedelta(minutes=1)) == []
        assert rows.claim({"telegram"}, now + timedelta(hours=1), now + timedelta(hours=2)) == []
        assert rows.purge(now) == 1
        assert rows.count() == 2
    finally:
        engine.dispose()


@pytest.mark.parametrize("lib", ["aiogram", "ptb"])
async def test_only_the_telegram_replies_still_to_go_are_kept(
    lib: str, fake: FakeTelegram, url: str, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """The turn's first reply reached the chat before the 200 at the bound; the second waits out a
    flood wait. Only the second is kept, so a crash would not send the first twice."""
    monkeypatch.setattr(telegram_common, "ANSWER_WITHIN", BOUND)
    settings = settings_for(lib, fake, url, unsent_resend_after_seconds=AFTER, telegram_webhook_reply=False)
    async with serve(settings, EchoEngine(), fake) as live:
        fake.delay = 0.3
        posting = asyncio.create_task(live.post(live.updates.text("lam cccd", TG_USER)))
        await fake.wait_for(lambda: sent_texts(fake) == ["lam cccd: 1/2"])
        fake.flood_once("sendMessage", retry_after=2)  # the second is on its way, not yet answered
        assert (await posting).status_code == 200
        assert tg_acks(live, "ok_unsent") == 1
        assert [texts for _c, _chat, texts in kept(url)] == [["lam cccd: 2/2"]]
        await asyncio.wait(set(live.web.state.channels[0]._tasks), timeout=10)
    assert sent_texts(fake) == expected(("lam cccd",))
    assert kept(url) == []


async def test_an_erasure_deletes_the_replies_kept_for_that_person(url: str, tmp_path: Path) -> None:  # noqa: F811
    """"Delete my data" confirmed on Telegram deletes the replies kept unsent for that person's chat
    (a dead worker's would otherwise be sent, or kept a day); another person's rows, and the same
    id's on Zalo, stay."""
    app = build_app(Settings(database_url=url, channels="web", secret_key="k" * 32,  # type: ignore[arg-type]
                             usage_spool_path=str(tmp_path / "spool")))  # fmt: skip
    try:
        asked = await app.conversations.handle(Inbound("telegram", "1001", "/xoadulieu"))
        assert [b.payload for b in asked[-1].buttons] == ["erase:yes", "erase:no"]
        rows, now = UnsentReplies(app.db), datetime.now(UTC)
        for channel, chat in (("telegram", "1001"), ("telegram", "10012"), ("zalo", "1001"), ("telegram", "1001")):
            rows.keep(channel, chat, f"{channel}:1:{chat}", '[{"t":"a","b":[],"e":null}]', now, now)
        await app.conversations.handle(Inbound("telegram", "1001", payload="erase:yes"))
        assert stored_turns(url, "telegram:1001") == 0
        assert [(channel, chat) for channel, chat, _texts in kept(url)] == [("telegram", "10012"), ("zalo", "1001")]
    finally:
        await app.close()


async def test_rows_a_day_old_are_purged_by_a_process_that_sends_none(url: str, tmp_path: Path) -> None:  # noqa: F811
    """Without the web app's unsent.resend job (long polling, webhooks switched off) the hourly
    unsent.purge job and `trolyso db purge` still delete a row kept over a day, and keep a newer one."""
    app = build_app(Settings(database_url=url, channels="web", secret_key="k" * 32,  # type: ignore[arg-type]
                             usage_spool_path=str(tmp_path / "spool")))  # fmt: skip
    try:
        rows, now = UnsentReplies(app.db), datetime.now(UTC)
        for age in (timedelta(hours=25), timedelta(hours=26), timedelta(hours=1)):
            rows.keep("zalo", USER, "zalo:1:m:a", '[{"t":"a","b":[],"e":null}]', now - age, now - age)
        assert "unsent.resend" not in app.scheduler.jobs
        await app.scheduler.jobs["unsent.purge"].run()
        assert rows.count() == 1
        rows.keep("zalo", USER, "zalo:1:m:b", '[{"t":"b","b":[],"e":null}]', now - timedelta(days=2), now)
        env = {**os.environ, "TROLYSO_DATABASE_URL": url, "TROLYSO_USAGE_SPOOL_PATH": str(tmp_path / "spool")}
        done = subprocess.run([sys.executable, "-m", "bot", "db", "purge"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "deleted 1 replies kept unsent for over a day" in done.stdout
        assert rows.count() == 1
    finally:
        await app.close()
