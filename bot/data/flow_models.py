"""Frozen models of a guided flow (flows/*.yaml): steps, answer types, branches and result blocks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.data.models import ID_RE, Frozen, Link, Source, Text

END = "end"
"""The reserved step id that finishes a flow and shows its result."""
SKIP = "skip"
"""The answer stored when the person skips an `optional` step."""

AnswerType = Literal["choice", "yesno", "date", "number", "text", "commune"]


class Option(Frozen):
    id: str
    label: Text
    match: tuple[str, ...] = ()  # extra words people may type for this option
    # When the question reads as yes/no ("Both Vietnamese, right?"), the option a plain yes (or
    # no) picks: "có", "vâng ạ", "đúng rồi"… Without it a bare yes/no picks nothing.
    means: Literal["yes", "no"] | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError("option ids are lower_snake_case")
        return v


class Test(Frozen):
    """A comparison on a date or number answer. Dates compare as days before today."""

    days_ago_over: int | None = None
    days_ago_at_most: int | None = None
    over: float | None = None
    at_most: float | None = None


Condition = dict[str, "str | bool | list[str] | Test"]
"""step id -> expected answer: an option id, true/false (yes/no), a list (any of), or a Test."""


class Rule(Frozen):
    when: Condition = Field(default_factory=dict)
    goto: str


class Step(Frozen):
    id: str
    ask: Text
    type: AnswerType
    options: tuple[Option, ...] = ()
    help: Text | None = None  # shown when the person says "I don't know"
    default: str | None = None  # safe answer offered after "I don't know"
    min: float | None = None
    max: float | None = None
    not_future: bool = False  # dates: refuse a date after today
    # dates: a year alone ("1990", "sinh năm 90") or a month and year is an answer (a year of
    # birth), stored as "1990" or "1990-05"; never in the future, never over 120 years back
    year_ok: bool = False
    # with `year_ok`: the person is younger than this (a child's card: 14), so a year that makes
    # them certainly this old is refused — it is most often a parent's own year
    under_age: int | None = Field(default=None, ge=1, le=120)
    optional: bool = False  # a "Skip" button; typed "bỏ qua" skips; the answer is stored as "skip"
    # yes/no steps: words that say the yes or the no without a yes/no word ("nó sang hàn quốc làm"
    # to "going abroad?"); matched whole, not after a negation, and only when one side is said
    yes_words: tuple[str, ...] = ()
    no_words: tuple[str, ...] = ()
    next: tuple[Rule, ...] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v) or v == END:
            raise ValueError(f"step ids are lower_snake_case and not {END!r}")
        return v

    @model_validator(mode="after")
    def _options(self) -> Step:
        if self.type == "choice" and len(self.options) < 2:
            raise ValueError("a choice step needs at least two options")
        if self.type != "choice" and self.options:
            raise ValueError(f"only choice steps have options (this one is {self.type})")
        if self.year_ok and self.type != "date":
            raise ValueError(f"`year_ok` is for date steps (this one is {self.type})")
        if (self.yes_words or self.no_words) and self.type != "yesno":
            raise ValueError(f"`yes_words` and `no_words` are for yes/no steps (this one is {self.type})")
        if self.under_age is not None and not self.year_ok:
            raise ValueError("`under_age` goes only with `year_ok: true` (a year of birth)")
        for meaning in ("yes", "no"):
            if sum(o.means == meaning for o in self.options) > 1:
                raise ValueError(f"two options say `means: {meaning}`; a plain {meaning} can pick only one")
        return self


class ResultBlock(Frozen):
    """Part of the final checklist, included when ``when`` holds for the answers."""

    when: Condition = Field(default_factory=dict)
    papers: tuple[Text, ...] = ()
    where: tuple[Text, ...] = ()
    fees: tuple[Text, ...] = ()
    time: tuple[Text, ...] = ()
    warnings: tuple[Text, ...] = ()
    mistakes: tuple[Text, ...] = ()
    next_steps: tuple[Text, ...] = ()
    links: tuple[Link, ...] = ()
    sources: tuple[str, ...] = ()  # ids of the sources these lines rest on (procedure's or flow's own)


class Deadline(Frozen):
    """A date the person must act by, computed from their answers, for the opt-in reminder:
    ``days`` after the date answered at step ``after`` (birth + 60 days), or ``months`` answered
    at step ``months_from`` after the day the reminder is set (a stay of 6 months), or, with
    ``ages``, the birthday at the next of those ages after the date of birth answered at ``after``
    (the identity card: 14, 25, 40, 60), for a paper made on the day the reminder is set; one made
    within ``lasts_if_within_years`` before an age lasts to the following age. Only one deadline
    applies: the first whose ``when`` holds."""

    when: Condition = Field(default_factory=dict)
    after: str | None = None  # a date step
    days: int = Field(0, ge=0, le=3660)
    months_from: str | None = None  # a number step, in months
    ages: tuple[int, ...] = ()  # with `after` a date of birth: the ages something is due at
    lasts_if_within_years: int = Field(0, ge=0, le=10)
    label: Text  # what is due, e.g. "đăng ký khai sinh cho bé"
    note: Text | None = None  # said when the reminder is set: what the count assumes
    sources: tuple[str, ...] = ()  # ids of the sources of the rule (procedure's or flow's own)

    @model_validator(mode="after")
    def _one_source(self) -> Deadline:
        if (self.after is None) == (self.months_from is None):
            raise ValueError("a deadline counts either `after` a date step or `months_from` a number step")
        if self.ages:
            if self.after is None or self.days:
                raise ValueError("`ages` count from a date of birth: give `after` (a date step) and no `days`")
            if list(self.ages) != sorted(set(self.ages)) or not all(0 < a <= 120 for a in self.ages):
                raise ValueError("`ages` are whole years from 1 to 120, each once, in increasing order")
        elif self.lasts_if_within_years:
            raise ValueError("`lasts_if_within_years` only goes with `ages`")
        return self


class Flow(Frozen):
    version: Literal[1]
    id: str
    procedure: str
    title: Text
    intro: Text
    start: str
    steps: tuple[Step, ...] = Field(min_length=1)
    result: tuple[ResultBlock, ...] = Field(min_length=1)
    sources: tuple[Source, ...] = ()  # sources only this flow uses; the procedure's are shared
    deadlines: tuple[Deadline, ...] = ()  # for "remind me before the deadline" (bot/core/reminders.py)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError("flow ids are lower_snake_case")
        return v

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)
