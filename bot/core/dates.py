"""Dates as people type them, in Vietnamese or English, read against a given ``today``.

A small grammar rather than a library: dateparser (the maintained candidate, with a 'vi' locale)
misses most of the ways Vietnamese people write dates ("mùng 3", "3 tháng 5", "hai tuần trước",
d/m without a year), takes ~100 ms to import and ~1 ms per call; see docs/dates.md.

Read, in order: ISO (2026-05-03), day first with / - . (3/5, 3/5/26, 03-05-2026), month and
year (5/2025, "tháng 5 năm 2025" — precision "month"), words ("ngày 3 tháng 5 năm 2026",
"mùng 3", "3 May 2026", "May 3"), and relative days ("hôm qua", "3 ngày trước", "hai tuần
trước", "tuần trước", "2 weeks ago"). Impossible dates (31/2) are not dates. A lunar date ("12/3
âm lịch", "rằm tháng 7", "mùng 3 Tết") is read as its solar date (bot.core.lunar) and keeps the
lunar one, so that both are said back.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from bot.core import lunar
from bot.core.i18n import _, current, ngettext

Precision = Literal["day", "month", "year"]

VIETNAM = dt.timezone(dt.timedelta(hours=7), "Asia/Ho_Chi_Minh")
"""Vietnam keeps UTC+7 all year (no daylight saving), so a fixed offset needs no tz database."""


def vietnam_today() -> dt.date:
    """Today's date in Vietnam, whatever the server's own time zone."""
    return dt.datetime.now(VIETNAM).date()


@dataclass(frozen=True)
class DateReading:
    """What a message says about a date.

    ``precision`` is "day" for a whole date, "month" or "year" when no day was given (the date is
    then the first day of that month or year, and the caller should ask for the day).
    ``approximate`` marks counts in weeks, months or years ("2 tuần trước"), which people say
    loosely; ``year_guessed`` marks a date typed without its year.
    """

    date: dt.date
    precision: Precision = "day"
    approximate: bool = False
    year_guessed: bool = False
    lunar: tuple[int, int, int, bool] | None = None
    """Typed as a lunar date: its day, month, lunar year and whether the month is a leap month."""


_MONTHS_EN = {name: i for i, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
    ("november", "nov"), ("december", "dec")), 1) for name in names}  # fmt: skip
_UNITS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5, "sau": 6, "bay": 7, "tam": 8,
          "chin": 9, "muoi": 10, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
          "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a": 1, "an": 1}  # fmt: skip
_NUM = r"(\d{1,3}|(?:muoi|mot|hai|ba|bon|tu|nam|lam|sau|bay|tam|chin)(?:\s+(?:muoi|mot|hai|ba|bon|tu|nam|lam|sau|bay|tam|chin|le|linh)){0,3}|one|two|three|four|five|six|seven|eight|nine|ten|an?)"
_MONTH_WORD = r"(\d{1,2}|muoi mot|muoi hai|muoi|mot|hai|ba|bon|tu|nam|sau|bay|tam|chin)"
_YEAR = r"(\d{4}|\d{2})"

_ISO = re.compile(r"\b(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\b")
_DMY = re.compile(r"\b(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4}|\d{2})\b")
_MY = re.compile(r"\b(\d{1,2})\s*[/.-]\s*(\d{4})\b")
_DM = re.compile(r"\b(\d{1,2})\s*[/.-]\s*(\d{1,2})\b(?!\s*[/.-]\s*\d)")
# "ngày 3 tháng 5 năm 2026", "mùng 3 tháng 5", "3 thg 5 2026", "ngay 3 thang nam"
_VI_DMY = re.compile(
    rf"\b(?:(?:ngay|mung|mong|hom)\s+)?(\d{{1,2}}|mot|hai|ba|bon|tu|nam|sau|bay|tam|chin|muoi)\s+"
    rf"(?:thang|thg|th|t)\s*{_MONTH_WORD}\b(?:\s*(?:nam|/|,|-)?\s*(?:{_YEAR}\b|(nay|ngoai|truoc|roi)\b))?"
)
_VI_MY = re.compile(rf"\b(?:thang|thg)\s+{_MONTH_WORD}\b(?:\s*(?:nam|/|,|-)?\s*(?:{_YEAR}\b|(nay|ngoai|truoc|roi)\b))?")
_VI_DAY = re.compile(r"\b(?:mung|mong|ngay)\s+(\d{1,2}|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi)\b")
_EN_DMY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3,9})\b(?:\s*,?\s*(\d{4}))?")
_EN_MDY = re.compile(r"\b([a-z]{3,9})\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:\s*,?\s*(\d{4}))?")
_EN_MY = re.compile(r"\b([a-z]{3,9})\s*,?\s+(\d{4})\b")
_AGO = re.compile(rf"\b{_NUM}\s+(ngay|hom|bua|tuan|thang|nam|days?|weeks?|months?|years?)\s+(?:truoc|ve truoc|ago|roi)\b")
_SINCE = re.compile(rf"\b(?:cach day|da duoc|duoc|da dc|dc)\s+{_NUM}\s+(ngay|tuan|thang|nam)\b")
# "sinh được nửa tháng", "nửa tháng trước", "cách đây nửa năm": half a month (15 days) or year ago.
_HALF = re.compile(r"\b(?:(?:cach day|da duoc|duoc|da dc|dc)\s+nua\s+(thang|nam)|nua\s+(thang|nam)\s+(?:truoc|ve truoc|roi))\b")
# "mùng 10 tháng trước", "ngày 5 tháng này": a day of last or this month, not ten months ago.
_DAY_OF_MONTH = re.compile(r"\b(?:mung|mong|ngay)\s+(\d{1,2}|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi)\s+(?:thang|thg)\s+(truoc|roi|nay)\b")
# "đầu tháng này", "giữa tháng 10", "cuối tháng trước": a month, loosely; the caller asks for the day.
_PART_OF_MONTH = re.compile(rf"\b(?:dau|giua|cuoi)\s+(?:thang|thg)\s+(?:(truoc|roi|nay)\b|{_MONTH_WORD}\b)")
# "20/10 năm ngoái", "3/5 năm nay": a day and month, then the year in words.
# "rồi" alone after a date means "already" ("sinh 3/5 rồi"): only "năm rồi" is last year.
_YEAR_WORDS = re.compile(r"^\s*,?\s*(?:nam\s+(nay|ngoai|truoc|roi|\d{4})|(\d{4}))\b")
# "sáng nay", "tối qua", "đêm hôm qua": a time of day names its day.
_PART_OF_DAY = re.compile(r"\b(?:sang|trua|chieu|toi|dem|khuya)\s+(?:hom\s+)?(nay|qua)\b")
# "mùng 3 Tết", "mồng 2 tết năm ngoái": a day of the first lunar month (tháng Giêng), turned into
# its solar date like any other lunar date (_LUNAR_DAY below, bot.core.lunar).
_TET_DAY = re.compile(r"\b(?:mung|mong|ngay)\s+(\d{1,2}|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi)\s+tet\b"
                      r"(?:\s+(?:nam\s+)?(nay|ngoai|truoc|roi|\d{4})\b)?")
# A lunar date: "12/3 âm lịch", "ngày 12 tháng 3 âm", "15 tháng 8 âm lịch năm 1960", "rằm tháng 7",
# "mùng 1 tháng giêng", "10 tháng 4 nhuận". "Âm lịch", "AL", "lunar" anywhere in the answer say it
# is lunar; a bare "âm" only right after the month ("12/3 âm": elsewhere "am" is English); "rằm"
# (the 15th), "giêng" and "chạp" (the first and last lunar months) and "nhuận" (a leap month) say
# so by themselves.
_LUNAR_WORDS = re.compile(r"\b(?:am lich|a\.l|al|lunar(?:\s+calendar)?)\b")
_LUNAR_BY_ITSELF = re.compile(r"\b(?:tet|ram|gieng|chap|nhuan)\b|(?:thang|/)\s*\w+\s+am\b")
"""The other words that say "lunar" as _LUNAR_DAY reads them (for says_lunar, on a message it could not read)."""
_LUNAR_DAY = re.compile(
    r"\b(?:(ram)|(?:(?:ngay|mung|mong)\s+)?(\d{1,2}|(?:(?:hai|ba)\s+)?muoi(?:\s+(?:mot|hai|ba|bon|tu|lam|nam|sau|bay|tam|chin))?"
    r"|mot|hai|ba|bon|nam|sau|bay|tam|chin))\s*(?:thang|thg|th|t|/|-|\.)\s*(\d{1,2}|gieng|chap|muoi hai|muoi|hai|ba|bon|tu|nam|sau|bay|tam|chin)\b"
    r"(\s+nhuan)?(\s+am\b)?"
    r"(?:\s*(?:nam|/|-|,)?\s*(\d{4}|\d{2}|nay|ngoai|truoc|roi)\b)?"
)
_LAST = re.compile(r"\b(?:(tuan|thang)\s+(?:truoc|roi)|last\s+(week|month)|(nam)\s+(?:ngoai|truoc|roi)|last\s+(year))\b")


def plain(text: str) -> str:
    """Lower case, no accents, đ as d; unlike ``fold`` it keeps / - . between digits."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("đ", "d"))
    out = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", out.replace("ð", "d")).strip()


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    if word in _UNITS:
        return _UNITS[word]
    parts = word.split()
    total = 0
    current = 0
    for part in parts:
        if part == "muoi":
            current = (current or 1) * 10
        elif part in ("le", "linh"):
            continue
        elif part in _UNITS:
            current += _UNITS[part]
        else:
            return None
    total += current
    return total or None


def _year(text: str | None, today: dt.date) -> int | None:
    if text is None:
        return None
    if text in ("nay",):
        return today.year
    if text in ("ngoai", "truoc", "roi"):
        return today.year - 1
    year = int(text)
    if year < 100:
        year += 2000 if year <= today.year % 100 else 1900
    return year


def _make(day: int, month: int, year: int | None, today: dt.date, past: bool) -> DateReading | None:
    """A whole date; without a year, the most recent one not after today (``past``) or this year's."""
    try:
        if year is not None:
            return DateReading(dt.date(year, month, day))
        date = dt.date(today.year, month, day) if (month, day) != (2, 29) else None
    except ValueError:
        return None
    if date is None:  # 29/2 without a year: the last leap year's, or next
        year = today.year
        while True:
            try:
                date = dt.date(year, 2, 29)
                break
            except ValueError:
                year += -1 if past else 1
    if past and date > today:
        try:
            date = date.replace(year=date.year - 1)
        except ValueError:
            return None
    return DateReading(date, year_guessed=True)


def _month_only(month: int, year: int | None, today: dt.date, past: bool) -> DateReading | None:
    if not 1 <= month <= 12:
        return None
    if year is None:
        year = today.year - 1 if past and (today.year, month) > (today.year, today.month) else today.year
        return DateReading(dt.date(year, month, 1), "month", year_guessed=True)
    return DateReading(dt.date(year, month, 1), "month")


def _shift(today: dt.date, count: int, unit: str) -> DateReading | None:
    """``count`` units before today; weeks, months and years are approximate as people say them."""
    unit = unit.rstrip("s")
    if count > 2000:
        return None
    if unit in ("ngay", "hom", "bua", "day"):
        return DateReading(today - dt.timedelta(days=count))
    if unit in ("tuan", "week"):
        return DateReading(today - dt.timedelta(days=7 * count), approximate=True)
    months = count if unit in ("thang", "month") else 12 * count
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    if year < 1:
        return None
    day = today.day
    while True:
        try:
            return DateReading(dt.date(year, month + 1, day), approximate=True)
        except ValueError:
            day -= 1  # 31 March minus one month is the last day of February


def read_date(text: str, today: dt.date, *, past: bool = True) -> DateReading | None:
    """The date a message gives, or None. ``past``: a date without a year is the most recent
    one not after today (a birth, a death, a sale), not this year's when that is still to come."""
    p = plain(text)
    if not p or len(p) > 200:
        return None
    if "kìa" in text.casefold():  # "hôm kìa" is three days back, "hôm kia" two
        p = p.replace("hom kia", "3 ngay truoc").replace("bua kia", "3 ngay truoc")
    if m := _TET_DAY.search(p):
        return _tet_day(m, today, past)
    if (lunar_day := _lunar_day(p, today, past)) is not False:
        return lunar_day  # or None, a lunar date that is no date: the caller asks for the solar one
    if re.search(r"\btet\b", p):
        return None  # "Tết" without its day
    if m := _ISO.search(p):
        try:
            return DateReading(dt.date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            return None
    if m := _DMY.search(p):
        return _make(int(m[1]), int(m[2]), _year(m[3], today), today, past)
    if m := _MY.search(p):
        return _month_only(int(m[1]), int(m[2]), today, past)
    if m := _DM.search(p):
        year_words = _YEAR_WORDS.match(p[m.end() :])
        return _make(int(m[1]), int(m[2]), _year(year_words[1] or year_words[2], today) if year_words else None, today, past)
    if m := _DAY_OF_MONTH.search(p):
        day = _number(m[1])
        back = 1 if m[2] in ("truoc", "roi") else 0
        in_year, in_month = divmod(today.year * 12 + today.month - 1 - back, 12)
        try:
            return DateReading(dt.date(in_year, in_month + 1, day)) if day else None
        except ValueError:
            return None
    if m := _PART_OF_MONTH.search(p):
        if m[1]:
            in_year, in_month = divmod(today.year * 12 + today.month - 1 - (m[1] != "nay"), 12)
            return DateReading(dt.date(in_year, in_month + 1, 1), "month")
        named = _number(m[2])
        return _month_only(named, None, today, past) if named else None
    if m := _VI_DMY.search(p):
        day, month = _number(m[1]), _number(m[2])
        if day is None or month is None:
            return None
        return _make(day, month, _year(m[3] or m[4], today), today, past)
    if m := _AGO.search(p):
        count = _number(m[1])
        return _shift(today, count, m[2]) if count is not None else None
    if m := _SINCE.search(p):
        count = _number(m[1])
        return _shift(today, count, m[2]) if count is not None else None
    if m := _HALF.search(p):
        half = (m[1] or m[2]) == "thang"
        return DateReading(today - dt.timedelta(days=15 if half else 182), approximate=True)
    relative = _relative(p, today)
    if relative is not None and relative.precision != "year":
        return relative
    if m := _VI_MY.search(p):  # before a bare "năm ngoái": "tháng 10 năm ngoái" is October of last year
        month = _number(m[1])
        return _month_only(month, _year(m[2] or m[3], today), today, past) if month else None
    if relative is not None:
        return relative
    for m in _EN_DMY.finditer(p):
        if m[2] in _MONTHS_EN:
            return _make(int(m[1]), _MONTHS_EN[m[2]], int(m[3]) if m[3] else None, today, past)
    for m in _EN_MDY.finditer(p):
        if m[1] in _MONTHS_EN:
            return _make(int(m[2]), _MONTHS_EN[m[1]], int(m[3]) if m[3] else None, today, past)
    for m in _EN_MY.finditer(p):
        if m[1] in _MONTHS_EN:
            return _month_only(_MONTHS_EN[m[1]], int(m[2]), today, past)
    if m := _VI_DAY.search(p):
        day = _number(m[1])
        if day is None:
            return None
        return _recent_day(day, today) if past else _this_month(day, today)
    return None


# "1990", "sinh năm 90", "năm 1985", "em sinh năm 2001 ạ", "born in 1990", "sn 1958", "năm sinh 1958":
# a year of birth on its own. Two digits need a word before them ("năm 90"): a bare "25" is as likely
# an age as a year.
_BIRTH_YEAR = re.compile(
    r"^(?:(?:toi|em|minh|tui|to|anh|chi|con|be|chau|no|me|bo|ong|ba|i|i was|he was|she was)\s+)?"
    r"(?:(?:(?:sinh|de|born)(?:\s+(?:vao|in))?(?:\s+(?:nam|the year))?|nam sinh|(?:vao\s+)?nam|in)\s+(\d{4}|\d{2})"
    r"|(?:sn|ns)\s*(\d{4}|\d{2})|(\d{4}))"
    r"(?:\s+(?:a|ah|nha|nhe|ak|ạ))?[.!]?$"
)
_AGE = re.compile(r"\b(\d{1,3})\s*(?:tuoi|years? old|yo)\b")


def read_birth(text: str, today: dt.date) -> DateReading | None:
    """A date of birth as people type it: a whole date ("15/3/1985", "ngày 3 tháng 5 năm 1999"),
    or only its year ("1990", "sinh năm 90") with precision "year". A month and year ("5/1990")
    keeps precision "month". An age ("35 tuổi") is not a year: the caller asks for the year."""
    p = plain(text)
    if m := _BIRTH_YEAR.match(p):
        year = _year(m[1] or m[2] or m[3], today)
        return DateReading(dt.date(year, 1, 1), "year") if year is not None and year >= 1 else None
    return read_date(text, today)


def says_lunar(text: str) -> bool:
    """Whether a message speaks of the lunar calendar: where it gives no lunar date there is, the
    caller asks for the solar one."""
    p = plain(text)
    return bool(_LUNAR_WORDS.search(p) or _LUNAR_BY_ITSELF.search(p))


def typed_an_age(text: str) -> bool:
    """"35 tuổi", "I am 40 years old": an age where a year of birth was asked."""
    return _AGE.search(plain(text)) is not None


def _tet_day(m: re.Match[str], today: dt.date, past: bool) -> DateReading | None:
    """"Mùng N Tết" of the year said, else of the last Tết not after today (``past``) or this year's."""
    day = _number(m[1])
    if day is None or not 1 <= day <= 30:
        return None
    return _lunar(day, 1, _year(m[2], today) if m[2] else None, False, today, past)


def _lunar_day(p: str, today: dt.date, past: bool) -> DateReading | Literal[False] | None:
    """A lunar day and month (and maybe year) in ``p`` as its solar date; None if ``p`` says
    "lunar" but gives no lunar date there is; False if it says nothing lunar."""
    said = _LUNAR_WORDS.search(p) is not None
    m = _LUNAR_DAY.search(re.sub(r"\s+", " ", _LUNAR_WORDS.sub(" ", p)) if said else p)
    if m is None or not (said or m[1] or m[4] or m[5] or m[3] in ("gieng", "chap")):
        return None if said else False
    day = 15 if m[1] else _number(m[2])
    # "Tháng một" is left out: the eleventh lunar month by its old name, the first to many today.
    month = {"gieng": 1, "chap": 12}.get(m[3]) or _number(m[3])
    if day is None or month is None:
        return None
    return _lunar(day, month, _year(m[6], today) if m[6] else None, bool(m[4]), today, past)


def _lunar(day: int, month: int, year: int | None, leap: bool, today: dt.date, past: bool) -> DateReading | None:
    """Lunar ``day``/``month`` of lunar ``year`` as a solar date; without a year, the most recent
    not after today (``past``) or this lunar year's. The reading keeps the lunar date, to say back."""
    guessed = year is None and past
    years = [year] if year is not None else [today.year, today.year - 1] if past else [today.year]
    for lunar_year in years:
        first = lunar.to_solar(1, month, lunar_year, leap)
        if first is None or (guessed and first > today):
            continue  # no such leap month that year, or this year's month is still ahead
        date = lunar.to_solar(day, month, lunar_year, leap)
        if date is None:
            return None  # day 30 of a 29-day month: not last year's instead, but asked again
        if guessed and date > today and lunar_year != years[-1]:
            continue
        return DateReading(date, lunar=(day, month, lunar_year, leap))
    return None


def _recent_day(day: int, today: dt.date) -> DateReading | None:
    """"Mùng 3": the 3rd of this month, or of the last month that has it and is not ahead."""
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    for _step in range(3):
        try:
            date = dt.date(year, month, day)
        except ValueError:
            date = None
        if date is not None and date <= today:
            return DateReading(date, year_guessed=True)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return None


def _this_month(day: int, today: dt.date) -> DateReading | None:
    try:
        return DateReading(today.replace(day=day), year_guessed=True)
    except ValueError:
        return None


_DAYS_BACK = (
    (re.compile(r"\b(?:hom kia|bua kia|day before yesterday|qua hom qua)\b"), 2),
    (re.compile(r"\b(?:hom nay|bua nay|ngay hom nay|today)\b|^nay$"), 0),
    (re.compile(r"\b(?:hom qua|bua qua|yesterday)\b"), 1),
)


def _relative(p: str, today: dt.date) -> DateReading | None:
    if m := _PART_OF_DAY.search(p):
        return DateReading(today - dt.timedelta(days=1 if m[1] == "qua" else 0))
    for pattern, back in _DAYS_BACK:
        if pattern.search(p):
            return DateReading(today - dt.timedelta(days=back))
    if m := _LAST.search(p):
        if m[3] or m[4]:  # "năm ngoái": a year, not a day — the caller asks for the day
            return DateReading(dt.date(today.year - 1, 1, 1), "year")
        return _shift(today, 1, "week" if (m[1] or m[2]) in ("tuan", "week") else "month")
    return None


def parse_date(text: str, today: dt.date) -> dt.date | None:
    """A whole date (to the day) the message gives, or None; see ``read_date``."""
    reading = read_date(text, today)
    return reading.date if reading is not None and reading.precision == "day" else None


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")  # fmt: skip
OLD_YEARS = 120
"""A date further back than this is unlikely (a typo in the year) and is asked again."""


def _written(reading: DateReading) -> str:
    d = reading.date
    english = current() == "en"
    if reading.precision == "year":
        return str(d.year)
    if reading.precision == "month":
        return f"{_MONTH_NAMES[d.month - 1]} {d.year}" if english else f"tháng {d.month}/{d.year}"
    return f"{d.day} {_MONTH_NAMES[d.month - 1]} {d.year}" if english else f"{d.day}/{d.month}/{d.year}"


def describe_date(reading: DateReading, today: dt.date) -> str:
    """The date in words, and how long ago, in the current language: "3/5/2026 — 204 ngày
    trước", "3 May 2026 — 204 days ago", "22/11/2026 — hôm qua"."""
    written = _written(reading)
    if reading.approximate:
        written = _("about {date}").format(date=written)
    if reading.lunar is not None:  # said back both ways, so a wrong reading is caught here
        day, month, year, leap = reading.lunar
        lunar_said = (_("{day}/{month}/{year} by the lunar calendar") if not leap else
                      _("{day} of leap month {month}, {year}, by the lunar calendar")).format(day=day, month=month, year=year)  # fmt: skip
        written = _("{lunar} is {solar}").format(lunar=lunar_said, solar=written)
    days = (today - reading.date).days
    if reading.precision != "day":
        return written
    if days == 0:
        ago = _("today")
    elif days == 1:
        ago = _("yesterday")
    elif days == -1:
        ago = _("tomorrow")
    elif days < 0:
        ago = ngettext("in {n} day", "in {n} days", -days).format(n=-days)
    elif days <= 730:
        ago = ngettext("{n} day ago", "{n} days ago", days).format(n=days)
    else:
        years = int(days / 365.25)
        ago = ngettext("about {n} year ago", "about {n} years ago", years).format(n=years)
    return f"{written} — {ago}"


def too_old(reading: DateReading, today: dt.date) -> bool:
    """More than OLD_YEARS back: most likely a mistyped year."""
    return (today - reading.date).days > OLD_YEARS * 365.25
