"""The web chat over real HTTP: the contract scripts through POST /chat/api/message, refused
requests, and the page with its assets (small, self-contained, with a strict CSP)."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from bot.app import App
from bot.channels.webchat import MAX_TEXT, WebChat, render
from bot.conversations import Conversations
from bot.core.engine import Engine
from bot.core.messages import Button, Inbound, Outbound
from bot.core.state import ConversationState
from bot.core.turn import Turn
from bot.errors import ConfigError
from bot.settings import Settings
from bot.storage.db import create_db_engine, upgrade
from bot.storage.sql import SqlStateStore
from bot.testing import Script, load_scripts, run_script
from bot.web.app import create_app
from bot.web.channel import ChannelContext
from bot.web.metrics import Metrics
from tests.fakes.webchat import message_id
from tests.live import served

CONTRACT = load_scripts(Path(__file__).parent / "contract") + load_scripts(
    Path(__file__).parents[1] / "conversations", "talk_*.yaml"
)  # how citizens go on talking (issue 11): every channel, not only the engine
PAGE_BUDGET = 30 * 1024
"""Bytes of HTML, CSS and JavaScript together, before compression: a 2G phone loads it in seconds."""


@dataclass
class LiveServer:
    """The whole HTTP app served by uvicorn on 127.0.0.1, and what a test may inspect."""

    url: str
    web: Starlette
    core: App

    def stored(self) -> int:
        """How many conversations the database holds."""
        with self.core.db.connect() as connection:
            return int(connection.execute(sa.text("SELECT count(*) FROM conversations")).scalar_one())

    def turns(self, key: str) -> int:
        """How many turns the stored conversation ``key`` counts (0: none stored)."""
        with self.core.db.connect() as connection:
            data = connection.execute(sa.text("SELECT state FROM conversations WHERE key = :k"), {"k": key}).scalar()
        return ConversationState.model_validate_json(data).turns if data is not None else 0

    def web_turns(self) -> float:
        value = self.web.state.metrics.registry.get_sample_value("trolyso_turns_total", {"channel": "web"})
        return float(value or 0.0)


def build_core(engine: object, sqlite_url: str) -> App:
    """The app's core over ``engine`` and a fresh SQLite file, web chat switched on."""
    settings = Settings(database_url=sqlite_url, channels="web")
    db = create_db_engine(sqlite_url)
    upgrade(db)
    store = SqlStateStore(db, ttl=timedelta(hours=settings.conversation_ttl_hours))
    return App(settings, engine, db, store, Conversations(engine, store))  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def serve(core: App) -> AsyncIterator[LiveServer]:
    """Run the app with uvicorn on a free loopback port until the block ends."""
    web = create_app(core.settings, app=core)
    try:
        async with served(web) as url:
            yield LiveServer(url, web, core)
    finally:
        await core.close()


@pytest.fixture
async def live(engine: Engine, sqlite_url: str) -> AsyncIterator[LiveServer]:
    """The app with the real engine (today fixed) on a real HTTP server."""
    async with serve(build_core(engine, sqlite_url)) as server:
        yield server


@pytest.fixture
async def client(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url, timeout=10) as http:
        yield http


def new_user() -> str:
    return f"test-{uuid.uuid4().hex}"


def as_outbound(data: dict[str, object]) -> list[Outbound]:
    """The API's JSON turned back into what the engine said."""
    messages = data["messages"]
    assert isinstance(messages, list)
    return [
        Outbound(m["text"], tuple(Button(b["label"], b.get("payload"), b.get("url")) for b in m["buttons"]))
        for m in messages
    ]


# --- the contract --------------------------------------------------------------------------------
@pytest.mark.parametrize("script", CONTRACT, ids=lambda s: s.path.stem)
async def test_contract_script_through_the_message_api(
    live: LiveServer, client: httpx.AsyncClient, script: Script
) -> None:
    """Each contract script passes when every turn is a POST to /chat/api/message, presses included."""

    async def send(inbound: Inbound) -> Sequence[Outbound]:
        body: dict[str, str] = {"user": inbound.user_id, "id": message_id()}
        if inbound.payload is not None:
            body["payload"] = inbound.payload
        else:
            body["text"] = inbound.text
        if inbound.lang_hint:
            body["lang"] = inbound.lang_hint
        response = await client.post("/chat/api/message", json=body)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.headers["cache-control"] == "no-store"
        return as_outbound(response.json())

    user = new_user()
    await run_script(script, send, user, channel="web")
    assert live.stored() == 1
    assert live.web_turns() >= len(script.turns)


async def test_replies_carry_buttons_with_payloads(client: httpx.AsyncClient) -> None:
    """The greeting comes back as JSON messages whose buttons each carry a label and a payload."""
    response = await client.post("/chat/api/message", json={"user": new_user(), "id": message_id(), "text": "/start"})
    data = response.json()
    assert set(data) == {"messages"}
    [greeting] = data["messages"]
    assert "Xin chào" in greeting["text"]
    assert {"label": "Gặp người hỗ trợ", "payload": "h"} in greeting["buttons"]
    assert all(set(b) == {"label", "payload"} for b in greeting["buttons"])


async def test_the_language_hint_answers_a_new_conversation_in_english(client: httpx.AsyncClient) -> None:
    """A "lang": "en" hint makes a fresh conversation greet in English."""
    response = await client.post(
        "/chat/api/message", json={"user": new_user(), "id": message_id(), "text": "/start", "lang": "en"}
    )
    assert "Hello" in response.json()["messages"][0]["text"]


def test_render_keeps_link_buttons_as_urls() -> None:
    """A button with a url becomes {"label", "url"}; one with a payload {"label", "payload"}."""
    message = Outbound(
        "x", (Button("Cổng DVC", url="https://dichvucong.gov.vn"), Button("Lệ phí", "s:a:fees"))
    )
    assert render([message]) == {"messages": [{"text": "x", "buttons": [
        {"label": "Cổng DVC", "url": "https://dichvucong.gov.vn"}, {"label": "Lệ phí", "payload": "s:a:fees"}]}]}  # fmt: skip


# --- refused requests ----------------------------------------------------------------------------
GOOD = "test-0123456789abcdef"
MESSAGE = "m0123456789abcdef"
BAD_REQUESTS = {
    "not json": b"hello",
    "truncated json": b'{"user": "test-0123456789abcdef", "text": "a',
    "a json list": b'["hello"]',
    "a json string": b'"hello"',
    "no user": json.dumps({"text": "hello"}).encode(),
    "a short user id": json.dumps({"user": "abc", "text": "hello"}).encode(),
    "a long user id": json.dumps({"user": "a" * 65, "text": "hello"}).encode(),
    "a user id with spaces": json.dumps({"user": "test 0123456789", "text": "hello"}).encode(),
    "a user id with a path": json.dumps({"user": "../../etc/passwd", "text": "hello"}).encode(),
    "a numeric user id": json.dumps({"user": 1234567890, "text": "hello"}).encode(),
    "no message id (a page loaded before ids)": json.dumps({"user": GOOD, "text": "hello"}).encode(),
    "neither text nor payload": json.dumps({"user": GOOD, "id": MESSAGE}).encode(),
    "blank text": json.dumps({"user": GOOD, "id": MESSAGE, "text": "  \n "}).encode(),
    "text over the limit": json.dumps({"user": GOOD, "id": MESSAGE, "text": "a" * (MAX_TEXT + 1)}).encode(),
    "text as a number": json.dumps({"user": GOOD, "id": MESSAGE, "text": 5}).encode(),
    "text as a list": json.dumps({"user": GOOD, "id": MESSAGE, "text": ["hello"]}).encode(),
    "payload as an object": json.dumps({"user": GOOD, "id": MESSAGE, "payload": {"p": "x"}}).encode(),
    "a payload over 64 bytes": json.dumps({"user": GOOD, "id": MESSAGE, "payload": "p:" + "x" * 63}).encode(),
    "text and payload": json.dumps({"user": GOOD, "id": MESSAGE, "text": "hi", "payload": "h"}).encode(),
    "an unknown language": json.dumps({"user": GOOD, "id": MESSAGE, "text": "hi", "lang": "fr"}).encode(),
    "a language as a number": json.dumps({"user": GOOD, "id": MESSAGE, "text": "hi", "lang": 1}).encode(),
    "deeply nested json": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("body", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
async def test_bad_requests_get_400_with_a_friendly_json_error(
    live: LiveServer, client: httpx.AsyncClient, body: bytes
) -> None:
    """A malformed request gets 400 and a JSON error for a person, and nothing is stored or run."""
    response = await client.post(
        "/chat/api/message", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert isinstance(error, str)
    assert len(error) > 20
    assert "Traceback" not in response.text
    assert live.stored() == 0
    assert live.web_turns() == 0


NOT_JSON_TYPES = {
    "text/plain (a cross-site form or fetch needs no preflight)": "text/plain",
    "a form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data; boundary=x",
    "no content type": None,
}


@pytest.mark.parametrize("media_type", NOT_JSON_TYPES.values(), ids=NOT_JSON_TYPES.keys())
async def test_a_message_not_sent_as_json_gets_415_and_is_not_run(
    live: LiveServer, client: httpx.AsyncClient, media_type: str | None
) -> None:
    """A well-formed message declared as anything but application/json is refused with a friendly
    415 and never run: another site's page could otherwise make its visitors' browsers post it."""
    body = json.dumps({"user": GOOD, "id": message_id(), "text": "làm căn cước ở đâu"}).encode()
    headers = {"content-type": media_type} if media_type else {}
    response = await client.post("/chat/api/message", content=body, headers=headers)
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/json"
    assert "tải lại trang" in response.json()["error"]
    assert live.stored() == 0
    assert live.web_turns() == 0
    declared = await client.post("/chat/api/message", content=body,
                                 headers={"content-type": "application/json; charset=utf-8"})  # fmt: skip
    assert declared.status_code == 200


async def test_the_errors_speak_the_requested_language(client: httpx.AsyncClient) -> None:
    """Too long a text is explained with the limit written the way each language writes numbers."""
    text = "a" * (MAX_TEXT + 1)
    english = await client.post("/chat/api/message", json={"user": GOOD, "id": message_id(), "text": text, "lang": "en"})
    assert english.json()["error"] == "That message is too long: please keep it under 4,000 characters."
    vietnamese = await client.post("/chat/api/message", json={"user": GOOD, "id": message_id(), "text": text})
    assert "4.000" in vietnamese.json()["error"]


async def test_a_message_of_exactly_the_limit_is_answered(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    """A text of MAX_TEXT characters is still a message, and its conversation is stored."""
    response = await client.post(
        "/chat/api/message", json={"user": GOOD, "id": message_id(), "text": ("căn cước " * MAX_TEXT)[:MAX_TEXT]}
    )
    assert response.status_code == 200
    assert live.stored() == 1


async def test_control_characters_are_dropped_not_stored(live: LiveServer, client: httpx.AsyncClient) -> None:
    """NUL and other control characters (which PostgreSQL JSON refuses) never reach the engine."""
    body = json.dumps({"user": GOOD, "id": MESSAGE, "text": "lam cccd\x00 o dau\x07 \ud800"}).encode()
    response = await client.post("/chat/api/message", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert "Công an xã, phường bất kỳ" in response.text


async def test_a_body_over_the_limit_gets_413(live: LiveServer, client: httpx.AsyncClient) -> None:
    """Bodies larger than max_body_bytes are refused by the app's body limit, declared or streamed."""
    big = json.dumps({"user": GOOD, "id": MESSAGE, "text": "a" * live.core.settings.max_body_bytes}).encode()
    json_type = {"content-type": "application/json"}
    declared = await client.post("/chat/api/message", content=big, headers=json_type)
    assert declared.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 16384):
            yield big[start : start + 16384]

    streamed = await client.post("/chat/api/message", content=chunks(), headers=json_type)
    assert streamed.status_code == 413
    assert live.stored() == 0
    assert live.web_turns() == 0


async def test_only_post_is_accepted(client: httpx.AsyncClient) -> None:
    """GET on the message API is 405, not a page or an error trace."""
    response = await client.get("/chat/api/message")
    assert response.status_code == 405


class BrokenEngine:
    """An engine whose every turn fails the way a bug would."""

    async def handle(self, inbound: Inbound, state: ConversationState | None, *, owned: bool = False) -> Turn:
        raise RuntimeError("a bug in the engine")


async def test_a_failing_turn_gets_a_kind_500_never_a_traceback(sqlite_url: str) -> None:
    """When the conversation service itself raises, the page gets JSON with a kind sentence."""
    async with (
        serve(build_core(BrokenEngine(), sqlite_url)) as live,
        httpx.AsyncClient(base_url=live.url) as http,
    ):
        response = await http.post("/chat/api/message", json={"user": GOOD, "id": message_id(), "text": "hello", "lang": "en"})
    assert response.status_code == 500
    assert response.json() == {
        "error": "Sorry, something went wrong on my side. Please try again, or ask for a person."
    }
    assert "RuntimeError" not in response.text


# --- the page and its assets ---------------------------------------------------------------------
async def fetch_page(client: httpx.AsyncClient) -> tuple[httpx.Response, dict[str, httpx.Response]]:
    page = await client.get("/chat", headers={"accept-encoding": "identity"})
    assets = {}
    for ref in re.findall(r'(?:href|src)="([^"]+)"', page.text):
        if ref.startswith("data:"):
            continue
        assets[ref] = await client.get(f"/{ref}", headers={"accept-encoding": "identity"})
    return page, assets


async def test_the_page_and_its_assets_are_served(client: httpx.AsyncClient) -> None:
    """GET /chat is a Vietnamese HTML page whose stylesheet and script load from the app."""
    page, assets = await fetch_page(client)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="vi">' in page.text
    assert 'name="viewport"' in page.text
    assert 'aria-live="polite"' in page.text
    assert 'maxlength="4000"' in page.text
    assert sorted(r.split("?")[0] for r in assets) == ["chat/static/chat.css", "chat/static/chat.js"]
    for ref, asset in assets.items():
        assert asset.status_code == 200, ref
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert "immutable" in asset.headers["cache-control"]
        assert asset.headers["etag"]
    assert "text/css" in assets[next(r for r in assets if "css" in r)].headers["content-type"]
    assert "javascript" in assets[next(r for r in assets if ".js" in r)].headers["content-type"]


async def test_the_page_stays_within_its_weight_budget(client: httpx.AsyncClient) -> None:
    """HTML, CSS and JavaScript together weigh under 30 KB before compression."""
    page, assets = await fetch_page(client)
    weight = len(page.content) + sum(len(a.content) for a in assets.values())
    assert weight < PAGE_BUDGET, f"the chat page weighs {weight} bytes"


async def test_nothing_is_loaded_from_another_site(client: httpx.AsyncClient) -> None:
    """No http://, https:// or protocol-relative address appears in the page, its stylesheet or script."""
    page, assets = await fetch_page(client)
    for name, text in [("chat", page.text), *((ref, a.text) for ref, a in assets.items())]:
        text = text.replace('"http://www.w3.org/2000/svg"', "")  # the SVG namespace: a name, never fetched
        assert "http://" not in text, name
        assert "https://" not in text, name
        assert not re.search(r"""(?:src|href|action)\s*=\s*["']?//|url\(|@import""", text), name


async def test_the_page_sends_a_strict_content_security_policy(client: httpx.AsyncClient) -> None:
    """The CSP allows only the app's own files, no inline script, and lets portals embed the page."""
    page = await client.get("/chat")
    csp = page.headers["content-security-policy"]
    directives = dict(d.strip().partition(" ")[::2] for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "*"
    assert "x-frame-options" not in page.headers
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in page.headers
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, flags=re.S)
    assert scripts
    assert all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\son[a-z]+=|\sstyle=|<style", page.text)


async def test_the_page_and_assets_are_gzipped_and_revalidated(client: httpx.AsyncClient) -> None:
    """A browser that takes gzip gets it, and one that already has the same file gets 304 for its ETag."""
    page = await client.get("/chat", headers={"accept-encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    assert "Trợ lý số" in page.text
    again = await client.get(
        "/chat", headers={"accept-encoding": "gzip", "if-none-match": page.headers["etag"]}
    )
    assert again.status_code == 304
    assert not again.content
    plain = await client.get(
        "/chat", headers={"accept-encoding": "identity", "if-none-match": page.headers["etag"]}
    )
    assert plain.status_code == 200, "each encoding has its own ETag"
    assert plain.headers["etag"] != page.headers["etag"]
    assert "content-encoding" not in plain.headers
    script = await client.get("/chat/static/chat.js", headers={"accept-encoding": "gzip"})
    assert script.headers["content-encoding"] == "gzip"
    assert "textContent" in script.text


async def test_an_old_asset_link_is_cached_briefly(client: httpx.AsyncClient) -> None:
    """A stylesheet asked for without the current version gets today's file, cached for minutes only."""
    response = await client.get("/chat/static/chat.css?v=old")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"


@pytest.mark.parametrize("path", ["/chat/static/chat.html", "/chat/static/missing.js",
                                  "/chat/static/..%2fwebchat.py", "/chat/static/%2e%2e/%2e%2e/app.py"])  # fmt: skip
async def test_only_the_page_assets_are_served(client: httpx.AsyncClient, path: str) -> None:
    """Anything but the stylesheet and the script under /chat/static/ is 404."""
    response = await client.get(path)
    assert response.status_code == 404


def settings_with(**values: object) -> ChannelContext:
    """A channel context whose settings carry ``values`` (the page needs nothing else)."""
    return ChannelContext(None, Metrics(), SimpleNamespace(**values))  # type: ignore[arg-type]


def test_a_deployment_can_narrow_who_may_embed_the_page() -> None:
    """A web_frame_ancestors setting replaces the default * in the page's CSP."""
    chat = WebChat(settings_with(web_frame_ancestors="'self' https://dichvucong.example.gov.vn"))
    csp = chat.page_headers["Content-Security-Policy"]
    assert csp.endswith("frame-ancestors 'self' https://dichvucong.example.gov.vn")


@pytest.mark.parametrize(
    "value", ["'self'; script-src *", "https://a.example, https://b.example", "x\r\nSet-Cookie: a=b"]
)
def test_a_frame_ancestors_value_that_would_break_the_csp_is_refused(value: str) -> None:
    """A value that would add a directive, or a header, stops the server with a ConfigError."""
    with pytest.raises(ConfigError, match="web_frame_ancestors"):
        WebChat(settings_with(web_frame_ancestors=value))
