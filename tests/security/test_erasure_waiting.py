""""Erase my data" also takes the messages still waiting for the person: the web chat's outbox
(a volunteer's answer the page has not fetched yet) and the messages Zalo's rate limit holds back.
Another person's, and the same id on another channel, stay."""

from __future__ import annotations

from pathlib import Path

from bot.app import build_app
from bot.core.messages import Inbound
from bot.settings import Settings
from bot.storage.outbox import Outbox
from tests.scale.test_exactly_once import read_rows, stored_turns, url  # noqa: F401  (fixtures)


def waiting(url: str) -> list[tuple[str, str]]:  # noqa: F811
    return [(row.channel, row.chat_id) for row in read_rows(url, "SELECT channel, chat_id FROM outbox ORDER BY id")]


async def test_an_erasure_takes_the_messages_waiting_for_the_person(url: str, tmp_path: Path) -> None:  # noqa: F811
    app = build_app(Settings(database_url=url, channels="web", secret_key="k" * 32,  # type: ignore[arg-type]
                             usage_spool_path=str(tmp_path / "spool")))  # fmt: skip
    try:
        for channel, chat in (("web", "visitor-1"), ("web", "visitor-12"), ("zalo-later", "visitor-1"),
                              ("telegram", "visitor-1"), ("web", "visitor-1")):  # fmt: skip
            await Outbox(app.db, channel).put(chat, [{"text": "Tình nguyện viên: số CCCD 001099012345 đã nhận"}])
        asked = await app.conversations.handle(Inbound("web", "visitor-1", "/xoadulieu"))
        assert [b.payload for b in asked[-1].buttons] == ["erase:yes", "erase:no"]
        await app.conversations.handle(Inbound("web", "visitor-1", payload="erase:yes"))
        assert stored_turns(url, "web:visitor-1") == 0
        assert waiting(url) == [("web", "visitor-12"), ("zalo-later", "visitor-1"), ("telegram", "visitor-1")]
        await app.conversations.handle(Inbound("zalo", "visitor-1", "/xoadulieu"))
        await app.conversations.handle(Inbound("zalo", "visitor-1", payload="erase:yes"))
        assert waiting(url) == [("web", "visitor-12"), ("telegram", "visitor-1")]
    finally:
        await app.close()
