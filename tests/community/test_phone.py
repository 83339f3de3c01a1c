"""Vietnamese phone numbers as people type them, checked against the number plan (phonenumbers)."""

from __future__ import annotations

import pytest

from bot.core import i18n
from bot.core.phone import check_phone, looks_like_phone, mask_phone, parse_phone, phone_problem, spaced


@pytest.mark.parametrize(("typed", "number"), [
    ("0912345678", "0912345678"),
    ("0912 345 678", "0912345678"),
    ("0912.345.678", "0912345678"),
    ("0912-345-678", "0912345678"),
    ("+84 912 345 678", "0912345678"),
    ("+84912345678", "0912345678"),
    ("+84 0912 345 678", "0912345678"),
    ("84912345678", "0912345678"),
    ("84-912-345-678", "0912345678"),
    ("0084 912 345 678", "0912345678"),
    ("912 345 678", "0912345678"),
    ("sđt của tôi là 0386 123 456 nhé", "0386123456"),
    ("(0238) 3844 123", "02383844123"),
    ("(0238) 3 844 123", "02383844123"),
    ("0238 3844 123", "02383844123"),
    ("０９１２３４５６７８", "0912345678"),
])  # fmt: skip
def test_the_forms_people_type_are_read_in_national_form(typed: str, number: str) -> None:
    """+84, 84, 0084 and 0 forms, spaces, dots, dashes and brackets all give the national form."""
    assert parse_phone(typed) == number


@pytest.mark.parametrize("number", [
    # Viettel 032-039, 086, 096-098; Vinaphone 081-085, 088, 091, 094; MobiFone 070, 076-079,
    # 089, 090, 093; Vietnamobile 056, 058, 092; Gmobile 059, 099; Itelecom 087.
    "0321234567", "0339876543", "0351234567", "0361234567", "0371234567", "0381234567", "0391234567",
    "0561234567", "0581234567", "0591234567",
    "0701234567", "0761234567", "0771234567", "0781234567", "0791234567",
    "0811234567", "0821234567", "0831234567", "0841234567", "0851234567", "0861234567", "0871234567",
    "0881234567", "0898123456",
    "0901234567", "0911234567", "0921234567", "0931234567", "0941234567", "0961234567", "0971234567",
    "0981234567", "0991234567",
])  # fmt: skip
def test_mobile_numbers_of_every_network_pass(number: str) -> None:
    """A 10-digit number on each prefix a Vietnamese mobile network uses is accepted as it is."""
    assert parse_phone(number) == number


@pytest.mark.parametrize(("number", "shown"), [
    ("02438123456", "024 3812 3456"),   # Hà Nội
    ("02838123456", "028 3812 3456"),   # TP Hồ Chí Minh
    ("02383844123", "0238 3844 123"),   # Nghệ An
    ("02393856789", "0239 3856 789"),   # Hà Tĩnh
    ("02363822333", "0236 3822 333"),   # Đà Nẵng
])  # fmt: skip
def test_landlines_pass_and_are_grouped_by_their_area_code(number: str, shown: str) -> None:
    """11-digit landlines with a real area code pass, and print grouped as the number plan does."""
    assert parse_phone(number) == number
    assert spaced(number) == shown


@pytest.mark.parametrize(("typed", "problem", "detail"), [
    ("0412345678", "unused", "041"),
    ("0612345678", "unused", "061"),
    ("0711234567", "unused", "071"),
    ("0801234567", "unused", "080"),
    ("0123456789", "unused", "012"),
    ("02001234567", "unused", "0200"),
    ("091234567", "length", "9"),
    ("09123456789", "length", "11"),
    ("0283812345", "length", "10"),
    ("12345", "length", "5"),
    ("+84 91234567", "length", "9"),
    ("+1 415 555 0100", "foreign", "+1"),
    ("+44 20 7946 0958", "foreign", "+44"),
    ("1900 1234", "service", "1900 1234"),
    ("1800 1091", "service", "1800 1091"),
    ("0912345678 hoặc 0987654321", "unclear", ""),
    ("không có", "unclear", ""),
    ("", "unclear", ""),
])  # fmt: skip
def test_numbers_that_cannot_be_right_say_why(typed: str, problem: str, detail: str) -> None:
    """Unused prefixes, wrong lengths, foreign numbers, hotlines and two numbers are refused with the reason."""
    checked = check_phone(typed)
    assert checked.number is None
    assert (checked.problem, checked.detail) == (problem, detail)


@pytest.mark.parametrize(("typed", "words"), [
    ("0412345678", ("041", "03, 05, 07, 08")),
    ("091234567", ("9 chữ số", "10 chữ số")),
    ("+1 415 555 0100", ("+1", "nước ngoài")),
    ("1900 1234", ("1900 1234", "tổng đài")),
    ("0912345678 hoặc 0987654321", ("10 chữ số", "02")),
])  # fmt: skip
def test_the_citizen_is_told_plainly_in_vietnamese(typed: str, words: tuple[str, ...]) -> None:
    """Each reason becomes a Vietnamese sentence that names what to fix."""
    with i18n.use("vi"):
        text = phone_problem(check_phone(typed))
    for word in words:
        assert word in text


def test_what_counts_as_trying_to_give_a_number() -> None:
    """Digits with few words count as a number given; a question with a small number does not."""
    assert looks_like_phone("12345")
    assert looks_like_phone("sdt 0912 345 67")
    assert not looks_like_phone("làm căn cước ở đâu")
    assert not looks_like_phone("khai sinh cho con 2 tuổi")


def test_masking_and_spacing() -> None:
    """Masks keep the first three and last two digits; mobiles group 4-3-3."""
    assert mask_phone("0912345678") == "091•••••78"
    assert spaced("0912345678") == "0912 345 678"
    assert spaced("not a number") == "not a number"
