"""Rendering dashboard pages: Jinja2 templates with autoescaping, and the headers every page sends.

Autoescaping matters here more than anywhere: the inbox and the events browser show what
citizens typed. The Content-Security-Policy allows nothing but this server's own stylesheet
(there is no script at all), so even a missed escape could not run code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.admin.exports import MEDIA_TYPES
from bot.admin.texts import action_label, channel_label, kind_label, language_label, number, percent, tr
from bot.core import i18n
from bot.core.commune_names import account_commune, commune_name
from bot.data.communes import CommuneBook
from bot.usage.rows import VIETNAM

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")

FILE_TYPES = {**MEDIA_TYPES, "pdf": "application/pdf", "zip": "application/zip", "yaml": "text/yaml; charset=utf-8"}

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals.update(t=tr, num=number, pct=percent, kind=kind_label, channel=channel_label, language=language_label,
                    action=action_label)
_env.filters["local"] = lambda ts: ts.astimezone(VIETNAM)  # stored in UTC, read on Vietnam's clock


def query(request: Request, **changes: object) -> str:
    """The current query string with some parameters changed (None removes one)."""
    params = {k: v for k, v in request.query_params.items() if k not in changes}
    params.update({k: str(v) for k, v in changes.items() if v is not None})
    return urlencode(params)


_env.globals["query"] = query


def _communes() -> CommuneBook:
    from bot.app import communes  # read once per process, when a page first names a commune

    return communes()


# Communes are stored as ids of knowledge/communes.yaml ("nghean.xa-anh-son"), or as the names
# typed before there were ids; pages show the unit's full name, or the stored value when unknown.
_env.filters["commune"] = lambda value, none="": commune_name(_communes(), value, none)
_env.filters["account_commune"] = lambda value, none="": account_commune(_communes(), value, none)


def secure(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def render(request: Request, template: str, context: Mapping[str, Any], status: int = 200) -> Response:
    """The page, in the locale in force, with the security headers."""
    html = _env.get_template(template).render(request=request, lang=i18n.current(), **context)
    return secure(HTMLResponse(html, status_code=status))


def redirect(url: str) -> Response:
    return secure(RedirectResponse(url, status_code=303))


def problem(request: Request, status: int, message: str, visitor: object | None = None) -> Response:
    """A short error page (403, 404, 429) in the visitor's language."""
    title = {403: tr("Forbidden"), 404: tr("Not found")}.get(status, tr("Admin"))
    return render(request, "error.html", {"title": title, "message": message, "visitor": visitor}, status)


def download(body: bytes, filename: str, fmt: str) -> Response:
    """A file download whose name keeps its Vietnamese letters where browsers allow it."""
    ascii_name = unicodedata.normalize("NFKD", filename.replace("đ", "d").replace("Đ", "D"))
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name.encode("ascii", "ignore").decode()).strip("-")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    media = FILE_TYPES.get(fmt, "application/octet-stream")
    return secure(Response(body, media_type=media, headers={"Content-Disposition": disposition}))
