"""bot.core.language: the language the person writes in wins over the channel's."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.language import reply_language, text_language

TABLE = yaml.safe_load((Path(__file__).resolve().parent.parent / "data" / "language_table.yaml").read_text(encoding="utf-8"))


def test_the_table_is_as_large_as_promised() -> None:
    """The table holds at least 100 accent-free Vietnamese and 50 English messages, all distinct."""
    vi, en = TABLE["vietnamese"], TABLE["english"]
    assert len(vi) >= 100
    assert len(set(vi)) == len(vi)
    assert len(en) >= 50
    assert len(set(en)) == len(en)
    assert all(text.isascii() for text in vi), "the Vietnamese messages are typed without accents"


def test_accent_free_vietnamese_stays_vietnamese_on_a_vietnamese_channel() -> None:
    """Every accent-free Vietnamese message of the table is answered in Vietnamese when the channel says vi."""
    wrong = [text for text in TABLE["vietnamese"] if reply_language(text, "vi") != "vi"]
    assert not wrong, wrong


def test_english_switches_to_english_on_a_vietnamese_channel() -> None:
    """Every English message of the table is answered in English though the channel says vi."""
    wrong = [text for text in TABLE["english"] if reply_language(text, "vi") != "en"]
    assert not wrong, wrong


def test_accent_free_vietnamese_is_never_read_as_english() -> None:
    """No Vietnamese message of the table is guessed English on its own, whatever the channel."""
    wrong = [text for text in TABLE["vietnamese"] if text_language(text) == "en"]
    assert not wrong, wrong


@pytest.mark.parametrize("text", ["làm căn cước ở đâu", "Đăng ký tạm trú", "bạn là ai", "cảm ơn"])
def test_vietnamese_letters_and_tones_are_read_as_vietnamese(text: str) -> None:
    """Vietnamese letters and tone marks make a message unmistakably Vietnamese."""
    assert text_language(text) == "vi"


@pytest.mark.parametrize(("text", "expected"), [("làm căn cước ở đâu", "vi"), ("lam cccd o dau giup em", "vi"),
                                              ("how do i get an id card", "en")])  # fmt: skip
def test_a_phone_set_to_english_gets_the_language_its_owner_writes(text: str, expected: str) -> None:
    """Many Vietnamese keep their phones in English: Vietnamese words are answered in Vietnamese."""
    assert reply_language(text, "en-US") == expected


@pytest.mark.parametrize("text", ["I live in Nghệ An, how do I register temporary residence",
                                  "My son was born in Vinh, what papers do we need"])  # fmt: skip
def test_an_english_sentence_with_a_vietnamese_name_stays_english(text: str) -> None:
    assert text_language(text) == "en"
    assert reply_language(text, "vi") == "en"


def test_what_the_person_wrote_before_carries_a_message_that_could_be_either() -> None:
    """A button press or "ok" after an English question is answered in English, on any channel."""
    assert reply_language("", "vi", earlier="en") == "en"
    assert reply_language("ok", "en", earlier="vi") == "vi"
    assert reply_language("làm căn cước", "en", earlier="en") == "vi", "the message's own words first"


@pytest.mark.parametrize(
    ("text", "channel", "expected"),
    [
        ("ok", "en", "en"),
        ("ok", "vi", "vi"),
        ("cccd", "en_GB", "en"),
        ("hello", "vi", "vi"),
        ("", "en", "en"),
        ("thanks", None, "vi"),
        ("the can", "fr", "vi"),
        ("/lienket MUTE-WIRA", "vi", "vi"),
        ("MUTE-WIRA", "vi", "vi"),
        ("Nguyen Thi Hoa", "vi", "vi"),
        ("talk to a human", "vi", "en"),
    ],
)
def test_a_message_that_could_be_either_follows_the_channel(text: str, channel: str | None, expected: str) -> None:
    """Short or ambiguous messages take the channel's language; an unknown or missing one gives Vietnamese."""
    assert reply_language(text, channel) == expected
