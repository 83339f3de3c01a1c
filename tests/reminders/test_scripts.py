"""The reminder conversation scripts (tests/reminders/scripts/) through the engine, the web chat
over HTTP and the terminal chat, and `trolyso reminders due` listing what they left behind."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date
from pathlib import Path

import httpx
import pytest

from bot.app import App, build_app
from bot.core.age_deadline import next_age_due
from bot.core.dates import vietnam_today
from bot.core.engine import Engine
from bot.core.messages import Button, Inbound, Outbound
from bot.core.reminders import ReminderTalk
from bot.reminders.memory import MemoryReminderBook
from bot.settings import Settings
from bot.testing import Script, load_scripts, run_script
from bot.web.app import create_app
from tests.fakes.webchat import message_id
from tests.flows.test_conversation_scripts import EngineChat, check_in_order, terminal_lines
from tests.live import served

SCRIPTS = load_scripts(Path(__file__).parent / "scripts")
by_name = {s.path.stem: s for s in SCRIPTS}


@pytest.fixture
def chat_engine(engine: Engine) -> Engine:
    mine = copy.copy(engine)
    mine.reminders = ReminderTalk(MemoryReminderBook(), mine.runner)
    return mine


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.path.stem)
async def test_script_through_the_engine(chat_engine: Engine, script: Script) -> None:
    """Each reminder script plays through the engine over an in-memory reminder book."""
    chat = EngineChat(chat_engine)
    await run_script(script, chat.send, "citizen", procedure=chat.procedure)


@pytest.fixture
async def web_app(sqlite_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, App]]:
    settings = Settings(database_url=sqlite_url, channels="web")
    core = build_app(settings)
    try:
        async with served(create_app(settings, app=core)) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield client, core
    finally:
        await core.close()


def _outbound(data: dict[str, object]) -> list[Outbound]:
    messages = data["messages"]
    assert isinstance(messages, list)
    return [Outbound(m["text"], tuple(Button(b["label"], b.get("payload"), b.get("url")) for b in m.get("buttons", [])))
            for m in messages]  # fmt: skip


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.path.stem)
async def test_script_through_the_web_chat(web_app: tuple[httpx.AsyncClient, App], script: Script) -> None:
    """Each script over POST /chat/api/message, stored in SQLite: set leaves one reminder, cancel none."""
    client, core = web_app

    async def send(inbound: Inbound) -> Sequence[Outbound]:
        body = {"user": inbound.user_id, "id": message_id(), **({"payload": inbound.payload} if inbound.payload else {"text": inbound.text})}
        response = await client.post("/chat/api/message", json=body)
        assert response.status_code == 200, response.text
        return _outbound(response.json())

    user = f"web-{uuid.uuid4().hex[:12]}"
    await run_script(script, send, user, channel="web")
    assert core.reminder_book is not None
    left = core.reminder_book.due_by(date(2099, 1, 1))
    assert [(r.channel, r.user_id, r.flow) for r in left] == (
        [("web", user, "birth_registration")] if script.path.stem.endswith("_set") else [])


def _due(database_url: str, tmp_path: Path) -> list[dict[str, str]]:
    env = {**os.environ, "TROLYSO_DATABASE_URL": database_url}
    done = subprocess.run([sys.executable, "-m", "bot", "reminders", "due", "--at", "2099-12-31"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.mark.parametrize("name", ["birth_registration_reminder_set", "birth_registration_reminder_cancelled"])
async def test_script_through_the_terminal_then_reminders_due(chat_engine: Engine, name: str, tmp_path: Path) -> None:
    """Typed into `trolyso chat`, the set script leaves one reminder that `trolyso reminders due`
    prints as one JSON line (pseudonymous id, procedure, due date, channel); the cancelled none."""
    script = by_name[name]
    lines = await terminal_lines(chat_engine, script)
    url = f"sqlite:///{tmp_path / 'chat.sqlite3'}"
    env = {**os.environ, "TROLYSO_DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "bot", "chat", "--new"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    check_in_order(script, done.stdout)
    rows = _due(url, tmp_path)
    if name.endswith("_set"):
        [row] = rows
        assert set(row) == {"person", "procedure", "due", "channel", "status"}
        assert row["procedure"] == "birth_registration"
        assert row["channel"] == "terminal"
        assert len(row["person"]) == 32
        assert "terminal" not in row["person"], "a pseudonym, not the chat's own id"
    else:
        assert rows == []


def test_reminders_due_refuses_a_bad_date(tmp_path: Path) -> None:
    """A malformed --at is a clear usage error, not a traceback."""
    done = subprocess.run([sys.executable, "-m", "bot", "reminders", "due", "--at", "31/12/2026"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60, check=False,
                          env={**os.environ, "TROLYSO_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})  # fmt: skip
    assert done.returncode == 2
    assert "is not a date like 2026-12-31" in done.stderr
    assert "Traceback" not in done.stderr


async def test_the_identity_card_talk_script_leaves_a_reminder_that_reminders_due_lists(
        chat_engine: Engine, tmp_path: Path) -> None:  # fmt: skip
    """tests/conversations/talk_identity_card_birth_year_reminder.yaml typed into `trolyso chat`
    ("sinh năm 90", then the reminder): `trolyso reminders due --at` lists one identity-card
    reminder, due on 1 January of the year of the next exchange age counted from the real today."""
    [script] = load_scripts(Path(__file__).parents[1] / "conversations", "talk_identity_card_birth_year_reminder.yaml")
    lines = await terminal_lines(chat_engine, script)
    url = f"sqlite:///{tmp_path / 'chat.sqlite3'}"
    env = {**os.environ, "TROLYSO_DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "bot", "chat", "--new"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    check_in_order(script, done.stdout)
    found = next_age_due("1990", (14, 25, 40, 60), 2, vietnam_today())
    assert found is not None
    [row] = _due(url, tmp_path)
    assert (row["procedure"], row["due"], row["channel"]) == ("identity_card", found[0].isoformat(), "terminal")
    assert "1990" not in json.dumps(row)
