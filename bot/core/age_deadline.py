"""Deadlines that fall at an age: the identity card is exchanged at 14, 25, 40 and 60 (Law on
Identification 26/2023/QH15, art. 21), and a card made within 2 years before one of those ages
lasts to the next. The ages and the window are data (a flow's `deadlines:`); this is the counting.

A date of birth may be known only to the year ("sinh năm 90") or the month: the age is then
counted from the first day it may fall on, so a reminder is early rather than late, and an age is
passed over only when the paper is certainly made inside its window.
"""

from __future__ import annotations

import datetime as dt
import re

_VALUE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def birth_span(value: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day a stored date-of-birth answer may mean ("1990", "1990-05",
    "1990-05-03"); None for a skipped or malformed answer."""
    m = _VALUE.match(value)
    if m is None:
        return None
    try:
        year = int(m[1])
        if m[3]:
            day = dt.date(year, int(m[2]), int(m[3]))
            return day, day
        if m[2]:
            first = dt.date(year, int(m[2]), 1)
            following = dt.date(year + (first.month == 12), first.month % 12 + 1, 1)
            return first, following - dt.timedelta(days=1)
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    except ValueError:
        return None


def on_birthday(born: dt.date, age: int) -> dt.date:
    """The day one born on ``born`` reaches ``age``; born on 29 February, the 28th in a common
    year (the earlier reading, so a reminder is never late)."""
    try:
        return born.replace(year=born.year + age)
    except ValueError:
        return dt.date(born.year + age, 2, 28)


def next_age_due(value: str, ages: tuple[int, ...], lasts_if_within_years: int,
                 today: dt.date) -> tuple[dt.date, int] | None:  # fmt: skip
    """The due date and age for a paper made ``today`` by one born at ``value``: the first of
    ``ages`` still ahead, passed over when today is within ``lasts_if_within_years`` before it
    (such a paper lasts to the following age). None after the last age, or with no birth date."""
    span = birth_span(value)
    if span is None:
        return None
    first, last = span
    for age in ages:
        window_opens = on_birthday(last, max(age - lasts_if_within_years, 0))
        if window_opens <= today:  # certainly inside the window (or past the age): the next age counts
            continue
        return on_birthday(first, age), age
    return None
