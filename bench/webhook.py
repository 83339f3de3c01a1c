"""Webhook benchmark: Telegram updates per second and latency through `trolyso serve`.

    python bench/webhook.py [--rate 500] [--seconds 10]

One server process (`python -m bot serve`, aiogram adapter, SQLite, one worker) receives
Telegram updates from a load generator on loopback; its replies go to a fake Bot API server on
127.0.0.1. Measured in the same run:
  * the bare engine's rate (in process, no HTTP, no database) — the ceiling;
  * the most updates per second the server sustains (32 requests in flight);
  * latency at a fixed arrival rate (open loop, --rate per second), p50/p99.
The webhook answers after the turn and its replies are done, so a request's latency is the
whole turn: parse, dedupe, load state, engine, save state, and the replies: the last one in the
webhook's response (Telegram runs it), any before it as sendMessage calls to the Bot API. The
server runs twice in the same run, with that webhook reply and without it (every reply a Bot API
call), so the two are side by side. The load generator's own garbage collector is off while it
measures: its pauses would be counted as the server's latency.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.telegram_api import FakeTelegram, Updates  # noqa: E402

SECRET = "bench-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def questions() -> list[str]:
    data = yaml.safe_load((ROOT / "tests/data/labelled_questions.yaml").read_text(encoding="utf-8"))
    return [q["q"] for q in data["questions"]]


async def bare_engine_rate(texts: list[str], n: int = 3000) -> float:
    from bot.app import build_engine
    from bot.core.messages import Inbound

    engine = build_engine()
    started = time.perf_counter()
    for i in range(n):
        await engine.handle(Inbound("bench", str(i % 1000), texts[i % len(texts)]))
    return n / (time.perf_counter() - started)


async def wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(600):  # start-up is slow on a busy machine
            try:
                async with session.get(url) as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


Send = Callable[[aiohttp.ClientSession, int], Awaitable[bool]]
"""Send message number n on the session; True when the server answered it."""


async def drive(send: Send, concurrency: int, seconds: float, rate: float | None) -> tuple[list[float], float, int]:
    """Load the server with ``send``: ``rate`` arrivals a second on a fixed schedule, whatever
    the server does (open loop), or, without a rate, ``concurrency`` clients each waiting for its
    answer before sending the next (closed loop). Latencies in ms, the seconds taken, errors."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(10**9))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def one(n: int) -> None:
            nonlocal errors
            started = time.perf_counter()
            errors += not await send(session, n)
            latencies.append((time.perf_counter() - started) * 1000)

        t0 = time.perf_counter()
        if rate:
            tasks = []
            for _ in range(int(rate * seconds)):
                delay = t0 + len(tasks) / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(next(counter))))
            await asyncio.gather(*tasks)
        else:
            deadline = t0 + seconds

            async def client() -> None:
                while time.perf_counter() < deadline:
                    await one(next(counter))

            await asyncio.gather(*(client() for _ in range(concurrency)))
        return latencies, time.perf_counter() - t0, errors


async def load(url: str, texts: list[str], updates: Updates, rate: float | None, seconds: float,
               concurrency: int, replies: list[int] | None = None) -> tuple[list[float], float, int]:  # fmt: skip
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}

    async def send(session: aiohttp.ClientSession, i: int) -> bool:
        body = updates.text(texts[i % len(texts)], user_id=100_000 + i % 1000)
        async with session.post(url, json=body, headers=headers) as r:
            answer = await r.read()
            if r.status != 200:
                return False
            if replies is not None and answer.startswith(b'{"method"'):
                replies[0] += 1  # a reply in the webhook response: Telegram would send it
            return True

    return await drive(send, concurrency, seconds, rate)


def summary(name: str, lat: list[float], seconds: float, errors: int) -> str:
    lat.sort()
    return (f"{name:<40} {len(lat):>7} {len(lat) / seconds:>9.0f} {statistics.median(lat):>8.2f} "
            f"{lat[int(len(lat) * 0.99)]:>8.2f} {errors:>6}")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--library", default="aiogram", choices=("aiogram", "ptb"))
    parser.add_argument("--rounds", type=int, default=3, help="fixed-rate rounds per server (p99 varies run to run)")
    args = parser.parse_args()
    texts = questions()
    print(f"bare engine (in process, no HTTP, no database): {await bare_engine_rate(texts):.0f} turns/s")

    print(f"\n{'webhook, one worker (' + args.library + ')':<40} {'updates':>7} {'per s':>9} "
          f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")  # fmt: skip
    for reply_in_response in (True, False):
        await serve_and_load(args, texts, reply_in_response)


async def serve_and_load(args: argparse.Namespace, texts: list[str], reply_in_response: bool) -> None:
    fake = FakeTelegram()
    await fake.start()
    port = free_port()
    mode = "reply in response" if reply_in_response else "every reply a Bot API call"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TROLYSO_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
               "TROLYSO_CHANNELS": "telegram", "TROLYSO_TELEGRAM_LIBRARY": args.library,
               "TROLYSO_TELEGRAM_TOKEN": "123456:BENCH", "TROLYSO_TELEGRAM_WEBHOOK_SECRET": SECRET,
               "TROLYSO_TELEGRAM_API_BASE": fake.url, "TROLYSO_ADMIN_BOOTSTRAP": "false",
               "TROLYSO_TELEGRAM_WEBHOOK_REPLY": str(reply_in_response).lower()}  # fmt: skip
        server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            await wait_up(f"{base}/healthz")
            updates = Updates()
            url = f"{base}/telegram/webhook"
            await load(url, texts, updates, None, 2, 8)  # warm-up
            gc.collect()
            gc.disable()
            in_response = [0]
            lat, sec, err = await load(url, texts, updates, None, args.seconds, 32, in_response)
            print(summary(f"{mode}: max (32 in flight)", lat, sec, err))
            for _round in range(args.rounds):
                lat, sec, err = await load(url, texts, updates, args.rate, args.seconds, 256, in_response)
                print(summary(f"{mode}: {args.rate:.0f}/s (open loop)", lat, sec, err))
            gc.enable()
            print(f"  replies: {len(fake.named('sendMessage'))} Bot API calls, {in_response[0]} in webhook responses")
        finally:
            server.terminate()
            server.wait(timeout=10)
            await fake.close()

if __name__ == "__main__":
    asyncio.run(main())
