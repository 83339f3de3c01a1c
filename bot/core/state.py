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


class ConversationState(BaseModel):
    """Everything kept between turns. Unknown fields from older versions are ignored."""

    model_config = ConfigDict(extra="ignore")

    lang: str | None = None  # chosen with /lang; else the platform's hint
    procedure: str | None = None  # the procedure last talked about
    flow: FlowState | None = None
    checklists: dict[str, dict[str, str]] = Field(default_factory=dict)  # flow id -> its answers
    feedback_for: str | None = None  # procedure whose answer is waiting for 👍/👎
    feedback_given: list[str] = Field(default_factory=list)  # procedures already rated here
    turns: int = 0
