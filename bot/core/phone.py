"""Vietnamese phone numbers as people type them: "0912 345 678", "0912.345.678", "+84 912345678",
"84-912-345-678", "(0238) 3 844 123". Only numbers a volunteer can call pass, so a typo is caught in
chat, not discovered by the volunteer who cannot call back.

Which prefixes a network uses, and how long each kind of number is, comes from phonenumbers (the
lite build: Google's libphonenumber metadata without the geocoder and carrier data), which follows
the ministry's number plan as it changes; a hand-written list went stale (it accepted 071, 080
and 041, which no network uses). We only find the one number in the text and, when it cannot be
right, say why in words a citizen can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from bot.core.i18n import _
from bot.core.text import fold, kept_per_text

_CANDIDATE = re.compile(r"(?:\+|00)?\(?\d[\d\s.\-()/]*\d")
_CALLABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}

Problem = Literal["", "unclear", "length", "unused", "foreign", "service"]


@dataclass(frozen=True)
class PhoneCheck:
    """What was made of the text: ``number`` in national form ("0912345678") when a volunteer can
    call it, else the ``problem`` and a ``detail`` for the message (digit count, prefix, +code)."""

    number: str | None
    problem: Problem = ""
    detail: str = ""


def check_phone(text: str) -> PhoneCheck:
    """The one phone number in ``text`` ("sđt của tôi là 0912 345 678" holds one), checked."""
    found = [c for c in _CANDIDATE.findall(text) if sum(ch.isdigit() for ch in c) >= 3]
    if len(found) != 1:
        return PhoneCheck(None, "unclear")  # none, or two numbers: asking beats guessing
    try:
        parsed = phonenumbers.parse(found[0], "VN")
    except NumberParseException:
        return PhoneCheck(None, "unclear")
    if parsed.country_code != 84:
        return PhoneCheck(None, "foreign", f"+{parsed.country_code}")
    if phonenumbers.is_valid_number(parsed):
        shown = phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL)
        if phonenumbers.number_type(parsed) not in _CALLABLE:
            return PhoneCheck(None, "service", shown)  # 1900/1800 hotlines and the like
        return PhoneCheck("".join(c for c in shown if c.isdigit()))
    digits, count = _national_digits(found[0])
    landline = digits.startswith("02")
    if len(digits) != (11 if landline else 10):
        return PhoneCheck(None, "length", str(count))
    return PhoneCheck(None, "unused", digits[:4] if landline else digits[:3])


def parse_phone(text: str) -> str | None:
    """The number in national form ("0912345678"), or None when ``text`` holds none a volunteer
    can call (see :func:`check_phone` for why)."""
    return check_phone(text).number


def phone_problem(check: PhoneCheck) -> str:
    """The reply, in the current language, to a number that cannot be right."""
    if check.problem == "length":
        return _("That number has {count} digits. A mobile number has 10 (for example 0912 345 678) and a landline 11 (for example 0238 3844 123). Could you check it?").format(count=check.detail)
    if check.problem == "unused":
        return _("No Vietnamese network has numbers starting with {prefix}. Could you check the first digits? A mobile number has 10 digits and starts with 03, 05, 07, 08 or 09; a landline has 11 and starts with 02.").format(prefix=check.detail)
    if check.problem == "foreign":
        return _("That is a number outside Vietnam ({code}); the volunteers can only call numbers in Vietnam. Could you give a Vietnamese number?").format(code=check.detail)
    if check.problem == "service":
        return _("{number} is a hotline, not a number a volunteer can call you back on. Could you give your own mobile or landline number?").format(number=check.detail)
    return _("That does not look like a Vietnamese phone number. A mobile number has 10 digits and starts with 03, 05, 07, 08 or 09 (for example 0912 345 678); a landline has 11 digits and starts with 02.")


def _national_digits(typed: str) -> tuple[str, int]:
    """The number as dialled inside Vietnam, and how many digits to say it has: as typed, or
    with the trunk 0 in place of +84 (the form the message's examples use)."""
    digits = "".join(str(int(c)) for c in typed if c.isdecimal())  # int(): full-width digits too
    if typed.lstrip().startswith("+") and digits.startswith("84"):
        national = "0" + digits[2:].removeprefix("0")
        return national, len(national)
    if digits.startswith("0084"):
        national = "0" + digits[4:].removeprefix("0")
        return national, len(national)
    if digits.startswith("84") and len(digits) in (11, 12):
        return "0" + digits[2:], len(digits) - 1
    return (digits if digits.startswith("0") else "0" + digits), len(digits)


def looks_like_phone(text: str) -> bool:
    """The person meant a number (so a wrong one gets "check it", not a search): digits and no
    words, or many digits among a few words ("sđt 0912 345 678")."""
    digits = sum(c.isdigit() for c in text)
    return digits >= 7 or (digits >= 3 and not any(c.isalpha() for c in text))


_PHONE_WORDS = frozenset({"sdt", "so", "dt", "dien", "thoai", "cua", "toi", "em", "minh", "day", "la", "phone", "my",
                          "number", "goi", "lai", "cho", "nhe", "a", "nha", "zalo"})


@kept_per_text  # asked of every question outside a guide
def only_a_phone(text: str) -> bool:
    """A message that is a callable phone number and at most a few words about it ("0912 345 678",
    "sdt cua em 0912345678"): nothing else to answer."""
    if parse_phone(text) is None:
        return False
    words = re.sub(r"[\d\s.\-()+/:,]+", " ", fold(text)).split()
    return all(w in _PHONE_WORDS for w in words)


def mask_phone(phone: str) -> str:
    """"0912345678" → "091•••••78": enough to recognise, not enough to call."""
    return phone[:3] + "•" * (len(phone) - 5) + phone[-2:] if len(phone) > 5 else "•" * len(phone)


def spaced(phone: str) -> str:
    """"0912345678" → "0912 345 678", "02438123456" → "024 3812 3456": grouped the way the number
    plan groups it, easier to read aloud and dial."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(phone, "VN"), PhoneNumberFormat.NATIONAL)
    except NumberParseException:
        return phone
