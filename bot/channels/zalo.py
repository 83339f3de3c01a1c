"""The Zalo Official Account channel: a signed webhook in, consultation messages out.

    POST /zalo/webhook     Zalo's events (set this URL in the Zalo app's Webhook settings)

Zalo wants a 200 within about 2 seconds, retries slow or failed deliveries for hours and then
switches the webhook off, and never delivers again an event it had a 200 for. So the webhook
checks the event (signature, age, echo, duplicate), runs the turn in a background task that
:meth:`ZaloChannel.stop` waits for, and answers 200 once the turn's state is saved with the
event's delivery id (:mod:`bot.storage.deliveries`) and its replies have left. A worker killed
before that has answered nothing, so Zalo delivers the event again: if the turn was not saved,
another worker takes it; if it was, the redelivery is refused as seen and gets the stored replies
(processed once, answered at least once, as on Telegram).

The trade-off: Zalo wants the 200 within about 2 s, so the wait is bounded by
``zalo_ack_wait_seconds`` (1.5 s). A turn not done by then (a slow database or Zalo API) is
answered 200 anyway and finishes in the background, as every turn did before. A saved turn's
replies still to go are then kept in the database until sent (counted as ``ok_unsent``), so a
worker killed after that 200 loses none: another sends them (:mod:`bot.web.late`). An unsaved
turn (logged as a warning, counted as ``ok_unsaved``) is lost with a worker killed then. During a
database outage the turn counts as saved once the store holds it in memory to write back
(:mod:`bot.storage.resilient`).

A burst from one person ("cho hỏi", "làm cccd", "ở đâu ạ" within 100 ms): the turns run one at a
time in the order the messages came, and the replies leave in that order, but a turn waits only
for the previous turn, not for its replies to reach Zalo (:mod:`bot.channels.lines`). So every
message of the burst is saved within a moment, and the bound is spent on sends alone: a late 200
is ``ok_unsent`` (the message is kept, and its replies are kept until sent), never ``ok_unsaved``
because the person's own earlier replies were slow to send. What each 200 waits for, and why, is at :meth:`ZaloChannel.webhook`.
Answers:

- 403  the signature is missing or wrong, or a signed event names another app. The signature is
       checked on the raw bytes before any JSON parsing, so unsigned junk costs nothing;
- 400  a signed body that is not a Zalo event (not JSON, no app_id/timestamp/event_name);
- 413  the body is over ``max_body_bytes`` (Starlette's max_body_size, set from it);
- 200  everything else: Zalo's unsigned check when the webhook URL is saved (a small JSON object
       with no event in it; Zalo only wants a 200), events we ignore (the OA's own echoed sends,
       receipts, types we don't know, events of another OA of the same app), redeliveries of
       events taken (the de-duplication decides), and signed events older than
       ``zalo_max_event_age_seconds`` (24 h, past Zalo's 12 h of retries): answered 200 and not
       replied to, since a 4xx would make Zalo retry for hours and then switch the webhook off.

Every refusal is one log line, never a traceback.

Buttons come back as text messages (see :mod:`bot.channels.zalo_api`). Zalo gives no language,
so conversations start in the default language (Vietnamese).
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from prometheus_client import Counter, Gauge
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import SeenIds
from bot.channels.lines import PersonLocks, Place, SendLines
from bot.channels.zalo_api import MorePage, Press, Sent, ZaloApi, ZaloApiError, quota_left, read_query, render
from bot.channels.zalo_events import (
    SIGNATURE_HEADER,
    BadEvent,
    ZaloEvent,
    is_url_check,
    parse_event,
    read_json,
    signed_timestamp,
)
from bot.channels.zalo_tokens import Tokens, ZaloTokens
from bot.conversations import conversation_key
from bot.core import i18n
from bot.core.i18n import _
from bot.core.messages import Inbound, Outbound
from bot.errors import ConfigError, StorageError
from bot.storage.deliveries import Outgoing, aside, delivering, sending_to
from bot.storage.outbox import Outbox
from bot.storage.tables import outbox
from bot.web.channel import BaseChannel, ChannelContext

log = logging.getLogger("bot.channel.zalo")

MAX_EVENT_AGE = 24 * 3600.0
"""Seconds a signed event is still answered: Zalo's retries repeat the original timestamp for up
to 12 hours (facts §1.2), so a shorter window would drop the messages that follow an outage."""
MAX_CLOCK_AHEAD = 300.0
"""Seconds an event's timestamp may be ahead of our clock."""
SEND_ATTEMPTS = 3
"""Tries for a message when Zalo is busy (-100) or cannot be reached."""
RATE_LIMITED = -32
"""Zalo's rate limit, counted per minute: what is left of the turn waits (in the database, so a
restart loses nothing) for the next minute instead of being retried at once."""
REPLY_WINDOW_DAYS = 7.0
"""After this long without a message from a person, Zalo refuses pushes to them (-230, facts §1.7)."""
QUOTA_WARNING = 0.1
"""Warn when less than this share of the OA's message quota is left."""
LATER = "zalo-later"
"""The outbox channel of messages waiting out Zalo's rate limit."""
STOP_WAIT = 20.0
"""Seconds :meth:`ZaloChannel.stop` waits for turns in progress before cancelling them."""
ACK_WAIT = 1.5
"""Seconds the webhook waits for the turn to be saved and answered before it answers 200 regardless
(setting ``zalo_ack_wait_seconds``): under Zalo's 2 s, with room for the network."""


class ZaloChannel(BaseChannel):
    """Zalo OA webhook and sender; one per process, safe with several workers behind one URL."""

    name = "zalo"

    def __init__(self, ctx: ChannelContext) -> None:
        super().__init__(ctx)
        s = ctx.settings
        missing = [
            name for name in ("zalo_app_id", "zalo_app_secret", "zalo_access_token") if not getattr(s, name)
        ]
        if missing:
            names = ", ".join(f"TROLYSO_{n.upper()}" for n in missing)
            raise ConfigError(f"the zalo channel needs {names}: take them from the Zalo app and the OA's "
                              "authorisation (see README, 'Zalo Official Account')")  # fmt: skip
        self.app_id: str = s.zalo_app_id
        self.oa_id: str | None = s.zalo_oa_id
        app_secret: str = s.zalo_app_secret.get_secret_value()
        oa_key = getattr(s, "zalo_oa_secret_key", None)
        # Zalo signs events with the OA secret key, which is not the app secret (facts §1.4).
        self.signing_key: str = oa_key.get_secret_value() if oa_key else app_secret
        self._signing_key_source = "oa_secret_key" if oa_key else "app_secret"
        self.max_event_age = float(getattr(s, "zalo_max_event_age_seconds", None) or MAX_EVENT_AGE)
        ack_wait = getattr(s, "zalo_ack_wait_seconds", None)
        self.ack_wait = float(ACK_WAIT if ack_wait is None else ack_wait)
        self.retry_pause = 1.0  # seconds before the first retry of a busy send; doubled each time
        self.seen = SeenIds()
        self.api_client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
        self.api = ZaloApi(s.zalo_api_base, self.api_client)
        refresh = s.zalo_refresh_token.get_secret_value() if s.zalo_refresh_token else None
        db = ctx.db if ctx.db is not None else getattr(ctx.conversations.store, "engine", None)
        self.tokens = ZaloTokens(
            db=db if isinstance(db, sa.Engine) else None, key=f"zalo:{self.oa_id or self.app_id}",
            app_id=self.app_id, app_secret=app_secret, oauth_base=s.zalo_oauth_base, client=self.api_client,
            seed=Tokens(s.zalo_access_token.get_secret_value(), refresh),
        )  # fmt: skip
        self._tasks: set[asyncio.Task[None]] = set()
        self._turns = PersonLocks()  # one turn (load, run, save) at a time per person
        self._sends = SendLines()  # and their replies leave in that order, without holding up the next turn
        self._closing = False
        self.sent = 0
        self.failed = 0
        self.last_error: dict[str, Any] | None = None
        self._last_heard: dict[str, float] = {}  # user -> when they last wrote (this worker saw it)
        self._refused: dict[str, float] = {}  # user -> when Zalo last refused a push (-230, -232)
        self.later = Outbox(ctx.db, LATER) if isinstance(ctx.db, sa.Engine) else None
        self._quota_low = False
        self.minute = _to_next_minute  # how long to wait out a rate limit (tests make it short)
        self.quota = Gauge("trolyso_zalo_quota", "Zalo message quota from the last send (remain, total)",
                           ["kind"], registry=ctx.metrics.registry)  # fmt: skip
        self.unreachable = Counter("trolyso_zalo_push_skipped", "Pushes not sent: Zalo would refuse them",
                                   registry=ctx.metrics.registry)  # fmt: skip
        ctx.conversations.notifier.register(self.name, self.push)

    def routes(self) -> Sequence[BaseRoute]:
        return [Route("/zalo/webhook", self.webhook, methods=["POST"])]

    async def push(self, user: str, replies: Sequence[Outbound]) -> bool:
        """Send to a follower who did not just write (a volunteer told of a request, a citizen told
        who will call). Zalo allows it within its reply window only; a refusal is logged and the
        request stays in the dashboard queue. No per-person lock: the turn that made the notice may
        hold this very person's."""
        if self._out_of_window(user):
            # Zalo would answer -230 (no interaction for 7 days): no call, no quota spent. False
            # tells the caller the person was not reached, so the volunteer is told to call.
            self.unreachable.inc()
            log.info("zalo: push skipped, the person has not written for %.0f days", REPLY_WINDOW_DAYS)
            return False
        lang = await self._language(user)
        with i18n.use(lang):
            more_text, more_label = _("More choices:"), _("More ▶")
        messages = [m for reply in replies for m in render(reply, lang, more_label, more_text)]
        return await self._deliver(user, messages, None) != "failed"

    def _out_of_window(self, user: str) -> bool:
        now = time.time()
        heard = self._last_heard.get(user)
        refused = self._refused.get(user)
        if refused is not None and (heard is None or heard < refused):
            return True  # Zalo said so, and they have not written since
        return heard is not None and now - heard > REPLY_WINDOW_DAYS * 86400

    async def start(self) -> None:
        if self._signing_key_source == "app_secret":
            log.warning("zalo: checking webhook signatures with the app secret; Zalo signs with the OA "
                        "secret key (Webhook settings of the Zalo app) - set TROLYSO_ZALO_OA_SECRET_KEY")  # fmt: skip
        await self.tokens.open()
        if self.ctx.late is not None:  # replies a stopped worker kept: this one may send them now
            self.ctx.late.register(self.name, self.resend)
        if self.later is not None:  # messages a stopped worker left waiting for Zalo's rate limit
            self._spawn(self._drain_all())

    async def stop(self) -> None:
        self._closing = True
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=STOP_WAIT)
            for task in pending:
                log.error("zalo: a turn was still running after %.0f s at shutdown; cancelled", STOP_WAIT)
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self.api_client.aclose()

    async def idle(self) -> None:
        """Wait until every turn taken so far has been answered (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*set(self._tasks), return_exceptions=True)

    def status(self) -> dict[str, Any]:
        tokens = self.tokens.status()
        return {
            "ok": tokens["refresh_refused"] is None and tokens["storage_error"] is None,
            "pending": len(self._tasks), "sent": self.sent, "failed": self.failed,
            "last_error": self.last_error, "token": tokens, "signing_key": self._signing_key_source,
        }  # fmt: skip

    # --- the webhook ----------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        raw = await request.body()  # over the app's body limit, BodyLimit answered 413 already
        header = request.headers.get(SIGNATURE_HEADER)
        # The signature first, on the raw bytes: nothing unsigned is parsed beyond a small check.
        stamp = signed_timestamp(header, self.app_id, raw, self.signing_key)
        if stamp is None:
            if header is None and is_url_check(raw):
                return self._answer("url_check", 200)  # Zalo's check when the webhook URL is saved
            return self._answer("bad_signature", 403, f"signature {'wrong' if header else 'missing'}")
        try:
            event = parse_event(read_json(raw))
        except BadEvent as exc:
            return self._answer("bad_request", 400, f"not a Zalo event: {str(exc)[:100]}")
        if event.app_id != self.app_id or event.timestamp != stamp:
            return self._answer("wrong_app", 403, "event for another app")
        age = time.time() - event.millis / 1000
        if age > self.max_event_age or -age > MAX_CLOCK_AHEAD:
            # Signed by Zalo, so not a forgery; too old (or too far ahead) to answer now. 200, or
            # Zalo retries it for hours and then switches the webhook off.
            log.warning("zalo webhook: event %s is %.0f s old (answered up to %.0f s); taken, not answered",
                        event.name, age, self.max_event_age)  # fmt: skip
            return self._answer("stale", 200)
        if event.name.startswith("oa_send_") or (self.oa_id is not None and event.sender == self.oa_id):
            return self._answer("echo", 200)
        if event.user_id is None:
            log.debug("zalo webhook: %s ignored", event.name)
            return self._answer("ignored", 200)
        if self.oa_id is not None and event.oa_id is not None and event.oa_id != self.oa_id:
            return self._answer("other_oa", 200)  # another OA of the same Zalo app
        if not self.seen.first_time(event.dedupe_key):
            return self._answer("duplicate", 200)
        if self._closing:  # shutting down: let Zalo deliver it again to a worker that stays up
            return self._answer("closing", 503, "shutting down")
        saved, answered = asyncio.Event(), asyncio.Event()  # the state is saved; the replies have left
        with delivering(f"zalo:{self.app_id}:{event.dedupe_key}", saved) as delivery:  # recorded with the state
            self._spawn(self._take(event, saved, answered))
        # "Taken" only once it is: a worker killed before this line leaves Zalo to deliver it again.
        # What the 200 waits for: the turn saved with its delivery id and replies, AND those replies
        # sent. The save alone is not enough: stored replies go out again only on a redelivery, and
        # after a 200 there is none, so a worker killed between the 200 and the send would leave the
        # question unanswered. Replies leave in message order, so "sent" also means every earlier
        # message's replies have gone (or were refused, or wait out the rate limit in the database).
        # The turn itself does not wait for earlier sends (see _take): within a burst, each message
        # is saved long before the bound, and a worker killed before its 200 loses nothing — Zalo
        # delivers it again and the stored replies answer it, in order if Zalo redelivers in order.
        try:
            async with asyncio.timeout(self.ack_wait):
                await answered.wait()
        except TimeoutError:
            if not saved.is_set():
                log.warning("zalo webhook: the turn was not saved within %.1f s; answered 200, it goes on in "
                            "the background", self.ack_wait)  # fmt: skip
                return self._answer("ok_unsaved", 200)
            # Saved, its replies still on their way: kept in the database until they are sent, so
            # a worker killed after this 200 still answers (another sends them: bot.web.late).
            if self.ctx.late is not None:
                await self.ctx.late.keep(self.name, delivery)
            return self._answer("ok_unsent", 200)
        return self._answer("ok", 200)

    def _answer(self, result: str, status: int, detail: str = "") -> Response:
        self.ctx.metrics.webhooks.labels(self.name, result).inc()
        if status >= 400:
            log.warning("zalo webhook: %s %s: %s", status, result, detail)  # one line, never a traceback
        body: dict[str, Any] = {"ok": status == 200}
        if detail:
            body["error"] = detail
        return JSONResponse(body, status_code=status)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- one turn, in the background ------------------------------------------------------

    async def _take(self, event: ZaloEvent, saved: asyncio.Event, answered: asyncio.Event) -> None:
        """Run the event's turn after the person's previous one, then send its replies after the
        previous one's. The turn lock covers the turn only (load, run, save): the next message of a
        burst is saved while this one's replies are still on their way to Zalo, so its webhook can
        answer 200 in time with nothing lost (see :meth:`webhook`)."""
        assert event.user_id is not None
        user = event.user_id
        self._last_heard[user] = time.time()
        out = sending_to(user)  # what the webhook keeps if it answers before these replies left
        place: Place | None = None
        try:
            async with self._turns.one_at_a_time(user):
                replies, groups = await self._replies(event, user)
                out.replies = replies
                saved.set()  # also when there was no turn to save (a redelivery, a "More" page, an outage)
                place = self._sends.join(user)  # taken before the next turn runs: replies leave in order
            await place.reached()
            await self._deliver(user, [m for group in groups for m in group], event.msg_id, _progress(out, groups))
        except Exception:  # a background task has no caller to tell: log it, count it
            saved.set()
            log.exception("zalo: turn failed event=%s", event.name)
            self.ctx.metrics.errors.labels(self.name).inc()
        finally:
            if place is not None:
                place.leave()  # the next message's replies may go (once every earlier one's have)
        if self.ctx.late is not None:
            await self.ctx.late.finished(out)  # not when cancelled: a killed worker leaves its kept replies
        answered.set()  # not when cancelled: a worker stopped mid-turn has answered nothing

    async def resend(self, user: str, replies: Sequence[Outbound], delivery_id: str) -> None:
        """Replies kept by a worker that stopped before sending them (:mod:`bot.web.late`): sent as
        the answer to the person's message, in their line after the replies already waiting."""
        lang = await self._language(user)
        with i18n.use(lang):
            more_text, more_label = _("More choices:"), _("More ▶")
        messages = [m for reply in replies for m in render(reply, lang, more_label, more_text)]
        prefix = f"zalo:{self.app_id}:m:"
        reply_to = delivery_id[len(prefix):] if delivery_id.startswith(prefix) else None
        place = self._sends.join(user)
        try:
            await place.reached()
            await self._deliver(user, messages, reply_to)
        finally:
            place.leave()

    async def _deliver(self, user: str, messages: list[dict[str, Any]], reply_to: str | None,
                       progress: Callable[[int], None] | None = None) -> str:  # fmt: skip
        """Send ``messages`` in order: "sent", "failed" (the rest dropped, logged), or "later" (Zalo's
        rate limit: the rest waits in the database for the next minute). ``progress`` hears how
        many have left (or wait in the database) after each."""
        for i, message in enumerate(messages):
            outcome = await self._send(user, message, reply_to)
            if outcome == "later":
                await self._wait_for_the_minute(user, messages[i:], reply_to)
                if progress is not None:
                    progress(len(messages))
                return "later"
            if outcome == "failed":
                return "failed"
            if progress is not None:
                progress(i + 1)
        return "sent"

    async def _wait_for_the_minute(self, user: str, rest: list[dict[str, Any]], reply_to: str | None) -> None:
        log.warning("zalo: rate limited (-32); %d message(s) wait for the next minute", len(rest))
        if self.later is not None:
            await self.later.put(user, [{"message": m, "reply_to": reply_to} for m in rest])
            self._spawn(self._drain(user))
            return
        await asyncio.sleep(self.minute())  # no database: wait in memory
        await self._deliver(user, rest, reply_to)

    async def _drain(self, user: str) -> None:
        """At the next minute, send what waits for ``user`` (taking the rows claims them: another
        worker draining at the same moment gets none of them)."""
        assert self.later is not None
        await asyncio.sleep(self.minute())
        place = self._sends.join(user)  # after the replies already in line, before those of turns to come
        try:
            await place.reached()
            waiting = await self.later.take(user, limit=50)
            for i, item in enumerate(waiting):
                message, reply_to = item.get("message"), item.get("reply_to")
                if not isinstance(message, dict):
                    continue
                outcome = await self._send(user, message, reply_to if isinstance(reply_to, str) else None)
                if outcome == "later":
                    await self.later.put(user, waiting[i:])
                    self._spawn(self._drain(user))
                    return
        finally:
            place.leave()

    async def _drain_all(self) -> None:
        assert self.later is not None
        for user in await asyncio.to_thread(self._waiting_users):
            self._spawn(self._drain(user))

    def _waiting_users(self) -> list[str]:
        with self.ctx.db.connect() as connection:
            return list(connection.execute(sa.select(outbox.c.chat_id).where(outbox.c.channel == LATER)
                                           .distinct()).scalars())  # fmt: skip

    async def _replies(self, event: ZaloEvent, user: str) -> tuple[list[Outbound] | None, list[list[dict[str, Any]]]]:
        """The turn's replies (None for a "More" page, which is no turn) and, for each, its messages."""
        query = read_query(event.text) if event.name == "user_send_text" else None
        if isinstance(query, MorePage):
            with i18n.use(query.lang):
                more_text, more_label = _("More choices:"), _("More ▶")
            return None, [render(Outbound(more_text, query.buttons), query.lang, more_label, more_text)]
        if isinstance(query, Press):
            inbound = Inbound(self.name, user, payload=query.payload)
        elif event.name == "follow":  # a new follower gets the greeting, as /start does elsewhere
            inbound = Inbound(self.name, user, "/start")
        else:
            inbound = Inbound(self.name, user, event.text)
        replies = await self.ctx.converse(inbound)
        lang = (
            await self._language(user) if any(len(r.buttons) > 5 for r in replies) else i18n.DEFAULT_LANGUAGE
        )
        with i18n.use(lang):
            more_text, more_label = _("More choices:"), _("More ▶")
        return replies, [render(reply, lang, more_label, more_text) for reply in replies]

    async def _language(self, user: str) -> str:
        """The conversation's language, for the words this adapter adds ("More ▶")."""
        try:
            with aside():  # a lookup, not the delivery's turn (which, redelivered, is refused as seen)
                state, _version = await self.ctx.conversations.store.load(conversation_key(self.name, user))
        except StorageError:
            state = None
        default: str = self.ctx.settings.default_language
        return state.lang if state is not None and state.lang else i18n.pick_language(default)

    async def _send(self, user: str, message: dict[str, Any], reply_to: str | None = None) -> str:
        """Send one message, refreshing the token once and retrying a busy Zalo: "sent", "failed"
        or "later" (rate limited)."""
        refreshed = False
        attempt = 0
        while True:
            token = await self.tokens.access_token()
            try:
                sent = await self.api.send(user, message, token, reply_to)
                self.sent += 1
                self._count_quota(sent)
                return "sent"
            except ZaloApiError as exc:
                if exc.kind == "token" and not refreshed:
                    log.info("zalo: access token rejected (%s); refreshing", exc)
                    refreshed = True
                    try:
                        await self.tokens.refresh(token)
                    except ZaloApiError as refusal:
                        return self._failed(refusal)
                    continue
                if exc.code == RATE_LIMITED:
                    return "later"
                if exc.kind == "refused" and reply_to is not None:
                    # The message we answered is not one Zalo takes a reply to (too old, unknown):
                    # address the person instead, as chatwoot resends without the quote.
                    log.info("zalo: reply by message id refused (%s); sending to the user", exc)
                    reply_to = None
                    continue
                attempt += 1
                if exc.kind == "retry" and attempt < SEND_ATTEMPTS:
                    log.warning("zalo: send failed (%s); retry %d of %d", exc, attempt, SEND_ATTEMPTS - 1)
                    await asyncio.sleep(self.retry_pause * 2 ** (attempt - 1))
                    continue
                if exc.code in (-230, -232):
                    self._refused[user] = time.time()
                return self._failed(exc)

    def _count_quota(self, sent: Sent) -> None:
        left = quota_left(sent.quota)
        if left is None:
            return
        remain, total = left
        self.quota.labels("remain").set(remain)
        self.quota.labels("total").set(total)
        low = remain < total * QUOTA_WARNING
        if low and not self._quota_low:
            log.warning("zalo: only %d of %d messages of the OA's quota are left; replies beyond it are "
                        "refused until it renews (see the OA's package at oa.zalo.me)", remain, total)  # fmt: skip
        self._quota_low = low

    def _failed(self, exc: ZaloApiError) -> str:
        self.failed += 1
        self.last_error = {"code": exc.code, "kind": exc.kind, "message": str(exc),
                           "at": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
        if exc.kind == "window":
            log.warning("zalo refused a reply: %s. The person cannot be messaged now (outside the reply "
                        "window, not following, or blocked); the rest of this turn is dropped", exc)  # fmt: skip
        else:
            log.error("zalo refused a reply: %s; the rest of this turn is dropped", exc)
        return "failed"


def _progress(out: Outgoing, groups: list[list[dict[str, Any]]]) -> Callable[[int], None]:
    """Count the replies wholly sent, from the messages sent (a reply may take several)."""
    ends = list(itertools.accumulate(len(group) for group in groups))

    def sent(messages: int) -> None:
        out.sent = bisect.bisect_right(ends, messages)

    return sent


def _to_next_minute() -> float:
    """Seconds until the next clock minute starts (Zalo counts its rate limit per minute), plus a
    moment so the new minute has surely begun at Zalo too."""
    return 60.0 - time.time() % 60.0 + 0.5
