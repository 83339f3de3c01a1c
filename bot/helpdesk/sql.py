"""The help desk on SQLAlchemy: SQLite for a commune, PostgreSQL for a province.

Every decision two workers could race on is one conditional UPDATE whose row count says who won:
a claim (``… WHERE status = 'open'``), a link code (``… WHERE used_at IS NULL``), a reminder or an
escalation (``… WHERE reminded_at IS NULL``). Calls run in a thread: they are rare (a volunteer
command, a request) and must not stall the event loop on a slow database.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa

from bot.core.desk import (
    BaseHelpDesk,
    ClaimOutcome,
    ClaimResult,
    LinkOutcome,
    LinkResult,
    MissingPaper,
    NewRequest,
    Routes,
    Target,
    Ticket,
    Volunteer,
)
from bot.core.redact import redact
from bot.errors import Unavailable
from bot.ratelimit import LinkBudget
from bot.storage import speculative
from bot.storage.db import SQLITE_BUSY_MS  # the engine's own, restored after each help-desk call
from bot.storage.tables import (
    assist_missing_papers,
    assist_sessions,
    help_requests,
    link_codes,
    link_failures,
    team_chats,
    volunteer_accounts,
    volunteers,
)

log = logging.getLogger("bot.helpdesk")

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""No 0/O, 1/I/L: a code read aloud or copied from a screen by hand survives."""
CODE_LENGTH = 8
LINK_ATTEMPTS = 5
"""Wrong codes allowed per chat account and hour; 31**8 codes make guessing hopeless at that rate."""
LINK_WINDOW = timedelta(hours=1)

DESK_BUSY_MS = 1000
"""How long a help-desk call waits for SQLite's write lock before the person is asked to try again
(the default 5 s would leave them staring at the chat, then apologise all the same)."""

T = TypeVar("T")


@dataclass(frozen=True)
class VolunteerRow:
    """A volunteer as the dashboard lists them."""

    volunteer: Volunteer
    active: bool
    accounts: int
    created_at: datetime


def _unavailable(exc: sa.exc.SQLAlchemyError) -> Unavailable:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    log.warning("help desk: the database is unavailable (%s)", reason[0] if reason else type(exc).__name__)
    return Unavailable("the help desk's database cannot be reached or is locked")


def normalise_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def _account(channel: str, user_id: str) -> str:
    return hashlib.sha256(f"{channel}:{user_id}".encode()).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


class SqlHelpDesk(BaseHelpDesk):
    """Volunteers and help requests in the project's database."""

    def __init__(self, db: sa.Engine, clock: Callable[[], datetime] | None = None,
                 escalation: Sequence[Target] = ()) -> None:  # fmt: skip
        self.db = db
        self.clock = clock or (lambda: datetime.now(UTC))
        self.escalation = tuple(escalation)
        self.link_budget: LinkBudget | None = None  # set by the web app: see bot.ratelimit.LinkBudget

    async def _run(self, work: Callable[[sa.Connection], T]) -> T:
        await speculative.confirm()  # in a turn on a cached state: not before the state is confirmed current
        sqlite = self.db.dialect.name == "sqlite"

        def transaction() -> T:
            with self.db.connect() as conn:
                if sqlite:  # a lock held by a purge or a backup: a short wait, then "try again"
                    conn.connection.driver_connection.execute(f"PRAGMA busy_timeout={DESK_BUSY_MS}")  # type: ignore[union-attr]
                try:
                    with conn.begin():
                        return work(conn)
                finally:
                    if sqlite and not conn.invalidated:
                        conn.connection.driver_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")  # type: ignore[union-attr]

        try:
            return await asyncio.to_thread(transaction)
        except (sa.exc.OperationalError, sa.exc.TimeoutError) as exc:
            raise _unavailable(exc) from exc
        except sa.exc.DBAPIError as exc:
            if exc.connection_invalidated:
                raise _unavailable(exc) from exc
            raise

    # --- volunteers (the dashboard side) ---------------------------------------------------------
    def create_volunteer(self, name: str, team: str, commune: str | None, phone: str | None,
                         created_by: str, code_hours: float = 72) -> tuple[Volunteer, str]:  # fmt: skip
        """A new volunteer and their first one-time link code (shown once, stored hashed)."""
        with self.db.begin() as conn:
            volunteer_id = _new_id(conn.execute(volunteers.insert().values(
                name=name.strip(), team=team.strip(), commune=commune or None, phone=phone or None, active=True,
                created_at=self.clock(), created_by=created_by)))  # fmt: skip
            code = self._new_code(conn, volunteer_id, code_hours)
        return Volunteer(volunteer_id, name.strip(), team.strip(), commune or None, phone or None), code

    def issue_code(self, volunteer_id: int, code_hours: float = 72) -> str:
        """A fresh one-time code (older unused ones stop working)."""
        with self.db.begin() as conn:
            return self._new_code(conn, volunteer_id, code_hours)

    def _new_code(self, conn: sa.Connection, volunteer_id: int, code_hours: float) -> str:
        now = self.clock()
        conn.execute(link_codes.update().where(link_codes.c.volunteer_id == volunteer_id,
                                               link_codes.c.used_at.is_(None)).values(expires_at=now))  # fmt: skip
        code = new_code()
        conn.execute(link_codes.insert().values(code_hash=hash_code(code), volunteer_id=volunteer_id, created_at=now,
                                                expires_at=now + timedelta(hours=code_hours)))  # fmt: skip
        return code

    def set_active(self, volunteer_id: int, active: bool) -> bool:
        """Deactivate (or reactivate) a volunteer: a deactivated one can neither claim nor assist."""
        with self.db.begin() as conn:
            changed = conn.execute(volunteers.update().where(volunteers.c.id == volunteer_id).values(active=active))
            if not active:
                conn.execute(link_codes.update().where(link_codes.c.volunteer_id == volunteer_id,
                                                       link_codes.c.used_at.is_(None)).values(expires_at=self.clock()))  # fmt: skip
            return changed.rowcount == 1

    def list_volunteers(self, commune: str | None = None) -> list[VolunteerRow]:
        accounts = (sa.select(sa.func.count()).where(volunteer_accounts.c.volunteer_id == volunteers.c.id)
                    .scalar_subquery())  # fmt: skip
        query = sa.select(volunteers, accounts.label("accounts")).order_by(volunteers.c.commune, volunteers.c.name)
        if commune is not None:
            query = query.where(volunteers.c.commune == commune)
        with self.db.connect() as conn:
            return [VolunteerRow(_volunteer(r), bool(r.active), int(r.accounts), r.created_at)
                    for r in conn.execute(query)]  # fmt: skip

    def get_volunteer(self, volunteer_id: int) -> Volunteer | None:
        with self.db.connect() as conn:
            row = conn.execute(sa.select(volunteers).where(volunteers.c.id == volunteer_id)).first()
        return _volunteer(row) if row is not None else None

    # --- the port ----------------------------------------------------------------------------------
    async def volunteer(self, channel: str, user_id: str) -> Volunteer | None:
        def work(conn: sa.Connection) -> Volunteer | None:
            row = conn.execute(
                sa.select(volunteers).join(volunteer_accounts, volunteer_accounts.c.volunteer_id == volunteers.c.id)
                .where(volunteer_accounts.c.channel == channel, volunteer_accounts.c.user_id == user_id,
                       volunteers.c.active.is_(True))).first()  # fmt: skip
            return _volunteer(row) if row is not None else None

        return await self._run(work)

    async def link(self, channel: str, user_id: str, code: str) -> LinkResult:
        account = _account(channel, user_id)
        now = self.clock()
        if self.link_budget is not None and await self.link_budget.spent():  # wrong codes, all accounts together
            log.warning("link code refused: the global budget of wrong codes is spent channel=%s", channel)
            return LinkResult(LinkOutcome.THROTTLED)

        def work(conn: sa.Connection) -> LinkResult:
            failed = conn.execute(sa.select(link_failures).where(link_failures.c.account == account)).first()
            if failed is not None and failed.window_start > now - LINK_WINDOW and failed.failures >= LINK_ATTEMPTS:
                return LinkResult(LinkOutcome.THROTTLED)
            row = conn.execute(sa.select(link_codes).where(link_codes.c.code_hash == hash_code(code))).first()
            volunteer = None
            if row is not None:
                found = conn.execute(sa.select(volunteers).where(volunteers.c.id == row.volunteer_id,
                                                                 volunteers.c.active.is_(True))).first()  # fmt: skip
                volunteer = _volunteer(found) if found is not None else None
            if row is None or volunteer is None:
                _count_failure(conn, account, failed, now)
                return LinkResult(LinkOutcome.UNKNOWN)
            if row.used_at is not None:
                if row.used_by == account:  # the same account again (a retried turn): still linked
                    return LinkResult(LinkOutcome.LINKED, volunteer)
                return LinkResult(LinkOutcome.USED)
            if row.expires_at <= now:
                return LinkResult(LinkOutcome.EXPIRED)
            taken = conn.execute(link_codes.update().where(link_codes.c.code_hash == row.code_hash,
                                                           link_codes.c.used_at.is_(None))
                                 .values(used_at=now, used_by=account))  # fmt: skip
            if taken.rowcount != 1:
                return LinkResult(LinkOutcome.USED)
            conn.execute(volunteer_accounts.delete().where(volunteer_accounts.c.channel == channel,
                                                           volunteer_accounts.c.user_id == user_id))  # fmt: skip
            conn.execute(volunteer_accounts.insert().values(channel=channel, user_id=user_id,
                                                            volunteer_id=volunteer.id, linked_at=now))  # fmt: skip
            return LinkResult(LinkOutcome.LINKED, volunteer)

        result = await self._run(work)
        log.info("link code outcome=%s channel=%s", result.outcome.value, channel)
        if result.outcome is LinkOutcome.UNKNOWN and self.link_budget is not None:
            await self.link_budget.spend()
        return result

    async def link_group(self, target: Target, volunteer: Volunteer) -> None:
        def work(conn: sa.Connection) -> None:
            conn.execute(team_chats.delete().where(team_chats.c.channel == target.channel,
                                                   team_chats.c.chat_id == target.chat_id))  # fmt: skip
            conn.execute(team_chats.insert().values(channel=target.channel, chat_id=target.chat_id,
                                                    commune=volunteer.commune, team=volunteer.team,
                                                    linked_by=volunteer.id, linked_at=self.clock()))  # fmt: skip

        await self._run(work)

    async def open_request(self, request: NewRequest) -> Ticket:
        def work(conn: sa.Connection) -> Ticket:
            existing = conn.execute(sa.select(help_requests).where(help_requests.c.request_key == request.key)).first()
            if existing is None:
                conn.execute(help_requests.insert().values(
                    request_key=request.key, created_at=self.clock(), channel=request.citizen.channel,
                    user_id=request.citizen.chat_id, phone=request.phone, commune=request.commune,
                    need=redact(request.need) if request.need else None, good_time=request.good_time,
                    procedure=request.procedure,
                    lang=request.lang, status="open"))  # fmt: skip
            row = conn.execute(sa.select(help_requests).where(help_requests.c.request_key == request.key)).one()
            return _ticket(conn, row)

        ticket = await self._run(work)
        log.info("help request opened id=%d commune=%s", ticket.id, ticket.commune or "-")
        return ticket

    async def ticket(self, ticket_id: int) -> Ticket | None:
        return await self._run(lambda conn: self.ticket_now(conn, ticket_id))

    def ticket_now(self, conn: sa.Connection, ticket_id: int) -> Ticket | None:
        row = conn.execute(sa.select(help_requests).where(help_requests.c.id == ticket_id)).first()
        return _ticket(conn, row) if row is not None else None

    async def active_ticket(self, citizen: Target) -> Ticket | None:
        def work(conn: sa.Connection) -> Ticket | None:
            row = conn.execute(sa.select(help_requests).where(
                help_requests.c.channel == citizen.channel, help_requests.c.user_id == citizen.chat_id,
                help_requests.c.status.in_(("open", "claimed"))).order_by(help_requests.c.id.desc()).limit(1)).first()  # fmt: skip
            return _ticket(conn, row) if row is not None else None

        return await self._run(work)

    async def cancel(self, ticket_id: int, citizen: Target) -> Ticket | None:
        def work(conn: sa.Connection) -> Ticket | None:
            done = conn.execute(help_requests.update().where(
                help_requests.c.id == ticket_id, help_requests.c.channel == citizen.channel,
                help_requests.c.user_id == citizen.chat_id, help_requests.c.status.in_(("open", "claimed")),
            ).values(status="cancelled", closed_at=self.clock()))  # fmt: skip
            return self.ticket_now(conn, ticket_id) if done.rowcount == 1 else None

        return await self._run(work)

    async def claim(self, ticket_id: int, volunteer: Volunteer) -> ClaimResult:
        def work(conn: sa.Connection) -> ClaimResult:
            ticket = self.ticket_now(conn, ticket_id)
            if ticket is None:
                return ClaimResult(ClaimOutcome.NOT_FOUND)
            if not may_take(volunteer, ticket.commune):
                return ClaimResult(ClaimOutcome.OTHER_COMMUNE, ticket)
            won = conn.execute(help_requests.update().where(help_requests.c.id == ticket_id,
                                                            help_requests.c.status == "open")
                               .values(status="claimed", claimed_by=volunteer.id, claimed_at=self.clock()))  # fmt: skip
            ticket = self.ticket_now(conn, ticket_id)
            assert ticket is not None
            if won.rowcount == 1:
                return ClaimResult(ClaimOutcome.CLAIMED, ticket)
            if ticket.status == "claimed" and ticket.claimed_by is not None:
                mine = ticket.claimed_by.id == volunteer.id
                return ClaimResult(ClaimOutcome.ALREADY_YOURS if mine else ClaimOutcome.TAKEN, ticket)
            return ClaimResult(ClaimOutcome.ENDED, ticket)

        result = await self._run(work)
        log.info("help request claim id=%d volunteer=%d outcome=%s", ticket_id, volunteer.id, result.outcome.value)
        return result

    async def close(self, ticket_id: int, volunteer: Volunteer, outcome: str) -> ClaimResult:
        def work(conn: sa.Connection) -> ClaimResult:
            done = conn.execute(help_requests.update().where(
                help_requests.c.id == ticket_id, help_requests.c.status == "claimed",
                help_requests.c.claimed_by == volunteer.id).values(status="closed", outcome=outcome, closed_at=self.clock()))  # fmt: skip
            ticket = self.ticket_now(conn, ticket_id)
            if done.rowcount == 1:
                return ClaimResult(ClaimOutcome.CLAIMED, ticket)
            return ClaimResult(ClaimOutcome.ENDED if ticket else ClaimOutcome.NOT_FOUND, ticket)

        return await self._run(work)

    def close_as_admin(self, ticket_id: int, outcome: str, commune: str | None = None) -> bool:
        """Close a request from the dashboard (e.g. an escalated one an official handled)."""
        query = help_requests.update().where(help_requests.c.id == ticket_id,
                                             help_requests.c.status.in_(("open", "claimed")))  # fmt: skip
        if commune is not None:
            query = query.where(help_requests.c.commune == commune)
        with self.db.begin() as conn:
            return conn.execute(query.values(status="closed", outcome=outcome, closed_at=self.clock())).rowcount == 1

    async def escalate(self, ticket_id: int) -> bool:
        def work(conn: sa.Connection) -> bool:
            done = conn.execute(help_requests.update().where(
                help_requests.c.id == ticket_id, help_requests.c.status == "open",
                help_requests.c.escalated_at.is_(None)).values(escalated_at=self.clock()))  # fmt: skip
            return done.rowcount == 1

        return await self._run(work)

    async def accounts(self, volunteer_id: int) -> tuple[Target, ...]:
        def work(conn: sa.Connection) -> tuple[Target, ...]:
            rows = conn.execute(sa.select(volunteer_accounts.c.channel, volunteer_accounts.c.user_id)
                                .where(volunteer_accounts.c.volunteer_id == volunteer_id))  # fmt: skip
            return tuple(Target(r.channel, r.user_id) for r in rows)

        return await self._run(work)

    async def queue(self, volunteer: Volunteer, limit: int = 5) -> list[Ticket]:
        def work(conn: sa.Connection) -> list[Ticket]:
            query = sa.select(help_requests).where(help_requests.c.status == "open")
            if volunteer.commune is not None:
                query = query.where(help_requests.c.commune == volunteer.commune)
            rows = conn.execute(query.order_by(help_requests.c.created_at).limit(limit)).all()
            return [_ticket(conn, row) for row in rows]

        return await self._run(work)

    async def routes(self, commune: str | None) -> Routes:
        return await self._run(lambda conn: self.routes_now(conn, commune))

    def routes_now(self, conn: sa.Connection, commune: str | None) -> Routes:
        """The commune's team groups; without any, its volunteers' own chats. Escalations go to the
        configured chats, the province's groups and the province-level volunteers."""

        def chats(where: Any) -> list[Target]:
            return [Target(r.channel, r.chat_id) for r in conn.execute(
                sa.select(team_chats.c.channel, team_chats.c.chat_id).where(where).order_by(team_chats.c.linked_at))]  # fmt: skip

        def people(where: Any) -> list[Target]:
            return [Target(r.channel, r.user_id) for r in conn.execute(
                sa.select(volunteer_accounts.c.channel, volunteer_accounts.c.user_id)
                .join(volunteers, volunteers.c.id == volunteer_accounts.c.volunteer_id)
                .where(where, volunteers.c.active.is_(True)).order_by(volunteer_accounts.c.linked_at))]  # fmt: skip

        targets: list[Target] = []
        if commune is not None:
            targets = chats(team_chats.c.commune == commune) or people(volunteers.c.commune == commune)
        escalation = [*self.escalation, *chats(team_chats.c.commune.is_(None))]
        escalation += [t for t in people(volunteers.c.commune.is_(None)) if t not in escalation]
        return Routes(tuple(targets), tuple(dict.fromkeys(escalation)))

    async def start_assist(self, volunteer: Volunteer, channel: str) -> int:
        def work(conn: sa.Connection) -> int:
            inserted = conn.execute(assist_sessions.insert().values(
                volunteer_id=volunteer.id, commune=volunteer.commune, team=volunteer.team, channel=channel,
                started_at=self.clock()))  # fmt: skip
            return _new_id(inserted)

        return await self._run(work)

    async def finish_assist(self, session_id: int, outcome: str, reason: str | None, procedures: list[str],
                            missing: Sequence[MissingPaper] = ()) -> None:  # fmt: skip
        def work(conn: sa.Connection) -> None:
            ended = conn.execute(assist_sessions.update().where(assist_sessions.c.id == session_id,
                                                                assist_sessions.c.ended_at.is_(None))
                                 .values(ended_at=self.clock(), outcome=outcome, reason=reason,
                                         procedures=",".join(procedures)[:500] or None)).rowcount  # fmt: skip
            if ended and missing:  # once, with the outcome: a second press of "Xong" adds nothing
                conn.execute(assist_missing_papers.insert(), [
                    {"session_id": session_id, "procedure": p.procedure[:64], "paper_key": p.key[:16], "paper": p.text[:400]}
                    for p in dict.fromkeys(missing)])  # fmt: skip

        await self._run(work)

    # --- upkeep ------------------------------------------------------------------------------------
    async def due(self, remind_after: timedelta, escalate_after: timedelta) -> tuple[list[Ticket], list[Ticket]]:
        """Open requests this worker must remind about, and those it must escalate; each is taken
        by one worker only (the conditional UPDATE), so nobody is reminded twice."""
        now = self.clock()

        def work(conn: sa.Connection) -> tuple[list[Ticket], list[Ticket]]:
            remind: list[Ticket] = []
            escalate: list[Ticket] = []
            for column, after, into in ((help_requests.c.reminded_at, remind_after, remind),
                                        (help_requests.c.escalated_at, escalate_after, escalate)):  # fmt: skip
                ids = conn.execute(sa.select(help_requests.c.id).where(
                    help_requests.c.status == "open", column.is_(None),
                    help_requests.c.created_at <= now - after)).scalars().all()  # fmt: skip
                for ticket_id in ids:
                    taken = conn.execute(help_requests.update().where(help_requests.c.id == ticket_id, column.is_(None),
                                                                      help_requests.c.status == "open")
                                         .values({column.name: now}))  # fmt: skip
                    ticket = self.ticket_now(conn, ticket_id) if taken.rowcount == 1 else None
                    if ticket is not None:
                        into.append(ticket)
            return remind, escalate

        return await self._run(work)

    def purge(self, older_than: timedelta) -> int:
        """Blank the personal fields (who, phone, what) of requests created before the retention
        time; a request still open then is closed as expired. Counts stay for the reports."""
        now = self.clock()
        cutoff = now - older_than
        old = help_requests.c.created_at < cutoff
        with self.db.begin() as conn:
            conn.execute(help_requests.update().where(old, help_requests.c.status.in_(("open", "claimed")))
                         .values(status="closed", outcome="expired", closed_at=now))  # fmt: skip
            done = conn.execute(help_requests.update().where(old, help_requests.c.purged_at.is_(None))
                                .values(user_id=None, phone=None, need=None, purged_at=now))  # fmt: skip
            conn.execute(link_failures.delete().where(link_failures.c.window_start < now - LINK_WINDOW))
            return int(done.rowcount)

    async def forget(self, citizen: Target) -> int:
        """The citizen's right to erase: their active requests are cancelled and every request's
        personal fields blanked at once."""
        now = self.clock()

        def work(conn: sa.Connection) -> int:
            mine = (help_requests.c.channel == citizen.channel) & (help_requests.c.user_id == citizen.chat_id)
            conn.execute(help_requests.update().where(mine, help_requests.c.status.in_(("open", "claimed")))
                         .values(status="cancelled", closed_at=now))  # fmt: skip
            return int(conn.execute(help_requests.update().where(mine).values(
                user_id=None, phone=None, need=None, purged_at=now)).rowcount)  # fmt: skip

        return await self._run(work)


def may_take(volunteer: Volunteer, commune: str | None) -> bool:
    """A commune's volunteers take its requests; a province-level helper takes any."""
    return volunteer.commune is None or volunteer.commune == commune


def _count_failure(conn: sa.Connection, account: str, failed: Any, now: datetime) -> None:
    if failed is None:
        conn.execute(link_failures.insert().values(account=account, window_start=now, failures=1))
    elif failed.window_start <= now - LINK_WINDOW:
        conn.execute(link_failures.update().where(link_failures.c.account == account).values(window_start=now, failures=1))
    else:
        conn.execute(link_failures.update().where(link_failures.c.account == account)
                     .values(failures=link_failures.c.failures + 1))  # fmt: skip


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _volunteer(row: Any) -> Volunteer:
    return Volunteer(row.id, row.name, row.team, row.commune, row.phone)


def _ticket(conn: sa.Connection, row: Any) -> Ticket:
    claimer = None
    if row.claimed_by is not None:
        found = conn.execute(sa.select(volunteers).where(volunteers.c.id == row.claimed_by)).first()
        claimer = _volunteer(found) if found is not None else None
    return Ticket(
        id=row.id, status=row.status, citizen=Target(row.channel, row.user_id or ""), phone=row.phone,
        commune=row.commune, need=row.need, good_time=row.good_time, procedure=row.procedure, lang=row.lang,
        created_at=row.created_at, claimed_by=claimer, claimed_at=row.claimed_at, outcome=row.outcome,
        escalated=row.escalated_at is not None,
    )  # fmt: skip
