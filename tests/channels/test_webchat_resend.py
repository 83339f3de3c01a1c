"""The web chat's message ids: a resend of a message (no answer came back) is answered again and
applied once, across workers and restarts; ids are namespaced by the person's id, so another
visitor reusing one is a message of their own; a malformed id is refused kindly."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import build_app
from bot.core.messages import Inbound, Outbound
from bot.settings import Settings
from tests.channels.test_webchat import LiveServer, new_user, serve
from tests.fakes.webchat import message_id
from tests.scale.test_exactly_once import stored_turns

CCCD, PASSPORT = "lam cccd o dau", "lam ho chieu o dau"


@contextlib.asynccontextmanager
async def worker(url: str, tmp_path: Path) -> AsyncIterator[tuple[LiveServer, httpx.AsyncClient]]:
    """The app as `trolyso serve` builds it, web chat on, over the database at ``url``."""
    settings = Settings(database_url=url, channels="web", admin_bootstrap=False, secret_key="k" * 32,  # type: ignore[arg-type]
                        usage_spool_path=str(tmp_path / f"spool-{uuid.uuid4().hex}.jsonl"))  # fmt: skip
    async with serve(build_app(settings)) as live, httpx.AsyncClient(base_url=live.url, timeout=10) as http:
        yield live, http


async def post(http: httpx.AsyncClient, user: str, text: str, message_id: Any = None) -> httpx.Response:
    body: dict[str, Any] = {"user": user, "text": text}
    if message_id is not None:
        body["id"] = message_id
    return await http.post("/chat/api/message", json=body)


async def test_a_resent_message_gets_the_same_answer_and_counts_once(database_url: str, tmp_path: Path) -> None:
    """The same message id sent again — to the same worker or another — gets the first answer's
    body back, and the conversation moves one turn."""
    user, sent = new_user(), message_id()
    async with worker(database_url, tmp_path) as (_a, one), worker(database_url, tmp_path) as (_b, two):
        first = await post(one, user, CCCD, sent)
        assert first.status_code == 200
        assert "Công an" in first.text
        for http in (one, two, one):
            again = await post(http, user, CCCD, sent)
            assert again.status_code == 200
            assert again.json() == first.json()
        assert stored_turns(database_url, f"web:{user}") == 1
        assert (await post(two, user, CCCD, message_id())).status_code == 200  # a new message is a new turn
        assert stored_turns(database_url, f"web:{user}") == 2


async def test_a_worker_dying_after_the_save_loses_no_answer(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker saves the turn and dies before answering; the page's resend (nginx sends it to
    the other worker) gets the answer, and the turn counted once."""
    user, sent = new_user(), message_id()
    async with worker(database_url, tmp_path) as (dying, one), worker(database_url, tmp_path) as (_b, two):
        ctx = dying.web.state.channels[0].ctx
        converse = ctx.converse

        async def converse_then_die(inbound: Inbound) -> list[Outbound]:
            await converse(inbound)
            raise asyncio.CancelledError  # as a SIGKILL would stop it: no answer leaves

        monkeypatch.setattr(ctx, "converse", converse_then_die)
        with contextlib.suppress(httpx.HTTPError):
            lost = await post(one, user, CCCD, sent)
            assert lost.status_code >= 500
        assert stored_turns(database_url, f"web:{user}") == 1
        again = await post(two, user, CCCD, sent)
        assert again.status_code == 200
        assert "Công an" in again.text
        assert stored_turns(database_url, f"web:{user}") == 1


async def test_another_person_reusing_a_message_id_gets_their_own_answer(
    database_url: str, tmp_path: Path
) -> None:
    """A message id is only a message's within one person's conversation: another visitor sending the
    same id is answered for their own message, never with the first person's stored answer."""
    owner, other, control, sent = new_user(), new_user(), new_user(), message_id()
    async with worker(database_url, tmp_path) as (_live, http):
        first = await post(http, owner, CCCD, sent)
        theirs = await post(http, other, PASSPORT, sent)
        expected = await post(http, control, PASSPORT, message_id())
        assert [first.status_code, theirs.status_code, expected.status_code] == [200, 200, 200]
        assert theirs.json() == expected.json()
        assert theirs.json() != first.json()
        same_text = await post(http, control, CCCD, sent)  # the same words and id as the owner's
        assert same_text.status_code == 200
        assert stored_turns(database_url, f"web:{control}") == 2  # handled: their own turn
        assert stored_turns(database_url, f"web:{owner}") == 1


@pytest.mark.parametrize(
    "bad",
    ["short", "x" * 65, "bad id!", "../../etc", "ñandúñandú", "m" * 20 + "\n", 12345678, "", ["m" * 10], {"a": 1}, True],
)
async def test_a_malformed_message_id_is_refused_kindly(bad: object, sqlite_url: str, tmp_path: Path) -> None:
    """An id that is not 8-64 characters of A-Z a-z 0-9 _ - gets a 400 the page can show; nothing is saved."""
    user = new_user()
    async with worker(sqlite_url, tmp_path) as (live, http):
        response = await http.post("/chat/api/message", json={"user": user, "text": CCCD, "id": bad})
        assert response.status_code == 400
        body = response.json()
        assert body["error"].startswith("Xin lỗi")
        assert "id must be" in body["detail"]
        assert live.stored() == 0


@pytest.mark.parametrize(
    ("body", "lang", "error"),
    [
        ({"text": CCCD}, None, "Khung chat này đã cũ. Bạn tải lại trang rồi gửi lại tin nhắn nhé."),
        ({"payload": "m:0"}, None, "Khung chat này đã cũ. Bạn tải lại trang rồi gửi lại tin nhắn nhé."),
        ({"text": "co"}, "en", "This chat page is out of date. Please reload the page, then send your message again."),
    ],
)
async def test_a_message_without_an_id_asks_to_reload_the_page(
    body: dict[str, str], lang: str | None, error: str, database_url: str, tmp_path: Path
) -> None:
    """A page loaded before messages had ids sends none. nginx sends a message again to another
    worker when the first died holding it, and an id-less one cannot be told from a new one: it
    would be applied twice. So it is refused with words the old page shows (it puts the text back
    in the box), asking to reload; the reloaded page sends ids. Nothing is applied, however often."""
    user = new_user()
    async with worker(database_url, tmp_path) as (_live, http):
        for _ in range(2):  # the first try and nginx's retry of it
            response = await http.post("/chat/api/message", json={"user": user, **body, **({"lang": lang} if lang else {})})
            assert response.status_code == 400
            assert response.json()["error"] == error
        assert stored_turns(database_url, f"web:{user}") == 0
        reloaded = await post(http, user, CCCD, message_id())
        assert reloaded.status_code == 200
        assert "Công an" in reloaded.text
