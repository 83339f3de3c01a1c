"""How the help desk, the dashboard and the command line name communes: stored as ids of
knowledge/communes.yaml ("nghean.xa-anh-son"), shown as the unit's full name, typed by people as
an id, a full name ("Xã Anh Sơn"), a bare name ("Anh Sơn") or an old name with typos."""

from __future__ import annotations

from bot.core.communes import CommuneFinder, CommuneHit
from bot.core.text import fold
from bot.data.communes import Commune, CommuneBook


def commune_key(book: CommuneBook, value: str | None) -> str | None:
    """The help desk's commune id for a dashboard user's commune: an id as is, a full name
    ("Xã Anh Sơn") or a bare name ("Anh Sơn", when only one unit has it) as its id; anything
    else unchanged (it then matches nothing of the help desk's)."""
    if not value:
        return None
    if book.get(value) is not None:
        return value
    wanted = fold(value)
    units = book.all()
    full = [c.id for c in units if fold(c.full_name) == wanted]
    bare = [c.id for c in units if fold(c.name) == wanted]
    for found in (full, bare):
        if len(found) == 1:
            return found[0]
    return value


def commune_name(book: CommuneBook, commune: str | None, none: str = "") -> str:
    """How a commune id reads on a page: its full name, the id itself when unknown, ``none`` for None."""
    if not commune:
        return none
    unit = book.get(commune)
    return unit.full_name if unit is not None else commune


def account_commune(book: CommuneBook, value: str | None, none: str = "") -> str:
    """How a dashboard user's commune reads: the full name of the unit it stands for (an id, a full
    or a bare name), or the value as typed when it names no unit."""
    return commune_name(book, commune_key(book, value), none)


def commune_and_id(book: CommuneBook, commune: str | None) -> str:
    """A stored commune for a log line: "Xã Anh Sơn · nghean.xa-anh-son", the value itself when it
    names no unit, "-" for none."""
    unit = book.get(commune) if commune else None
    return f"{unit.full_name} · {unit.id}" if unit is not None else commune or "-"


def find_commune(book: CommuneBook, text: str) -> tuple[Commune | None, list[CommuneHit]]:
    """The unit ``text`` names, for a form or a command: an id, a full or bare name (accents and
    case aside), else the one best hit of :class:`CommuneFinder` (old names, typos). None, with the
    candidates (maybe none), when several units fit as well or none fits at all."""
    text = text.strip()
    found = book.get(commune_key(book, text) or "")
    if found is not None:
        return found, []
    hits = CommuneFinder(book).search(text, limit=3)
    if hits and (len(hits) == 1 or hits[0].score > hits[1].score):
        return hits[0].commune, hits
    return None, hits
