"""`trolyso admin …`: create users, reset a password, export taught phrasings, add volunteers; and
the first admin.

There is no default password anywhere. The first admin of a shared database is created with
``trolyso admin create-user NAME --role admin``; the embedded SQLite default instead makes one
on first start, named ``admin``, with a one-time password printed once to stderr (only its hash
is stored) that must be changed at the first login.

Heavy imports (argon2, SQLAlchemy) happen inside the commands, so ``trolyso --help`` stays quick.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.helpdesk.cli import add_volunteer_commands, run_volunteer_command

if TYPE_CHECKING:
    from bot.admin.accounts import Accounts
    from bot.data.communes import CommuneBook

FIRST_ADMIN = "admin"


def add_admin_commands(sub: Any) -> None:
    """Register ``admin`` and its subcommands on the ``trolyso`` parser's subparsers."""
    admin = sub.add_parser("admin", help="dashboard users and taught phrasings (TROLYSO_DATABASE_URL)")
    admin_sub = admin.add_subparsers(dest="admin_command", metavar="ADMIN_COMMAND", required=True)
    create = admin_sub.add_parser("create-user", help="add a dashboard user (asks for the password)")
    create.add_argument("username", help="2-64 lowercase letters, digits, '.', '_' or '-'")
    create.add_argument("--role", choices=("admin", "volunteer"), required=True,
                        help="admin: everything; volunteer: their commune's numbers, never question texts")  # fmt: skip
    create.add_argument("--commune", help="the volunteer's commune: an id (nghean.xa-anh-son) or a name (Xã Anh Sơn)")
    create.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    reset = admin_sub.add_parser("set-password", help="set a user's password (they choose their own at next login)")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    export = admin_sub.add_parser("export-aliases", help="write phrasings taught in the dashboard into knowledge/")
    export.add_argument("--knowledge", type=Path, help="the knowledge folder (default: the one the bot loads)")
    export.add_argument("--print", dest="print_only", action="store_true", help="print YAML instead of editing files")
    add_volunteer_commands(admin_sub)


def run_admin(args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None,
              stderr: TextIO | None = None, settings: Any = None) -> int:  # fmt: skip
    """Run one ``trolyso admin`` command; returns the exit status."""
    import sqlalchemy as sa

    from bot.admin.accounts import AccountError, Accounts
    from bot.app import communes
    from bot.core.commune_names import commune_and_id
    from bot.settings import Settings
    from bot.storage.db import create_db_engine, upgrade

    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    settings = settings or Settings()
    engine = create_db_engine(settings.database_url)
    try:
        if engine.dialect.name == "sqlite":
            upgrade(engine)  # the embedded default keeps its own schema up to date, as `serve` does
        accounts = Accounts(engine)
        if args.admin_command == "export-aliases":
            return _export(engine, args, stdout)
        if args.admin_command in ("add-volunteer", "volunteer-code"):
            return run_volunteer_command(args, engine, settings, stdout, stderr)
        commune = None
        if args.admin_command == "create-user" and (args.commune or "").strip():
            commune = resolve_commune(communes(), args.commune, stderr)  # before asking for a password
            if commune is None:
                return 2
        password = read_password(args.password_stdin, stdin, stderr)
        if password is None:
            return 2
        if args.admin_command == "create-user":
            user = accounts.create(args.username, password, args.role, commune)
            place = commune_and_id(communes(), user.commune)
            accounts.audit("cli", "user_created", f"{user.username} ({user.role}, {place})")
            stdout.write(f"created {user.role} {user.username!r}" + (f" for {place}" if user.commune else "") + "\n")
        else:
            accounts.set_password(args.username.strip().lower(), password, must_change_password=True)
            accounts.audit("cli", "password_set", args.username)
            stdout.write(f"password of {args.username!r} set; they choose a new one at their next login\n")
        return 0
    except AccountError as exc:
        print(f"error: {exc}", file=stderr)
        return 2
    except sa.exc.SQLAlchemyError as exc:
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"error: the database refused ({reason}); check TROLYSO_DATABASE_URL and run `trolyso db upgrade`",
              file=stderr)  # fmt: skip
        return 2
    finally:
        engine.dispose()


def resolve_commune(book: CommuneBook, text: str, stderr: TextIO) -> str | None:
    """The id of the commune ``text`` names (an id, a name, an old name, a typo; see
    :func:`bot.admin.community_queries.find_commune`); None after saying which communes it could
    be when it names none or several. Without a commune list (no knowledge/communes.yaml) the
    text is kept as typed."""
    from bot.core.commune_names import find_commune

    text = text.strip()
    if not len(book):
        return text
    found, hits = find_commune(book, text)
    if found is not None:
        return found.id
    names = ", ".join(f"{h.commune.full_name} ({h.commune.id})" for h in hits) or "none"
    print(f"error: which commune is {text!r}? candidates: {names}", file=stderr)
    return None


def read_password(from_stdin: bool, stdin: TextIO, stderr: TextIO) -> str | None:
    """The new password: the first line of stdin, or typed twice at a prompt."""
    if from_stdin:
        return stdin.readline().rstrip("\r\n")
    if not stdin.isatty():
        print("error: no terminal to ask for the password; pipe it with --password-stdin", file=stderr)
        return None
    first = getpass.getpass("Password: ", stream=stderr)
    if getpass.getpass("Repeat the password: ", stream=stderr) != first:
        print("error: the two passwords differ", file=stderr)
        return None
    return first


def bootstrap_admin(accounts: Accounts, stderr: TextIO) -> str | None:
    """On a database without an admin, create ``admin`` with a one-time password and print it once.

    Returns the password (for tests), or None when an admin exists. Two workers starting at once
    cannot both create one: the second finds the name taken and prints nothing."""
    from bot.admin.accounts import AccountError

    if accounts.count_admins():
        return None
    password = secrets.token_urlsafe(12)
    try:
        accounts.create(FIRST_ADMIN, password, "admin", must_change_password=True)
    except AccountError:
        return None
    accounts.audit("system", "user_created", f"{FIRST_ADMIN} (admin, one-time password)")
    print(
        "\n  Trợ lý số dashboard: first start, so an admin was created.\n"
        f"    user: {FIRST_ADMIN}\n    one-time password: {password}\n"
        "  Log in at /admin and choose your own password; this one is shown only now.\n",
        file=stderr,
        flush=True,
    )
    return password


def _export(engine: Any, args: argparse.Namespace, stdout: TextIO) -> int:
    import sqlalchemy as sa

    from bot.admin.aliases import Alias, export_yaml, write_to_knowledge
    from bot.admin.schema import learned_aliases
    from bot.data.paths import writable_knowledge_dir

    with engine.connect() as connection:
        rows = connection.execute(sa.select(learned_aliases).order_by(learned_aliases.c.id)).all()
    aliases = [Alias(r.id, r.procedure, r.text, r.created_by, r.created_at) for r in rows]
    if args.print_only:
        stdout.write(export_yaml(aliases))
        return 0
    folder = args.knowledge or writable_knowledge_dir()
    added = write_to_knowledge(folder, aliases)
    for name, count in added.items():
        stdout.write(f"{folder / name}: {count} phrasings added\n")
    stdout.write(f"{sum(added.values())} added, {len(aliases) - sum(added.values())} already there or skipped; "
                 "run `trolyso kb check --strict` next\n")  # fmt: skip
    return 0
