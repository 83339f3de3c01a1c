"""Dates as citizens type them, read against a fixed today (Monday 23 November 2026)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from bot.core import i18n
from bot.core.dates import (
    DateReading,
    describe_date,
    parse_date,
    read_birth,
    read_date,
    typed_an_age,
    vietnam_today,
)

TODAY = dt.date(2026, 11, 23)
D = dt.date

# (typed, the date read at a "not in the future" step, or None)
TABLE: list[tuple[str, dt.date | None]] = [
    # --- day first with / - . and 2- or 4-digit years
    ("3/5/2026", D(2026, 5, 3)), ("03/05/2026", D(2026, 5, 3)), ("3-5-2026", D(2026, 5, 3)),
    ("03-05-2026", D(2026, 5, 3)), ("3.5.2026", D(2026, 5, 3)), ("3/5/26", D(2026, 5, 3)),
    ("3.5.25", D(2025, 5, 3)), ("3 / 5 / 2026", D(2026, 5, 3)), ("31/12/1999", D(1999, 12, 31)),
    ("1/1/2000", D(2000, 1, 1)), ("15/08/1975", D(1975, 8, 15)), ("15/8/75", D(1975, 8, 15)),
    ("29/2/2024", D(2024, 2, 29)), ("28/02/2023", D(2023, 2, 28)), ("10/10/10", D(2010, 10, 10)),
    ("sinh ngày 3/5/2025", D(2025, 5, 3)), ("bé sinh 12/11/2026 ạ", D(2026, 11, 12)),
    ("ngày 3/5/2026", D(2026, 5, 3)), ("3/5/2026.", D(2026, 5, 3)), ("(3/5/2026)", D(2026, 5, 3)),
    ("mất ngày 20-11-2026", D(2026, 11, 20)), ("ngay 01.11.2026", D(2026, 11, 1)), ("23/11/2026", TODAY),
    ("1/11/26", D(2026, 11, 1)), ("3/5/2026 lúc 10h", D(2026, 5, 3)), ("05/3/2026", D(2026, 3, 5)),
    # --- ISO and year first
    ("2026-05-03", D(2026, 5, 3)), ("2026-5-3", D(2026, 5, 3)), ("2025/12/31", D(2025, 12, 31)),
    ("2026.11.01", D(2026, 11, 1)), ("1990-01-15", D(1990, 1, 15)),
    # --- day/month without a year: the most recent one not after today
    ("3/5", D(2026, 5, 3)), ("03/05", D(2026, 5, 3)), ("3-5", D(2026, 5, 3)), ("20/11", D(2026, 11, 20)),
    ("23/11", TODAY), ("24/11", D(2025, 11, 24)), ("25/12", D(2025, 12, 25)), ("1/1", D(2026, 1, 1)),
    ("31/12", D(2025, 12, 31)), ("sinh 3/5", D(2026, 5, 3)), ("29/2", D(2024, 2, 29)),
    # --- Vietnamese words
    ("ngày 3 tháng 5 năm 2026", D(2026, 5, 3)), ("ngay 3 thang 5 nam 2026", D(2026, 5, 3)),
    ("Ngày 03 tháng 05 năm 2026", D(2026, 5, 3)), ("3 tháng 5 năm 2026", D(2026, 5, 3)),
    ("3 tháng 5 2026", D(2026, 5, 3)), ("3 thg 5 2026", D(2026, 5, 3)), ("3 tháng 5", D(2026, 5, 3)),
    ("ngay 3 thang 5", D(2026, 5, 3)), ("mùng 3 tháng 5", D(2026, 5, 3)), ("mung 3 thang 5", D(2026, 5, 3)),
    ("mồng 3 tháng 5", D(2026, 5, 3)), ("ngày 20 tháng 11", D(2026, 11, 20)),
    ("ngày 30 tháng 11", D(2025, 11, 30)), ("15 tháng 8 năm 1975", D(1975, 8, 15)),
    ("ngày 1 tháng 1 năm 2000", D(2000, 1, 1)), ("3 tháng năm", D(2026, 5, 3)),
    ("ngày 3 tháng mười", D(2026, 10, 3)), ("ngày 2 tháng mười một", D(2026, 11, 2)),
    ("ngày 5 tháng mười hai năm 2025", D(2025, 12, 5)), ("ngày 4 tháng tư", D(2026, 4, 4)),
    ("3 tháng 5 năm nay", D(2026, 5, 3)), ("3 tháng 5 năm ngoái", D(2025, 5, 3)),
    ("ngày 10 tháng 2 năm ngoái", D(2025, 2, 10)), ("3 t5 2026", D(2026, 5, 3)),
    ("ngày 3 tháng 5 năm 26", D(2026, 5, 3)), ("sinh ngày 3 tháng 5 năm 2026 ạ", D(2026, 5, 3)),
    ("bé sinh ngày 12 tháng 11", D(2026, 11, 12)), ("ngày 31 tháng 12 năm 1999", D(1999, 12, 31)),
    ("mùng 3", D(2026, 11, 3)), ("mung 3", D(2026, 11, 3)), ("mùng 1", D(2026, 11, 1)),
    ("mùng 10", D(2026, 11, 10)), ("ngày 20", D(2026, 11, 20)), ("ngày 25", D(2026, 10, 25)),
    ("mùng ba", D(2026, 11, 3)), ("mùng 23", TODAY), ("ngày 31", D(2026, 10, 31)),
    # --- relative days
    ("hôm nay", TODAY), ("hom nay", TODAY), ("nay", TODAY), ("ngày hôm nay", TODAY), ("bữa nay", TODAY),
    ("hôm qua", D(2026, 11, 22)), ("hom qua", D(2026, 11, 22)), ("bữa qua", D(2026, 11, 22)),
    ("mới hôm qua", D(2026, 11, 22)), ("hôm kia", D(2026, 11, 21)), ("hom kia", D(2026, 11, 21)),
    ("hôm kìa", D(2026, 11, 20)), ("3 ngày trước", D(2026, 11, 20)), ("3 ngay truoc", D(2026, 11, 20)),
    ("ba ngày trước", D(2026, 11, 20)), ("10 ngày trước", D(2026, 11, 13)), ("mười ngày trước", D(2026, 11, 13)),
    ("hai mươi ngày trước", D(2026, 11, 3)), ("45 ngày trước", D(2026, 10, 9)), ("3 hôm trước", D(2026, 11, 20)),
    ("2 tuần trước", D(2026, 11, 9)), ("hai tuần trước", D(2026, 11, 9)), ("2 tuan truoc", D(2026, 11, 9)),
    ("một tuần trước", D(2026, 11, 16)), ("tuần trước", D(2026, 11, 16)), ("tuan truoc", D(2026, 11, 16)),
    ("tuần rồi", D(2026, 11, 16)), ("tháng trước", D(2026, 10, 23)), ("thang truoc", D(2026, 10, 23)),
    ("2 tháng trước", D(2026, 9, 23)), ("hai tháng trước", D(2026, 9, 23)), ("3 thang truoc", D(2026, 8, 23)),
    ("1 năm trước", D(2025, 11, 23)), ("hai năm trước", D(2024, 11, 23)), ("5 ngày rồi", D(2026, 11, 18)),
    ("cách đây 3 ngày", D(2026, 11, 20)), ("cách đây 2 tháng", D(2026, 9, 23)),
    ("bé được 3 tháng", D(2026, 8, 23)), ("được 10 ngày", D(2026, 11, 13)), ("sinh cách đây 5 ngày", D(2026, 11, 18)),
    ("mười lăm ngày trước", D(2026, 11, 8)), ("bốn tuần trước", D(2026, 10, 26)),
    # a time of day names its day; a day of last or this month is not "N months ago"
    ("sáng nay", TODAY), ("chieu nay", TODAY), ("tối qua", D(2026, 11, 22)), ("dem qua", D(2026, 11, 22)),
    ("đêm hôm qua", D(2026, 11, 22)), ("mùng 10 tháng trước", D(2026, 10, 10)), ("ngay 5 thang nay", D(2026, 11, 5)),
    ("mong 2 thang roi", D(2026, 10, 2)), ("10 tháng trước", D(2026, 1, 23)),
    # a day of Tết counts from Tết itself (tháng Giêng's days are consecutive); the last Tết not ahead
    ("mùng 3 tết", D(2026, 2, 19)), ("mong 3 Tet", D(2026, 2, 19)), ("mồng 1 Tết năm ngoái", D(2025, 1, 29)),
    ("ngày mùng 10 tết năm 2024", D(2024, 2, 19)), ("mùng 3 tết năm 2040", D(2040, 2, 14)),
    # lunar dates (bot.core.lunar), the most recent not after today unless a year is said
    ("3 tháng 5 âm lịch", D(2026, 6, 17)), ("12/3 âm lịch", D(2026, 4, 28)), ("ngay 12 thang 3 am", D(2026, 4, 28)),
    ("12/3 AL", D(2026, 4, 28)), ("15 tháng 8 âm lịch năm 1960", D(1960, 10, 5)), ("12/3/60 âm lịch", D(1960, 4, 7)),
    ("rằm tháng 7", D(2026, 8, 27)), ("ram thang gieng", D(2026, 3, 3)), ("mùng 1 tháng giêng", D(2026, 2, 17)),
    ("sinh ngày 20 tháng chạp năm 1959", D(1960, 1, 18)), ("10 tháng 4 nhuận năm 2020", D(2020, 6, 1)),
    ("mất ngày mười lăm tháng mười âm lịch", D(2026, 11, 23)), ("mung 5 thang 5 am", D(2026, 6, 19)),
    ("15/8 lunar calendar", D(2026, 9, 25)),
    # "am" that is English is no lunar word
    ("I am not sure, maybe 3 May", D(2026, 5, 3)), ("born 3/5 at 8 am", D(2026, 5, 3)),
    # a day and month, then the year in words or digits; "rồi" alone means "already"
    ("20/10 năm ngoái", D(2025, 10, 20)), ("3/5 nam roi", D(2025, 5, 3)), ("3/5 năm 2025", D(2025, 5, 3)),
    ("3/5, năm nay", D(2026, 5, 3)), ("sinh 3/5 rồi", D(2026, 5, 3)),
    # --- English
    ("3 May 2026", D(2026, 5, 3)), ("3rd May 2026", D(2026, 5, 3)), ("May 3, 2026", D(2026, 5, 3)),
    ("May 3 2026", D(2026, 5, 3)), ("May 3", D(2026, 5, 3)), ("3 may", D(2026, 5, 3)),
    ("the 3rd of May", D(2026, 5, 3)), ("15 Aug 1975", D(1975, 8, 15)), ("Dec 25", D(2025, 12, 25)),
    ("1 January 2000", D(2000, 1, 1)), ("November 20", D(2026, 11, 20)), ("sept 9 2025", D(2025, 9, 9)),
    ("today", TODAY), ("Today", TODAY), ("yesterday", D(2026, 11, 22)), ("the day before yesterday", D(2026, 11, 21)),
    ("2 days ago", D(2026, 11, 21)), ("two days ago", D(2026, 11, 21)), ("a week ago", D(2026, 11, 16)),
    ("2 weeks ago", D(2026, 11, 9)), ("three weeks ago", D(2026, 11, 2)), ("last week", D(2026, 11, 16)),
    ("last month", D(2026, 10, 23)), ("a month ago", D(2026, 10, 23)), ("2 months ago", D(2026, 9, 23)),
    ("born on 3 May 2026", D(2026, 5, 3)), ("10 days ago", D(2026, 11, 13)),
    # "được" typed "dc", half a month or a year (round 8)
    ("sinh dc 10 ngay", D(2026, 11, 13)), ("sinh dc nua thang", D(2026, 11, 8)), ("nửa tháng trước", D(2026, 11, 8)),
    ("cách đây nửa năm", D(2026, 5, 25)),
    # --- impossible or not a date
    ("31/2/2026", None), ("30/2", None), ("32/1/2026", None), ("0/5/2026", None), ("3/13/2026", None),
    ("3/0/2026", None), ("29/2/2023", None), ("31/4/2026", None), ("ngày 31 tháng 2", None),
    ("2026-02-30", None), ("2026-13-01", None), ("mùng 32", None), ("May 32", None), ("45/5", None),
    ("1", None), ("2", None), ("15", None), ("2026", None), ("0912345678", None), ("", None), ("   ", None),
    ("có", None), ("không biết", None), ("có mất tiền không", None), ("làm khai sinh ở đâu", None),
    ("trợ cấp thất nghiệp", None), ("ngày mai", None), ("hôm nào cũng được", None), ("tháng giêng", None),
    ("tết", None), ("abc/def", None), ("tháng 3 âm lịch", None), ("30/2 âm lịch năm 2026", None),
    ("30 tháng chạp năm 2024", None), ("mùng 1 tháng 5 nhuận năm 2026", None), ("rằm", None), ("mùng 5 tháng một âm lịch", None),
    ("3 con", None), ("May I ask", None), ("may", None), ("2 tuổi", None), ("năm ngoái", None),
    ("tháng 5 năm 2025", None), ("5/2025", None), ("May 2025", None), ("tháng 5", None),
    ("nửa tháng", None),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "expected"), TABLE, ids=[repr(t) for t, _e in TABLE])
def test_date_is_read_as_people_type_it(typed: str, expected: dt.date | None) -> None:
    """A date is read from every usual way of writing it, and nothing is read from a non-date."""
    assert parse_date(typed, TODAY) == expected


def test_the_table_is_large() -> None:
    """The table holds at least 150 rows, at least 30 of them not a (whole) date."""
    assert len(TABLE) >= 150
    assert sum(e is None for _t, e in TABLE) >= 30


PRECISION: list[tuple[str, DateReading]] = [
    ("tháng 5 năm 2025", DateReading(D(2025, 5, 1), "month")),
    ("thang 5 nam 2025", DateReading(D(2025, 5, 1), "month")),
    ("5/2025", DateReading(D(2025, 5, 1), "month")), ("05/2025", DateReading(D(2025, 5, 1), "month")),
    ("May 2025", DateReading(D(2025, 5, 1), "month")),
    ("tháng 10 năm ngoái", DateReading(D(2025, 10, 1), "month")),
    ("hoi thang 10 nam ngoai", DateReading(D(2025, 10, 1), "month")),
    ("tháng 5", DateReading(D(2026, 5, 1), "month", year_guessed=True)),
    ("tháng 12", DateReading(D(2025, 12, 1), "month", year_guessed=True)),
    ("năm ngoái", DateReading(D(2025, 1, 1), "year")), ("last year", DateReading(D(2025, 1, 1), "year")),
    ("2 tuần trước", DateReading(D(2026, 11, 9), approximate=True)),
    ("tháng trước", DateReading(D(2026, 10, 23), approximate=True)),
    ("3 ngày trước", DateReading(D(2026, 11, 20))),
    ("3/5", DateReading(D(2026, 5, 3), year_guessed=True)),
    ("3/5/2026", DateReading(D(2026, 5, 3))),
    ("đầu tháng này", DateReading(D(2026, 11, 1), "month")), ("cuoi thang truoc", DateReading(D(2026, 10, 1), "month")),
    ("giữa tháng 10", DateReading(D(2026, 10, 1), "month", year_guessed=True)),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "expected"), PRECISION, ids=[t for t, _e in PRECISION])
def test_a_date_says_how_precise_it_is(typed: str, expected: DateReading) -> None:
    """A month or a year alone is read as such; weeks and months back are marked approximate."""
    assert read_date(typed, TODAY) == expected


def test_without_a_year_a_date_may_be_ahead_when_the_step_allows_it() -> None:
    """Outside a not-in-the-future step, 24/11 is this year's, not last year's."""
    assert read_date("24/11", TODAY, past=False) == DateReading(D(2026, 11, 24), year_guessed=True)
    assert read_date("mùng 30", TODAY, past=False) == DateReading(D(2026, 11, 30), year_guessed=True)


def test_month_ends_are_kept_when_counting_months_back() -> None:
    """One month before 31 March is the last day of February."""
    assert parse_date("1 tháng trước", D(2026, 3, 31)) == D(2026, 2, 28)
    assert parse_date("last month", D(2024, 3, 31)) == D(2024, 2, 29)


ECHO = [
    (TODAY, "vi", "23/11/2026 — hôm nay"), (TODAY, "en", "23 November 2026 — today"),
    (D(2026, 11, 22), "vi", "22/11/2026 — hôm qua"), (D(2026, 11, 22), "en", "22 November 2026 — yesterday"),
    (D(2026, 5, 3), "vi", "3/5/2026 — 204 ngày trước"), (D(2026, 5, 3), "en", "3 May 2026 — 204 days ago"),
    (D(2026, 11, 21), "en", "21 November 2026 — 2 days ago"),
    (D(1975, 8, 15), "vi", "15/8/1975 — khoảng 51 năm trước"), (D(1975, 8, 15), "en", "15 August 1975 — about 51 years ago"),
    (D(2026, 11, 25), "vi", "25/11/2026 — 2 ngày nữa"), (D(2026, 11, 24), "en", "24 November 2026 — tomorrow"),
]  # fmt: skip


@pytest.mark.parametrize(("date", "lang", "expected"), ECHO, ids=[f"{d}-{lang}" for d, lang, _e in ECHO])
def test_a_date_is_echoed_in_words_in_the_persons_language(date: dt.date, lang: str, expected: str) -> None:
    """The echo gives the date and how long ago it was, in Vietnamese or English."""
    with i18n.use(lang):
        assert describe_date(DateReading(date), TODAY) == expected


def test_an_approximate_date_is_echoed_as_approximate() -> None:
    """"2 tuần trước" is echoed with "khoảng" / "about"."""
    reading = read_date("2 tuần trước", TODAY)
    assert reading is not None
    with i18n.use("vi"):
        assert describe_date(reading, TODAY) == "khoảng 9/11/2026 — 14 ngày trước"
    with i18n.use("en"):
        assert describe_date(reading, TODAY) == "about 9 November 2026 — 14 days ago"


def test_today_in_vietnam_is_a_date_near_utc_today() -> None:
    """Vietnam's today is UTC's today or the day after (UTC+7)."""
    utc = dt.datetime.now(dt.UTC).date()
    assert vietnam_today() in (utc, utc + dt.timedelta(days=1))


def test_reading_a_date_is_fast() -> None:
    """A date is read in well under a millisecond on average over the whole table."""
    samples = [t for t, _e in TABLE]
    started = time.perf_counter()
    for _ in range(10):
        for text in samples:
            read_date(text, TODAY)
    assert (time.perf_counter() - started) / (10 * len(samples)) < 0.0005


BIRTHS = [
    ("1990", DateReading(dt.date(1990, 1, 1), "year")),
    ("sinh năm 90", DateReading(dt.date(1990, 1, 1), "year")),
    ("năm 1985", DateReading(dt.date(1985, 1, 1), "year")),
    ("tôi sinh năm 1990", DateReading(dt.date(1990, 1, 1), "year")),
    ("born in 1990", DateReading(dt.date(1990, 1, 1), "year")),
    ("sinh nam 05", DateReading(dt.date(2005, 1, 1), "year")),
    # "sn", "ns" and "năm sinh" typed short on a phone, also for someone else ("bà sn 1948")
    ("sn 1958", DateReading(dt.date(1958, 1, 1), "year")),
    ("sn1958", DateReading(dt.date(1958, 1, 1), "year")),
    ("bà sn 1948 ạ", DateReading(dt.date(1948, 1, 1), "year")),
    ("ns 90", DateReading(dt.date(1990, 1, 1), "year")),
    ("năm sinh 1958", DateReading(dt.date(1958, 1, 1), "year")),
    ("ông sinh năm 1950", DateReading(dt.date(1950, 1, 1), "year")),
    ("15/3/1985", DateReading(dt.date(1985, 3, 15))),
    ("ngày 3 tháng 5 năm 1999", DateReading(dt.date(1999, 5, 3))),
    ("5/1990", DateReading(dt.date(1990, 5, 1), "month")),
    ("90", None),  # two digits alone may be an age
    ("25", None),
    ("ko nhớ", None),
    ("abc", None),
    ("1990 hay 1991 gì đó", None),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "expected"), BIRTHS, ids=[t for t, _e in BIRTHS])
def test_a_date_of_birth_may_be_only_its_year(typed: str, expected: DateReading | None) -> None:
    """read_birth takes a year alone ("1990", "sinh năm 90") besides every whole date."""
    assert read_birth(typed, dt.date(2026, 11, 23)) == expected


def test_an_age_is_told_apart_from_a_year() -> None:
    assert typed_an_age("35 tuổi")
    assert typed_an_age("I am 40 years old")
    assert not typed_an_age("1990")
    assert not typed_an_age("sinh năm 90")
