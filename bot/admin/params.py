"""What a page reads from its query string or form: the period, the channel, the commune, the
page number. Shared by every page module; bad values fall back to defaults rather than errors
(these are bookmarks and hand-edited links)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from starlette.requests import Request

from bot.admin.queries import Filters

MAX_DAYS = 400
"""Longest period a page shows: a year and a little, so year-on-year questions fit."""
PRESETS = (7, 30, 90, 365)
CHANNELS = ("web", "telegram", "zalo")


def parse_filters(source: Request | Mapping[str, str], today: date, commune: str | None = None) -> Filters:
    """The period and channel in the query string (or in a page's query string a form carried
    back); the last 30 days by default. Bad dates are replaced by the defaults rather than refused:
    these are bookmarks and hand-edited links."""
    params = source.query_params if isinstance(source, Request) else source
    days = int(params["days"]) if params.get("days", "").isdigit() else 30
    end = _date(params.get("to")) or today
    start = _date(params.get("from")) or end - timedelta(days=max(1, min(days, MAX_DAYS)) - 1)
    if start > end:
        start, end = end, start
    start = max(start, end - timedelta(days=MAX_DAYS - 1))
    channel = params.get("channel") or None
    return Filters(start, end, commune, channel if channel in CHANNELS else None)


def commune_param(value: str | None) -> str | None:
    """A commune filter from a form: "" is every commune, "-" the unknown commune, else its name."""
    return None if not value else "" if value == "-" else value


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def page_number(request: Request) -> int:
    """``?page=``, from 1 (at most 10,000)."""
    value = request.query_params.get("page", "1")
    return max(1, min(int(value), 10_000)) if value.isdigit() else 1
