"""Masking the personal numbers and secrets people type, before anything is stored or logged.

Citizens paste what a clerk would ask for: a citizen-ID number, a phone, a plate, an account, a
card, a date of birth — and sometimes an OTP code or a password. The usage log and help requests
keep words so the knowledge base can learn what people ask, never who asked, so each of those
becomes a placeholder. The patterns run in a fixed order: secrets after the words that announce
them ("mã OTP", "mật khẩu", "pass"…), emails (also spelled "at"/"dot", "a còng"/"chấm"), dates,
phones and plates (they carry letters or separators that identify them), dotted ID numbers,
then any long run of digits left is an identity, card (Luhn) or account number. The numbers a
question about procedures legitimately holds (60 ngày, 14 tuổi, mức 2, 70.000 đồng, Nghị định
282/2025/NĐ-CP, the 1900 hotlines) match none of them: they are short, joined by ``/`` or
thousands dots, or known hotlines.

:func:`contains_secret` tells whether a message holds an OTP, a password or a card number, so
the assistant can kindly say never to share them (it never asks for them).
"""

from __future__ import annotations

import re

ID = "[số định danh]"
PHONE = "[số điện thoại]"
EMAIL = "[email]"
PLATE = "[biển số]"
ACCOUNT = "[số tài khoản]"
BIRTH_DATE = "[ngày sinh]"
DOSSIER = "[mã hồ sơ]"
CARD = "[số thẻ]"
SECRET = "[mã bí mật]"  # noqa: S105 - a placeholder, not a password

# Everything below needs an @ or at least four digits (3/5/90 is the shortest): most questions
# have no digit at all, others ("con 14 tuổi", "mức 2") too few, and skip the regexes.
_ANY_DIGIT_OR_AT = re.compile(r"[\d@]")
_WORTH_A_LOOK = re.compile(r"@|(?:\d\D*+){4}")

_EMAIL = re.compile(r"[\w.+-]+\s?@\s?[\w-]+(?:\s?\.\s?[\w-]+)+")
# "ten at gmail dot com", "ten (at) gmail [.] com", "ten a còng gmail chấm com": the spelled-out
# forms people use so a form or a filter does not catch the address; a known ending is required.
_AT = r"(?:\s*[\(\[\{]\s*(?:at|@)\s*[\)\]\}]\s*|\s+at\s+|\s*a\s*c[oò]ng\s*)"
_DOT = r"(?:\s*[\(\[\{]\s*(?:dot|\.)\s*[\)\]\}]\s*|\s+dot\s+|\s*ch[aấ]m\s*|\s*\.\s*)"
_SPELLED_EMAIL = re.compile(
    rf"[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}(?:com|vn|net|org|edu|gov|info|io|me|biz)\b", re.IGNORECASE
)

# A secret announced by the word before it: "mã OTP là 482913", "mật khẩu: Abc@123", "pass vneid
# của tôi là Thu@2020", "otp 4829 13". After a separator (":", "=", "là") whatever follows is the
# secret; without one only something with a digit is, so "quên mật khẩu vneid thì sao" is kept.
_ANNOUNCERS = (
    r"(?:m[aã]\s*(?:otp|x[aá]c\s*(?:th[uự]c|nh[aậ]n)|pin|b[aả]o\s*m[aậ]t|k[ií]ch\s*ho[aạ]t)|otp|"
    r"\bpin\b|m[aậ]t\s*kh[aẩ]u|\bmk\b|\bpass(?:word|code)?\b|\bpw\b)"
)
_NOT_A_QUESTION = r"(?!(?:g[iì]|sao|bao|th[eế]|n[aà]o|đ[aâ]u|dau|ai|m[aấ]y|may|vậy|vay|chi)\b)"
""""mật khẩu là gì?" asks about a password; it gives none."""
_SPACED_CODE = r"\d(?:[ .\-]?\d){3,9}(?!\d)"
_SECRETS = re.compile(
    rf"({_ANNOUNCERS}(?:\s+\S+?){{0,4}}?)"
    rf"(?:(\s*(?:[:=]|\bl[aà]\b|\bis\b)\s*)({_SPACED_CODE}|{_NOT_A_QUESTION}[^\s,;?]{{3,64}})"
    rf"|(\s+)({_SPACED_CODE}|(?=[^\s,;]*\d)[^\s,;?]{{3,64}}))",
    re.IGNORECASE,
)

# Day and month as 1–2 digits either way round: "12/25/1990" is a date of birth too.
_DAY = r"(?:[0-3]?\d)"
_MONTH = _DAY
_YEAR = r"(?:19|20)\d{2}"
_DATES = (
    # 3/5/1990, 03-05-1990, 3.5.1990 (one separator throughout); 3/5/90 with slashes only
    re.compile(rf"(?<![\d/.-]){_DAY}([/.-]){_MONTH}\1{_YEAR}(?![\d/])"),
    re.compile(rf"(?<![\d/.-]){_DAY}/{_MONTH}/\d{{2}}(?![\d/])"),
    # 1990-05-03, 1990/5/3
    re.compile(rf"(?<![\d/.-]){_YEAR}([/.-]){_MONTH}\1{_DAY}(?![\d/])"),
    # ngày 3 tháng 5 năm 1990, with or without accents
    re.compile(rf"ng[àa]y\s*{_DAY}\s*th[áa]ng\s*{_MONTH}\s*(?:n[ăa]m\s*)?{_YEAR}(?!\d)", re.IGNORECASE),
)

# The subscriber part of a Vietnamese number after the trunk 0 or the country code 84: mobiles
# are 9 digits (3x, 5x, 7x, 8x, 9x), landlines 10 (2x…). People group the digits as they like.
_SEP = r"(?:[ .\-]|\)\s?)?"
_SUBSCRIBER = rf"(?:[35789]{_SEP}\d(?:{_SEP}\d){{7}}|2{_SEP}\d(?:{_SEP}\d){{8}})(?!\d)"
_PHONES = (
    # "84.500.000.000 đồng" has a phone's shape after the country code: an amount names its currency.
    re.compile(rf"(?:\(\s*\+?\s*84\s*\)|\+\s*84|(?<![\d.,])(?:00\s?)?84)\s?[.\-]?\s?(?:\(0\)\s?)?{_SUBSCRIBER}"
               r"(?!\s*(?:đồng|đ|vnđ|vnd|dong|d)\b)", re.IGNORECASE),
    re.compile(rf"(?<!\d)(?<!\d[.,])\(?0{_SUBSCRIBER}"),
)

# Province code, series (A, LD, B1, MĐ1), then 5 digits (123.45 or 12345) or an old 4.
_PLATE = re.compile(
    r"(?<![\w.,])[1-9]\d(?:\s?-\s?)?[A-Za-zĐđ]{1,2}\d?"
    r"(?:[ .\-]?(?:\d{3}\.\d{2}|\d{5})|[.\-]\d{4})(?![\w])"
)

_PASSPORT = re.compile(r"(?<![\w])[A-Z]\d{7}(?![\w])")
# The receipt code of an application on the public-services portal: it leads to its owner.
_DOSSIER = re.compile(r"(?<![\w.])\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}(?!\d)")

# Any run of digits, alone or in groups of 3+ joined by a space or dash ("001 090 012 345",
# "1903 1234 5678 90": a grouped run may end in a short group),
# that is not part of a decimal, a thousands-dotted amount or a document number ("282/2025").
# An ID number written with dots ("001.090.012.345", "cmnd 186.123.456"): the same shape as a
# thousands-dotted amount, so only with a leading 0 (no amount starts so) or an ID word before it.
_DOTTED = re.compile(r"(?<![\d.,])\d{3}(?:\.\d{3}){2,3}(?![\d.,]?\d)")
_DIGIT_RUN = re.compile(r"(?<![\d.,/])\d{3,}(?:(?:[ \-]\d{3,})+(?:[ \-]\d{1,2})?)?(?![\d/])(?![.,]\d)")
_ID_CONTEXT = re.compile(
    r"(?:cccd|cmnd|c[aă]n c[uư][oớ]c|ch[uứ]ng minh|đ[iị]nh danh|dinh danh|bhxh|b[aả]o hi[eể]m|"
    r"m[aã] s[oố]|mst|h[oộ] chi[eế]u|passport|id)\W*$",
    re.IGNORECASE,
)
_ACCOUNT_CONTEXT = re.compile(
    r"(?:stk|tk|t[aà]i kho[aả]n|th[eẻ]|ng[aâ]n h[aà]ng|account|card)\W*$", re.IGNORECASE
)
_BANK_ACCOUNT = re.compile(r"(?:stk|tk|t[aà]i kho[aả]n|account)\W*$", re.IGNORECASE)
_MONEY_AFTER = re.compile(r"\s*(?:đ\b|đồng|dong|vn[dđ]|nghìn|ngàn|triệu|trieu|tỷ|ty\b|k\b)", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with secrets, identity, phone, email, plate, card and account numbers and dates
    replaced by placeholders."""
    if _MAYBE_SECRET.search(text):
        text = _SECRETS.sub(_secret, text)
    if _MAYBE_SPELLED.search(text):
        text = _SPELLED_EMAIL.sub(EMAIL, text)
    if not _ANY_DIGIT_OR_AT.search(text) or not _WORTH_A_LOOK.search(text):
        return text
    text = _EMAIL.sub(EMAIL, text)
    text = _DOSSIER.sub(DOSSIER, text)
    for pattern in _DATES:
        text = pattern.sub(BIRTH_DATE, text)
    for pattern in _PHONES:
        text = pattern.sub(PHONE, text)
    text = _PLATE.sub(PLATE, text)
    text = _PASSPORT.sub(ID, text)
    text = _DOTTED.sub(_dotted, text)
    return _DIGIT_RUN.sub(_long_number, text)


_MAYBE_SECRET = re.compile(r"otp|pin|kh[aẩ]u|mk|pass|pw|m[aã]", re.IGNORECASE)
_MAYBE_SPELLED = re.compile(r"\bat\b|c[oò]ng|[\(\[\{]\s*(?:at|@)", re.IGNORECASE)


def contains_secret(text: str) -> bool:
    """Whether ``text`` holds an OTP code, a password or a card number: things nobody should
    type to anyone, the assistant included."""
    if _MAYBE_SECRET.search(text) and _SECRETS.search(text):
        return True
    if not _ANY_DIGIT_OR_AT.search(text):  # most messages have no digit, so no card number
        return False
    return any(13 <= len(d) <= 19 and _luhn(d) for d in (re.sub(r"[ .\-]", "", m.group()) for m in _CARD_RUN.finditer(text)))


_CARD_RUN = re.compile(r"(?<![\d.,])\d{4}(?:[ .\-]?\d{2,4}){2,4}(?![\d])")


def _secret(found: re.Match[str]) -> str:
    announced = found.group(1)
    separator = found.group(2) if found.group(2) is not None else found.group(4)
    return f"{announced}{separator}{SECRET}"


def _dotted(found: re.Match[str]) -> str:
    run = found.group()
    digits = run.replace(".", "")
    if len(digits) not in (9, 12):
        return run
    text = found.string
    before = text[max(0, found.start() - 24) : found.start()]
    if (digits.startswith("0") or _ID_CONTEXT.search(before)) and not _MONEY_AFTER.match(text, found.end()):
        return ID
    return run


def _luhn(digits: str) -> bool:
    """The check digit of payment card numbers (ISO/IEC 7812)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _long_number(found: re.Match[str]) -> str:
    run = found.group()
    groups = re.split(r"[ \-]", run)
    digits = "".join(groups)
    if len(digits) < 8:  # longer than any account (19) is masked too: two numbers typed together
        return run
    text = found.string
    if len(groups) > 1 and _amount(groups, text, found.start(), found.end()):
        return run
    if len(groups) > 1 and all(len(g) == 4 and g[:2] in ("19", "20") for g in groups):
        return run  # a list of years: "2024 2025"
    if len(digits) == 8 and digits[:4] in ("1900", "1800"):
        return run  # a public hotline (1900 0368), not a person's number
    before = text[max(0, found.start() - 24) : found.start()]
    if _ID_CONTEXT.search(before):
        return ID
    if 13 <= len(digits) <= 19 and _luhn(digits) and not _BANK_ACCOUNT.search(before):
        return CARD  # a payment card; one in ten account numbers passes Luhn too, so "stk" decides
    if _ACCOUNT_CONTEXT.search(before):
        return ACCOUNT
    return ID if len(digits) in (9, 12) else ACCOUNT


def _amount(groups: list[str], text: str, start: int, end: int) -> bool:
    """Space-grouped money ("1 500 000 000 đồng", "500 000 000 đ") rather than an identifier."""
    if any(len(g) != 3 for g in groups) or groups[0].startswith("0"):
        return False
    return bool(re.search(r"\d\s$", text[max(0, start - 2) : start]) or _MONEY_AFTER.match(text, end))
