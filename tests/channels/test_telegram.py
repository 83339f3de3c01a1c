"""Telegram over real HTTP, once per library (aiogram, python-telegram-bot): updates are POSTed to
the app's webhook served by uvicorn, and replies go through the library to a fake Bot API on
127.0.0.1, whose recorded sendMessage calls are turned back into Outbound for the checks."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from bot.app import App
from bot.channels.telegram_common import MAX_TEXT, SECRET_HEADER, WEBHOOK_PATH, Kind, polite_reply
from bot.channels.telegram_polling import line_of, run_polling
from bot.conversations import Conversations
from bot.core import i18n
from bot.core.engine import Engine
from bot.core.messages import Button, Inbound, Outbound
from bot.core.state import ConversationState
from bot.core.turn import Turn
from bot.settings import Settings
from bot.storage.db import create_db_engine, upgrade
from bot.storage.sql import SqlStateStore
from bot.testing import load_scripts, run_script
from tests.fakes.telegram_api import FakeTelegram, Updates, as_outbound
from tests.live import served

CONTRACT = load_scripts(Path(__file__).parent / "contract") + load_scripts(
    Path(__file__).parents[1] / "conversations", "talk_*.yaml"
)  # how citizens go on talking (issue 11): every channel, not only the engine
SECRET = "s3cret"
USER_IDS = itertools.count(700_001)


@pytest.fixture(params=["aiogram", "ptb"])
def lib(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.close()


def settings_for(lib: str, fake: FakeTelegram, sqlite_url: str, **extra: Any) -> Settings:
    return Settings(database_url=sqlite_url, channels="telegram", telegram_library=lib,  # type: ignore[arg-type]
                    telegram_token="123456:TEST", telegram_webhook_secret=SECRET,
                    telegram_api_base=fake.url, **extra)  # fmt: skip


def build_core(settings: Settings, engine: object) -> App:
    """The app's core over ``engine`` (the real one with today fixed, or a scripted one)."""
    db = create_db_engine(settings.database_url)
    upgrade(db)
    store = SqlStateStore(db, ttl=timedelta(hours=settings.conversation_ttl_hours))
    return App(settings, engine, db, store, Conversations(engine, store))  # type: ignore[arg-type]


class ScriptedEngine:
    """An engine that always answers ``replies`` (``{text}`` filled in), after ``delay`` seconds."""

    def __init__(self, *replies: Outbound, delay: float = 0.0) -> None:
        self.replies = list(replies)
        self.delay = delay

    async def handle(self, inbound: Inbound, state: ConversationState | None, *, owned: bool = False) -> Turn:
        await asyncio.sleep(self.delay)
        replies = [Outbound(r.text.replace("{text}", inbound.text), r.buttons) for r in self.replies]
        return Turn(replies, state or ConversationState())


@dataclass
class Live:
    """The app on a real HTTP server, the fake Bot API behind it, and an update builder."""

    url: str
    web: Starlette
    core: App
    fake: FakeTelegram
    http: httpx.AsyncClient
    updates: Updates

    async def post(self, update: object, secret: str | None = SECRET, **kwargs: Any) -> httpx.Response:
        headers = {"content-type": "application/json", **kwargs.pop("headers", {})}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        content = kwargs.pop("content", None)
        if content is None:
            content = json.dumps(update).encode()
        response = await self.http.post(WEBHOOK_PATH, content=content, headers=headers)
        # Telegram runs a method returned in the webhook's response, as the bot asked.
        await self.fake.webhook_reply(response.status_code, response.content, response.headers.get("content-type", ""))
        return response

    async def say(self, update: dict[str, Any]) -> list[Outbound]:
        """Deliver ``update`` as Telegram does; the messages it made the bot send."""
        before = len(self.fake.sent)
        response = await self.post(update)
        assert response.status_code == 200, response.text
        return [as_outbound(c) for c in self.fake.sent[before:]]

    def stored(self) -> int:
        with self.core.db.connect() as connection:
            return int(connection.execute(sa.text("SELECT count(*) FROM conversations")).scalar_one())


@contextlib.asynccontextmanager
async def serve(settings: Settings, engine: object, fake: FakeTelegram) -> AsyncIterator[Live]:
    """Run the whole HTTP app over ``engine`` with uvicorn on a free loopback port until the block ends."""
    async with serve_core(build_core(settings, engine), fake) as live:
        yield live


@contextlib.asynccontextmanager
async def serve_core(core: App, fake: FakeTelegram) -> AsyncIterator[Live]:
    """The same around a core built elsewhere (``build_app``, as `trolyso serve` builds it), closed at the end."""
    from bot.web.app import create_app

    web = create_app(core.settings, app=core)
    try:
        async with served(web) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
            yield Live(url, web, core, fake, http, Updates())
    finally:
        await core.close()


@pytest.fixture
async def live(lib: str, fake: FakeTelegram, engine: Engine, sqlite_url: str) -> AsyncIterator[Live]:
    """The app with the real engine (today fixed) and the chosen library."""
    async with serve(settings_for(lib, fake, sqlite_url), engine, fake) as server:
        yield server


# --- the contract --------------------------------------------------------------------------------
@pytest.mark.parametrize("script", CONTRACT, ids=lambda s: s.path.stem)
async def test_contract_script_over_the_webhook(live: Live, script) -> None:  # type: ignore[no-untyped-def]
    """Each contract script passes with messages as webhook updates and presses as callback queries."""
    user_id = next(USER_IDS)
    presses = 0

    async def send(inbound: Inbound) -> Sequence[Outbound]:
        nonlocal presses
        if inbound.payload is not None:
            presses += 1
            return await live.say(live.updates.press(inbound.payload, user_id))
        return await live.say(live.updates.text(inbound.text, user_id, lang=inbound.lang_hint or "vi"))

    await run_script(script, send, str(user_id), channel="telegram")
    assert len(live.fake.named("answerCallbackQuery")) == presses
    assert live.stored() == 1
    for call in live.fake.sent:
        assert call.params["chat_id"] == user_id
        for button in as_outbound(call).buttons:
            assert (button.payload is None) != (button.url is None), button  # a press or a link, never both
            if button.payload is not None:
                assert 1 <= len(button.payload.encode("utf-8")) <= 64, button


# --- refused and ignored requests ----------------------------------------------------------------
FORGED = [None, "", "wrong", "s3cre", "s3cret2", "S3CRET"]
BAD_BODIES = {
    "not json": b"hello",
    "truncated json": b'{"update_id": 1, "message": {',
    "a json list": b"[1, 2]",
    "no update_id": b'{"message": {"text": "hi"}}',
    "a text update_id": b'{"update_id": "1"}',
    "a malformed message": b'{"update_id": 77, "message": {"text": "hi"}}',
    "deeply nested json": b"[" * 100_000 + b"]" * 100_000,
}
# Each case below is one request to the same server (a server per case would double the file's time).


async def test_a_missing_or_forged_secret_gets_401_and_nothing_happens(live: Live) -> None:
    """Without the exact secret header the update is refused: nothing sent, nothing stored."""
    for secret in FORGED:
        response = await live.post(live.updates.text("/start", next(USER_IDS)), secret=secret)
        assert response.status_code == 401, f"secret {secret!r}"
    assert live.fake.sent == []
    assert live.stored() == 0


async def test_a_malformed_body_gets_400(live: Live) -> None:
    """A body that is not a Telegram update gets 400, and nothing is sent."""
    for name, body in BAD_BODIES.items():
        response = await live.post(None, content=body)
        assert response.status_code == 400, name
    assert live.fake.sent == []


async def test_a_body_that_is_not_json_gets_415(live: Live) -> None:
    """Telegram always sends JSON; another content type gets 415."""
    update = live.updates.text("/start", next(USER_IDS))
    response = await live.post(update, headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    assert live.fake.sent == []


async def test_an_oversized_body_gets_413(live: Live) -> None:
    """A body over max_body_bytes is refused with 413 before it is parsed."""
    update = live.updates.text("x" * (live.core.settings.max_body_bytes + 10), next(USER_IDS))
    response = await live.post(update)
    assert response.status_code == 413
    assert live.fake.sent == []


async def test_updates_we_do_not_handle_get_200_and_no_reply(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    """Inline queries, membership changes, future types, group chats and bots get 200 and silence."""
    user = next(USER_IDS)
    group = {"id": -100123, "type": "supergroup", "title": "Xóm"}
    left = {"chat": {"id": user, "type": "private"}, "from": Updates.user(user), "date": 1,
            "old_chat_member": {"status": "member", "user": Updates.user(user)},
            "new_chat_member": {"status": "kicked", "user": Updates.user(user), "until_date": 0}}  # fmt: skip
    others = [
        live.updates.other(
            inline_query={"id": "iq1", "from": Updates.user(user), "query": "cccd", "offset": ""}
        ),
        live.updates.other(some_future_update={"id": 1}),
        live.updates.other(my_chat_member=left),
        live.updates.text("/start", user, chat=group),
        live.updates.message(user, text="hello", **{"from": {"id": 42, "is_bot": True, "first_name": "B"}}),
        live.updates.message(user, new_chat_title="x"),
    ]
    for update in others:
        assert await live.say(update) == []
    assert live.stored() == 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_press_in_a_group_is_answered_but_not_replied_to(live: Live) -> None:
    """A button press is always acknowledged (the spinner stops), but a group gets no message."""
    update = live.updates.press("h", next(USER_IDS))
    update["callback_query"]["message"]["chat"] = {"id": -100123, "type": "group", "title": "Xóm"}
    assert await live.say(update) == []
    assert [c.params["callback_query_id"] for c in live.fake.named("answerCallbackQuery")] == ["cb1"]


# --- delivery ------------------------------------------------------------------------------------
async def test_a_redelivered_update_is_answered_once(live: Live) -> None:
    """The same update_id posted twice gets 200 both times and one reply."""
    update = live.updates.text("/start", next(USER_IDS))
    assert len(await live.say(update)) == 1
    assert await live.say(update) == []
    assert len(live.fake.sent) == 1


async def test_a_long_reply_is_split_under_the_limit(lib: str, fake: FakeTelegram, sqlite_url: str) -> None:
    """A 4,500-character reply arrives as two messages of at most 4096, the buttons under the last."""
    text = "\n\n".join(f"Đoạn {n}: " + "giấy tờ cần mang theo " * 10 for n in range(20))[:4500]
    engine = ScriptedEngine(Outbound(text, (Button("Lệ phí", "s:identity_card:fees"),)))
    async with serve(settings_for(lib, fake, sqlite_url), engine, fake) as live:
        first, second = await live.say(live.updates.text("cccd", next(USER_IDS)))
    assert len(text) == 4500
    assert len(first.text) <= MAX_TEXT
    assert len(second.text) <= MAX_TEXT
    assert first.buttons == ()
    assert [b.payload for b in second.buttons] == ["s:identity_card:fees"]
    assert " ".join((first.text + " " + second.text).split()) == " ".join(text.split())


async def test_a_button_with_an_oversized_payload_is_left_out(
    lib: str, fake: FakeTelegram, sqlite_url: str
) -> None:
    """callback_data over 64 bytes never reaches Telegram; the message and its other buttons do."""
    engine = ScriptedEngine(Outbound("Chọn một", (Button("Dài", "p:" + "đ" * 40), Button("Ngắn", "h"))))
    async with serve(settings_for(lib, fake, sqlite_url), engine, fake) as live:
        [reply] = await live.say(live.updates.text("hi", next(USER_IDS)))
    assert reply == Outbound("Chọn một", (Button("Ngắn", "h"),))


async def test_a_slow_reply_shows_typing(lib: str, fake: FakeTelegram, sqlite_url: str) -> None:
    """A turn taking over a second sends the "typing" chat action before the reply."""
    engine = ScriptedEngine(Outbound("Xong"), delay=1.3)
    async with serve(settings_for(lib, fake, sqlite_url), engine, fake) as live:
        assert await live.say(live.updates.text("hi", next(USER_IDS))) == [Outbound("Xong")]
    [typing] = fake.named("sendChatAction")
    assert typing.params["action"] == "typing"
    assert typing.at < fake.sent[0].at


async def test_one_chats_replies_never_interleave(lib: str, fake: FakeTelegram, sqlite_url: str) -> None:
    """Three messages of one chat delivered at once get their replies turn by turn."""
    engine = ScriptedEngine(Outbound("{text}: một"), Outbound("{text}: hai"), Outbound("{text}: ba"))
    user = next(USER_IDS)
    async with serve(settings_for(lib, fake, sqlite_url), engine, fake) as live:
        posts = [live.post(live.updates.text(word, user)) for word in ("A", "B", "C")]
        assert [r.status_code for r in await asyncio.gather(*posts)] == [200, 200, 200]
    texts = [c.params["text"] for c in fake.sent]
    turns = [texts[i : i + 3] for i in range(0, 9, 3)]
    assert sorted(turns) == [[f"{w}: một", f"{w}: hai", f"{w}: ba"] for w in "ABC"]


async def test_a_flood_wait_is_waited_out_and_the_message_arrives(live: Live) -> None:
    """After a 429 with retry_after=1 the message is sent again a second later and arrives (a Bot
    API call: the reply is not riding in the webhook's response here)."""
    live.web.state.channels[0].webhook_reply = False
    live.fake.flood_once("sendMessage", retry_after=1)
    [greeting] = await live.say(live.updates.text("/start", next(USER_IDS)))
    assert "Xin chào" in greeting.text
    refused, accepted = live.fake.named("sendMessage")
    assert (refused.status, accepted.status) == (429, 200)
    assert accepted.at - refused.at >= 0.95


async def test_the_last_message_rides_in_the_webhook_response_and_keeps_its_place(live: Live) -> None:
    """A turn of several messages: all but the last are Bot API calls made before the webhook
    answers; the last is the response (Telegram runs it after), so the order holds."""
    user = next(USER_IDS)
    before = len(live.fake.calls)
    response = await live.http.post(WEBHOOK_PATH, json=live.updates.text("làm căn cước cho con", user),
                                    headers={SECRET_HEADER: SECRET})  # fmt: skip
    body = response.json()
    assert (body["method"], body["chat_id"]) == ("sendMessage", user)
    sent_before = [c for c in live.fake.calls[before:] if c.method == "sendMessage"]
    call = await live.fake.webhook_reply(200, response.content, response.headers["content-type"])
    assert call is not None
    assert call.status == 200
    replies = [as_outbound(c) for c in [*sent_before, call]]
    assert replies[-1].buttons  # the answer's buttons travel in the response too
    assert all(1 <= len((b.payload or "").encode()) <= 64 for r in replies for b in r.buttons if not b.url)


# --- language and what we cannot read ------------------------------------------------------------
async def test_language_code_en_answers_in_english(live: Live) -> None:
    """A person whose Telegram is in English is greeted in English."""
    [greeting] = await live.say(live.updates.text("/start", next(USER_IDS), lang="en"))
    assert greeting.text.startswith("Hello")


@pytest.mark.parametrize("kind", ["sticker", "photo"])
async def test_media_gets_a_polite_text_only_reply(
    live: Live, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A sticker or a photo gets one polite "text only" reply, and no turn is stored."""
    update = getattr(live.updates, kind)(next(USER_IDS))
    with i18n.use("vi"):
        expected = polite_reply(Kind.MEDIA)
    assert await live.say(update) == [Outbound(str(expected))]
    assert live.stored() == 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_an_edited_message_gets_a_polite_reply_in_its_language(live: Live) -> None:
    """An edited message is not answered as a question; the person is asked to send it again."""
    update = live.updates.edited("lam cccd o dau", next(USER_IDS))
    update["edited_message"]["from"]["language_code"] = "en"
    with i18n.use("en"):
        expected = polite_reply(Kind.EDITED)
    assert await live.say(update) == [Outbound(str(expected))]


# --- start-up and polling ------------------------------------------------------------------------
def test_polling_lines_are_telegrams_own() -> None:
    """A chat's messages and edits share a line; a person's presses have their own; the rest one each."""
    updates, person = Updates(), 4242
    message, edit, press = updates.text("a", person), updates.edited("b", person), updates.press("x", person)
    assert line_of(message) == line_of(edit) == ("chat", person)
    assert line_of(press) == ("presses", person)
    assert line_of({"update_id": 1}) != line_of({"update_id": 2})
    assert line_of("not an update") != line_of(message)


async def test_polling_answers_other_chats_while_one_waits_on_a_slow_send(
    lib: str, fake: FakeTelegram, engine: Engine, sqlite_url: str
) -> None:
    """One batch, two chats, each send taking 1.5 s: the second chat's answer does not wait for
    the first's, and one chat's two messages are still answered in order."""
    settings = settings_for(lib, fake, sqlite_url)
    core = build_core(settings, engine)
    updates, first, second = Updates(), next(USER_IDS), next(USER_IDS)
    fake.push(updates.text("/start", first))
    fake.push(updates.text("lam cccd o dau", first))
    fake.push(updates.text("/start", second))
    fake.delay = 1.5
    stop = asyncio.Event()
    task = asyncio.create_task(run_polling(settings, stop=stop, app=core, poll_timeout=1))
    try:
        await fake.wait_for(lambda: len(fake.sent) >= 3, timeout=60)
        stop.set()
        await asyncio.wait_for(task, 10)
    finally:
        await core.close()
    starts = {chat: min(c.at for c in fake.sent if c.params["chat_id"] == chat) for chat in (first, second)}
    assert abs(starts[second] - starts[first]) < 1.0  # side by side; one after another: >= 1.5 s apart
    texts = [as_outbound(c).text for c in fake.sent if c.params["chat_id"] == first]
    assert "Xin chào" in texts[0]
    assert "Công an" in texts[-1]
    assert fake.queue == []



async def test_start_sets_the_webhook_with_the_secret(
    lib: str, fake: FakeTelegram, engine: Engine, sqlite_url: str
) -> None:
    """With a public URL, start-up registers /telegram/webhook with the secret; the channel's status
    (for /admin/healthz) shows it, the public /healthz only ok."""
    settings = settings_for(lib, fake, sqlite_url, public_url="https://bot.example.org/")
    async with serve(settings, engine, fake) as live:
        assert (await live.http.get("/healthz")).json() == {"ok": True}
        health = {"channels": {c.name: c.status() for c in live.web.state.channels}}
    assert fake.webhook["url"] == "https://bot.example.org/telegram/webhook"
    assert fake.webhook["secret_token"] == SECRET
    assert fake.webhook["allowed_updates"] == ["message", "edited_message", "callback_query"]
    assert health["channels"]["telegram"] == {"ok": True, "library": lib, "bot": "trolyso_test_bot",
                                              "webhook": "https://bot.example.org/telegram/webhook"}  # fmt: skip


async def test_start_shows_the_command_menu_in_both_languages(live: Live) -> None:
    """Telegram's menu beside the text box lists the citizen's commands, Vietnamese by default."""
    calls = {c.params.get("language_code"): c.params["commands"] for c in live.fake.named("setMyCommands")}
    assert set(calls) == {None, "en"}
    commands = calls[None] if isinstance(calls[None], list) else json.loads(calls[None])
    english = calls["en"] if isinstance(calls["en"], list) else json.loads(calls["en"])
    assert [c["command"] for c in commands] == ["start", "menu", "xa", "huyyeucau", "lang", "xoadulieu", "help"]
    assert commands[2]["description"] == "Chọn xã/phường của bạn"
    assert english[2]["description"] == "Choose your commune or ward"
    assert "hotro" not in [c["command"] for c in commands]  # volunteers' commands stay off the menu


async def test_polling_delivers_an_update_and_stops_cleanly(
    lib: str, fake: FakeTelegram, engine: Engine, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """run_polling answers a queued update, then stops on request and confirms what it handled."""
    caplog.set_level(logging.INFO)
    settings = settings_for(lib, fake, sqlite_url)
    core = build_core(settings, engine)
    update = Updates().text("/start", next(USER_IDS))
    fake.push(update)
    stop = asyncio.Event()
    task = asyncio.create_task(run_polling(settings, stop=stop, app=core, poll_timeout=1))
    try:
        await fake.wait_for(lambda: len(fake.sent) == 1, timeout=30)
        stop.set()
        await asyncio.wait_for(task, 10)
    finally:
        await core.close()
    assert "Xin chào" in as_outbound(fake.sent[0]).text
    assert fake.named("deleteWebhook")
    assert fake.named("getUpdates")[-1].params["offset"] == update["update_id"] + 1
    assert fake.queue == []
    assert "getUpdates" in caplog.text  # httpx logs each request URL …
    assert "123456:TEST" not in caplog.text  # … with the bot token blanked out
