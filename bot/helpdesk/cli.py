"""`trolyso admin add-volunteer` and `trolyso admin volunteer-code`: the dashboard's volunteer
form for a terminal (a first setup, a script). The code is printed once; only its hash is kept."""

from __future__ import annotations

import argparse
from typing import Any, TextIO


def add_volunteer_commands(admin_sub: Any) -> None:
    add = admin_sub.add_parser("add-volunteer", help="add a community team volunteer; prints their one-time link code")
    add.add_argument("name", help="the volunteer's full name")
    add.add_argument("--team", required=True, help="their team, e.g. 'Tổ CNSCĐ xóm 3'")
    add.add_argument("--commune", help="their commune: an id (nghean.xa-anh-son) or a name; omit for province level")
    add.add_argument("--phone", help="their phone, told to the citizens they call")
    code = admin_sub.add_parser("volunteer-code", help="a new one-time link code for a volunteer (older ones stop working)")
    code.add_argument("volunteer_id", type=int)


def run_volunteer_command(args: argparse.Namespace, engine: Any, settings: Any, stdout: TextIO, stderr: TextIO) -> int:
    from bot.app import communes
    from bot.core.commune_names import find_commune
    from bot.core.phone import parse_phone
    from bot.helpdesk.sql import SqlHelpDesk

    desk = SqlHelpDesk(engine)
    hours = settings.link_code_hours
    if args.admin_command == "volunteer-code":
        if desk.get_volunteer(args.volunteer_id) is None:
            print(f"error: no volunteer {args.volunteer_id}", file=stderr)
            return 2
        stdout.write(_instructions(desk.issue_code(args.volunteer_id, hours), hours))
        return 0
    commune_id = None
    if args.commune:
        found, hits = find_commune(communes(), args.commune)
        if found is None:
            names = ", ".join(f"{h.commune.full_name} ({h.commune.id})" for h in hits) or "none"
            print(f"error: which commune is {args.commune!r}? candidates: {names}", file=stderr)
            return 2
        commune_id = found.id
    phone = None
    if args.phone:
        phone = parse_phone(args.phone)
        if phone is None:
            print(f"error: {args.phone!r} is not a Vietnamese phone number (e.g. 0912 345 678)", file=stderr)
            return 2
    volunteer, code = desk.create_volunteer(args.name, args.team, commune_id, phone, created_by="cli", code_hours=hours)
    stdout.write(f"volunteer {volunteer.id}: {volunteer.name}, {volunteer.team}, {commune_id or 'province level'}\n")
    stdout.write(_instructions(code, hours))
    return 0


def _instructions(code: str, hours: float) -> str:
    return (f"one-time link code: {code}\n"
            f"the volunteer sends  /lienket {code}  to the bot on Telegram or Zalo within {hours:g} hours\n")  # fmt: skip
