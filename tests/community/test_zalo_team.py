"""The help desk over Zalo OA: a volunteer linked on Zalo is sent the request (a push outside
their own turn), takes it with the button, and the citizen — also on Zalo — is told who calls."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.channels.zalo_api import PRESS
from tests.channels.zalo_harness import Running, fake_zalo, serving
from tests.community.conftest import ANH_SON
from tests.fakes.zalo_api import to_outbound

CITIZEN, VOLUNTEER = "6142494823000000101", "6142494823000000202"


@pytest.fixture
async def zalo(sqlite_url: str) -> AsyncIterator[Running]:
    async with fake_zalo() as fake, serving(fake, sqlite_url, None) as running:
        yield running


def sent_to(running: Running, user: str, since: int) -> list[str]:
    return [to_outbound(c.body["message"]).text for c in running.fake.sent[since:]
            if c.user == user]  # fmt: skip


async def request_up_to_its_last_step(running: Running, citizen: str = CITIZEN, volunteer: str = VOLUNTEER) -> dict[str, Any]:
    """A volunteer of Anh Sơn linked on Zalo, and a citizen's help request typed up to its last step
    (when to call); returns that step's event, not yet delivered."""
    desk = running.core.desk
    assert desk is not None
    _volunteer, code = desk.create_volunteer("Hoàng Văn Phúc", "Tổ xóm 2", ANH_SON, "0977000333", created_by="admin")
    replies = await running.say(f"/lienket {code}", volunteer)
    assert "Hoàng Văn Phúc" in replies[0].text
    for text in ("tôi muốn gặp người thật", PRESS + "hd:yes", "0912 345 678", "anh son", PRESS + f"hc:{ANH_SON}",
                 PRESS + "hn:skip"):  # fmt: skip
        await running.say(text, citizen)
    return running.zalo.event(citizen, PRESS + "ht:any")


async def test_a_zalo_volunteer_is_told_takes_it_and_the_citizen_hears(zalo: Running) -> None:
    await request_up_to_its_last_step(zalo)
    before = len(zalo.fake.sent)
    replies = await zalo.say(PRESS + "ht:any", CITIZEN)
    ticket = int(re.search(r"#(\d+)", replies[0].text).group(1))  # type: ignore[union-attr]
    told = sent_to(zalo, VOLUNTEER, before)
    assert told
    assert f"#{ticket}" in told[0]
    assert "0912345678" not in told[0].replace(" ", "")

    before = len(zalo.fake.sent)
    await zalo.say(PRESS + f"hr:claim:{ticket}", VOLUNTEER)
    assert "0912 345 678" in "\n".join(sent_to(zalo, VOLUNTEER, before))
    citizen_told = sent_to(zalo, CITIZEN, before)
    assert citizen_told
    assert "Hoàng Văn Phúc" in citizen_told[0]
    assert "0977 000 333" in citizen_told[0]


async def test_a_citizen_zalo_will_not_reach_makes_the_volunteer_call(zalo: Running) -> None:
    """When Zalo refuses the push to the citizen (-230: silent for 7 days), the volunteer who took
    the request is told, in the same chat, to phone them."""
    await request_up_to_its_last_step(zalo)
    replies = await zalo.say(PRESS + "ht:any", CITIZEN)
    ticket = int(re.search(r"#(\d+)", replies[0].text).group(1))  # type: ignore[union-attr]
    zalo.fake.inactive = {CITIZEN}
    before = len(zalo.fake.sent)
    await zalo.say(PRESS + f"hr:claim:{ticket}", VOLUNTEER)
    told = "\n".join(sent_to(zalo, VOLUNTEER, before))
    assert "gọi điện cho họ: 0912 345 678" in told
    assert sent_to(zalo, CITIZEN, before) == []
