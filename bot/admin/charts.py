"""Small SVG charts drawn on the server: no JavaScript, no chart library, nothing from a CDN.

The charts stretch to any width without scaling their text: lengths along the width are
percentages, and the lines of the daily chart live in a nested, non-uniformly scaled SVG whose
strokes keep their width (``vector-effect: non-scaling-stroke``). So labels stay readable on a
360 px phone and do not balloon on a desktop. Colours come from classes in ``static/admin.css``.
Every label is escaped here: procedure and commune names are data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

BAR_SPACE = 80.0
"""Percent of the width the longest bar takes; the rest keeps its number in view."""


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[int]
    css: str  # colour class: s1, s2, s3, s4


def _nice_max(value: int) -> int:
    """The axis top: the value rounded up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


def _svg(height: int, title: str, body: list[str]) -> str:
    return (f'<svg class="chart" width="100%" height="{height}" role="img" aria-label="{escape(title)}" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>')  # fmt: skip


def _legend(items: Sequence[tuple[str, str]]) -> str:
    keys = "".join(f'<li><i class="{css}"></i>{escape(label)}</li>' for label, css in items)
    return f'<ul class="legend">{keys}</ul>'


def line_chart(title: str, days: Sequence[date], series: Sequence[Series],
               number: Callable[[int], str] = str) -> Markup:  # fmt: skip
    """Daily values as lines under a legend, with 0 / half / top grid lines and three dates."""
    top_value = _nice_max(max((max(s.values, default=0) for s in series), default=0))
    height, plot_top, plot_h = 210, 20, 160
    n = len(days)
    inner: list[str] = [f'<line class="grid" x1="0" x2="1000" y1="{y}" y2="{y}" vector-effect="non-scaling-stroke"/>'
                        for y in (0, 50, 100)]  # fmt: skip
    for s in series:
        points = " ".join(f"{(1000 * i / (n - 1) if n > 1 else 500):.1f},{100 - 100 * v / top_value:.2f}"
                          for i, v in enumerate(s.values))  # fmt: skip
        inner.append(f'<polyline class="{s.css} line" points="{points}" vector-effect="non-scaling-stroke"/>')
    body = [f'<svg x="0" y="{plot_top}" width="100%" height="{plot_h}" viewBox="0 0 1000 100" '
            f'preserveAspectRatio="none">{"".join(inner)}</svg>']  # fmt: skip
    for fraction in (1.0, 0.5):
        y = plot_top + plot_h * (1 - fraction) - 5
        body.append(f'<text class="axis" x="0" y="{y:.0f}">{escape(number(round(top_value * fraction)))}</text>')
    for i in sorted({0, n // 2, n - 1}) if n else ():
        x, anchor = ("0", "start") if i == 0 else ("100%", "end") if i == n - 1 else ("50%", "middle")
        body.append(f'<text class="axis" x="{x}" y="{height - 4}" text-anchor="{anchor}">'
                    f"{days[i].strftime('%d/%m')}</text>")  # fmt: skip
    return Markup(_legend([(s.label, s.css) for s in series]) + _svg(height, title, body))  # noqa: S704 - escaped above


def bar_chart(title: str, rows: Sequence[tuple[str, int]], number: Callable[[int], str] = str,
              css: str = "s1") -> Markup:  # fmt: skip
    """Horizontal bars, each label above its bar so long procedure names fit on a phone."""
    row_h = 42
    top_value = max((v for _l, v in rows), default=0) or 1
    body: list[str] = []
    for i, (label, value) in enumerate(rows):
        y = i * row_h
        width = BAR_SPACE * value / top_value
        body.append(f'<text class="label" x="0" y="{y + 15}">{escape(label)}</text>'
                    f'<rect class="{css} bar" x="0" y="{y + 21}" width="{max(width, 0.5):.2f}%" height="14" rx="3"/>'
                    f'<text class="value" x="{width:.2f}%" dx="6" y="{y + 33}">{escape(number(value))}</text>')  # fmt: skip
    if not rows:
        body.append('<text class="label" x="0" y="20">—</text>')
    return Markup(_svg(max(1, len(rows)) * row_h, title, body))  # noqa: S704 - escaped above


def funnel(title: str, stages: Sequence[tuple[str, int]], number: Callable[[int], str] = str) -> Markup:
    """Stages as centred bars narrowing down, each titled with its count and share of the first."""
    row_h = 48
    first = stages[0][1] if stages else 0
    body: list[str] = []
    for i, (label, value) in enumerate(stages):
        y = i * row_h
        width = max(1.0, 96 * value / first) if first else 1.0
        share = f"{100 * value / first:.0f}%" if first else "—"
        body.append(f'<text class="label" x="50%" y="{y + 15}" text-anchor="middle">'
                    f"{escape(label)} · {escape(number(value))} · {share}</text>"
                    f'<rect class="s{min(i + 1, 4)} bar" x="{(100 - width) / 2:.2f}%" y="{y + 21}" '
                    f'width="{width:.2f}%" height="20" rx="4"/>')  # fmt: skip
    return Markup(_svg(max(1, len(stages)) * row_h, title, body))  # noqa: S704 - escaped above


def split_bar(title: str, parts: Sequence[tuple[str, int, str]], number: Callable[[int], str] = str) -> Markup:
    """One bar split in proportion (helpful against not helpful), a legend line per part."""
    total = sum(v for _l, v, _c in parts)
    body: list[str] = []
    x = 0.0
    for _label, value, css in parts:
        width = 100 * value / total if total else 0.0
        if width:
            body.append(f'<rect class="{css} bar" x="{x:.2f}%" y="0" width="{width:.2f}%" height="24"/>')
        x += width
    if not total:
        body.append('<rect class="grid-fill" x="0" y="0" width="100%" height="24"/>')
    for i, (label, value, css) in enumerate(parts):
        share = f" ({100 * value / total:.0f}%)" if total else ""
        y = 34 + 20 * i
        body.append(f'<rect class="{css} key" x="0" y="{y + 2}" width="12" height="12" rx="2"/>'
                    f'<text class="legend" x="18" y="{y + 13}">{escape(f"{label}: {number(value)}{share}")}</text>')  # fmt: skip
    return Markup(_svg(34 + 20 * len(parts), title, body))  # noqa: S704 - escaped above
