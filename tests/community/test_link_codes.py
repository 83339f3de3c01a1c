"""Volunteer link codes: redeemed only on Telegram and Zalo (the web chat's id is the browser's
own choice), and wrong codes are limited for all accounts together, so guessing is hopeless
(docs/security.md has the arithmetic)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from bot.core.desk import LinkOutcome
from bot.helpdesk.sql import CODE_ALPHABET, CODE_LENGTH, SqlHelpDesk
from bot.ratelimit import LinkBudget, RateLimiter
from bot.storage.tables import link_codes
from tests.community.conftest import ANH_SON, Person


async def test_a_code_typed_in_the_web_chat_links_nothing(desk: SqlHelpDesk, person: Callable[..., Person]) -> None:
    """On the web chat /lienket is refused with a pointer to Telegram or Zalo; the code stays unused."""
    volunteer, code = desk.create_volunteer("Lê Thị Cúc", "Tổ xóm 3", ANH_SON, "0912000333", created_by="admin")
    web = person("web-visitor-0001", "web")
    for typed in (f"/lienket {code}", code):
        await web.say(typed)
        assert "Telegram" in web.text
        assert "Zalo" in web.text
        assert await desk.volunteer("web", "web-visitor-0001") is None
    with desk.db.connect() as conn:
        assert conn.execute(sa.select(link_codes.c.used_at)).scalar_one() is None
    zalo = person("6142494823000000000", "zalo")
    await zalo.say(f"/lienket {code}")
    assert await desk.volunteer("zalo", "6142494823000000000") == volunteer


async def test_wrong_codes_from_many_accounts_spend_one_global_budget(desk: SqlHelpDesk) -> None:
    """Once the global budget of wrong codes is spent, every account waits, even with a right code;
    right codes spend nothing."""
    limiter = RateLimiter()
    desk.link_budget = LinkBudget(limiter, "3/hour")
    _volunteer, code = desk.create_volunteer("Đặng Thị Gấm", "Tổ xóm 6", ANH_SON, None, created_by="admin")
    _other, second = desk.create_volunteer("Hồ Văn Dũng", "Tổ xóm 4", ANH_SON, None, created_by="admin")
    assert (await desk.link("telegram", "700", code)).outcome is LinkOutcome.LINKED
    outcomes = [(await desk.link("telegram", f"70{i}", f"AAAA-{i:04d}")).outcome for i in range(1, 5)]
    assert outcomes == [LinkOutcome.UNKNOWN] * 3 + [LinkOutcome.THROTTLED]
    assert (await desk.link("zalo", "z1", second)).outcome is LinkOutcome.THROTTLED


def test_codes_are_long_enough_that_guessing_within_the_limits_is_hopeless() -> None:
    """With the default global budget (300 wrong codes a day) over a code's 72 hours and 1,000 live
    codes, the chance of any hit is below one in a hundred thousand."""
    space = len(CODE_ALPHABET) ** CODE_LENGTH
    guesses = 3 * 300
    assert guesses * 1000 / space < 1e-5
