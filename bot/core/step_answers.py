"""One typed or pressed answer to one flow step: the value to store, or why it does not fit.

``read_answer`` tells three cases apart, so the caller can be honest about each:
- an answer (``value`` set, maybe an ``echo`` to show back: "📅 3/5/2026 — 204 ngày trước");
- an attempt that does not fit (``problem`` set: a date in the future, a month without its day,
  a number out of range) — ask again saying why, never send it to the matcher;
- not an answer at all (neither set) — the caller decides (a question, small talk, a command).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.core.age_deadline import on_birthday
from bot.core.answers_parse import parse_choice, parse_number, parse_yesno
from bot.core.choices import says_any
from bot.core.dates import (
    OLD_YEARS,
    DateReading,
    describe_date,
    read_birth,
    read_date,
    says_lunar,
    too_old,
    typed_an_age,
)
from bot.core.i18n import _
from bot.core.text import fold
from bot.data.flow_models import SKIP, Step


@dataclass(frozen=True)
class StepReading:
    value: str | None = None  # what to store: an option id, yes/no, an ISO date, a number, text
    echo: str | None = None  # the answer said back in words, for the next message
    problem: str | None = None  # why an attempted answer does not fit, to say when asking again


_DIGITS_ONLY = re.compile(r"^\s*\d+\s*$")
SKIP_WORDS = frozenset({"skip", "bo qua", "bo qua cau nay", "thoi bo qua", "khong muon noi", "ko muon noi",
                        "k muon noi", "khong can", "ko can", "k can", "khong tra loi", "rather not say"})  # fmt: skip
"""Typed at an `optional` step, these skip it (a "don't know" gets the step's help instead)."""


def question_words(step: Step) -> str:
    """The question in both languages: its words may be echoed in a yes/no answer."""
    return f"{step.ask.vi} {step.ask.en}"


def read_answer(step: Step, raw: str, today: dt.date, cuts: tuple[float, ...] | None = None,
                deadlines: tuple[int, ...] = ()) -> StepReading:  # fmt: skip
    """Read ``raw`` as an answer to ``step`` (see the module docstring for the three outcomes).
    ``cuts``: for a number step, every number its guide compares the answer with (None: unknown);
    for a date step, every count of days before today, with ``deadlines``, the days it allows."""
    if step.optional and fold(raw) in SKIP_WORDS:
        return StepReading(SKIP, echo=_("Skipped."))
    if step.type == "choice":
        return StepReading(parse_choice(raw, step.options))
    if step.type == "yesno":
        value = parse_yesno(raw, question_words(step))
        if value is None and (step.yes_words or step.no_words):
            yes, no = says_any(raw, step.yes_words), says_any(raw, step.no_words)
            value = "yes" if yes and not no else "no" if no and not yes else None
        return StepReading(value)
    if step.type == "date":
        return _date(step, raw, today, cuts, deadlines)
    if step.type == "number":
        return _number(step, raw, today, cuts)
    text = raw.strip()
    return StepReading(text[:200] if text else None)


def _date(step: Step, raw: str, today: dt.date, cuts: tuple[float, ...] | None = None,
          deadlines: tuple[int, ...] = ()) -> StepReading:  # fmt: skip
    if step.year_ok:
        return _birth(raw, today, step.under_age)
    reading = read_date(raw, today, past=step.not_future)
    if reading is None:
        if says_lunar(raw) and re.search(r"\d|mùng|mung|mồng|mong|rằm|ram", raw, re.IGNORECASE):
            return StepReading(problem=_("Please type the date by the solar calendar (dương lịch), like 3/5/2025."))
        if _DIGITS_ONLY.match(raw) or re.search(r"\d+\s*[/.-]\s*\d+", raw):
            return StepReading(problem=_("That doesn't look like a valid date. Please type it like 3/5/2025 (day/month/year)."))
        return StepReading()  # not a date at all: the caller decides what it is
    said = describe_date(reading, today)
    if reading.precision == "month":
        d = reading.date
        if cuts is not None and _whole_month_alike(reading, today, cuts, deadlines, step.not_future):
            # "tháng 9" where the guide only asks whether 30 days have passed, and every day of
            # September says the same (and any reminder's day is gone): the day changes nothing.
            return StepReading(d.isoformat(), echo=f"📅 {said}")
        return StepReading(problem=_("Which day of {month}? Please type the whole date, like 15/{m}/{y}.").format(
            month=said, m=d.month, y=d.year))  # fmt: skip
    if reading.precision == "year":
        return StepReading(problem=_("Which day? Please type the whole date, like 3/5/{year}.").format(year=said))
    if step.not_future and reading.date > today:
        return StepReading(problem=f"📅 {said}\n" + _("That date is in the future. Please type the date it happened, like 3/5/2025."))
    if too_old(reading, today):
        return StepReading(problem=f"📅 {said}\n" + _("That is more than {years} years ago. Please check the year and type the date again.").format(years=OLD_YEARS))
    return StepReading(reading.date.isoformat(), echo=f"📅 {said}")


def _birth(raw: str, today: dt.date, under_age: int | None = None) -> StepReading:
    """A date of birth, or only its year ("1990", "sinh năm 90"), or its month and year; with
    ``under_age``, one that makes the person certainly that old is refused."""
    reading = read_birth(raw, today)
    if reading is None:
        if typed_an_age(raw):
            return StepReading(problem=_("Please type the year you were born, like 1990, not your age."))
        if _DIGITS_ONLY.match(raw) or re.search(r"\d+\s*[/.-]\s*\d+", raw):
            return StepReading(problem=_("Please type the year of birth with 4 digits (1990), or the whole date (15/3/1985)."))
        return StepReading()  # not a date at all: the caller decides what it is
    said = describe_date(reading, today)
    if reading.date > today:  # a year (or month) is read as its first day: ahead only if all of it is
        return StepReading(problem=f"📅 {said}\n" + _("That is in the future. Please type the year you were born, like 1990."))
    if too_old(reading, today):
        return StepReading(problem=f"📅 {said}\n" + _("That is more than {years} years ago. Please check the year and type it again.").format(years=OLD_YEARS))
    if under_age is not None and on_birthday(_last_day(reading), under_age) <= today:
        return StepReading(problem=f"📅 {said}\n" + _("A child under {age} was born in {year} or later. Please type the child's year of birth, not a parent's.").format(
            age=under_age, year=today.year - under_age))  # fmt: skip
    value = {"day": reading.date.isoformat(), "month": reading.date.isoformat()[:7], "year": str(reading.date.year)}
    return StepReading(value[reading.precision], echo=f"📅 {said}")


def _whole_month_alike(reading: DateReading, today: dt.date, cuts: tuple[float, ...],
                       deadlines: tuple[int, ...], not_future: bool) -> bool:  # fmt: skip
    """Whether every day of a month typed without its day leads the guide the same way: each count
    of days it compares falls on the same side for the first and the last day (today, if the month
    is this one), and every deadline counted from it is already past even from the last day."""
    first = reading.date
    last = min(_last_day(reading), today) if not_future else _last_day(reading)
    if first > today and not_future:
        return False
    early, late = (today - first).days, (today - last).days
    return all((early > cut) == (late > cut) for cut in cuts) and all(late > days for days in deadlines)


def _last_day(reading: DateReading) -> dt.date:
    """The last day a birth date read to a year, a month or a day may be (the youngest reading)."""
    d = reading.date
    if reading.precision == "year":
        return dt.date(d.year, 12, 31)
    if reading.precision == "month":
        return dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1) - dt.timedelta(days=1)
    return d


def _number(step: Step, raw: str, today: dt.date, cuts: tuple[float, ...] | None = None) -> StepReading:
    number = parse_number(raw)
    if number is None:
        return StepReading()
    if (step.min is not None and number < step.min) or (step.max is not None and number > step.max):
        if "tuoi" in fold(step.ask.vi) and number == int(number) and today.year - OLD_YEARS <= number <= today.year:
            # "chồng em sinh 1998" where an age is asked: both ages it can be. When the guide
            # treats the two alike ("sinh năm 1958" where only under 14 matters), either will do;
            # when one of its limits falls between them (18 or 20 for a marriage), ask for the age.
            age = today.year - int(number)
            younger = max(age - 1, 0)
            fits = (step.min is None or younger >= step.min) and (step.max is None or age <= step.max)
            if cuts is not None and fits and all((age > cut) == (younger > cut) for cut in cuts):
                return StepReading(f"{younger}", echo=_("Born in {year}: {younger} or {age} years old.").format(
                    year=int(number), younger=younger, age=age))  # fmt: skip
            return StepReading(problem=_(
                "Born in {year}: that is {age} this year, or {younger} if the birthday has not come yet. "
                "Please type the age as a number.").format(year=int(number), age=age, younger=max(age - 1, 0)))
        low = f"{step.min:g}" if step.min is not None else "…"
        high = f"{step.max:g}" if step.max is not None else "…"
        return StepReading(problem=_("Please type a number between {low} and {high}.").format(low=low, high=high))
    return StepReading(f"{number:g}")
