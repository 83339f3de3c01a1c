"""bot.core.lunar: the Vietnamese lunar calendar against published dates."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from bot.core import lunar

D = dt.date

# Tết Nguyên Đán as Vietnam kept it. 1985, 2007 and 2030 are the years it falls a day or a month
# apart from the Chinese New Year (a new moon between 23:00 and 24:00 Vietnam time): 20 Feb 1985,
# 18 Feb 2007, 3 Feb 2030 in China. A calendar reckoned at UTC+8 fails exactly these rows.
TET = {
    1985: D(1985, 1, 21), 1986: D(1986, 2, 9), 1987: D(1987, 1, 29), 1988: D(1988, 2, 17), 1989: D(1989, 2, 6),
    1990: D(1990, 1, 27), 1991: D(1991, 2, 15), 1992: D(1992, 2, 4), 1993: D(1993, 1, 23), 1994: D(1994, 2, 10),
    1995: D(1995, 1, 31), 1996: D(1996, 2, 19), 1997: D(1997, 2, 7), 1998: D(1998, 1, 28), 1999: D(1999, 2, 16),
    2000: D(2000, 2, 5), 2001: D(2001, 1, 24), 2002: D(2002, 2, 12), 2003: D(2003, 2, 1), 2004: D(2004, 1, 22),
    2005: D(2005, 2, 9), 2006: D(2006, 1, 29), 2007: D(2007, 2, 17), 2008: D(2008, 2, 7), 2009: D(2009, 1, 26),
    2010: D(2010, 2, 14), 2011: D(2011, 2, 3), 2012: D(2012, 1, 23), 2013: D(2013, 2, 10), 2014: D(2014, 1, 31),
    2015: D(2015, 2, 19), 2016: D(2016, 2, 8), 2017: D(2017, 1, 28), 2018: D(2018, 2, 16), 2019: D(2019, 2, 5),
    2020: D(2020, 1, 25), 2021: D(2021, 2, 12), 2022: D(2022, 2, 1), 2023: D(2023, 1, 22), 2024: D(2024, 2, 10),
    2025: D(2025, 1, 29), 2026: D(2026, 2, 17), 2027: D(2027, 2, 6), 2028: D(2028, 1, 26), 2030: D(2030, 2, 2),
}  # fmt: skip


@pytest.mark.parametrize(("year", "day"), TET.items(), ids=[str(y) for y in TET])
def test_tet_is_the_date_vietnam_keeps(year: int, day: dt.date) -> None:
    assert lunar.tet(year) == day


# Public holidays and festivals by their lunar date: Giỗ Tổ Hùng Vương (10/3), Trung thu (15/8),
# and a day in month 11 and 12 of a lunar year, which fall in the next solar year.
DAYS = [
    ((10, 3, 2019), D(2019, 4, 14)), ((10, 3, 2023), D(2023, 4, 29)), ((10, 3, 2024), D(2024, 4, 18)),
    ((10, 3, 2025), D(2025, 4, 7)), ((10, 3, 2026), D(2026, 4, 26)),
    ((15, 8, 2023), D(2023, 9, 29)), ((15, 8, 2024), D(2024, 9, 17)), ((15, 8, 2025), D(2025, 10, 6)),
    ((23, 12, 2025), D(2026, 2, 10)),  # ông Công ông Táo, a week before Tết 2026
    ((29, 12, 2024), D(2025, 1, 28)),  # giao thừa 2025: tháng Chạp of Giáp Thìn had 29 days
]  # fmt: skip


@pytest.mark.parametrize(("lunar_date", "solar"), DAYS, ids=[f"{d}/{m}/{y}" for (d, m, y), _s in DAYS])
def test_lunar_days_of_the_year_fall_on_their_published_dates(lunar_date: tuple[int, int, int], solar: dt.date) -> None:
    assert lunar.to_solar(*lunar_date) == solar


@pytest.mark.parametrize(("year", "month"), [(2014, 9), (2017, 6), (2020, 4), (2023, 2), (2025, 6)])
def test_a_leap_month_exists_only_where_the_calendar_has_one(year: int, month: int) -> None:
    regular, leap = lunar.to_solar(1, month, year), lunar.to_solar(1, month, year, leap=True)
    assert regular is not None
    assert leap is not None
    assert 29 <= (leap - regular).days <= 30  # the leap month follows the month of that number
    others = [m for m in range(1, 13) if m != month and lunar.to_solar(1, m, year, leap=True) is not None]
    assert others == []
    assert lunar.to_solar(1, month, year + 1, leap=True) is None  # two leap months are never a year apart


def test_day_30_exists_only_in_a_long_month_and_every_month_follows_the_last() -> None:
    """Across two centuries: each month starts the day after the last one's last day."""
    for year in range(1900, 2100):
        months = [(m, False) for m in range(1, 13)]
        leap = [m for m in range(1, 13) if lunar.to_solar(1, m, year, leap=True) is not None]
        if leap:
            months.insert(months.index((leap[0], False)) + 1, (leap[0], True))
        for (m, is_leap), (n, next_leap) in itertools.pairwise(months):
            last = lunar.to_solar(30, m, year, is_leap) or lunar.to_solar(29, m, year, is_leap)
            assert last is not None
            assert lunar.to_solar(1, n, year, next_leap) == last + dt.timedelta(days=1)
        assert lunar.tet(year + 1) == (lunar.to_solar(30, 12, year) or lunar.to_solar(29, 12, year)) + dt.timedelta(days=1)  # type: ignore[operator]


@pytest.mark.parametrize("args", [(30, 12, 2024), (0, 1, 2026), (31, 1, 2026), (1, 13, 2026), (1, 0, 2026), (1, 1, 1899), (1, 1, 2200)])
def test_no_such_day_is_none(args: tuple[int, int, int]) -> None:
    assert lunar.to_solar(*args) is None
