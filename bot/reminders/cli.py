"""`trolyso reminders due --at YYYY-MM-DD`: the deadline reminders still to come that are due by a
date, one JSON object per line, for operators and tests. People appear by their pseudonymous id
(the usage log's keyed hash), never by their platform user id."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any, TextIO


def add_reminder_commands(sub: Any) -> None:
    reminders = sub.add_parser("reminders", help="opt-in deadline reminders (TROLYSO_DATABASE_URL)")
    reminders_sub = reminders.add_subparsers(dest="reminders_command", metavar="REMINDERS_COMMAND", required=True)
    due = reminders_sub.add_parser("due", help="print, one JSON object per line, the reminders due by a date")
    due.add_argument("--at", required=True, type=_day, metavar="YYYY-MM-DD", help="the last due date to include")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-31") from None


def run_reminders(args: argparse.Namespace, stdout: TextIO | None = None, settings: Any = None) -> int:
    from bot.app import build_engine
    from bot.reminders.sql import SqlReminderBook
    from bot.settings import Settings
    from bot.storage.db import create_db_engine, upgrade
    from bot.usage.pseudonym import person_id, usage_secret

    stdout = stdout or sys.stdout
    settings = settings or Settings()
    secret = usage_secret(settings)
    flows = build_engine().runner.flows.flows
    db = create_db_engine(settings.database_url)
    try:
        if db.dialect.name == "sqlite":
            upgrade(db)  # the embedded default keeps its own schema up to date, as `serve` does
        for reminder in SqlReminderBook(db).due_by(args.at):
            flow = flows.get(reminder.flow)
            row = {"person": person_id(secret, reminder.channel, reminder.user_id),
                   "procedure": flow.procedure if flow else reminder.flow, "due": reminder.due.isoformat(),
                   "channel": reminder.channel, "status": reminder.status}  # fmt: skip
            stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        db.dispose()
    return 0
