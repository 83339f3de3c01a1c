"""CPU per message through the direct routes (bot/web/direct.py) and through Starlette's stack.

    python bench/direct_routes.py [--rounds 6] [--per-round 300]

The web chat's message API and the Telegram webhook are answered before Starlette's layers. Both
ways are in the same app: the app itself (the direct layer) and the app's Starlette stack under
it, which still serves those routes when called directly. This calls the ASGI app in process (no
HTTP server), 500 people asking the labelled questions, alternating rounds of each way so the
machine's drift hits both alike, and prints the process's CPU per message for each. A fake
Telegram Bot API takes the replies that do not fit in the webhook's answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from webhook import questions  # noqa: E402

from bot.settings import Settings  # noqa: E402
from bot.web.app import create_app  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram, Updates  # noqa: E402

SECRET = "bench-secret"
PEOPLE = 500


def _request(path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[dict[str, Any], Any]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
             "headers": [(b"content-type", b"application/json"), *headers], "server": ("127.0.0.1", 80), "state": {}}  # fmt: skip
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError("unreachable")

    return scope, receive


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--per-round", type=int, default=300)
    args = parser.parse_args()
    fake = FakeTelegram()
    await fake.start()
    texts, updates, counter = questions(), Updates(), iter(range(10**9))
    with tempfile.TemporaryDirectory() as tmp:
        web = create_app(Settings(
            secret_key="b" * 32, admin_bootstrap=False, channels="web,telegram", telegram_token="123456:BENCH",
            telegram_webhook_secret=SECRET, telegram_api_base=fake.url, database_url=f"sqlite:///{tmp}/bench.sqlite3",
            usage_spool_path=f"{tmp}/spool.jsonl", web_rate_per_user="1000000/minute",
            web_rate_per_address="1000000/minute"))  # fmt: skip

        def web_message() -> tuple[str, bytes, list[tuple[bytes, bytes]]]:
            n = next(counter)
            body = {"user": f"bench{n % PEOPLE:06d}", "text": texts[n % len(texts)], "id": uuid.uuid4().hex}
            return "/chat/api/message", json.dumps(body).encode(), []

        def telegram_update() -> tuple[str, bytes, list[tuple[bytes, bytes]]]:
            n = next(counter)
            body = json.dumps(updates.text(texts[n % len(texts)], user_id=100_000 + n % PEOPLE)).encode()
            return "/telegram/webhook", body, [(b"x-telegram-bot-api-secret-token", SECRET.encode())]

        async def call(app: Any, request: Any) -> None:
            scope, receive = _request(*request())
            answers: list[dict[str, Any]] = []

            async def send(message: dict[str, Any]) -> None:
                answers.append(message)

            await app(scope, receive, send)
            if answers[0]["status"] != 200:
                raise SystemExit(f"{scope['path']} answered {answers[0]['status']}")

        async with web.router.lifespan_context(web):
            direct = web.build_middleware_stack()
            ways = {"direct route": direct, "Starlette's stack": direct.app}  # type: ignore[attr-defined]
            print(f"CPU per message, in process (no HTTP server), {args.rounds} alternating rounds of {args.per_round}")
            print(f"{'route':<22} {'direct route':>14} {'Starlette':>14} {'ratio':>7}")
            for label, request in (("web chat message", web_message), ("telegram webhook", telegram_update)):
                for _ in range(args.per_round):  # warm-up: caches, the pool, the first of each question
                    await call(direct, request)
                cpu = dict.fromkeys(ways, 0.0)
                for _round in range(args.rounds):
                    for name, app in ways.items():
                        started = time.process_time()
                        for _ in range(args.per_round):
                            await call(app, request)
                        cpu[name] += time.process_time() - started
                ours, theirs = (cpu[name] * 1e6 / (args.rounds * args.per_round) for name in ways)
                print(f"{label:<22} {ours:>11.0f} µs {theirs:>11.0f} µs {ours / theirs:>6.2f}x")
    await fake.close()


if __name__ == "__main__":
    asyncio.run(main())
