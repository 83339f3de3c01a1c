"""What the people side says about requests and sessions: labels and the team's view of a request.

Pure functions of their arguments (and the current language), shared by the chat and the help
desk's reminders.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.desk import Ticket
from bot.core.i18n import _
from bot.core.messages import Button, Outbound
from bot.core.phone import mask_phone
from bot.core.redact import redact
from bot.data.communes import Commune


def outcome_label(outcome: str) -> str:
    return {
        "done": _("✅ Helped, all done"),
        "office": _("🏢 Sent to the office"),
        "unreachable": _("📵 Could not reach them"),
        "not_needed": _("🙅 No longer needed"),
        "online": _("✅ Done online"),
        "unfinished": _("❌ Could not finish"),
    }.get(outcome, outcome)


def reason_label(reason: str) -> str:
    return {
        "no_vneid": _("No VNeID level 2 account yet"),
        "papers": _("Papers missing"),
        "portal": _("The portal or app failed"),
        "device": _("No phone, signal or internet"),
        "declined": _("The citizen changed their mind"),
        "other": _("Another reason"),
    }.get(reason, reason)


def time_label(value: str | None) -> str:
    return {
        "morning": _("In the morning"),
        "afternoon": _("In the afternoon"),
        "evening": _("In the evening"),
        "any": _("Any time"),
    }.get(value or "", _("not said"))



def announcement(ticket: Ticket, place: str | None, procedure_name: Callable[[str], str], kind: str = "new") -> Outbound:
    """What a team sees of a request: enough to decide, nothing to call with until claimed.
    ``kind``: new, reminder (nobody took it yet) or escalated (to the province)."""
    head = {
        "reminder": _("⏰ Still waiting: help request #{id}"),
        "escalated": _("⚠️ Escalated, nobody took it: help request #{id}"),
    }.get(kind, _("🆘 Help request #{id}")).format(id=ticket.id)
    lines = [
        head,
        _("📍 {place}").format(place=place or _("commune not given")),
        _("Needs: {need}").format(need=need_text(ticket, procedure_name)),
        _("Good time: {time}").format(time=time_label(ticket.good_time)),
        _("Phone: {masked} (shown in full to whoever takes it)").format(masked=mask_phone(ticket.phone or "")),
    ]
    return Outbound("\n".join(lines), (Button(_("✋ Nhận (take it)"), f"hr:claim:{ticket.id}"),))


def need_text(ticket: Ticket, procedure_name: Callable[[str], str], private: bool = False) -> str:
    """What the citizen needs; outside the claimer's private chat, with any ID number, phone or
    other identifier they typed in it blanked (a team group may hold more than the team)."""
    if ticket.need:
        return ticket.need if private else redact(ticket.need)
    if ticket.procedure:
        return procedure_name(ticket.procedure)
    return _("not said")


def contact_line(commune: Commune | None) -> str | None:
    """Where to go in person: the commune's published contact point."""
    if commune is None or commune.contact is None:
        return None
    contact = commune.contact
    bits = [contact.name]
    if contact.phone:
        bits.append(f"☎ {contact.phone}")
    if contact.address:
        bits.append(contact.address)
    return "🏛 " + " — ".join(bits)


def in_sentence(commune: Commune) -> str:
    """"xã Anh Sơn" inside a sentence, where "Xã Anh Sơn" would read as shouting."""
    name = commune.full_name
    return name[:1].lower() + name[1:]
