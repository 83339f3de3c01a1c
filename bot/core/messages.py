"""The contract between channels and the engine: what comes in, what goes out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Button:
    """A choice under a message. ``payload`` (≤ 64 bytes) comes back when pressed; a ``url`` opens a page."""

    label: str
    payload: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Inbound:
    """One message or button press from a person, already stripped of platform details."""

    channel: str
    user_id: str
    text: str = ""
    payload: str | None = None
    lang_hint: str | None = None
    group: str | None = None  # the group chat it came from (a team group), when not a private chat


@dataclass(frozen=True)
class Outbound:
    """One message to show. Channels without buttons show them as numbered lines."""

    text: str
    buttons: tuple[Button, ...] = ()
    expects: str | None = None
    """What the reply asks the person to type, where a channel can help: "phone" (the web chat
    then opens the phone's digit keyboard). Channels may ignore it."""


@dataclass(frozen=True)
class UsageEvent:
    """Something worth counting. ``text`` is the person's words as typed: a usage sink must
    redact it before storing (see bot.core.redact); nothing else here is personal."""

    kind: str
    procedure: str | None = None
    score: float | None = None
    detail: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    locale: str | None = None
    latency_ms: float | None = None

    def stamped(self, locale: str, latency_ms: float, detail: dict[str, str] | None = None) -> UsageEvent:
        """This event with the turn's language and time (and ``detail`` if given). Every event of
        every turn passes here: a direct copy costs a third of ``dataclasses.replace``."""
        detail = self.detail if detail is None else detail
        return UsageEvent(self.kind, self.procedure, self.score, detail, self.text, locale, latency_ms)


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters at paragraph, line or word ends."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 3:
            cut = window.rfind(" ")
        if cut < limit // 3:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces
