"""Frozen pydantic models of the knowledge base; the engine only ever sees these, never raw dicts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_RE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Text(Frozen):
    """A piece of user-facing text in every supported language."""

    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


_URL_RE = re.compile(r"^https?://[^\s/]+\.[^\s]+$")


def _web_address(value: str) -> str:
    if not _URL_RE.match(value):
        raise ValueError("must be a full web address starting with https://, without spaces")
    return value


class Link(Frozen):
    label: Text
    url: str

    _https = field_validator("url")(_web_address)


class Faq(Frozen):
    """A common problem as a short question and answer; ``match`` phrases make it findable."""

    q: Text
    a: Text
    match: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # ids of the sources the answer rests on


SOURCE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_]{1,40}$")
OFFICIAL_HOST_RE = re.compile(r"^https://([^/]+\.)?gov\.vn(/|$)")


class Source(Frozen):
    """A page a fact rests on: who published it, its number if it is a legal text, and the day a
    person actually re-read it (``checked``), so a reader can judge how fresh the fact is."""

    id: str
    title: str = Field(min_length=3)
    url: str
    issuer: str = Field(min_length=2)
    number: str | None = None  # document number of a legal text, e.g. "73/2024/TT-BTC"
    checked: dt.date

    _https = field_validator("url")(_web_address)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not SOURCE_ID_RE.match(v):
            raise ValueError("source ids are short lower_snake_case words, e.g. tt73_2024")
        return v

    @property
    def official(self) -> bool:
        """Published on a government site (*.gov.vn): the kind of page a fact should rest on."""
        return bool(OFFICIAL_HOST_RE.match(self.url))


FACT_FIELDS = ("summary", "authority", "online", "papers", "fees", "processing_time", "deadlines",
               "legal_basis")  # fmt: skip
"""The parts of an answer that state facts; each must name the sources it rests on in ``cite``."""


class Cite(Frozen):
    """Which sources back each fact-bearing part of a procedure, by source id."""

    summary: tuple[str, ...] = ()
    authority: tuple[str, ...] = ()
    online: tuple[str, ...] = ()
    papers: tuple[str, ...] = ()
    fees: tuple[str, ...] = ()
    processing_time: tuple[str, ...] = ()
    deadlines: tuple[str, ...] = ()
    legal_basis: tuple[str, ...] = ()


class Procedure(Frozen):
    """One catalog procedure: what it is, how to match it, and the facts of the answer."""

    version: Literal[1]
    id: str
    names: Text
    summary: Text
    aliases: tuple[str, ...] = Field(min_length=5)
    examples: tuple[str, ...] = Field(min_length=8)
    authority: Text
    online: tuple[Link, ...] = ()
    papers: tuple[Text, ...] = Field(min_length=1)
    fees: Text
    processing_time: Text
    deadlines: Text | None = None
    legal_basis: tuple[str, ...] = ()
    faq: tuple[Faq, ...] = ()
    caveat: Text | None = None  # shown to citizens: plain words, never a note to maintainers
    code: str | None = None  # procedure code (mã TTHC) on the National Public Service Portal
    cite: Cite = Cite()
    notes: str | None = None  # for maintainers only; never shown to citizens
    sources: tuple[Source, ...] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError("ids are lower_snake_case, e.g. birth_registration")
        return v

    @model_validator(mode="after")
    def _cited_sources_exist(self) -> Procedure:
        ids = [s.id for s in self.sources]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"source id(s) {', '.join(twice)} used twice in sources; give each source its own id")
        known = set(ids)
        cited = [(f"cite.{name}", sid) for name in Cite.model_fields for sid in getattr(self.cite, name)]
        cited += [(f"faq[{i}].sources", sid) for i, f in enumerate(self.faq) for sid in f.sources]
        unknown = [f"{where}: {sid!r}" for where, sid in cited if sid not in known]
        if unknown:
            raise ValueError(f"cites unknown source id(s) ({'; '.join(unknown)}); use an id from sources: {', '.join(ids)}")
        return self

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)


class Intent(Frozen):
    """A conversational intent that is not a procedure (greeting, thanks, human help…)."""

    id: str
    examples: tuple[str, ...] = Field(min_length=1)
    exact_only: bool = False  # short chit-chat: only whole-message matches count
    # Longer chit-chat that counts only word for word: its words ("can", "you", "do") would make the
    # loose match of exact_only intents take questions for small talk.
    whole_only: tuple[str, ...] = ()


class IntentsFile(Frozen):
    version: Literal[1]
    intents: tuple[Intent, ...]
    out_of_scope: tuple[str, ...] = Field(
        default=(), description="questions outside public services, used as negative evidence"
    )

    @model_validator(mode="after")
    def _unique(self) -> IntentsFile:
        seen: set[str] = set()
        for intent in self.intents:
            if intent.id in seen:
                raise ValueError(f"intent {intent.id!r} is declared twice")
            seen.add(intent.id)
        return self


MAX_PHRASE_WORDS = 10
"""The longest synonym phrase the normaliser looks for; a longer one would never match."""


class SynonymGroup(Frozen):
    """Everything in ``variants`` is rewritten to ``canonical`` before matching."""

    canonical: str = Field(min_length=1)
    variants: tuple[str, ...] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _short_enough(self) -> SynonymGroup:
        for phrase in (self.canonical, *self.variants):
            if len(phrase.split()) > MAX_PHRASE_WORDS:
                raise ValueError(f"{phrase!r} has more than {MAX_PHRASE_WORDS} words and would never match; shorten it")
        return self


EARLIER_WINDOW = 3
"""How many words before a context rule's word its ``earlier`` words may stand: "bà nội em mất"."""


class ContextRule(Frozen):
    """``word`` is read as ``to`` when its neighbour says so: the word after it is one of ``next``,
    the word before it one of ``previous``, one of the few words before it one of ``earlier``
    (:data:`EARLIER_WINDOW`), or (``at_end``) nothing follows it — and never when the word after
    it is one of ``unless_next``, nor, when ``only_next`` (``only_then``: the word two after) is given, when it is not one of those. "bn là ai" is "bạn là ai", "bn tiền" is "bao nhiêu tiền"; a word
    no rule claims falls to the groups."""

    word: str = Field(min_length=1)
    to: str = Field(min_length=1)
    next: tuple[str, ...] = ()
    previous: tuple[str, ...] = ()
    earlier: tuple[str, ...] = ()
    unless_next: tuple[str, ...] = ()
    only_next: tuple[str, ...] = ()
    only_then: tuple[str, ...] = ()  # the word two after must be one of these ("mất tại nhà", not "mất tài khoản")
    at_end: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _some_condition(self) -> ContextRule:
        if not (self.next or self.previous or self.earlier or self.at_end):
            raise ValueError("a context rule needs next, previous, earlier or at_end; else make it a group")
        if len(self.word.split()) != 1:
            raise ValueError("word is one word; put phrases in groups")
        return self


class SynonymsFile(Frozen):
    version: Literal[1]
    stopwords: tuple[str, ...] = ()
    generic: tuple[str, ...] = Field(default=(), description="words and pairs that name no procedure")
    channels: tuple[str, ...] = Field(default=(), description="words naming where a procedure is done")
    context: tuple[ContextRule, ...] = ()
    groups: tuple[SynonymGroup, ...]


class Replaces(Frozen):
    """A covered procedure that is never the answer when the question names one of ``when`` —
    unless it also names one of ``unless`` (then it is the procedure's own business after all)."""

    procedure: str
    when: tuple[str, ...] = Field(min_length=1)
    unless: tuple[str, ...] = ()


class NotCoveredTopic(Frozen):
    """A public procedure the assistant does not guide yet: recognised, and answered honestly."""

    id: str
    names: Text
    aliases: tuple[str, ...] = Field(min_length=3)
    examples: tuple[str, ...] = ()
    replaces: tuple[Replaces, ...] = ()  # one or a list in the file

    @field_validator("replaces", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, dict) else v

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError("ids are lower_snake_case, e.g. building_permit")
        return v


class NotCoveredFile(Frozen):
    version: Literal[1]
    topics: tuple[NotCoveredTopic, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> NotCoveredFile:
        seen: set[str] = set()
        for topic in self.topics:
            if topic.id in seen:
                raise ValueError(f"topic {topic.id!r} is declared twice")
            seen.add(topic.id)
        return self
