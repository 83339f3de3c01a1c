"""Vietnamese phone numbers as people type them: "0912 345 678", "0912.345.678", "+84 912345678",
"84-912-345-678", "(0238) 3 844 123". Only plausible numbers pass, so a typo is caught in chat,
not discovered by the volunteer who cannot call back."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s.\-()/]+")
_CANDIDATE = re.compile(r"(?:\+|00)?\(?\d[\d\s.\-()/]{6,}\d")
# Mobile: 10 digits, 03/05/07/08/09 then 8 digits. Landline: 11 digits, 02 + area code + number.
_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")


def parse_phone(text: str) -> str | None:
    """The number in national form ("0912345678"), or None when ``text`` holds none ("sđt của
    tôi là 0912 345 678" holds one)."""
    found = _CANDIDATE.search(text)
    if found is None or len(_CANDIDATE.findall(text)) > 1:
        return None
    digits = _SEPARATORS.sub("", found.group())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not digits.isdigit() or not digits.isascii():
        return None
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    return None


def looks_like_phone(text: str) -> bool:
    """The person meant a number (so a wrong one gets "check it", not a search): digits and no
    words, or many digits among a few words ("sđt 0912 345 678")."""
    digits = sum(c.isdigit() for c in text)
    return digits >= 7 or (digits >= 3 and not any(c.isalpha() for c in text))


def mask_phone(phone: str) -> str:
    """"0912345678" → "091•••••78": enough to recognise, not enough to call."""
    return phone[:3] + "•" * (len(phone) - 5) + phone[-2:] if len(phone) > 5 else "•" * len(phone)


def spaced(phone: str) -> str:
    """"0912345678" → "0912 345 678", easier to read aloud and dial."""
    if len(phone) == 10:
        return f"{phone[:4]} {phone[4:7]} {phone[7:]}"
    return f"{phone[:4]} {phone[4:7]} {phone[7:]}" if len(phone) == 11 else phone
