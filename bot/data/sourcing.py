"""Content rules `trolyso kb check` enforces on top of the schemas: every fact names a source, every
source is dated honestly, and nothing written for maintainers reaches a citizen.

Errors fail every check; warnings fail ``--strict``; notes are printed and fail nothing (they list
work that is known and not yet done, such as facts resting on secondary sites only).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from bot.data.flow_models import Flow
from bot.data.models import FACT_FIELDS, Procedure, Source, Text

STALE_AFTER = dt.timedelta(days=365)
"""A source not re-read for this long gets a warning: facts drift (fees, forms, offices)."""

MAINTAINER_PHRASES = re.compile(
    r"\b(?:todo|fixme|tbd|xxx)\b|not (?:re-?)?verified|unverified|not read|not fully checked|to be checked"
    r"|secondary source|our sources?\b|maintainer|kiểm chứng|chưa đọc|chưa đối chiếu|chưa được đối chiếu"
    r"|nguồn thứ cấp|nguồn chúng tôi|nguồn (?:mình )?đã (?:đọc|tra|kiểm tra)|sources (?:read|checked)|chưa xác nhận|chưa xác minh|not confirmed",
    re.IGNORECASE,
)
"""Phrases that belong in ``notes:``; a citizen sees a plain sentence instead ("hỏi Công an xã")."""

FLOW_FACT_LISTS = ("papers", "where", "fees", "time", "warnings", "mistakes")
"""Checklist parts that state facts; a result block with any of them must name its sources."""


@dataclass
class Findings:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_sources(label: str, sources: Iterable[Source], today: dt.date, out: Findings) -> None:
    for s in sources:
        if s.checked > today:
            out.errors.append(f"{label}: source {s.id}: checked {s.checked.isoformat()} is in the future;"
                              " write the day you actually re-read it")  # fmt: skip
        elif today - s.checked > STALE_AFTER:
            out.warnings.append(f"{label}: warning: source {s.id} was last checked {s.checked.isoformat()},"
                                " over 12 months ago; re-read it and update `checked`")  # fmt: skip


def citizen_texts(value: object, where: str) -> Iterator[tuple[str, Text]]:
    """Every bilingual text inside a model (a procedure, a flow), with a dotted path to it."""
    if isinstance(value, Text):
        yield where, value
        return
    if isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from citizen_texts(item, f"{where}[{i}]")
        return
    fields = getattr(type(value), "model_fields", None)
    for name in fields or ():
        yield from citizen_texts(getattr(value, name), f"{where}.{name}" if where else name)


def check_phrases(label: str, value: object, out: Findings) -> None:
    for where, text in citizen_texts(value, ""):
        for lang, body in (("vi", text.vi), ("en", text.en)):
            found = MAINTAINER_PHRASES.search(body)
            if found:
                out.errors.append(f"{label}: {where}.{lang}: {found.group(0)!r} is a note for maintainers;"
                                  " move it to `notes:` and tell the citizen plainly what to do")  # fmt: skip


def check_procedure(proc: Procedure, today: dt.date, out: Findings) -> None:
    label = f"knowledge/{proc.id}.yaml"
    check_sources(label, proc.sources, today, out)
    check_phrases(label, proc, out)
    secondary_only = []
    for name in FACT_FIELDS:
        if not getattr(proc, name):
            continue
        cited = [s for sid in getattr(proc.cite, name) if (s := proc.source(sid))]
        if not cited:
            out.errors.append(f"{label}: cite.{name}: the {name} part states facts but names no source;"
                              " add the ids of the sources it rests on")  # fmt: skip
        elif not any(s.official for s in cited):
            secondary_only.append(name)
    if secondary_only:
        out.notes.append(f"{label}: note: resting on non-government sites only: {', '.join(secondary_only)};"
                         " add the official page (DVCQG, vbpl.vn, chinhphu.vn, bocongan.gov.vn)")  # fmt: skip
    for s in proc.sources:
        if s.official and s.number is None and re.match(r"^(Luật|Nghị định|Thông tư|Quyết định|Law|Decree|Circular)\b", s.title):
            out.warnings.append(f"{label}: warning: source {s.id} is a legal text; give its document number in `number:`")


def check_flow(flow: Flow, sources: dict[str, Source], today: dt.date, out: Findings) -> None:
    label = f"flows/{flow.id}.yaml"
    check_sources(label, flow.sources, today, out)
    check_phrases(label, flow, out)
    for b, block in enumerate(flow.result):
        facts = [name for name in FLOW_FACT_LISTS if getattr(block, name)]
        if facts and not block.sources:
            out.errors.append(f"{label}: result[{b}]: states {', '.join(facts)} but names no source;"
                              " add `sources: [id, …]` with ids from the procedure or the flow")  # fmt: skip
        unknown = [sid for sid in block.sources if sid not in sources]
        if unknown:
            out.errors.append(f"{label}: result[{b}].sources: unknown id(s) {', '.join(unknown)};"
                              f" use one of: {', '.join(sorted(sources))}")  # fmt: skip
    for d, deadline in enumerate(flow.deadlines):  # a deadline is a legal rule: it names its source
        if not deadline.sources:
            out.errors.append(f"{label}: deadlines[{d}]: names no source for the rule it counts;"
                              " add `sources: [id, …]` with ids from the procedure or the flow")  # fmt: skip
        unknown = [sid for sid in deadline.sources if sid not in sources]
        if unknown:
            out.errors.append(f"{label}: deadlines[{d}].sources: unknown id(s) {', '.join(unknown)};"
                              f" use one of: {', '.join(sorted(sources))}")  # fmt: skip
