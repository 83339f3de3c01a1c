"""Instructions per web chat message, counted by callgrind: the whole app but the HTTP server.

    python bench/webchat_cpu.py [--messages 600] [--compare DIR]

bench/webchat.py times the web chat through `trolyso serve`, and on this workplace's shared
machines its figures move by ±15 % within minutes. Instruction counts do not (valgrind counts the
same total for the same program and input, whatever else the machine does), so a change that
costs the web chat shows here, at any time. The app is built as `trolyso serve` builds it
(SQLite, the usage log on, channel web, the rate limits above the load) and called directly as an
ASGI app: ``POST /chat/api/message`` with a message id, as the page sends, 500 people asking the
labelled questions in turn (most people's second message follows up their first). Run once with
a warm-up only and once with ``--messages`` more, so start-up and the knowledge base's loading
cancel out.

``--compare DIR``: the same count on another checkout (a worktree at an older commit, say), side
by side in one run. Needs valgrind (Debian's package); about three minutes a checkout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from callgrind import instructions

WARM_UP = 300
PEOPLE = 500


async def _play(messages: int) -> None:
    """Run in the checkout under test (the current directory): warm-up, then ``messages``."""
    sys.path.insert(0, os.getcwd())
    sys.path.insert(1, str(Path.cwd() / "bench"))
    from webhook import questions  # bench/webhook.py of that checkout

    from bot.settings import Settings
    from bot.web.app import create_app

    texts = questions()
    app = create_app(Settings())

    async def call(body: dict[str, str]) -> None:
        raw = json.dumps(body).encode()
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
                 "path": "/chat/api/message", "raw_path": b"/chat/api/message", "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                             (b"content-length", str(len(raw)).encode())],
                 "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80), "state": {}}  # fmt: skip
        sent: list[dict[str, Any]] = []
        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": raw, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        if sent[0]["status"] != 200:
            raise SystemExit(f"the web chat answered {sent[0]['status']}")

    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    life = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put))
    if (await outbox.get())["type"] != "lifespan.startup.complete":
        raise SystemExit("the app did not start")
    for n in range(WARM_UP + messages):
        await call({"user": f"bench{n % PEOPLE:06d}", "text": texts[(n * 7) % len(texts)], "id": uuid.uuid4().hex})
    await inbox.put({"type": "lifespan.shutdown"})
    await outbox.get()
    await life


def _count(checkout: Path, messages: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(checkout), "TROLYSO_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
               "TROLYSO_USAGE_SPOOL_PATH": f"{tmp}/spool.jsonl", "TROLYSO_SECRET_KEY": "b" * 32,
               "TROLYSO_CHANNELS": "web", "TROLYSO_ADMIN_BOOTSTRAP": "false",
               "TROLYSO_WEB_RATE_PER_USER": "1000000/minute", "TROLYSO_WEB_RATE_PER_ADDRESS": "1000000/minute"}  # fmt: skip
        return instructions([str(Path(__file__).resolve()), "--play", str(messages)], cwd=checkout, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--compare", type=Path, help="another checkout to count beside this one")
    parser.add_argument("--play", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.play is not None:
        asyncio.run(_play(args.play))
        return
    here = Path(__file__).resolve().parent.parent
    print(f"instructions per web chat message (callgrind, ASGI app without the HTTP server), "
          f"{args.messages} messages after {WARM_UP}")  # fmt: skip
    base = None
    for checkout in (here, *([args.compare.resolve()] if args.compare else [])):
        per = (_count(checkout, args.messages) - _count(checkout, 0)) / args.messages
        base = base or per
        print(f"{checkout!s:<40} {per / 1e6:6.2f}M  {per / base:5.2f}x")


if __name__ == "__main__":
    main()
