"""Redaction: personal numbers written the ways people write them are masked; the numbers of a
question about procedures are not."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.redact import ACCOUNT, BIRTH_DATE, CARD, DOSSIER, EMAIL, ID, PHONE, PLATE, redact

MASKED = [
    # identity numbers: 12-digit citizen ID (CCCD), 9-digit old ID card (CMND), passport
    ("số cccd của tôi là 001090012345", f"số cccd của tôi là {ID}"),
    ("CCCD: 001 090 012 345 bị mất", f"CCCD: {ID} bị mất"),
    ("cccd 0010-9001-2345", f"cccd {ID}"),
    ("CCCD001090012345", f"CCCD{ID}"),
    ("cmnd 123456789 hết hạn", f"cmnd {ID} hết hạn"),
    ("chứng minh 123 456 789", f"chứng minh {ID}"),
    ("hộ chiếu C1234567 hết hạn", f"hộ chiếu {ID} hết hạn"),
    ("mã số BHXH 7912345678", f"mã số BHXH {ID}"),
    ("mức 2 001090012345", f"mức 2 {ID}"),
    # phones: mobile and landline, national and international, grouped every way
    ("sđt 0912 345 678 gọi giúp", f"sđt {PHONE} gọi giúp"),
    ("0912345678", PHONE),
    ("0912.345.678", PHONE),
    ("091-234-5678", PHONE),
    ("091 234 5678", PHONE),
    ("sdt0912345678", f"sdt{PHONE}"),
    ("zalo: 0389 123 456.", f"zalo: {PHONE}."),
    ("+84 912.345.678", PHONE),
    ("+84912345678", PHONE),
    ("+84 (0) 912 345 678", PHONE),
    ("(+84) 912 345 678", PHONE),
    ("84912345678", PHONE),
    ("gọi (028) 3829 1234 nhé", f"gọi {PHONE} nhé"),
    ("024.3825.1234", PHONE),
    ("0236 3822 123", PHONE),
    ("con 2 tuổi, sđt mẹ 0912345678", f"con 2 tuổi, sđt mẹ {PHONE}"),
    # emails
    ("email nguyen.van.a+hs@gmail.com nhé", f"email {EMAIL} nhé"),
    ("gửi về TranThiB_1990@yahoo.com.vn", f"gửi về {EMAIL}"),
    # licence plates: cars and motorbikes, new and old, upper and lower case
    ("biển số 37A-123.45 bị phạt nguội", f"biển số {PLATE} bị phạt nguội"),
    ("xe 37A1 234.56", f"xe {PLATE}"),
    ("29-B1 123.45", PLATE),
    ("51F 12345", PLATE),
    ("30A12345", PLATE),
    ("30a-123.45", PLATE),
    ("29LD-123.45", PLATE),
    ("51G-1234 đời cũ", f"{PLATE} đời cũ"),
    # bank accounts and cards
    ("stk 1903 1234 5678 90 techcombank", f"stk {ACCOUNT} techcombank"),
    ("số tài khoản 0071000123456", f"số tài khoản {ACCOUNT}"),
    ("tài khoản 12345678", f"tài khoản {ACCOUNT}"),
    ("stk 123456789", f"stk {ACCOUNT}"),
    ("thẻ 4111 1111 1111 1111", f"thẻ {CARD}"),  # a card number (Luhn): its own placeholder
    ("thẻ 4111-1111-1111-1111", f"thẻ {CARD}"),
    ("chuyển vào 1234567890123456789", f"chuyển vào {ACCOUNT}"),
    # dates of birth
    ("sinh ngày 3/5/1990", f"sinh ngày {BIRTH_DATE}"),
    ("sinh 03-05-1990", f"sinh {BIRTH_DATE}"),
    ("ngày sinh 03.05.1990", f"ngày sinh {BIRTH_DATE}"),
    ("1990-05-03", BIRTH_DATE),
    ("sinh ngày 3 tháng 5 năm 1990", f"sinh {BIRTH_DATE}"),
    ("sinh ngay 3 thang 5 nam 1990", f"sinh {BIRTH_DATE}"),
    ("sinh 3/5/90", f"sinh {BIRTH_DATE}"),
    ("khai sinh cho con sinh ngày 12/25/2025", f"khai sinh cho con sinh ngày {BIRTH_DATE}"),
    # the receipt code of an application
    ("tra cứu hồ sơ 000.00.16.H26-250101-0001", f"tra cứu hồ sơ {DOSSIER}"),
    # several in one message
    (
        "Tôi Nguyễn Văn A, CCCD 001090012345, sđt 0912345678, email a@b.vn, sinh 3/5/1990",
        f"Tôi Nguyễn Văn A, CCCD {ID}, sđt {PHONE}, email {EMAIL}, sinh {BIRTH_DATE}",
    ),
]

KEPT = [
    "đăng ký khai sinh trong 60 ngày",
    "trẻ 14 tuổi làm căn cước được không",
    "sau 2 năm có phải đổi không",
    "theo Nghị định 282/2025/NĐ-CP",
    "Thông tư 01/2022/TT-BTP",
    "Luật 26/2023/QH15 có hiệu lực chưa",
    "dịch vụ công mức 2 hay mức 4",
    "lệ phí 70.000 đồng",
    "phạt 1.500.000.000 đồng",
    "phạt 1 500 000 000 đồng",
    "500 000 000 đ",
    "chi phí 100000 đồng",
    "mã bưu chính 100000",
    "từ năm 2024 2025 thay đổi gì",
    "năm 2025",
    "giờ làm việc 7h30 đến 17h",
    "điều 12 khoản 3",
    "lam giay khai sinh cho con o dau",
    "làm lại căn cước mất bao lâu? 7 ngày hay 15 ngày?",
    "mẫu CT01 và TK1-TS",
    "phiên bản 1.2.3",
    "0,5%",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_personal_numbers_are_masked(text: str, expected: str) -> None:
    """Each way of writing an identity, phone, email, plate, account or birth date becomes its placeholder."""
    assert redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_procedure_numbers_are_kept(text: str) -> None:
    """Deadlines, ages, fees, decree numbers and levels in a question are left as written."""
    assert redact(text) == text


def test_text_without_digits_or_at_is_returned_unchanged() -> None:
    """A question with nothing to mask comes back as the same string."""
    text = "thủ tục đăng ký kết hôn cần giấy tờ gì"
    assert redact(text) is text


PREFIXES = st.sampled_from(["0", "+84 ", "+84", "84", "(+84) "])
MOBILE_STARTS = st.sampled_from(["32", "38", "56", "70", "77", "81", "86", "90", "91", "98"])


@st.composite
def written_phone(draw: st.DrawFn) -> str:
    """A Vietnamese mobile number, grouped with spaces, dots or dashes the way a person might."""
    digits = draw(MOBILE_STARTS) + "".join(str(draw(st.integers(0, 9))) for _ in range(7))
    separator = draw(st.sampled_from(["", " ", ".", "-"]))
    grouping = draw(st.sampled_from([(3, 3, 3), (2, 3, 4), (3, 2, 2, 2), (9,)]))
    parts, start = [], 0
    for size in grouping:
        parts.append(digits[start : start + size])
        start += size
    return draw(PREFIXES) + separator.join(parts)


@given(
    phone=written_phone(),
    before=st.sampled_from(["sđt ", "gọi cho tôi ", "số: ", "", "con 2 tuổi, "]),
    after=st.sampled_from(["", " nhé", ".", ", cảm ơn"]),
)
def test_any_written_mobile_number_leaves_no_digits_behind(phone: str, before: str, after: str) -> None:
    """Whatever the prefix and grouping, a mobile number is masked whole and its surroundings stay."""
    redacted = redact(before + phone + after)
    assert redacted == before + PHONE + after
    assert not re.search(r"\d{3}", redacted.replace(before, ""))


@given(digits=st.text(alphabet="0123456789", min_size=8, max_size=40))
def test_any_long_digit_run_is_masked(digits: str) -> None:
    """No run of 8 or more digits survives redaction, whatever it is."""
    assert not re.search(r"\d{8,}", redact(f"số {digits} của tôi"))


@given(n=st.integers(0, 9999), unit=st.sampled_from(["ngày", "tuổi", "năm", "tháng", "giờ", "người", "bản"]))
def test_counts_with_a_unit_are_kept(n: int, unit: str) -> None:
    """A number with its unit (60 ngày, 14 tuổi, 2 bản) is never personal."""
    text = f"trong {n} {unit} thì sao"
    assert redact(text) == text


@given(amount=st.integers(1_000, 10**13))
def test_amounts_with_thousands_dots_are_kept(amount: int) -> None:
    """Fees written the Vietnamese way, 1.500.000 đồng, are left alone at any size."""
    text = f"lệ phí {amount:,} đồng".replace(",", ".")
    assert redact(text) == text


@given(
    number=st.integers(1, 999),
    year=st.integers(1990, 2035),
    kind=st.sampled_from(["NĐ-CP", "TT-BTP", "QĐ-TTg"]),
)
def test_legal_document_numbers_are_kept(number: int, year: int, kind: str) -> None:
    """Decree and circular numbers such as 282/2025/NĐ-CP are not mistaken for dates."""
    text = f"theo văn bản {number}/{year}/{kind}"
    assert redact(text) == text


@pytest.mark.parametrize("text", ["lệ phí 84.500.000.000 đồng", "hết 84.912.345.678đ", "84.300.000.000 VND"])
def test_an_amount_that_starts_like_a_country_code_is_kept(text: str) -> None:
    """"84.500.000.000 đồng" has a phone's shape after 84 (found by Hypothesis): its currency says amount."""
    assert redact(text) == text


@pytest.mark.parametrize("text", ["gọi 84.912.345.678", "sdt 84 912 345 678 nhé", "+84 912 345 678 đó"])
def test_a_phone_after_the_country_code_is_still_redacted(text: str) -> None:
    assert "[số điện thoại]" in redact(text)
