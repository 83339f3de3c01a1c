"""The Vietnamese lunar calendar (âm lịch): a lunar date to its solar date.

Older citizens often know a birth or a death by its lunar date ("15 tháng 8 âm lịch năm 1960",
"rằm tháng 7", "mùng 3 Tết"), and papers need the solar one. This is Hồ Ngọc Đức's algorithm,
the one Vietnamese calendar software uses: new moons and the sun's longitude from Jean Meeus,
*Astronomical Algorithms*, reckoned at UTC+7, where Vietnam's calendar has been reckoned since
1968 — so it differs from the Chinese calendar (UTC+8) where a new moon falls between 23:00
and 24:00 Vietnam time: Tết 1985 was 21 January in Vietnam and 20 February in China, Tết 2007
17 against 18 February, Tết 2030 2 against 3 February (tests/core/test_lunar.py checks these and
the published dates of Tết, rằm tháng Tám and Giỗ Tổ). Accurate for 1900–2199; outside that
range nothing is converted.

The PyPI packages checked (lunardate, lunarcalendar) follow the Chinese calendar, so they would be
a day off in exactly those years.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache

TIME_ZONE = 7.0
"""Hours east of UTC at which new moons and solar terms are dated (Vietnam since 1968)."""
FIRST_YEAR, LAST_YEAR = 1900, 2199
_SYNODIC = 29.530588853  # days from one new moon to the next, on average
_EPOCH = 2415021.076998695  # the new moon of 1 January 1900, as a Julian day


def _julian_day(date: dt.date) -> int:
    return date.toordinal() + 1721425


def _date(julian_day: int) -> dt.date:
    return dt.date.fromordinal(julian_day - 1721425)


def _new_moon(k: int) -> float:
    """The Julian day (UTC) of the k-th new moon after 1 January 1900 (Meeus, chapter 49)."""
    t = k / 1236.85
    t2, t3 = t * t, t * t * t
    dr = math.pi / 180
    jd = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3  # the sun's mean anomaly
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3  # the moon's
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3  # the moon's argument of latitude
    c1 = (0.1734 - 0.000393 * t) * math.sin(m * dr) + 0.0021 * math.sin(2 * dr * m)
    c1 += -0.4068 * math.sin(mpr * dr) + 0.0161 * math.sin(dr * 2 * mpr) - 0.0004 * math.sin(dr * 3 * mpr)
    c1 += 0.0104 * math.sin(dr * 2 * f) - 0.0051 * math.sin(dr * (m + mpr))
    c1 += -0.0074 * math.sin(dr * (m - mpr)) + 0.0004 * math.sin(dr * (2 * f + m))
    c1 += -0.0004 * math.sin(dr * (2 * f - m)) - 0.0006 * math.sin(dr * (2 * f + mpr))
    c1 += 0.0010 * math.sin(dr * (2 * f - mpr)) + 0.0005 * math.sin(dr * (2 * mpr + m))
    if t < -11:
        delta_t = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        delta_t = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd + c1 - delta_t


def _sun_longitude(julian_day: float) -> float:
    """The sun's apparent longitude (radians, 0 to 2π) at a Julian day (UTC)."""
    t = (julian_day - 2451545.0) / 36525
    t2 = t * t
    dr = math.pi / 180
    m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2
    dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(dr * m)
    dl += (0.019993 - 0.000101 * t) * math.sin(dr * 2 * m) + 0.000290 * math.sin(dr * 3 * m)
    longitude = (l0 + dl) * dr
    return longitude - 2 * math.pi * math.floor(longitude / (2 * math.pi))


def _new_moon_day(k: int) -> int:
    """The day (Julian day number, local time) on which the k-th new moon falls."""
    return math.floor(_new_moon(k) + 0.5 + TIME_ZONE / 24)


def _sun_sector(day: int) -> int:
    """Which twelfth of the ecliptic the sun is in at the start of ``day`` (local time), 0–11."""
    return math.floor(_sun_longitude(day - 0.5 - TIME_ZONE / 24) / math.pi * 6)


@lru_cache(maxsize=512)
def _month_11(year: int) -> int:
    """The first day of the lunar month holding the winter solstice (tháng 11) of ``year``."""
    k = math.floor((_julian_day(dt.date(year, 12, 31)) - 2415021) / _SYNODIC)
    start = _new_moon_day(k)
    return _new_moon_day(k - 1) if _sun_sector(start) >= 9 else start


def _leap_offset(month_11: int) -> int:
    """In a lunar year of 13 months, how many months after tháng 11 the leap month comes: the
    first month in which the sun enters no new twelfth of the ecliptic."""
    k = math.floor((month_11 - _EPOCH) / _SYNODIC + 0.5)
    i = 1
    sector = _sun_sector(_new_moon_day(k + i))
    while True:
        last = sector
        i += 1
        sector = _sun_sector(_new_moon_day(k + i))
        if sector == last or i >= 14:
            return i - 1


def to_solar(day: int, month: int, year: int, leap: bool = False) -> dt.date | None:
    """The solar date of lunar ``day``/``month`` of lunar ``year`` (``leap``: the leap month of that
    number, "tháng 4 nhuận"); None when there is no such day (a leap month the year lacks, day 30
    of a 29-day month) or the year is out of range."""
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12 and 1 <= day <= 30):
        return None
    if month < 11:
        a11, b11 = _month_11(year - 1), _month_11(year)
    else:
        a11, b11 = _month_11(year), _month_11(year + 1)
    k = math.floor(0.5 + (a11 - _EPOCH) / _SYNODIC)
    offset = (month - 11) % 12
    if b11 - a11 > 365:  # thirteen months between the solstices: one is a leap month
        leap_offset = _leap_offset(a11)
        leap_month = (leap_offset - 2) % 12
        if leap and month != leap_month:
            return None
        if leap or offset >= leap_offset:
            offset += 1
    elif leap:
        return None
    start = _new_moon_day(k + offset)
    if day > _new_moon_day(k + offset + 1) - start:
        return None  # this month has 29 days
    return _date(start + day - 1)


def tet(year: int) -> dt.date | None:
    """Tết Nguyên Đán — mùng 1 tháng Giêng — of ``year``."""
    return to_solar(1, 1, year)
