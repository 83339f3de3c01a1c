"""Web chat benchmark: messages per second and latency through `trolyso serve`, beside the
Telegram webhook on the same server in the same run.

    python bench/webchat.py [--seconds 10] [--clients 50] [--rate 1000]

One server process (one worker, SQLite, usage log on, channels web and telegram) is loaded in
turn through the web chat API (``POST /chat/api/message``) and the Telegram webhook, by the same
load generator on loopback: 5,000 people asking the labelled questions.
  * max: ``--clients`` clients, each waiting for its answer before sending the next (closed loop);
  * ``--rate``/s: arrivals on a fixed schedule whatever the server does (open loop), p50/p99;
  * the server's CPU per message (its /proc counters), the figure least moved by a busy machine.
First, in process, the rate limiter every web-chat message passes twice (per address, per person),
ours beside the `limits` library's async MemoryStorage it replaced, with 5,000 people in the window.
The web chat's rate limits stay on (the limiter runs on every message) but are set above the
load: the load comes from one address. A real crowd comes from many addresses (see
docs/benchmarks.md for why one address must not carry a commune's traffic).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from webhook import drive, free_port, questions, wait_up  # noqa: E402

from tests.fakes.telegram_api import FakeTelegram, Updates  # noqa: E402

SECRET = "bench-secret"
_BEFORE = ("", "cho hỏi", "ad ơi", "xin hỏi", "em muốn hỏi", "chào bạn", "hello")
_AFTER = ("", "ạ", "với", "nhé", "vậy ạ", "ad", "thanks")
PEOPLE = 5000
TICKS = os.sysconf("SC_CLK_TCK")

def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def library(limiter: Any, rule: Any, key: str) -> None:
    """One hit as the `limits` library counts a rule of several parts: test each, then hit each."""
    for item in rule.items:
        await limiter.test(item, rule.name, key)
    for item in rule.items:
        await limiter.hit(item, rule.name, key)


async def limiter_cost(people: int = 5000, messages: int = 20000) -> None:
    """CPU per message of two rule checks, ours and the library's in-memory moving window."""
    from limits.aio.storage import MemoryStorage
    from limits.aio.strategies import MovingWindowRateLimiter

    from bot.ratelimit import MemoryWindows, Rule

    address, person = Rule.parse("web_address", "1000000/minute"), Rule.parse("web_user", "1000000/minute;1000000/hour")
    ours = MemoryWindows()
    theirs = MovingWindowRateLimiter(MemoryStorage())

    for name in ("ours (bot.ratelimit.MemoryWindows)", "limits MovingWindow + async MemoryStorage"):
        started = time.process_time()
        for n in range(messages):
            if name.startswith("ours"):
                ours.hit(address, ("127.0.0.1",))
                ours.hit(person, (f"p{n % people}",))
            else:
                await library(theirs, address, "127.0.0.1")
                await library(theirs, person, f"p{n % people}")
            if n % 50 == 0:
                await asyncio.sleep(0)  # let the library's expiry sweep run, as it does in a server
        print(f"rate limiter, {people} people: {name:<42} {(time.process_time() - started) / messages * 1e6:7.1f} µs CPU/message")



async def shared_limiter_cost(url: str, messages: int = 2000) -> None:
    """The same two rule checks against Redis (several workers): ours, one script call for both
    (as the web chat counts a message), beside the library's moving window on its Redis storage (a round trip per part to test, one
    to hit). Wall time per message: here the cost is mostly round trips."""
    import uuid

    import redis.asyncio as aioredis
    from limits.aio.storage import RedisStorage
    from limits.aio.strategies import MovingWindowRateLimiter

    from bot.ratelimit import RateLimiter, RedisWindows, Rule

    address, person = Rule.parse("web_address", "1000000/minute"), Rule.parse("web_user", "1000000/minute;1000000/hour")
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        await aioredis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:
        print(f"rate limiter in Redis: skipped ({exc})")
        return
    ours = RateLimiter(url, prefix)
    theirs = MovingWindowRateLimiter(RedisStorage("async+" + url, implementation="redispy", key_prefix=prefix + "l"))

    for name in ("ours (bot.ratelimit.RedisWindows)", "limits MovingWindow + RedisStorage"):
        started, cpu = time.perf_counter(), time.process_time()
        for n in range(messages):
            if name.startswith("ours"):
                await ours.hit_all(((address, ("127.0.0.1",)), (person, (f"p{n % PEOPLE}",))))  # as the web chat
            else:
                await library(theirs, address, "127.0.0.1")
                await library(theirs, person, f"p{n % PEOPLE}")
        wall, cpu = (time.perf_counter() - started) / messages, (time.process_time() - cpu) / messages
        print(f"rate limiter in Redis: {name:<40} {wall * 1e6:7.1f} µs/message ({cpu * 1e6:.1f} µs CPU)")

    # 32 messages in flight, as a loaded worker has them: ours sends those that arrive while a
    # script call is out together in the next one; before 2026-12-04 each went in a call of its own.
    class OneCallEach(RedisWindows):
        async def _run(self, budgets: Any, cost: int) -> float:
            keys, args = self._call(budgets, cost)
            return float((await self._script(keys=keys, args=[1, *args]))[0])

    assert ours._client is not None
    alone = RateLimiter(url, prefix + "a")
    alone._shared = OneCallEach(ours._client, prefix + "a")
    for name, limiter in (("ours, 32 in flight (calls batched)", ours), ("one call each, 32 in flight", alone)):
        slots = asyncio.Semaphore(32)

        async def one(n: int, limiter: RateLimiter = limiter, slots: asyncio.Semaphore = slots) -> None:
            async with slots:
                await limiter.hit_all(((address, ("127.0.0.1",)), (person, (f"p{n % PEOPLE}",))))

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(n) for n in range(messages * 4)))
        wall, cpu = (time.perf_counter() - started) / (messages * 4), (time.process_time() - cpu) / (messages * 4)
        print(f"rate limiter in Redis: {name:<40} {wall * 1e6:7.1f} µs/message ({cpu * 1e6:.1f} µs CPU)")
    await ours.close()

async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--redis", default=os.environ.get("TROLYSO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--shared-cores", action="store_true",
                        help="let the server and the load generator share every core (default: one core each)")
    args = parser.parse_args()
    # The server's worker on the first core, this load generator on the others: the figure is what
    # one worker does on one core, not what is left after the generator took its share.
    cores = sorted(os.sched_getaffinity(0))
    pin = not args.shared_cores and len(cores) >= 2
    server_cores, own_cores = ({cores[0]}, set(cores[1:])) if pin else (set(cores), set(cores))
    os.sched_setaffinity(0, own_cores)
    await limiter_cost()
    await shared_limiter_cost(args.redis)
    texts = questions()
    # The labelled questions repeat, and the matcher keeps its decision per question: a second
    # web chat run asks each in a new wording (a greeting before, a particle after: 7 x 7 x 406
    # wordings, few repeated within a run), the cost of questions never seen before.
    fresh = [f"{before} {text} {after}".strip() for text in texts for before in _BEFORE for after in _AFTER]
    random.Random(6).shuffle(fresh)
    fake = FakeTelegram()
    await fake.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    updates = Updates()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async def web(session: aiohttp.ClientSession, n: int, text: str | None = None) -> bool:
        # An id on each message, as the page sends (a resend is then answered once: a delivery row per message).
        body = {"user": f"bench{n % PEOPLE:06d}", "text": text or texts[n % len(texts)], "id": uuid.uuid4().hex}
        async with session.post(f"{base}/chat/api/message", json=body) as response:
            await response.read()
            return response.status == 200

    async def telegram(session: aiohttp.ClientSession, n: int) -> bool:
        body = updates.text(texts[n % len(texts)], user_id=100_000 + n % PEOPLE)
        async with session.post(f"{base}/telegram/webhook", json=body, headers=headers) as response:
            await response.read()
            return response.status == 200

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TROLYSO_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
               "TROLYSO_USAGE_SPOOL_PATH": f"{tmp}/spool.jsonl", "TROLYSO_SECRET_KEY": "b" * 32,
               "TROLYSO_CHANNELS": "web,telegram", "TROLYSO_TELEGRAM_TOKEN": "123456:BENCH",
               "TROLYSO_TELEGRAM_WEBHOOK_SECRET": SECRET, "TROLYSO_TELEGRAM_API_BASE": fake.url,
               "TROLYSO_ADMIN_BOOTSTRAP": "false",
               "TROLYSO_WEB_RATE_PER_USER": "1000000/minute", "TROLYSO_WEB_RATE_PER_ADDRESS": "1000000/minute"}  # fmt: skip
        server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], env=env,
                                  preexec_fn=lambda: os.sched_setaffinity(0, server_cores),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            await wait_up(f"{base}/healthz")
            where = f"server on core {min(server_cores)}, load generator on {sorted(own_cores)}" if pin else "cores shared"
            print(f"{os.cpu_count()} CPUs ({where}), load average {os.getloadavg()[0]:.1f}; one worker, SQLite; "
                  f"{args.clients} clients (closed loop), then {args.rate:.0f}/s (open loop), {args.seconds:g} s each")  # fmt: skip
            print(f"{'channel':<17} {'load':<14} {'msg/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms/msg':>10} {'errors':>6} {'generator':>10}")
            wordings = itertools.cycle(fresh)  # on from where the warm-up stopped: no wording twice

            async def web_fresh(session: aiohttp.ClientSession, n: int) -> bool:
                return await web(session, n, next(wordings))

            for name, send in (("web chat", web), ("web, new words", web_fresh), ("telegram webhook", telegram)):
                await drive(send, 8, 2, None)  # warm-up: every question once, pools and caches
                top = 0.0
                for label, rate in ((f"max ({args.clients} clients)", None), (f"{args.rate:.0f}/s", args.rate)):
                    if rate and top < rate:  # a rate above the maximum only measures a growing queue
                        print(f"{name:<17} {label:<14} skipped: above this machine's maximum now")
                        continue
                    gc.collect()
                    gc.disable()
                    cpu, own = cpu_seconds(server.pid), time.process_time()
                    lat, sec, errors = await drive(send, 512 if rate else args.clients, args.seconds, rate)
                    cpu, own = cpu_seconds(server.pid) - cpu, time.process_time() - own
                    gc.enable()
                    lat.sort()
                    top = top or len(lat) / sec
                    # The generator's own share of its core: near 100 % the figure is the generator's limit.
                    print(f"{name:<17} {label:<14} {len(lat) / sec:>7.0f} {statistics.median(lat):>8.1f} "
                          f"{lat[int(len(lat) * 0.99)]:>8.1f} {cpu * 1000 / len(lat):>10.3f} {errors:>6} "
                          f"{100 * own / sec / len(own_cores):>8.0f} %")  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=10)
            await fake.close()


if __name__ == "__main__":
    asyncio.run(main())
