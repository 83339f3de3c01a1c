"""`trolyso kb check`: every data validation in one place, as CI runs it."""

from __future__ import annotations

from typing import TextIO

from bot.data.knowledge import load_knowledge


def run_checks(strict: bool, out: TextIO) -> int:
    from bot.data.communes import load_communes
    from bot.data.flows import load_flows
    from bot.data.replies import load_replies
    from bot.i18n_check import check_catalogs

    kb = load_knowledge()
    flows = load_flows(kb.procedures)
    book = load_communes()
    replies = load_replies()
    warnings = [*kb.warnings, *flows.warnings]
    problems = check_catalogs()
    for line in problems:
        out.write(f"error: {line}\n")
    for line in warnings:
        out.write(f"{line}\n")
    out.write(f"knowledge: {len(kb.procedures)} procedures, {len(kb.synonyms.groups)} synonym groups, "
              f"{len(kb.intents.intents)} intents; flows: {len(flows.flows)}; "
              f"communes: {len(book)} in {len(book.provinces)} province(s); "
              f"reply words: {len(replies.phrases)}\n")  # fmt: skip
    if problems or (strict and warnings):
        out.write("FAILED\n")
        return 1
    out.write("OK\n")
    return 0
