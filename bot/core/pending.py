"""Questions asked with buttons, answered by typing.

People answer "Shall I ask a volunteer to call you?" by typing "có", "ừ", "ko cần" or the words
of a button, far more often than by pressing it. Whoever asks such a question calls :func:`ask`;
on the next turn the engine reads a typed message against it first (:func:`read_asked`), and a
typed answer presses the button it means, so the code behind each button is the only code that
acts on the answer. Questions that take typed values (a guide's date, a phone number, a commune)
are read by their owners; the engine treats both kinds alike (see ``Engine._typed``).
"""

from __future__ import annotations

from functools import cache

from rapidfuzz import fuzz

from bot.core.choices import is_place, place
from bot.core.messages import Button, Outbound
from bot.core.replies import Reply, read_reply
from bot.core.state import Asked
from bot.core.text import fold
from bot.core.turn import Turn
from bot.data.replies import default_lexicon

_LABEL_MATCH = 88
"""How close typed words must be to a button's label to press it (rapidfuzz, 0–100)."""


def ask(turn: Turn, message: Outbound, yes: str | None = None, no: str | None = None, keep: bool = True,
        guesses: bool = False) -> None:  # fmt: skip
    """Send ``message`` and remember it as the question the next typed message answers."""
    turn.messages.append(message)
    buttons = [(b.label, b.payload) for b in message.buttons if b.payload]
    turn.state.asked = Asked(text=message.text, buttons=buttons, yes=yes, no=no, keep=keep, guesses=guesses)


def again(asked: Asked, lead: str = "") -> Outbound:
    """The question once more, as it was shown, after ``lead``."""
    text = f"{lead}\n\n{asked.text}" if lead else asked.text
    return Outbound(text, tuple(Button(label, payload) for label, payload in asked.buttons))


def read_asked(asked: Asked, text: str) -> str | None:
    """The payload of the button a typed ``text`` means, or None when it answers nothing.

    A yes or no answers a yes/no question; the number or the words of a button press it. Nothing
    is ever picked by elimination or by being first: when two buttons fit equally, None."""
    if is_place(text):  # "2", "cái thứ 2", "cai dau tien": that button, or none if there is no such
        at = place(text, len(asked.buttons))
        return asked.buttons[at][1] if at is not None else None
    verdict = read_reply(text, asked.text)  # the question's own words may be echoed: "vẫn ở đó"
    if verdict is Reply.YES and asked.guesses and _closing(text):
        return None  # "được rồi cảm ơn" at "did you mean…?": done, thanks; not "yes, that one"
    if verdict is Reply.YES and asked.yes:
        return asked.yes
    if verdict is Reply.NO and asked.no:
        return asked.no
    folded = fold(text)
    if not folded:
        return None
    scored = sorted(((_closeness(folded, fold(label)), payload) for label, payload in asked.buttons), reverse=True)
    if not scored or scored[0][0] < _LABEL_MATCH:
        return None
    if len(scored) > 1 and scored[1][0] >= scored[0][0] - 2:
        return None
    return scored[0][1]


_THANKS = frozenset({"cam on", "camon", "thanks", "thank you", "thx", "tks"})
_SAYS_YES = frozenset({"co", "dung", "phai", "yes", "vang", "da"})


def _closing(text: str) -> bool:
    """Thanks with only an "ok" ("ok cảm ơn", "dc roi cam on"): the person is done. "Có, cảm ơn"
    or "đúng rồi cảm ơn" still say yes."""
    folded = f" {fold(text)} "
    return any(f" {t} " in folded for t in _THANKS) and not set(folded.split()) & _SAYS_YES


@cache
def _negations() -> frozenset[str]:
    """The one-word "no" of the shared reply lexicon (không, ko, chưa, chẳng, not …)."""
    return frozenset(words[0] for words, meaning in default_lexicon().phrases.items()
                     if meaning == "no" and len(words) == 1)  # fmt: skip


def _closeness(typed: str, label: str) -> float:
    """How well typed words name a button: the whole label typed (inside a sentence too), most of
    its words, or nearly the label. Leaving out a "không" is no match: "cảm ơn" is not
    "Không, cảm ơn", and "làm được" is not "Chưa làm được"."""
    if not label:
        return 0.0
    if f" {label} " in f" {typed} ":
        return 100.0
    if len(typed) < 4:  # "ok", "1a": too short to be a label's words
        return 0.0
    words, label_words = set(typed.split()), set(label.split())
    if len(words) >= 2 and words <= label_words and 2 * len(words) >= len(label_words):
        return 0.0 if (label_words - words) & _negations() else 95.0
    return fuzz.ratio(typed, label)
