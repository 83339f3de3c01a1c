"""`trolyso kb check`: every data validation in one place, as CI runs it.

Beyond the schemas it renders every answer in every language (first messages at most
``FIRST_MESSAGE_MAX`` characters, sections at most ``SECTION_MAX``) and applies the content rules
of bot/data/sourcing.py (every fact sourced, sources dated honestly, no maintainer notes shown).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.data.flows import FlowSet
from bot.data.knowledge import KnowledgeBase, load_knowledge
from bot.data.paths import OVERRIDABLE, data_root, flows_dir, knowledge_dir
from bot.data.sourcing import Findings, check_flow, check_procedure
from bot.errors import ConfigError


def answer_lengths(kb: KnowledgeBase, out: Findings) -> None:
    """Render each procedure's answers in vi and en and flag any message over its limit."""
    from bot.core import answers
    from bot.core.i18n import LANGUAGES, use

    for proc in kb.procedures.values():
        label = f"knowledge/{proc.id}.yaml"
        for lang in LANGUAGES:
            with use(lang):
                for where, text in answers.first_messages(proc):
                    if len(text) > answers.FIRST_MESSAGE_MAX:
                        out.errors.append(f"{label}: {where} ({lang}): the first message is {len(text)} characters;"
                                          f" keep it within {answers.FIRST_MESSAGE_MAX} (shorten the text)")  # fmt: skip
                for section in answers.SECTIONS:
                    text = answers.render_section(proc, section)
                    if len(text) > answers.SECTION_MAX:
                        out.errors.append(f"{label}: section {section} ({lang}) is {len(text)} characters;"
                                          f" keep it within {answers.SECTION_MAX}")  # fmt: skip


def content_findings(kb: KnowledgeBase, flows: FlowSet, today: dt.date) -> Findings:
    found = Findings()
    for proc in kb.procedures.values():
        check_procedure(proc, today, found)
    for flow in flows.flows.values():
        check_flow(flow, flows.sources.get(flow.id, {}), today, found)
    answer_lengths(kb, found)
    return found


def run_checks(strict: bool, out: TextIO, today: Callable[[], dt.date] = dt.date.today) -> int:
    from bot.data.communes import load_communes
    from bot.data.flows import load_flows
    from bot.data.replies import load_replies
    from bot.i18n_check import check_catalogs

    kb = load_knowledge()
    flows = load_flows(kb.procedures)
    book = load_communes()
    replies = load_replies()
    content = content_findings(kb, flows, today())
    warnings = [*kb.warnings, *flows.warnings, *content.warnings]
    problems = [*check_catalogs(), *content.errors]
    for line in problems:
        out.write(f"error: {line}\n")
    for line in warnings:
        out.write(f"{line}\n")
    for line in content.notes:
        out.write(f"{line}\n")
    out.write(f"checked: {knowledge_dir()}, {flows_dir()}\n")
    out.write(f"knowledge: {len(kb.procedures)} procedures, {len(kb.synonyms.groups)} synonym groups, "
              f"{len(kb.intents.intents)} intents, {len(kb.not_covered)} topics not covered; flows: {len(flows.flows)}; "
              f"communes: {len(book)} in {len(book.provinces)} province(s); "
              f"reply words: {len(replies.phrases)}\n")  # fmt: skip
    if problems or (strict and warnings):
        out.write("FAILED\n")
        return 1
    out.write("OK\n")
    return 0


def copy_data(folder: str, out: TextIO) -> int:
    """`trolyso kb copy FOLDER`: the shipped knowledge/ and flows/, as a province's starting point."""
    target = Path(folder).expanduser()
    taken = [name for name in OVERRIDABLE if (target / name).exists()]
    if taken:
        raise ConfigError(f"{target} already holds {' and '.join(n + '/' for n in taken)}; "
                          "choose an empty folder so nothing edited is overwritten")  # fmt: skip
    for name in OVERRIDABLE:
        shutil.copytree(data_root() / name, target / name)
    out.write(f"wrote {target / 'knowledge'} and {target / 'flows'}; use them with TROLYSO_DATA_DIR={target}\n")
    return 0
