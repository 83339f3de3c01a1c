"""Scale-out benchmark: 1 and 2 workers (`trolyso serve --workers N`) on PostgreSQL + Redis.

    python bench/scale.py [--seconds 10] [--clients 50] [--postgres URL] [--redis URL]

For each worker count, one server (a throwaway PostgreSQL database, Redis for coordination) is
loaded in turn through the web chat API (``/chat/api/message``) and the Telegram webhook (replies
to a fake Bot API on loopback), by ``--clients`` concurrent clients with keep-alive connections,
each waiting for its answer before sending the next (closed loop). Printed per run: messages/s,
p50 and p99 latency, the server's CPU seconds (all its processes, from /proc) and messages per
server CPU-second. On a small machine the load generator competes with the workers for the same
cores, so the ratio per CPU-second is the fair reading of "2 workers vs 1"; the raw ratio is
printed beside it. Then the same at a fixed rate both sustain (``--rate``, open loop): the CPU a
message costs with one and with two workers at equal load, free of how a saturated machine shares
its cores.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import aiohttp
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.storage.db import create_db_engine, normalize_url, upgrade  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram, Updates  # noqa: E402
from tests.scale.cluster import workers_of  # noqa: E402

SECRET = "bench-secret"
QUESTIONS = ["lam cccd o dau", "dang ky khai sinh can giay to gi", "gplx het han lam sao",
             "tam tru online the nao", "cap lai the can cuoc bao nhieu tien"]  # fmt: skip
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(root: int) -> float:
    """User + system CPU of ``root`` and its children (the workers), from /proc."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == root or int(fields[1]) == root:
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


async def timed(send: object, n: int, latencies: list[float], errors: Counter[int]) -> None:
    """Send message ``n``: its latency in ms when answered (200), else its status counted."""
    started = time.perf_counter()
    status = await send(n)  # type: ignore[operator]
    if status == 200:
        latencies.append((time.perf_counter() - started) * 1000)
    else:
        errors[status] += 1


async def closed_loop(send: object, clients: int, seconds: float) -> tuple[list[float], float, Counter[int]]:
    """Latencies of the answered (200) messages, the seconds taken, and how many got each other status."""
    latencies: list[float] = []
    errors: Counter[int] = Counter()
    stop = time.perf_counter() + seconds
    counter = itertools.count()

    async def client() -> None:
        while time.perf_counter() < stop:
            await timed(send, next(counter), latencies, errors)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, time.perf_counter() - started, errors


async def open_loop(send: object, rate: float, seconds: float) -> tuple[list[float], float, Counter[int]]:
    """:func:`closed_loop`'s figures for arrivals on a fixed schedule, whatever the server does."""
    latencies: list[float] = []
    errors: Counter[int] = Counter()

    started = time.perf_counter()
    tasks = []
    for n in range(int(rate * seconds)):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed(send, n, latencies, errors)))
    await asyncio.gather(*tasks)
    return latencies, time.perf_counter() - started, errors


Figures = dict[str, tuple[float, float, float, float]]  # channel -> msg/s, p50, p99, msg per CPU-second


async def measure(base: str, pid: int, clients: int, seconds: float, run: str, fixed: float) -> tuple[Figures, int]:
    """The figures per channel and how many messages were not answered with a 200."""
    results = {}
    failures = 0
    connector = aiohttp.TCPConnector(limit=clients)
    updates = Updates(first_id=int(time.time() * 1000))
    async with aiohttp.ClientSession(connector=connector) as session:

        async def web(n: int) -> int:
            # A web-chat id is 8-64 letters, digits, _ or -: the run's name has a space.
            body = {"user": f"bench{run[0]}w{n % 5000:06d}", "text": QUESTIONS[n % len(QUESTIONS)], "id": uuid.uuid4().hex}  # as the page sends
            async with session.post(f"{base}/chat/api/message", json=body) as response:
                await response.read()
                return response.status

        async def telegram(n: int) -> int:
            update = updates.text(QUESTIONS[n % len(QUESTIONS)], 800_000 + n % 5000)
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with session.post(f"{base}/telegram/webhook", json=update, headers=headers) as response:
                await response.read()
                return response.status

        for name, send in (("web chat", web), ("telegram", telegram)):
            await closed_loop(send, 8, 1.0)  # warm-up: imports, prepared statements, pools
            for load, at in (("max", None), (f"{fixed:g}/s", fixed)):
                gc.collect()
                gc.disable()
                cpu = cpu_seconds(pid)
                lat, sec, errors = await (closed_loop(send, clients, seconds) if at is None else open_loop(send, at, seconds))
                cpu = cpu_seconds(pid) - cpu
                gc.enable()
                lat.sort()
                rate = len(lat) / sec
                figures = (rate, statistics.median(lat), lat[int(len(lat) * 0.99)], len(lat) / max(cpu, 1e-9))
                results[name if at is None else f"{name} at {load}"] = figures
                print(f"{run:<10} {name:<9} {load:<7} {rate:>8.0f} {figures[1]:>8.1f} {figures[2]:>8.1f} "
                      f"{cpu:>7.1f} {figures[3]:>9.0f}  errors={dict(errors) or 0}")  # fmt: skip
                failures += sum(errors.values())
    return results, failures


async def serve(workers: int, database: str, redis: str, fake: FakeTelegram, clients: int, seconds: float,
                fixed: float) -> tuple[Figures, int]:  # fmt: skip
    port = free_port()
    env = {**os.environ, "TROLYSO_DATABASE_URL": database, "TROLYSO_REDIS_URL": redis,
           "TROLYSO_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:8]}:", "TROLYSO_CHANNELS": "web,telegram",
           "TROLYSO_TELEGRAM_TOKEN": "123456:BENCH", "TROLYSO_TELEGRAM_WEBHOOK_SECRET": SECRET,
           "TROLYSO_TELEGRAM_API_BASE": fake.url, "TROLYSO_SECRET_KEY": "b" * 32,
           "TROLYSO_ADMIN_DASHBOARD": "false", "TROLYSO_USAGE_SPOOL_PATH": f"/tmp/bench-scale-{port}.jsonl",
           # The load comes from one address and a few ids: lift the web chat's rate limits.
           "TROLYSO_WEB_RATE_PER_USER": "1000000/minute", "TROLYSO_WEB_RATE_PER_ADDRESS": "1000000/minute"}  # fmt: skip
    trolyso = Path(sys.executable).with_name("trolyso")
    log = Path(f"/tmp/bench-scale-{port}.log")
    with log.open("wb") as output:
        server = subprocess.Popen([str(trolyso), "serve", "--workers", str(workers), "--port", str(port)], env=env,
                                  stdout=output, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        await until_up(server, base, workers, log)
        return await measure(base, server.pid, clients, seconds, f"{workers} worker" + ("s" if workers > 1 else ""), fixed)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.unlink(missing_ok=True)


async def until_up(server: subprocess.Popen[bytes], base: str, workers: int, log: Path, timeout: float = 180) -> None:
    """/healthz answers and, with several workers, every one is running (a busy machine starts
    them slowly: measuring while the second still imports would time one worker)."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            if server.poll() is not None:
                raise SystemExit(f"trolyso serve exited with {server.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
            if time.monotonic() > deadline:
                raise SystemExit(f"trolyso serve was not up after {timeout:g} s:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200 and (workers == 1 or len(workers_of(server.pid)) == workers):
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)  # the last worker's first requests settle


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=float, default=150,
                        help="a fixed rate (open loop) both worker counts sustain: the CPU a message costs at equal load")
    parser.add_argument("--postgres", default=os.environ.get("TROLYSO_BENCH_POSTGRES_URL",
                                                            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))  # fmt: skip
    parser.add_argument("--redis", default=os.environ.get("TROLYSO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    admin_url = normalize_url(args.postgres)
    name = f"trolyso_bench_{uuid.uuid4().hex[:8]}"
    admin = create_db_engine(admin_url.render_as_string(hide_password=False)).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    database = admin_url.set(database=name).render_as_string(hide_password=False)
    upgrade(database)
    fake = FakeTelegram()
    await fake.start()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {args.clients} clients (closed loop, max), then "
          f"{args.rate:g} messages/s (open loop); {args.seconds:g} s per run")
    print(f"{'run':<10} {'channel':<9} {'load':<7} {'msg/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'cpu s':>7} {'msg/cpu-s':>9}")
    try:
        one, failed_one = await serve(1, database, args.redis, fake, args.clients, args.seconds, args.rate)
        two, failed_two = await serve(2, database, args.redis, fake, args.clients, args.seconds, args.rate)
        for channel in one:
            if " at " in channel:  # the same load on both: does a second worker cost CPU of its own?
                print(f"{channel}: 2 workers / 1 = {two[channel][3] / one[channel][3]:.2f}x msg per server CPU-second")
            else:
                print(f"{channel}: 2 workers / 1 = {two[channel][0] / one[channel][0]:.2f}x msg/s, "
                      f"{two[channel][3] / one[channel][3]:.2f}x msg per server CPU-second")  # fmt: skip
        if failed_one + failed_two:
            raise SystemExit(f"{failed_one + failed_two} messages were not answered: the figures above are not valid")
    finally:
        await fake.close()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
