"""Rate limits for everything the public can hammer: the web chat, link codes, admin logins.

One module, so every limit counts the same way (rules in the `limits` library's notation):

    limiter = RateLimiter.from_settings(settings)
    wait = await limiter.hit(Rule.parse("web_id", "30/minute;300/hour"), user_id)
    if wait: answer 429 with Retry-After: ceil(wait)

Counts live in memory (one worker) or, when ``redis_url`` is set, in Redis, so several workers
share one budget. The rule syntax is the `limits` library's; the counting is ours, in both places:
- in memory, :class:`MemoryWindows`, not the library's async MemoryStorage: that one starts a
  sweep of every key after each hit, each key a thread hop under the key's lock, so with thousands
  of web-chat users the sweep never stopped and requests queued behind it (web chat p99 in seconds);
- in Redis, :class:`RedisWindows`: one script call checks and counts every part of a rule at once
  (the library's storage took a round trip per part to test and another to hit: eight per web
  message, and a test-then-hit race between workers). Redis is coordination only: when it
cannot be reached the limiter keeps counting in this worker's memory (the limits still hold per
worker) and says so in the log once a minute; it never turns a request into a 500.

Which address a request comes from is :func:`client_address`: the socket's peer, or the left-most
address in X-Forwarded-For that is not one of the configured trusted proxies — and the header is
believed only when the peer itself is a trusted proxy, so a client cannot pick its own address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import limits

from bot.errors import ConfigError
from bot.extras import require

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = logging.getLogger("bot.ratelimit")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Rule:
    """A named budget such as ``30/minute;300/hour``; every part must allow a hit."""

    name: str
    items: tuple[limits.RateLimitItem, ...]

    @classmethod
    def parse(cls, name: str, spec: str) -> Rule:
        """``spec`` in the `limits` notation; a bad one is a :class:`ConfigError` naming ``name``."""
        try:
            items = tuple(limits.parse_many(spec))
        except ValueError as exc:
            raise ConfigError(
                f"rate limit {name}: {spec!r} is not like '30/minute;300/hour' ({exc})"
            ) from None
        if not items:
            raise ConfigError(f"rate limit {name}: {spec!r} sets no limit")
        return cls(name, items)


class MemoryWindows:
    """Exact moving windows in this process: per (rule, item, key) the times of the hits still in
    the window, oldest first. A hit costs O(1) amortised; windows that emptied are dropped by a
    sweep at most once a minute, so memory follows the people active within the longest window."""

    SWEEP_EVERY = 60.0

    def __init__(self, clock: Any = time.monotonic) -> None:
        self.clock = clock
        self._windows: dict[tuple[str, ...], tuple[float, deque[float]]] = {}  # key -> (length s, hit times)
        self._swept = clock()

    def hit(self, rule: Rule, key: tuple[str, ...], cost: int = 1) -> float:
        """Count ``cost`` hits when every item allows them (0.0), else the seconds to wait."""
        return self.hit_all(((rule, key),), cost)

    def hit_all(self, budgets: Sequence[tuple[Rule, tuple[str, ...]]], cost: int = 1) -> float:
        """:meth:`hit` for several (rule, key) at once: counted in all when all allow it."""
        now = self.clock()
        windows = [(item, self._window(rule.name, item, key, now)) for rule, key in budgets for item in rule.items]
        wait = max(self._wait(item, hits, cost, now) for item, hits in windows)
        if wait > 0:
            return wait  # refused: nothing counted
        for _item, hits in windows:
            hits.extend([now] * cost)
        if now - self._swept > self.SWEEP_EVERY:
            self._sweep(now)
        return 0.0

    def wait(self, rule: Rule, key: tuple[str, ...]) -> float:
        now = self.clock()
        return max(self._wait(item, self._window(rule.name, item, key, now), 1, now) for item in rule.items)

    def clear(self, rule: Rule, key: tuple[str, ...]) -> None:
        for item in rule.items:
            self._windows.pop((rule.name, str(item), *key), None)

    def _window(self, name: str, item: limits.RateLimitItem, key: tuple[str, ...], now: float) -> deque[float]:
        length = float(item.get_expiry())
        hits = self._windows.setdefault((name, str(item), *key), (length, deque()))[1]
        while hits and hits[0] <= now - length:
            hits.popleft()
        return hits

    @staticmethod
    def _wait(item: limits.RateLimitItem, hits: deque[float], cost: int, now: float) -> float:
        """Seconds until ``cost`` more hits fit: until enough of the oldest have left the window."""
        over = len(hits) + cost - item.amount
        if over <= 0:
            return 0.0
        if cost > item.amount:
            return float(item.get_expiry())
        return max(hits[over - 1] + item.get_expiry() - now, 1.0)  # as the shared path: never "0 s"

    def _sweep(self, now: float) -> None:
        self._swept = now
        stale = [key for key, (length, hits) in self._windows.items() if not hits or hits[-1] <= now - length]
        for key in stale:
            del self._windows[key]


_WINDOWS = """
-- Several calls at once, each as if alone and in this order (a script runs atomically).
-- KEYS: every call's keys in turn: one sorted set per part of its rule (member: a hit, score: its time).
-- ARGV: the number of calls; then per call: its number of keys, its cost (0: only say the wait), a
-- unique id, and per key: limit, seconds.
-- Returns per call the seconds to wait as a string (0: allowed and counted). Redis's clock, so
-- every worker and machine measures the same window.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local waits = {}
local a, k = 2, 0
for c = 1, tonumber(ARGV[1]) do
  local count, cost, id = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), ARGV[a + 2]
  a = a + 3
  local need = math.max(cost, 1)
  local wait = 0
  for i = 1, count do
    local key, limit, length = KEYS[k + i], tonumber(ARGV[a + 2 * i - 2]), tonumber(ARGV[a + 2 * i - 1])
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - length)
    local over = redis.call('ZCARD', key) + need - limit
    if over > 0 then
      if need > limit then
        wait = math.max(wait, length)
      else
        local oldest = redis.call('ZRANGE', key, over - 1, over - 1, 'WITHSCORES')
        wait = math.max(wait, tonumber(oldest[2]) + length - now, 1)
      end
    end
  end
  if wait == 0 and cost > 0 then
    for i = 1, count do
      for n = 1, cost do
        redis.call('ZADD', KEYS[k + i], now, id .. ':' .. n)
      end
      redis.call('EXPIRE', KEYS[k + i], math.ceil(tonumber(ARGV[a + 2 * i - 1])))
    end
  end
  waits[c] = tostring(wait)
  a = a + 2 * count
  k = k + count
end
return waits
"""

BATCH = 64
"""Calls sent in one script call at most (a few hundred keys)."""


class RedisWindows:
    """Exact moving windows in Redis, shared by every worker: the same counting as
    :class:`MemoryWindows` (refused hits not counted, the wait until enough of the oldest hits
    leave), all of a message's budgets in one step. One Redis server (or a primary with replicas),
    not a Redis Cluster: a call touches keys of several budgets at once.

    The messages of one worker go together: while a script call is out, the next messages wait
    and then go in one call, each counted as if alone, in the order they came. redis-py spends
    ~0.12 ms of CPU on a call whatever it carries — a tenth of a web chat message's CPU when each
    message was a call of its own (docs/benchmarks.md); with one message in flight nothing waits."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(_WINDOWS)
        # A hit's member in the sorted set must be unique across workers: this process's random
        # id and a counter (a uuid4 per call was a system call per message).
        self._calls = itertools.count()
        self._me = uuid.uuid4().hex[:16]
        self._waiting: list[tuple[list[str], list[Any], asyncio.Future[float]]] = []
        self._sender: asyncio.Task[Any] | None = None  # the task whose script call is out
        self.round_trips = 0  # script calls made (tests, and what batching saves)

    async def hit_all(self, budgets: Sequence[tuple[Rule, tuple[str, ...]]], cost: int = 1) -> float:
        return await self._run(budgets, cost)

    async def wait(self, rule: Rule, key: tuple[str, ...]) -> float:
        return await self._run(((rule, key),), 0)

    async def clear(self, rule: Rule, key: tuple[str, ...]) -> None:
        await self.client.delete(*self._keys(rule, key))

    def _keys(self, rule: Rule, key: tuple[str, ...]) -> list[str]:
        return [":".join((self.prefix, rule.name, str(item), *key)) for item in rule.items]

    def _call(self, budgets: Sequence[tuple[Rule, tuple[str, ...]]], cost: int) -> tuple[list[str], list[Any]]:
        """One call's keys and its arguments as the script reads them: key count, cost, unique id,
        then limit and seconds per key."""
        keys: list[str] = []
        args: list[Any] = [0, cost, f"{self._me}:{next(self._calls)}"]
        for rule, key in budgets:
            keys += self._keys(rule, key)
            for item in rule.items:
                args += (item.amount, item.get_expiry())
        args[0] = len(keys)
        return keys, args

    async def _run(self, budgets: Sequence[tuple[Rule, tuple[str, ...]]], cost: int) -> float:
        keys, args = self._call(budgets, cost)
        loop = asyncio.get_running_loop()
        if self._sender is not None:  # a call is out: wait for the next one, with the others
            answer: asyncio.Future[float] = loop.create_future()
            self._waiting.append((keys, args, answer))
            return await answer
        self._sender = asyncio.current_task()  # nothing out: this call goes at once, from this task
        try:
            self.round_trips += 1
            waits = await self._script(keys=keys, args=[1, *args])
        finally:  # those who came meanwhile go together, from a task of their own
            self._sender = loop.create_task(self._send(), name="rate-limit-calls") if self._waiting else None
        return float(waits[0])

    async def _send(self) -> None:
        """Send what waits, a batch per script call, until nothing does."""
        try:
            await self._send_waiting()
        finally:
            self._sender = None

    async def _send_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
            keys: list[str] = []
            args: list[Any] = [len(batch)]
            for call_keys, call_args, _answer in batch:
                keys += call_keys
                args += call_args
            self.round_trips += 1
            try:
                waits = await self._script(keys=keys, args=args)
            except Exception as exc:  # Redis down: every caller counts in memory instead (RateLimiter)
                for _keys, _args, answer in batch:
                    if not answer.done():
                        answer.set_exception(exc)
                continue
            except BaseException:
                for _keys, _args, answer in batch:
                    answer.cancel()
                raise
            for (_keys, _args, answer), wait in zip(batch, waits, strict=True):
                if not answer.done():  # its caller may have given up
                    answer.set_result(float(wait))


class RateLimiter:
    """Counts hits per (rule, key) in a moving window (exact: no burst at a window edge, and
    tests that cross a minute see the same counts); :meth:`hit` says how long to wait."""

    def __init__(self, redis_url: str | None = None, prefix: str = "trolyso:rl") -> None:
        self._memory = MemoryWindows()
        self._shared: RedisWindows | None = None
        self._client: aioredis.Redis | None = None
        self.backend = "memory"
        if redis_url:
            require("redis", "TROLYSO_REDIS_URL")  # redis-py is the [redis] extra
            import redis.asyncio as aioredis

            self._client = aioredis.Redis.from_url(redis_url.removeprefix("async+"), socket_timeout=1.0,
                                                   socket_connect_timeout=1.0)  # fmt: skip
            self._shared = RedisWindows(self._client, prefix)
            self.backend = "redis"
        self._complained = 0.0

    @classmethod
    def from_settings(cls, settings: Any) -> RateLimiter:
        url = getattr(settings, "redis_url", None)
        prefix = f"{getattr(settings, 'redis_prefix', None) or 'trolyso:'}rl"
        return cls(str(url) if url else None, prefix)

    @classmethod
    def for_tests(cls, redis_url: str | None = None) -> RateLimiter:
        """A limiter with a random Redis key prefix, so concurrent test runs never share counts."""
        return cls(redis_url, f"trolyso-test:{uuid.uuid4().hex}")

    async def close(self) -> None:
        """Release the Redis connections (the app's shutdown)."""
        if self._client is not None:
            await self._client.aclose()

    async def hit(self, rule: Rule, *key: str, cost: int = 1) -> float:
        """Count one hit; 0 when allowed, else the seconds until the rule allows one again
        (the refused hit is not counted)."""
        return await self.hit_all(((rule, key),), cost=cost)

    async def hit_all(self, budgets: Sequence[tuple[Rule, tuple[str, ...]]], cost: int = 1) -> float:
        """One hit against several budgets (per address and per person): counted in every one
        when every one allows it, else the longest wait and nothing counted. With Redis, one
        round trip for all of them."""
        if self._shared is not None:
            try:
                return await self._shared.hit_all(budgets, cost)
            except Exception:
                self._complain()
        return self._memory.hit_all(budgets, cost)

    async def wait(self, rule: Rule, *key: str) -> float:
        """Seconds until every part of ``rule`` allows a hit for ``key`` (0: now)."""
        if self._shared is not None:
            try:
                return await self._shared.wait(rule, key)
            except Exception:
                self._complain()
        return self._memory.wait(rule, key)

    async def reset(self, rule: Rule, *key: str) -> None:
        """Forget the counts of ``key`` (a successful login forgets its failures)."""
        self._memory.clear(rule, key)
        if self._shared is not None:
            try:
                await self._shared.clear(rule, key)
            except Exception:
                self._complain()

    def _complain(self) -> None:
        now = time.monotonic()
        if now - self._complained > 60:
            self._complained = now
            log.warning("rate limits: Redis unreachable; counting in this worker's memory until it is back")


class LinkBudget:
    """Wrong volunteer link codes for all accounts together (``link_rate_global``): once spent,
    every account waits, so many accounts cannot multiply the per-account limit. Right codes
    spend nothing, so a training day of volunteers linking never meets it."""

    def __init__(self, limiter: RateLimiter, spec: str) -> None:
        self.limiter = limiter
        self.rule = Rule.parse("link_global", spec)

    async def spent(self) -> bool:
        return await self.limiter.wait(self.rule, "all") > 0

    async def spend(self) -> None:
        await self.limiter.hit(self.rule, "all")


def retry_after(wait: float) -> str:
    """The Retry-After header for a wait in seconds: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait)))


# --- who is asking ------------------------------------------------------------------------------


def parse_proxies(spec: str | Iterable[str] | None) -> tuple[Network, ...]:
    """Trusted proxies as networks: ``"127.0.0.1, 10.0.0.0/8"``; a bad entry is a ConfigError."""
    if spec is None:
        return ()
    entries = spec.split(",") if isinstance(spec, str) else list(spec)
    networks = []
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ConfigError(f"TROLYSO_TRUSTED_PROXIES: {entry!r} is not an IP address or network") from None
    return tuple(networks)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in net for net in proxies)


def client_address(peer: str | None, forwarded_for: str | None, proxies: Sequence[Network]) -> str:
    """The client's address: ``peer`` (the socket's), unless ``peer`` is a trusted proxy, then the
    right-most address of X-Forwarded-For that is not a trusted proxy (what the last untrusted
    hop said). A header from anyone else is ignored: a client cannot choose its own address."""
    address = peer or "unknown"
    if not forwarded_for or not proxies or not _trusted(address, proxies):
        return address
    for hop in reversed(forwarded_for.split(",")[:32]):
        ip = _ip(hop)
        if ip is None:
            return address  # a damaged header: the proxy is all we know
        if not any(ip in net for net in proxies):
            return str(ip)
        address = str(ip)
    return address


def request_address(request: Any, proxies: Sequence[Network]) -> str:
    """:func:`client_address` of a Starlette request."""
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"), proxies)
