"""A help request's "what do you need" is stored redacted: in the conversation's draft and in
the request the dashboard lists (the team group was already shown a redacted copy)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from bot.core.redact import ID
from bot.helpdesk.sql import SqlHelpDesk
from bot.storage.tables import help_requests
from tests.community.conftest import Person


async def test_a_help_request_stores_what_is_needed_redacted(person: Callable[..., Person], desk: SqlHelpDesk) -> None:
    """The "what do you need" words are stored without the ID number or phone typed in them, in the
    conversation's draft and in the request the dashboard lists."""
    citizen = person("1301")
    await citizen.say("tôi muốn gặp người thật")
    await citizen.press("hd:yes")
    await citizen.say("0912.345.678")
    await citizen.say("anh son")
    await citizen.press_labelled("Anh Sơn")
    await citizen.say("cấp lại căn cước cho mẹ, số 038123456789, otp 123456")
    assert citizen.state is not None
    assert citizen.state.help is not None
    assert "038123456789" not in (citizen.state.help.need or "")
    await citizen.press("ht:morning")
    with desk.db.connect() as conn:
        stored = conn.execute(sa.select(help_requests.c.need)).scalar_one()
    assert "038123456789" not in stored
    assert "123456" not in stored
    assert ID in stored


@pytest.mark.parametrize("db", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize("need", ["cấp lại \ud800 căn cước", "cấp lại\x00 căn cước\x07"])
async def test_a_need_with_a_lone_surrogate_or_a_nul_is_stored_and_answered(
    person: Callable[..., Person], desk: SqlHelpDesk, need: str
) -> None:
    """A need with a lone surrogate or control characters (the web chat drops them; Telegram and
    Zalo pass text as sent) is kept without them and the request goes through (probed: the turn
    failed on saving the state, and the Telegram citizen got no answer at all)."""
    citizen = person("1302")
    await citizen.say("tôi muốn gặp người thật")
    await citizen.press("hd:yes")
    await citizen.say("0912.345.678")
    await citizen.say("anh son")
    await citizen.press_labelled("Anh Sơn")
    await citizen.say(need)
    await citizen.press("ht:morning")
    with desk.db.connect() as conn:
        stored = conn.execute(sa.select(help_requests.c.need)).scalar_one()
    assert "căn cước" in stored
    assert "\x00" not in stored
    assert "\x07" not in stored
    stored.encode("utf-8")
