"""The `trolyso` command: chat in the terminal, ask one question, check the data."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from bot.admin.cli import add_admin_commands
from bot.errors import ConfigError, DataError, TrolysoError
from bot.reminders.cli import add_reminder_commands
from bot.version import trolyso_version


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trolyso",
        description="Trợ lý số — a chat assistant for Vietnam's online public services.",
        epilog="Start with `trolyso chat`. Every command has its own --help.",
    )
    parser.add_argument("--version", action="version", version=f"trolyso {trolyso_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    chat = sub.add_parser("chat", help="talk to the assistant in this terminal")
    chat.add_argument("--lang", choices=("vi", "en"), help="start in this language (default: vi)")
    chat.add_argument("--user", default="terminal", help="conversation id to keep state under")
    resume = chat.add_mutually_exclusive_group()
    resume.add_argument("--resume", dest="resume", action="store_true", default=None,
                        help="continue the stored conversation (the default in a terminal)")  # fmt: skip
    resume.add_argument("--new", dest="resume", action="store_false",
                        help="start afresh (the default when input is piped)")  # fmt: skip

    ask = sub.add_parser("ask", help="print the procedure matched for a question, and its answer")
    ask.add_argument("question", nargs="?", help="the question; omit with --jsonl")
    ask.add_argument("--jsonl", action="store_true",
                     help="read one question per line on stdin, write one JSON object per line")  # fmt: skip
    ask.add_argument("--lang", choices=("vi", "en"), default="vi")

    serve = sub.add_parser("serve", help="run the HTTP server: webhooks, web chat, /healthz, /metrics")
    serve.add_argument("--host", help="listen address (default: TROLYSO_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default: TROLYSO_PORT or 8080)")
    serve.add_argument("--workers", type=int, help="worker processes sharing the port (default: TROLYSO_WORKERS "
                                                   "or 1); more than one needs PostgreSQL")  # fmt: skip

    telegram = sub.add_parser("telegram", help="run the Telegram bot by long polling (no public address needed)")
    telegram.add_argument("--polling", action="store_true", required=True,
                          help="fetch updates with getUpdates instead of a webhook; for a webhook set "
                               "TROLYSO_PUBLIC_URL and run `trolyso serve`")  # fmt: skip

    flows = sub.add_parser("flows", help="step-by-step flow tools")
    flows_sub = flows.add_subparsers(dest="flows_command", metavar="FLOWS_COMMAND", required=True)
    show = flows_sub.add_parser("show", help="print a flow as a Mermaid diagram for review")
    show.add_argument("flow_id", help="e.g. birth_registration")
    flows_sub.add_parser("list", help="list the flows")

    db = sub.add_parser("db", help="database tools (TROLYSO_DATABASE_URL names the database)")
    db_sub = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    db_sub.add_parser("upgrade", help="create or upgrade the schema (Alembic migrations)")
    db_sub.add_parser("purge", help="delete conversations idle longer than TROLYSO_CONVERSATION_TTL_HOURS "
                                    "and usage events older than TROLYSO_USAGE_RETENTION_MONTHS")  # fmt: skip

    kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    check = kb_sub.add_parser("check", help="validate knowledge/, flows/ and the translation catalogs")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    copy = kb_sub.add_parser("copy", help="write the shipped knowledge/ and flows/ into a folder, to edit "
                                           "and use with TROLYSO_DATA_DIR")  # fmt: skip
    copy.add_argument("folder", help="where to write them (must not hold knowledge/ or flows/ yet)")

    add_admin_commands(sub)
    add_reminder_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "chat":
            from bot.terminal import run_chat

            return asyncio.run(run_chat(args.lang, args.user, sys.stdin, sys.stdout, args.resume))
        if args.command == "ask":
            return _ask(args, sys.stdin, sys.stdout)
        if args.command == "kb":
            from bot.checks import copy_data, run_checks

            if args.kb_command == "copy":
                return copy_data(args.folder, out=sys.stdout)
            return run_checks(strict=args.strict, out=sys.stdout)
        if args.command == "serve":
            return _serve(args)
        if args.command == "telegram":
            return _telegram()
        if args.command == "flows":
            return _flows(args, sys.stdout)
        if args.command == "admin":
            from bot.admin.cli import run_admin

            return run_admin(args)
        if args.command == "db":
            return _db(args, sys.stdout)
        if args.command == "reminders":
            from bot.reminders.cli import run_reminders

            return run_reminders(args)
    except DataError as exc:
        print("The data files have problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except TrolysoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def _ask(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    from bot.app import build_engine
    from bot.core import i18n

    engine = build_engine()
    if args.jsonl:
        for line in stdin:
            query = line.rstrip("\n")
            if not query.strip():  # one output line per input line, so the two files line up
                stdout.write(json.dumps({"query": query, "procedure": None, "score": 0.0, "candidates": []}) + "\n")
                continue
            m = engine.matcher.match(query)
            row = {
                "query": query,
                "procedure": m.procedure,
                "score": round(m.score, 4),
                "candidates": [{"procedure": c.id, "score": c.score} for c in m.candidates],
            }
            stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        stdout.flush()
        return 0
    if not args.question:
        print("trolyso ask: give a question, or --jsonl to read them from stdin", file=sys.stderr)
        return 2
    from bot.core.messages import Inbound
    from bot.terminal import render

    m = engine.matcher.match(args.question)
    stdout.write(f"procedure: {m.procedure or '-'}  score: {m.score:.2f}  decision: {m.decision.value}\n")
    stdout.write("candidates: " + ", ".join(f"{c.id} {c.score:.2f}" for c in m.candidates) + "\n\n")
    with i18n.use(args.lang):
        turn = asyncio.run(engine.handle(Inbound("cli", "ask", args.question, lang_hint=args.lang)))
    for msg in turn.messages:
        stdout.write(render(msg) + "\n")
    return 0


def _flows(args: argparse.Namespace, stdout: TextIO) -> int:
    from bot.data.flows import load_flows, mermaid
    from bot.data.knowledge import load_knowledge

    flows = load_flows(load_knowledge().procedures)
    if args.flows_command == "list":
        for each in flows.flows.values():  # the procedure only when the flow's id is not its name
            procedure = f"\t{each.procedure}" if each.procedure != each.id else ""
            stdout.write(f"{each.id}{procedure}\t{len(each.steps)} steps\t{each.title.vi}\n")
        return 0
    flow = flows.flows.get(args.flow_id)
    if flow is None:
        print(f"trolyso flows show: no flow {args.flow_id!r}; try: {', '.join(flows.flows)}", file=sys.stderr)
        return 2
    stdout.write(mermaid(flow) + "\n")
    return 0


def _db(args: argparse.Namespace, stdout: TextIO) -> int:
    from datetime import timedelta

    import sqlalchemy as sa

    from bot.settings import Settings
    from bot.storage.db import create_db_engine, current_revision, upgrade
    from bot.storage.sql import SqlStateStore

    settings = Settings()
    engine = create_db_engine(settings.database_url)
    try:
        if args.db_command == "upgrade" or engine.dialect.name == "sqlite":
            upgrade(engine)  # the embedded default keeps its own schema up to date, as `serve` does
        if args.db_command == "upgrade":
            stdout.write(f"database at revision {current_revision(engine)}\n")
        else:
            store = SqlStateStore(engine, ttl=timedelta(hours=settings.conversation_ttl_hours))
            count = asyncio.run(store.purge_expired())
            stdout.write(f"deleted {count} idle conversations\n")
            from bot.usage import purge_usage

            months = settings.usage_retention_months
            events = purge_usage(engine, months)
            stdout.write(f"deleted {events} usage events older than {months} months\n")
            from bot.helpdesk.sql import SqlHelpDesk
            from bot.storage.outbox import Outbox

            days = settings.help_retention_days
            blanked = SqlHelpDesk(engine).purge(timedelta(days=days))
            stdout.write(f"blanked the phone numbers and words of {blanked} help requests older than {days} days\n")
            Outbox(engine, "").purge()
            from bot.storage.unsent import UnsentReplies

            unsent = UnsentReplies(engine).purge()
            stdout.write(f"deleted {unsent} replies kept unsent for over a day\n")
            from bot.storage import deliveries

            forgotten = deliveries.purge(engine)
            stdout.write(f"forgot {forgotten} message ids older than {deliveries.KEEP.days} days\n")
    except sa.exc.SQLAlchemyError as exc:
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"error: the database refused ({reason}); check TROLYSO_DATABASE_URL and run `trolyso db upgrade`",
              file=sys.stderr)  # fmt: skip
        return 2
    finally:
        engine.dispose()
    return 0


def _serve(args: argparse.Namespace) -> int:
    import logging.config
    import os

    import uvicorn
    from uvicorn.config import STARTUP_FAILURE

    from bot.settings import Settings
    from bot.web import systemd
    from bot.web.app import create_app
    from bot.web.wire import KEEP_ALIVE_SECONDS, OneWriteHTTP

    settings = Settings()
    overrides = {name: value for name in ("host", "port", "workers") if (value := getattr(args, name, None))}
    settings = settings.model_copy(update=overrides)
    check_workers(settings)
    logging.config.dictConfig(logs := log_config())  # this process; uvicorn applies it in each worker
    print(f"Trợ lý số serving on http://{settings.host}:{settings.port}/ — channels: {settings.channels}"
          + (f" — {settings.workers} workers" if settings.workers > 1 else ""), file=sys.stderr)  # fmt: skip
    # On SIGTERM uvicorn stops accepting, lets requests in flight finish (up to the timeout), then
    # runs the app's shutdown: turns under way end and the usage log writes or spools its queue.
    # OneWriteHTTP: a worker that dies mid-answer sends nothing rather than half; idle connections
    # outlive the proxy's, which closes them first (bot/web/wire.py).
    # systemd.run: uvicorn.run's two ways, telling systemd (Type=notify) when the server serves.
    options: dict[str, Any] = {"http": OneWriteHTTP, "timeout_keep_alive": KEEP_ALIVE_SECONDS, "log_config": logs,
                               "host": settings.host, "port": settings.port, "log_level": "warning",
                               "timeout_graceful_shutdown": 20,
                               # At "warning" uvicorn never prints an access line, but with the option
                               # on it still builds each line's address and quoted path: off, it does not.
                               "access_log": False,
                               # No "server: uvicorn" header telling a scanner what runs here.
                               "server_header": False}  # fmt: skip
    if settings.workers == 1:
        return 0 if systemd.run(uvicorn.Config(create_app(settings), **options)) else STARTUP_FAILURE
    # Several workers: uvicorn's own supervisor binds the port once, starts N processes that each
    # build the app from the settings (the factory), and replaces a worker that dies. No second
    # process manager to install; the workers share nothing but the database and Redis.
    os.environ["TROLYSO_WORKERS"] = str(settings.workers)
    systemd.run(uvicorn.Config("bot.web.app:create_app", factory=True, workers=settings.workers, **options))
    return 0


def log_config() -> dict[str, Any]:
    """uvicorn's logging with our own lines (INFO, one format) on stderr. uvicorn applies it in every
    worker it spawns; a `logging.basicConfig` here reached the supervisor only, so with several
    workers their lines (the leader lock, jobs, channel warnings) were dropped or lost their names."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["trolyso"] = {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    config["handlers"]["trolyso"] = {"class": "logging.StreamHandler", "formatter": "trolyso", "stream": "ext://sys.stderr"}
    config["root"] = {"handlers": ["trolyso"], "level": "INFO"}
    config["loggers"]["alembic"] = {"level": "WARNING"}  # each worker's schema check: 7 lines of plugins
    return config


def check_workers(settings: Any) -> None:
    """Several workers need a database that several processes can write: PostgreSQL."""
    if settings.workers > 1 and settings.database_url.startswith("sqlite"):
        raise ConfigError(
            f"{settings.workers} workers need PostgreSQL: SQLite takes one writing process at a time. "
            "Set TROLYSO_DATABASE_URL=postgresql+psycopg://user:password@host/dbname (see docs/deploy.md), "
            "or run one worker"
        )


def _telegram() -> int:
    import logging

    from bot.channels.telegram_polling import run_polling
    from bot.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings()
    print(f"Trợ lý số polling Telegram with {settings.telegram_library}; Ctrl-C stops", file=sys.stderr)
    asyncio.run(run_polling(settings))
    return 0
