"""Turn a procedure's facts into short messages a phone screen can hold, with buttons.

The first message of an answer holds what most people need first and stays within
``FIRST_MESSAGE_MAX`` characters; everything else sits behind section buttons, each section within
``SECTION_MAX``. `trolyso kb check` renders every answer in every language and enforces both.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.i18n import _, current
from bot.core.messages import Button, Outbound
from bot.data.models import Procedure, Source

SECTIONS = ("papers", "fees", "rules", "online", "faq", "legal")
FIRST_MESSAGE_MAX = 600
SECTION_MAX = 900


def _t(proc_text: object) -> str:
    return proc_text.get(current())  # type: ignore[attr-defined, no-any-return]


_SECTION_LABELS: dict[str, Callable[[], str]] = {  # one translation per label shown, not seven
    "overview": lambda: _("Overview"),
    "papers": lambda: _("Papers to prepare"),
    "fees": lambda: _("Fees and time limits"),
    "rules": lambda: _("Deadlines and penalties"),
    "online": lambda: _("Where to apply"),
    "faq": lambda: _("Common problems"),
    "legal": lambda: _("Legal basis and sources"),
}


def section_label(section: str) -> str:
    return _SECTION_LABELS[section]()


def _has(proc: Procedure, section: str) -> bool:
    return not ((section == "faq" and not proc.faq) or (section == "rules" and not proc.deadlines))


def section_buttons(proc: Procedure, shown: str, has_flow: bool) -> tuple[Button, ...]:
    buttons = []
    if has_flow:
        buttons.append(Button(_("Step-by-step guide"), f"f:{proc.id}"))
    for section in SECTIONS:
        if section == shown or not _has(proc, section):
            continue
        buttons.append(Button(section_label(section), f"s:{proc.id}:{section}"))
    buttons.append(Button(_("Talk to a person"), "h"))
    return tuple(buttons)


def date_label(source: Source) -> str:
    return f"{source.checked.day:02d}/{source.checked.month:02d}/{source.checked.year}"


def best_source(sources: list[Source]) -> Source | None:
    """The source to name under a fact: the first one cited, which the writer puts first because
    the main fact rests on it (an official page when there is one)."""
    return sources[0] if sources else None


def source_line(proc: Procedure, *parts: str) -> list[str]:
    """One short "Source: …, checked dd/mm/yyyy" line for the facts of ``parts``."""
    ids = [sid for part in parts for sid in getattr(proc.cite, part)]
    chosen = best_source([s for sid in dict.fromkeys(ids) if (s := proc.source(sid))])
    if chosen is None:
        return []
    return ["", "🔎 " + _("Source: {title}, checked {date}").format(title=chosen.title, date=date_label(chosen))]


def overview(proc: Procedure) -> str:
    return "\n".join([f"📋 {_t(proc.names)}", "", _t(proc.summary)])


def _fit(lines: list[str], budget: int, more: str) -> list[str]:
    """As many whole lines as fit in ``budget`` characters; ``more`` marks what was left out."""
    kept: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        room = budget - (len(more) + 1 if rest else 0)
        if used + len(line) + 1 > room:
            return [*kept, more] if kept else [more]
        kept.append(line)
        used += len(line) + 1
    return kept


def render_section(proc: Procedure, section: str) -> str:
    title = f"📋 {_t(proc.names)} — {section_label(section)}"
    body: list[str] = []
    if section == "overview":
        return overview(proc)
    if section == "papers":
        body = [f"• {_t(p)}" for p in proc.papers] + source_line(proc, "papers")
    elif section == "fees":
        body = [f"💰 {_t(proc.fees)}", "", f"⏱ {_t(proc.processing_time)}"]
        if proc.caveat:
            body += ["", f"ℹ️ {_t(proc.caveat)}"]
        body += ["", _("Fees and deadlines change: check the official page before you pay.")]
        body += source_line(proc, "fees", "processing_time")
    elif section == "rules":
        body = [f"⚠️ {_t(proc.deadlines)}"] if proc.deadlines else []
        body += source_line(proc, "deadlines")
    elif section == "online":
        body = [f"🏛 {_t(proc.authority)}"]
        if proc.online:
            body.append("")
            body += [f"🌐 {_t(link.label)}: {link.url}" for link in proc.online]
        else:
            body += ["", _("This procedure is done at the office; ask the commune office first.")]
        body += source_line(proc, "authority", "online")
    elif section == "faq":
        items = [f"❓ {_t(f.q)}\n{_t(f.a)}" for f in proc.faq]
        body = _fit(items, SECTION_MAX - len(title) - 2, _("More questions: ask in your own words."))
    elif section == "legal":
        refs = [f"⚖️ {ref}" for ref in proc.legal_basis]
        cited = [s for s in proc.sources if s.official] + [s for s in proc.sources if not s.official]
        lines = [*refs, "", _("Sources (checked):")]
        lines += [f"• {s.title} — {s.issuer}, {date_label(s)}: {s.url}" for s in cited]
        body = _fit(lines, SECTION_MAX - len(title) - 2, _("More sources: see the official portal."))
    return "\n".join([title, "", *body])


def faq_answer(proc: Procedure, index: int) -> str:
    item = proc.faq[index]
    return f"❓ {_t(item.q)}\n\n{_t(item.a)}"


def first_messages(proc: Procedure) -> list[tuple[str, str]]:
    """Every text that can open an answer about ``proc`` (overview and each FAQ), for the checks."""
    out = [("overview", procedure_answer(proc, "overview", True)[0].text)]
    out += [(f"faq[{i}]", procedure_answer(proc, "overview", True, i)[0].text) for i in range(len(proc.faq))]
    return out


def procedure_answer(
    proc: Procedure, section: str, has_flow: bool, faq_index: int | None = None
) -> list[Outbound]:
    """The reply to a question about ``proc``: the part asked about first, the rest behind buttons."""
    if not _has(proc, section):
        section = "fees" if section == "rules" else "overview"
    buttons = section_buttons(proc, section, has_flow)
    if faq_index is not None:
        return [Outbound(f"📋 {_t(proc.names)}\n\n{faq_answer(proc, faq_index)}", buttons)]
    if section == "overview":
        return [Outbound(overview(proc) + "\n\n" + _("What would you like to know?"), buttons)]
    return [Outbound(render_section(proc, section), buttons)]
