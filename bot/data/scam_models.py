"""The scam warning (knowledge/scams.yaml): what to say, and the phrases that describe a scam."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from bot.core.text import fold
from bot.data.models import Frozen, Source, Text


def _folded_phrases(phrases: tuple[str, ...]) -> tuple[str, ...]:
    # Phrases are compared with folded messages: one written with accents would never match.
    for phrase in phrases:
        if fold(phrase) != phrase:
            raise ValueError(f"{phrase!r} must be written folded (no accents, lower case): {fold(phrase)!r}")
    return phrases


class ScamSignals(Frozen):
    """Folded phrases. A message describes a scam when it holds one ``alone`` phrase, or one
    ``contact`` phrase (someone called, texted, sent a link) together with one ``demand``
    (install an app, read out an OTP, transfer money)."""

    alone: tuple[str, ...] = Field(min_length=1)
    contact: tuple[str, ...] = Field(min_length=1)
    demand: tuple[str, ...] = Field(min_length=1)

    _folded = field_validator("alone", "contact", "demand")(_folded_phrases)


class ScamsFile(Frozen):
    version: Literal[1]
    warning: Text  # shown first, before any answer, when a message describes a scam
    advice: tuple[Text, ...] = Field(min_length=1)  # what to do now
    contacts: tuple[Text, ...] = Field(min_length=1)  # whom to call or visit
    reminder: Text  # the one line added to answers about VNeID and online payment
    reminder_procedures: tuple[str, ...] = Field(min_length=1)
    signals: ScamSignals
    sources: tuple[Source, ...] = Field(min_length=1)
