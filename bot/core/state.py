"""What the assistant remembers about one conversation between turns (JSON-serialisable)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FlowState(BaseModel):
    """Where a person is in a step-by-step flow."""

    model_config = ConfigDict(extra="ignore")

    flow: str
    step: str
    answers: dict[str, str] = Field(default_factory=dict)
    history: list[str] = Field(default_factory=list)  # steps visited, for "back"
    paused: bool = False  # an unrelated question was answered; offer to continue
    suggested: str | None = None  # the step whose safe choice was just offered ("if unsure: No"); "ok" takes it
    ahead: dict[str, str] = Field(default_factory=dict)  # later steps answered before they were asked


class HelpDraft(BaseModel):
    """A help request being filled in: consent given, the rest asked one at a time."""

    model_config = ConfigDict(extra="ignore")

    key: str  # idempotency key: a retried turn stores the request once
    step: str  # phone | commune | need | time
    phone: str | None = None
    commune: str | None = None
    need: str | None = None
    good_time: str | None = None
    procedure: str | None = None


class AssistState(BaseModel):
    """A volunteer sitting with a citizen (/hotro … /ketthuc)."""

    model_config = ConfigDict(extra="ignore")

    session: int
    volunteer: int
    name: str
    commune: str | None = None
    procedures: list[str] = Field(default_factory=list)  # what was helped with, in order
    reason: str | None = None  # why it could not finish, while the missing papers are asked
    missing: list[str] = Field(default_factory=list)  # papers pressed as missing: "<procedure>:<key>"


class Asked(BaseModel):
    """A question the last reply asked with buttons (yes/no, or one of a few choices): the next
    typed message is read as its answer first, and a typed answer presses the button it means."""

    model_config = ConfigDict(extra="ignore")

    text: str  # the question as shown, to ask it again
    buttons: list[tuple[str, str]]  # (label, payload) as shown
    yes: str | None = None  # the payload a typed "có" presses
    no: str | None = None  # the payload a typed "không" presses
    keep: bool = True  # asked again after a side question; False: a new question ends it
    # A message that is no answer but a question the matcher can answer or narrow down is taken as
    # that question, not met with "please press a button" ("did you mean…?", "continue the guide?").
    guesses: bool = False


class ConversationState(BaseModel):
    """Everything kept between turns. Unknown fields from older versions are ignored."""

    model_config = ConfigDict(extra="ignore")

    lang: str | None = None  # chosen with /lang; else the platform's hint
    wrote_in: str | None = None  # the language the person's own words last unmistakably used
    procedure: str | None = None  # the procedure last talked about
    flow: FlowState | None = None
    checklists: dict[str, dict[str, str]] = Field(default_factory=dict)  # flow id -> its answers
    ticks: dict[str, dict[str, str]] = Field(default_factory=dict)  # flow id -> paper key -> have | missing
    feedback_for: str | None = None  # procedure whose answer is waiting for 👍/👎
    feedback_given: list[str] = Field(default_factory=list)  # procedures already rated here
    commune: str | None = None  # the person's commune id (knowledge/communes.yaml), once they said it
    commune_offered: bool = False  # asked softly once which commune they live in (never again)
    awaiting: str | None = None  # "commune": the next message names the person's commune
    asked: Asked | None = None  # a button question waiting for its answer (see bot.core.pending)
    shown: list[str] = Field(default_factory=list)  # payloads of the last buttons shown ("" for a link), for "cái thứ 2"
    otp_noted: bool = False  # the line 'officials never ask for an OTP' was shown once: not under every answer
    help: HelpDraft | None = None
    ticket: int | None = None  # the person's last help request
    assist: AssistState | None = None
    turns: int = 0
