"""Vietnamese phone numbers as people type them."""

from __future__ import annotations

import pytest

from bot.core.phone import looks_like_phone, mask_phone, parse_phone, spaced


@pytest.mark.parametrize(("typed", "number"), [
    ("0912345678", "0912345678"),
    ("0912 345 678", "0912345678"),
    ("0912.345.678", "0912345678"),
    ("0912-345-678", "0912345678"),
    ("+84 912 345 678", "0912345678"),
    ("+84912345678", "0912345678"),
    ("84912345678", "0912345678"),
    ("0084 912 345 678", "0912345678"),
    ("sđt của tôi là 0386 123 456 nhé", "0386123456"),
    ("(0238) 3844 123", "02383844123"),
    ("0238 3844 123", "02383844123"),
    ("0561234567", "0561234567"),
    ("0701234567", "0701234567"),
])  # fmt: skip
def test_plausible_numbers_are_read_in_national_form(typed: str, number: str) -> None:
    assert parse_phone(typed) == number


@pytest.mark.parametrize("typed", [
    "12345", "091234567", "09123456789", "0123456789", "0412345678", "0612345678", "+1 415 555 0100",
    "0912345678 hoặc 0987654321", "không có", "", "0912 345 67a", "０９１２３４５６７８",
])  # fmt: skip
def test_implausible_or_ambiguous_numbers_are_refused(typed: str) -> None:
    assert parse_phone(typed) is None


def test_what_counts_as_trying_to_give_a_number() -> None:
    assert looks_like_phone("12345")
    assert looks_like_phone("sdt 0912 345 67")
    assert not looks_like_phone("làm căn cước ở đâu")
    assert not looks_like_phone("khai sinh cho con 2 tuổi")


def test_masking_and_spacing() -> None:
    assert mask_phone("0912345678") == "091•••••78"
    assert spaced("0912345678") == "0912 345 678"
    assert spaced("02383844123") == "0238 384 4123"
