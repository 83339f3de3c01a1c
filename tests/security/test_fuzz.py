"""Property-based probes of everything the public can POST to: the Zalo and Telegram webhooks and
the web chat API, against the real app on a loopback port. Whatever arrives, the answer is never
a 5xx and the server keeps answering /healthz. Examples are bounded so the suite runs in well
under a minute in CI."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.zalo_api import sign
from tests.security.server import APP_ID, OA_ID, OA_KEY, TELEGRAM_SECRET, Live, live_server

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text that has broken parsers elsewhere: Unicode digits that pass str.isdigit() but not int(),
# lone surrogates (escaped in JSON), control characters, right-to-left marks, long runs.
NASTY_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["¹²³", "١٢٣", "𝟙𝟚𝟛", "\u202e", "\x00", "9" * 400, "-0", "1e999", "NaN", "𝕏" * 30]),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**399, max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False), NASTY_TEXT,
)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("fuzz"), web_rate_per_user="100000/minute",
                     web_rate_per_address="100000/minute") as running:  # fmt: skip
        yield running


@pytest.fixture(scope="module")
def http(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=20) as client:
        yield client


@pytest.fixture(autouse=True)
def _quiet(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL)  # thousands of one-line refusals are expected here


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _zalo_event(fields: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = {
        "app_id": APP_ID, "event_name": "user_send_text", "sender": {"id": "6142494823000000000"},
        "recipient": {"id": OA_ID}, "message": {"msg_id": f"m{time.monotonic_ns()}", "text": "xin chào"},
        "timestamp": str(int(time.time() * 1000)),
    }  # fmt: skip
    event.update(fields)
    return event


DEEP = st.integers(min_value=1, max_value=5000).map(lambda n: b'{"timestamp": "1", "d": ' + b"[" * n + b"]" * n + b"}")
"""Nesting deep enough to exhaust a recursive JSON parser (RecursionError, not ValueError)."""


@FUZZ
@given(body=st.one_of(st.binary(max_size=300), JSON.map(_dump), DEEP), signature=st.one_of(st.none(), st.text(max_size=80)))
def test_zalo_webhook_never_fails_on_any_body(http: httpx.Client, body: bytes, signature: str | None) -> None:
    """Any bytes, signed wrongly or not at all, get a 2xx/4xx from the Zalo webhook, never a 5xx."""
    headers = {"Content-Type": "application/json"}
    # Any value HTTP can carry: a header value has no leading or trailing space (the client refuses
    # to send " ", found by a CI run; a server would read it stripped anyway).
    if signature is not None and signature.isascii() and signature.isprintable() and signature == signature.strip():
        headers["X-ZEvent-Signature"] = signature
    response = http.post("/zalo/webhook", content=body, headers=headers)
    assert response.status_code < 500, response.text


FIELDS = st.sampled_from(["app_id", "event_name", "sender", "recipient", "message", "timestamp", "follower", "oa_id"])


@FUZZ
@given(fields=st.dictionaries(FIELDS, JSON, max_size=3))
def test_correctly_signed_zalo_events_with_odd_fields_never_fail(http: httpx.Client, fields: dict[str, Any]) -> None:
    """Genuinely signed events whose fields hold anything at all (wrong types, 400-digit numbers,
    superscript timestamps) get a 2xx/4xx, never a 5xx."""
    event = _zalo_event(fields)
    raw = _dump(event)
    stamp = event["timestamp"] if isinstance(event["timestamp"], str) else str(event["timestamp"])[:50]
    response = http.post("/zalo/webhook", content=raw,
                         headers={"Content-Type": "application/json", "X-ZEvent-Signature": sign(APP_ID, raw, stamp, OA_KEY)})  # fmt: skip
    assert response.status_code < 500, response.text


@FUZZ
@given(body=st.one_of(JSON.map(_dump), st.binary(max_size=200), st.builds(
    lambda uid, msg: _dump({"update_id": uid, "message": msg}), st.integers(), JSON)))  # fmt: skip
def test_telegram_webhook_never_fails_on_any_body(http: httpx.Client, body: bytes) -> None:
    """Any body with the right secret (and so past the first check) gets a 2xx/4xx, never a 5xx."""
    response = http.post("/telegram/webhook", content=body,
                         headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})  # fmt: skip
    assert response.status_code < 500, response.text


WEB_FIELDS = st.fixed_dictionaries({}, optional={
    "user": st.one_of(st.just("fuzzuser01"), JSON), "id": st.one_of(st.uuids().map(lambda u: f"m{u.hex}"), JSON),
    "text": st.one_of(NASTY_TEXT, JSON),
    "payload": st.one_of(st.sampled_from(["m:0", "hd", "x" * 65]), JSON), "lang": st.one_of(st.just("vi"), JSON),
})  # fmt: skip


@FUZZ
@given(body=st.one_of(WEB_FIELDS.map(_dump), JSON.map(_dump), st.binary(max_size=200), DEEP))
def test_web_chat_api_never_fails_on_any_body(http: httpx.Client, body: bytes) -> None:
    """Any body to the web chat API gets a 2xx/4xx, never a 5xx."""
    response = http.post("/chat/api/message", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code < 500, response.text


@FUZZ
@given(user=st.text(max_size=80))
def test_web_chat_updates_never_fail(http: httpx.Client, user: str) -> None:
    """Any ``user`` query to the updates poll gets a 2xx/4xx."""
    response = http.get("/chat/api/updates", params={"user": user.encode("utf-8", "replace").decode()})
    assert response.status_code < 500, response.text


def test_the_server_still_answers_after_the_fuzzing(http: httpx.Client, live: Live, tmp_path: Path) -> None:
    """After every probe above, /healthz is ok and a real Zalo message still gets its answer."""
    assert http.get("/healthz").json() == {"ok": True}
    before = len(live.zalo.sent)
    event = _zalo_event({})
    raw = _dump(event)
    headers = {"Content-Type": "application/json", "X-ZEvent-Signature": sign(APP_ID, raw, event["timestamp"], OA_KEY)}
    assert http.post("/zalo/webhook", content=raw, headers=headers).status_code == 200
    for _ in range(200):
        if len(live.zalo.sent) > before:
            break
        time.sleep(0.05)
    assert len(live.zalo.sent) > before
