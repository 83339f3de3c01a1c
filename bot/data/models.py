"""Frozen pydantic models of the knowledge base; the engine only ever sees these, never raw dicts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

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


class Source(Frozen):
    url: str
    title: str = Field(min_length=3)
    checked: dt.date

    _https = field_validator("url")(_web_address)


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
    caveat: Text | None = None
    sources: tuple[Source, ...] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError("ids are lower_snake_case, e.g. birth_registration")
        return v


class Intent(Frozen):
    """A conversational intent that is not a procedure (greeting, thanks, human help…)."""

    id: str
    examples: tuple[str, ...] = Field(min_length=1)
    exact_only: bool = False  # short chit-chat: only whole-message matches count


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


class SynonymGroup(Frozen):
    """Everything in ``variants`` is rewritten to ``canonical`` before matching."""

    canonical: str = Field(min_length=1)
    variants: tuple[str, ...] = Field(min_length=1)
    note: str | None = None


class SynonymsFile(Frozen):
    version: Literal[1]
    stopwords: tuple[str, ...] = ()
    groups: tuple[SynonymGroup, ...]
