"""What the assistant trusts: which channels vouch for who is writing (and so may carry a
volunteer's account), and what a citizen should never send anyone.

On Telegram and Zalo the platform says who wrote (the id is the platform's, and the webhook is
authenticated); on the web chat the browser picks its own id, so anyone could claim anyone's.
A volunteer's account receives citizens' phone numbers: it may be linked only where the platform
vouches for the id (issue 14, class 3).
"""

from __future__ import annotations

from bot.core.i18n import _
from bot.core.messages import Outbound
from bot.core.redact import ID, contains_secret, redact

VOLUNTEER_CHANNELS = frozenset({"telegram", "zalo"})


def may_link_volunteer(channel: str) -> bool:
    """Whether a volunteer link code may be redeemed from ``channel``."""
    return channel in VOLUNTEER_CHANNELS


def secret_warning(text: str | None) -> Outbound | None:
    """A kind word when ``text`` holds an OTP code, a password or a card number (the assistant never
    asks for them, and whoever does is a scammer); None otherwise."""
    if not text or not contains_secret(text):
        return None
    return Outbound(_("Please never send anyone an OTP code, a password or a card number, not even me: I never ask for them, and no official asks for them in a chat. If you have shared one, change it now (or call your bank for a card). I have not kept it."))


def id_number_note(text: str | None) -> Outbound | None:
    """A short word when ``text`` holds what looks like a personal ID number (a 12-digit card
    number, an old 9-digit one, a passport): nothing here needs it, and it is not kept (the usage
    log stores questions redacted). Never said beside :func:`secret_warning`, which says more."""
    if not text or ID not in redact(text):
        return None
    return Outbound(_("🔒 You don't need to send me your ID card or passport number: I can guide you without it, and I have not kept it."))
