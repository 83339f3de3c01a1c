"""The help desk's vocabulary: volunteers, help requests, where a notice goes, and the port the
engine reaches them through. Storage implements :class:`BaseHelpDesk` (bot.helpdesk.sql); the
engine only awaits it, so the core stays free of SQL."""

from __future__ import annotations

import abc
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.messages import Outbound

# What a volunteer may record when a help request is closed, and when an assisted session ends.
REQUEST_OUTCOMES = ("done", "office", "unreachable", "not_needed")
ASSIST_OUTCOMES = ("online", "office", "unfinished")
ASSIST_REASONS = ("no_vneid", "papers", "portal", "device", "declined", "other")
GOOD_TIMES = ("morning", "afternoon", "evening", "any")


@dataclass(frozen=True)
class Target:
    """Somewhere a message can be pushed: a person's chat or a team's group, in one channel."""

    channel: str
    chat_id: str


@dataclass(frozen=True)
class Notice:
    """Messages for someone other than the person whose turn it is (a team, a citizen)."""

    target: Target
    messages: tuple[Outbound, ...]
    undelivered: Outbound | None = None  # told to the turn's own person when the notice cannot go


@dataclass(frozen=True)
class MissingPaper:
    """A paper of a guide's checklist that a citizen did not have in an assisted session: the
    procedure, the line's checklist key and its Vietnamese text (the guide's words, nothing personal)."""

    procedure: str
    key: str
    text: str


@dataclass(frozen=True)
class Volunteer:
    """A member of a community digital technology team, linked to one or more chat accounts.
    ``commune`` None means a province-level helper, who may take escalated requests anywhere."""

    id: int
    name: str
    team: str
    commune: str | None
    phone: str | None = None


@dataclass(frozen=True)
class NewRequest:
    """What a citizen gave when asking for a person. ``key`` makes a retried turn idempotent."""

    key: str
    citizen: Target
    phone: str
    commune: str | None
    need: str | None = None
    good_time: str | None = None
    procedure: str | None = None
    lang: str = "vi"


@dataclass(frozen=True)
class Ticket:
    """A help request as stored."""

    id: int
    status: str  # open | claimed | closed | cancelled
    citizen: Target
    phone: str | None
    commune: str | None
    need: str | None
    good_time: str | None
    procedure: str | None
    lang: str
    created_at: datetime
    claimed_by: Volunteer | None = None
    claimed_at: datetime | None = None
    outcome: str | None = None
    escalated: bool = False


class LinkOutcome(enum.Enum):
    LINKED = "linked"
    EXPIRED = "expired"
    USED = "used"
    UNKNOWN = "unknown"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class LinkResult:
    outcome: LinkOutcome
    volunteer: Volunteer | None = None


class ClaimOutcome(enum.Enum):
    CLAIMED = "claimed"
    ALREADY_YOURS = "already_yours"
    TAKEN = "taken"  # another volunteer was first
    OTHER_COMMUNE = "other_commune"
    ENDED = "ended"  # closed or cancelled
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class ClaimResult:
    outcome: ClaimOutcome
    ticket: Ticket | None = None


@dataclass(frozen=True)
class Routes:
    """Where a commune's new requests go: its teams' groups and its volunteers' own chats."""

    targets: tuple[Target, ...] = ()
    escalation: tuple[Target, ...] = ()


class BaseHelpDesk(abc.ABC):
    """Volunteers, their chat accounts and the help requests, shared by every worker."""

    @abc.abstractmethod
    async def volunteer(self, channel: str, user_id: str) -> Volunteer | None:
        """The active volunteer linked to this chat account, if any."""

    @abc.abstractmethod
    async def link(self, channel: str, user_id: str, code: str) -> LinkResult:
        """Redeem a one-time link code; failures are counted and throttled per account."""

    @abc.abstractmethod
    async def link_group(self, target: Target, volunteer: Volunteer) -> None:
        """Make ``target`` (a group chat) the team group of the volunteer's team and commune."""

    @abc.abstractmethod
    async def open_request(self, request: NewRequest) -> Ticket:
        """Store a new request (or return the one already stored under ``request.key``)."""

    @abc.abstractmethod
    async def ticket(self, ticket_id: int) -> Ticket | None: ...

    @abc.abstractmethod
    async def active_ticket(self, citizen: Target) -> Ticket | None:
        """The citizen's newest request still open or claimed."""

    @abc.abstractmethod
    async def cancel(self, ticket_id: int, citizen: Target) -> Ticket | None:
        """Cancel the citizen's own active request; None when there is nothing of theirs to cancel."""

    @abc.abstractmethod
    async def claim(self, ticket_id: int, volunteer: Volunteer) -> ClaimResult:
        """Take an open request; exactly one volunteer wins, whatever the number of workers."""

    @abc.abstractmethod
    async def close(self, ticket_id: int, volunteer: Volunteer, outcome: str) -> ClaimResult:
        """Close a request the volunteer claimed, with one of :data:`REQUEST_OUTCOMES`."""

    @abc.abstractmethod
    async def escalate(self, ticket_id: int) -> bool:
        """Mark an open request escalated to the province; False when it was already (or is not open)."""

    @abc.abstractmethod
    async def accounts(self, volunteer_id: int) -> tuple[Target, ...]:
        """The chat accounts a volunteer linked, to reach them directly."""

    @abc.abstractmethod
    async def queue(self, volunteer: Volunteer, limit: int = 5) -> list[Ticket]:
        """Open requests the volunteer may take, oldest first."""

    @abc.abstractmethod
    async def routes(self, commune: str | None) -> Routes:
        """Where to announce a request of ``commune``."""

    async def forget(self, citizen: Target) -> int:
        """The citizen's right to erase: cancel their requests and blank what identifies them."""
        return 0

    @abc.abstractmethod
    async def start_assist(self, volunteer: Volunteer, channel: str) -> int:
        """Begin an assisted session; returns its id."""

    @abc.abstractmethod
    async def finish_assist(self, session_id: int, outcome: str, reason: str | None, procedures: list[str],
                            missing: Sequence[MissingPaper] = ()) -> None:  # fmt: skip
        """Record how an assisted session ended, and the papers of the checklist that were missing."""
