"""Turn a procedure's facts into short messages a phone screen can hold, with buttons."""

from __future__ import annotations

from bot.core.i18n import _, current
from bot.core.messages import Button, Outbound
from bot.data.models import Procedure

SECTIONS = ("papers", "fees", "online", "faq", "legal")


def _t(proc_text: object) -> str:
    return proc_text.get(current())  # type: ignore[attr-defined, no-any-return]


def section_label(section: str) -> str:
    return {
        "overview": _("Overview"),
        "papers": _("Papers to prepare"),
        "fees": _("Fees and time limits"),
        "online": _("Where to apply"),
        "faq": _("Common problems"),
        "legal": _("Legal basis and sources"),
    }[section]


def section_buttons(proc: Procedure, shown: str, has_flow: bool) -> tuple[Button, ...]:
    buttons = []
    if has_flow:
        buttons.append(Button(_("Step-by-step guide"), f"f:{proc.id}"))
    for section in SECTIONS:
        if section == shown or (section == "faq" and not proc.faq):
            continue
        buttons.append(Button(section_label(section), f"s:{proc.id}:{section}"))
    buttons.append(Button(_("Talk to a person"), "h"))
    return tuple(buttons)


def overview(proc: Procedure) -> str:
    lines = [f"📋 {_t(proc.names)}", "", _t(proc.summary), "", f"🏛 {_t(proc.authority)}"]
    return "\n".join(lines)


def render_section(proc: Procedure, section: str) -> str:
    title = f"📋 {_t(proc.names)} — {section_label(section)}"
    body: list[str] = []
    if section == "overview":
        return overview(proc)
    if section == "papers":
        body = [f"• {_t(p)}" for p in proc.papers]
    elif section == "fees":
        body = [f"💰 {_t(proc.fees)}", "", f"⏱ {_t(proc.processing_time)}"]
        if proc.deadlines:
            body += ["", f"⚠️ {_t(proc.deadlines)}"]
        body += ["", _("Fees and deadlines change: check the official page before you pay.")]
    elif section == "online":
        body = [f"🏛 {_t(proc.authority)}"]
        if proc.online:
            body.append("")
            body += [f"🌐 {_t(link.label)}: {link.url}" for link in proc.online]
        else:
            body += ["", _("This procedure is done at the office; ask the commune office first.")]
    elif section == "faq":
        body = [f"❓ {_t(f.q)}\n{_t(f.a)}" for f in proc.faq[:4]]
        if len(proc.faq) > 4:
            body.append(_("More questions: ask in your own words."))
    elif section == "legal":
        body = [f"⚖️ {ref}" for ref in proc.legal_basis]
        body += ["", _("Sources (checked):")]
        body += [f"• {s.title} ({s.checked.isoformat()}): {s.url}" for s in proc.sources[:4]]
    if proc.caveat and section in ("fees", "papers", "overview"):
        body += ["", f"ℹ️ {_t(proc.caveat)}"]
    return "\n".join([title, "", *body])


def faq_answer(proc: Procedure, index: int) -> str:
    item = proc.faq[index]
    return f"❓ {_t(item.q)}\n\n{_t(item.a)}"


def procedure_answer(
    proc: Procedure, section: str, has_flow: bool, faq_index: int | None = None
) -> list[Outbound]:
    """The reply to a question about ``proc``: the part asked about first, the rest behind buttons."""
    buttons = section_buttons(proc, section, has_flow)
    if faq_index is not None:
        return [Outbound(f"📋 {_t(proc.names)}\n\n{faq_answer(proc, faq_index)}", buttons)]
    if section == "overview":
        return [Outbound(overview(proc) + "\n\n" + _("What would you like to know?"), buttons)]
    return [Outbound(render_section(proc, section), buttons)]
