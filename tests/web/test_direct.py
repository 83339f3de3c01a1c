"""bot.web.direct: the web chat's message route answered before Starlette's layers gives what
those layers gave — the same answers, headers, body limit and last-resort 500 — and a request it
cannot finish (a client gone mid-body) runs no turn."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bot.channels.webchat import WebChat
from bot.settings import Settings
from bot.web.app import create_app
from bot.web.direct import Direct

_SETTINGS: dict[str, Any] = {
    "secret_key": "k" * 40, "channels": "web", "admin_bootstrap": False, "production": True,
    "web_rate_per_user": "4/minute", "max_body_bytes": 2048,
}  # fmt: skip
JSON = {"content-type": "application/json"}


@contextlib.asynccontextmanager
async def app(folder: Path) -> AsyncIterator[Starlette]:
    web = create_app(Settings(**_SETTINGS, database_url=f"sqlite:///{folder / 'db.sqlite3'}"))
    async with web.router.lifespan_context(web):
        yield web


def client(asgi: Any, **kwargs: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=asgi, client=("203.0.113.7", 5000), **kwargs)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def chat(web: Starlette) -> WebChat:
    return next(channel for channel in web.state.channels if isinstance(channel, WebChat))


def message(user: str, n: int, **fields: Any) -> bytes:
    return json.dumps({"user": user, "id": f"message{n:04d}", **fields}).encode()


async def test_the_route_is_answered_before_starlettes_layers(tmp_path: Path) -> None:
    """The message POST never reaches Starlette's stack; the page does."""
    async with app(tmp_path) as web:
        seen: list[str] = []
        stack = web.build_middleware_stack()
        assert isinstance(stack, Direct)
        starlettes = stack.app

        async def watched(scope: Any, receive: Any, send: Any) -> None:
            seen.append(f"{scope['method']} {scope['path']}")
            await starlettes(scope, receive, send)

        stack.app = watched
        web.middleware_stack = stack
        async with client(web) as http:
            answer = await http.post("/chat/api/message", content=message("directuser", 1, text="lam cccd o dau"), headers=JSON)
            page = await http.get("/chat")
        assert answer.status_code == 200
        assert "Công an" in answer.text
        assert page.status_code == 200
        assert seen == ["GET /chat"]


async def test_it_answers_as_starlettes_route_did(tmp_path: Path) -> None:
    """The same requests, through the direct route and through Starlette's route (the app
    without its direct layer): the same status, JSON and headers, for an answer, a repeat, a
    malformed body, a wrong media type and a person over their limit (429 with Retry-After)."""
    async with app(tmp_path) as web:
        assert isinstance(web.build_middleware_stack(), Direct)
        via_starlette = web.build_middleware_stack().app  # type: ignore[attr-defined]
        answers: dict[str, list[httpx.Response]] = {}
        for name, asgi in (("direct", web), ("starlette", via_starlette)):
            user = f"{name}user1"
            async with client(asgi) as http:
                answers[name] = [
                    await http.post("/chat/api/message", content=message(user, 1, text="lam cccd o dau"), headers=JSON),
                    await http.post("/chat/api/message", content=message(user, 1, text="lam cccd o dau"), headers=JSON),
                    await http.post("/chat/api/message", content=b"{not json", headers=JSON),
                    await http.post("/chat/api/message", content=message(user, 2, text="hi"), headers={"content-type": "text/plain"}),
                    await http.post("/chat/api/message", content=message(user, 3, text="le phi"), headers=JSON),
                    await http.post("/chat/api/message", content=message(user, 4, text="o dau"), headers=JSON),
                    await http.post("/chat/api/message", content=message(user, 5, text="bao lau"), headers=JSON),
                ]  # fmt: skip
    direct, starlette = answers["direct"], answers["starlette"]
    assert [a.status_code for a in direct] == [200, 200, 400, 415, 200, 200, 429]
    assert [a.status_code for a in starlette] == [a.status_code for a in direct]
    for ours, theirs in zip(direct, starlette, strict=True):
        assert ours.json() == theirs.json()
        assert dict(ours.headers) == dict(theirs.headers), ours.status_code
    assert direct[0].json() == direct[1].json()  # the repeat got the first answer back
    assert direct[-1].headers["retry-after"]
    assert direct[-1].headers["strict-transport-security"]


async def test_a_bug_is_logged_and_answered_500_with_the_headers(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """What nothing caught: a 500 without a trace, the security headers on it, the error in the log."""
    async with app(tmp_path) as web:

        async def broken(*_args: Any) -> Any:
            raise RuntimeError("a bug in the route")

        chat(web).answer = broken  # type: ignore[method-assign]
        with caplog.at_level(logging.ERROR, logger="bot.web"):
            async with client(web, raise_app_exceptions=False) as http:
                answer = await http.post("/chat/api/message", content=message("directuser", 1, text="hi"), headers=JSON)
    assert answer.status_code == 500
    assert answer.text == "Internal Server Error"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["strict-transport-security"]
    assert any("a bug in the route" in str(record.exc_info[1]) for record in caplog.records if record.exc_info)


async def test_under_a_proxy_prefix_the_route_still_answers(tmp_path: Path) -> None:
    """A proxy serving the app under /trolyso (root_path): the message is the direct route's."""
    async with app(tmp_path) as web:
        transport = httpx.ASGITransport(app=web, client=("203.0.113.7", 5000), root_path="/trolyso")
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            answer = await http.post("/trolyso/chat/api/message", content=message("prefixuser", 1, text="lam cccd o dau"),
                                     headers=JSON)  # fmt: skip
    assert answer.status_code == 200
    assert "Công an" in answer.text


async def test_a_client_gone_mid_body_runs_no_turn(tmp_path: Path) -> None:
    """Half a body, then the client disconnects: no answer is sent and no turn runs."""
    async with app(tmp_path) as web:
        turns: list[Any] = []
        real = chat(web).answer

        async def counted(*args: Any) -> Any:
            turns.append(args)
            return await real(*args)

        chat(web).answer = counted  # type: ignore[method-assign]
        body = message("goneuser01", 1, text="lam cccd o dau")
        parts = [{"type": "http.request", "body": body[:10], "more_body": True}, {"type": "http.disconnect"}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return parts.pop(0)

        async def send(event: dict[str, Any]) -> None:
            sent.append(event)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
                 "path": "/chat/api/message", "raw_path": b"/chat/api/message", "query_string": b"", "root_path": "",
                 "headers": [(b"content-type", b"application/json")], "client": ("203.0.113.7", 5000),
                 "server": ("testserver", 80), "state": {}}  # fmt: skip
        await web(scope, receive, send)
    assert sent == []
    assert turns == []


async def test_a_body_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A declared length over the limit: 413 without reading a byte, with the headers; streamed
    (no length declared) over it: 413 too, and no turn."""
    async with app(tmp_path) as web:
        reads = 0

        async def receive() -> dict[str, Any]:
            nonlocal reads
            reads += 1
            return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

        sent: list[dict[str, Any]] = []

        async def send(event: dict[str, Any]) -> None:
            sent.append(event)

        def scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
            return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                    "scheme": "http", "path": "/chat/api/message", "raw_path": b"/chat/api/message",
                    "query_string": b"", "root_path": "", "headers": [(b"content-type", b"application/json"), *headers],
                    "client": ("203.0.113.7", 5000), "server": ("testserver", 80), "state": {}}  # fmt: skip

        await web(scope([(b"content-length", b"4096")]), receive, send)
        assert reads == 0
        await web(scope([]), receive, send)
        assert reads == 3  # 1 KiB, 2 KiB (the limit), then over it
    starts = [event for event in sent if event["type"] == "http.response.start"]
    assert [start["status"] for start in starts] == [413, 413]
    for start in starts:
        assert (b"x-content-type-options", b"nosniff") in start["headers"]
    assert [event["body"] for event in sent if event["type"] == "http.response.body"] == [b"Content Too Large"] * 2


async def test_the_telegram_webhook_answers_as_starlettes_route_did(tmp_path: Path) -> None:
    """Telegram's POST through the direct route and through Starlette's: the same status, body
    and headers for a wrong secret, a wrong media type, a body that is not JSON, one that is not
    an update, an update (its first reply in the answer's body) and the same update again."""
    from tests.fakes.telegram_api import Updates

    settings = {**_SETTINGS, "channels": "telegram", "telegram_token": "123456:TEST", "telegram_webhook_secret": "abc",
                "telegram_api_base": "http://127.0.0.1:9", "database_url": f"sqlite:///{tmp_path / 'db.sqlite3'}"}  # fmt: skip
    web = create_app(Settings(**settings))
    updates = Updates()
    secret = {"X-Telegram-Bot-Api-Secret-Token": "abc", **JSON}
    answers: dict[str, list[httpx.Response]] = {}
    async with web.router.lifespan_context(web):
        assert isinstance(web.build_middleware_stack(), Direct)
        via_starlette = web.build_middleware_stack().app  # type: ignore[attr-defined]
        for name, asgi, person in (("direct", web, 5001), ("starlette", via_starlette, 5002)):
            update = json.dumps(updates.text("/start", person)).encode()
            async with client(asgi) as http:
                answers[name] = [
                    await http.post("/telegram/webhook", content=update, headers={**JSON, "X-Telegram-Bot-Api-Secret-Token": "no"}),
                    await http.post("/telegram/webhook", content=update, headers={**secret, "content-type": "text/plain"}),
                    await http.post("/telegram/webhook", content=b"{not json", headers=secret),
                    await http.post("/telegram/webhook", content=b'{"update_id": "x"}', headers=secret),
                    await http.post("/telegram/webhook", content=update, headers=secret),
                    await http.post("/telegram/webhook", content=update, headers=secret),
                ]  # fmt: skip
    direct, starlette = answers["direct"], answers["starlette"]
    assert [a.status_code for a in direct] == [401, 415, 400, 400, 200, 200]
    assert [a.status_code for a in starlette] == [a.status_code for a in direct]
    for ours, theirs in zip(direct, starlette, strict=True):
        assert dict(ours.headers) == dict(theirs.headers), ours.status_code
        if ours.status_code != 200 or not ours.content:
            assert ours.content == theirs.content
    sent = direct[4].json()
    assert sent["method"] == "sendMessage"
    assert sent["chat_id"] == 5001
    assert "Xin chào" in sent["text"]
    assert direct[5].content == b""  # the same update again: handled once, nothing to send
