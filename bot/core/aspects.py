"""Which part of a procedure a question asks about: papers, fees, deadlines and penalties, where/online."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from itertools import pairwise

ON_VNEID = frozenset({"tren vneid", "qua vneid", "bang vneid"})
"""'Làm trên VNeID được không' after an answer asks whether that procedure can be done online,
not about the VNeID account."""

# Canonical (normalised) words and pairs; see knowledge/synonyms.yaml for what folds into them.
# "gia" is not a fee word on its own: without accents it is as often "già" (old) or "gia hạn" as
# "giá" (price), so "bà già rồi đi lại khó" asks nothing about money.
_ASPECTS: tuple[tuple[str, frozenset[str]], ...] = (
    ("fees", frozenset({"le phi", "phi", "tien", "bao nhieu", "mien phi", "gia tien", "gia ca", "bao lau",
                        "thoi gian", "ngay", "lau"})),
    # Deadlines and penalties have their own section (answers.SECTIONS "rules"); a procedure without
    # them answers from its fees section instead (answers.procedure_answer).
    ("rules", frozenset({"han", "thoi han", "phat", "tre", "cham", "qua han", "het han", "co sao"})),
    # "có cần giấy khám sức khỏe không", "cần hợp đồng thuê nhà không": whether a paper is needed
    ("papers", frozenset({"giay to", "ho so", "can gi", "can nhung", "chuan bi", "mang gi", "mang theo", "can mang",
                          "papers", "to khai", "giay gi", "giay nao", "can giay", "can hop"})),
    ("online", frozenset({"o dau", "truc tuyen", "noi nao", "cho nao", "dia chi", "nop o", "di dau", "lam dau",
                          "nop dau", "dau lam", "tai dau", "co quan", "ai cap", "weekend", "may gio", "gio lam", "nop ho",
                          "den dau", "xa nao", "phuong nao", "cho dau", "ra dau", "qua dien", *ON_VNEID})),
)  # fmt: skip

_AMOUNT = frozenset({"bao nhieu", "tien", "ngay", "bao lau", "lau", "thoi gian"})
"""Words that ask how much or how long of whatever the question is about: "phạt bao nhiêu tiền"
asks the fine, "hạn mấy ngày" the deadline; only with nothing else named do they ask the fee."""
_STATE = frozenset({"het han", "qua han"})
"""How things stand, not what is asked: "hộ chiếu hết hạn làm lại ở đâu" asks where; alone
("khai sinh quá hạn") they ask about deadlines and penalties."""
_LOST = frozenset({"mat", "wallet", "trom", "cuop"})
"""Before "giấy tờ" these make it what was lost ("bị móc túi mất hết giấy tờ"), not papers asked for."""
_DOING = frozenset({"lam", "khai", "bao", "dang", "doi", "nop", "di", "dong", "dk", "gia", "sang", "xin"})
_WHAT_IF = (("thi", "sao"), ("co", "sao", "khong"), ("co", "sao"), ("thi", "co", "sao", "khong"),
            ("co", "bi", "gi", "khong"), ("thi", "nhu", "the", "nao"), ("co", "sao", "ko"),
            ("bi", "gi", "khong"), ("thi", "bi", "gi"))  # fmt: skip
"""'Không làm thì sao', 'không báo có sao không', 'ko báo thì bị chi ko' (Nghệ An "chi" = gì): what
happens if it is not done (penalties)."""


HOW = ("nhu", "the", "nao")
"""What "ntn", "thế nào", "làm sao", "how do I" fold into (knowledge/synonyms.yaml): asked after
an answer, with nothing else to say, it asks how to do the procedure in hand."""


def _what_if_not(tokens: Sequence[str]) -> bool:
    """'(Nếu) không khai thì sao', 'ko báo có sao ko': not doing it, and what happens then."""
    at = 1 if tokens[:1] == ["neu"] else 0
    if tokens[at : at + 1] != ["khong"] or len(tokens) < at + 3 or tokens[at + 1] not in _DOING:
        return False
    return any(tuple(tokens[-len(end) :]) == end for end in _WHAT_IF)


_SPANS = frozenset({"ngay", "tuan", "thang", "nam"})
_ON_PORTAL = frozenset({"tren dich", "qua dich", "tren cong", "qua cong"})
_HANDED_IN = frozenset({"nop o", "nop dau", "nop tai"})


def _overdue(tokens: list[str]) -> list[str]:
    """"Quá 60 ngày", "quá 15 ngày mới khai" read as "quá hạn": past a deadline by so long is how
    things stand, not a question of how long it takes."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i] == "qua" and i + 2 < len(tokens) and tokens[i + 1].isdigit() and tokens[i + 2] in _SPANS:
            out += ["qua", "han"]
            i += 3
        else:
            out.append(tokens[i])
            i += 1
    return out


def detect_aspect(tokens: Sequence[str]) -> str | None:
    """The section to show first for a question, or None for the overview."""
    return _detect_aspect(tuple(tokens))


@functools.lru_cache(maxsize=4096)
def _detect_aspect(given: tuple[str, ...]) -> str | None:
    # Kept per token tuple: one turn asks it of the same message two or three times, and common
    # questions repeat (a pure function of the words and the tables above).
    tokens = _overdue(list(given))
    if _what_if_not(tokens):
        return "rules"
    words = set(tokens)
    pairs = [f"{a} {b}" for a, b in pairwise(tokens)]
    state = {p for p in pairs if p in _STATE}
    lost = any(p == "giay to" and i > 0 and set(tokens[max(0, i - 2) : i + 1]) & _LOST for i, p in enumerate(pairs))
    hits: dict[str, int] = {}
    amount = 0
    for name, keys in _ASPECTS:
        found = [k for k in (*(keys & words), *(k for k in keys & set(pairs))) if k not in _STATE]
        if name == "rules" and state:
            found = [k for k in found if k != "han"]  # the "hạn" of "hết hạn" is the state, not a question
        if name == "papers" and lost:
            found = [k for k in found if k != "giay to"]
        if name == "papers" and _HANDED_IN & set(pairs):
            found = [k for k in found if k != "ho so"]  # "hồ sơ … nộp ở trung tâm nào": the file handed in, where
        if name == "fees":  # "phạt bao nhiêu tiền" folds to "phạt lệ phí": the amount of the fine
            fined = {"le phi", "phi"} if "phat le" in pairs else set()
            amount = sum(1 + (" " in k) for k in found if k in _AMOUNT or k in fined)
            found = [k for k in found if k not in _AMOUNT and k not in fined]
        if found:
            hits[name] = sum(1 + (" " in k) for k in found)
    if amount:  # how much or how long: of the deadline or fine when one is named, else the fee
        if "rules" in hits and "fees" not in hits:
            hits["rules"] += amount
        else:
            hits["fees"] = hits.get("fees", 0) + amount
    if not hits:
        if state:
            return "rules"
        # "nhập hộ khẩu trên dịch vụ công được ko", asking nothing else: whether it is done on the portal
        return "online" if tokens[-2:] == ["duoc", "khong"] and _ON_PORTAL & set(pairs) else None
    best = max(hits.values())
    return next(name for name, _keys in _ASPECTS if hits.get(name) == best)


# How people ask about an aspect, in whole phrases (folded; the matcher folds them again with the
# knowledge base's synonyms). Taken off a question the matcher was unsure of, what is left must
# name the procedure on its own: "làm căn cước cần giấy tờ gì" is "làm căn cước".
ASKING_PHRASES: tuple[str, ...] = (
    "can nhung giay to gi", "can nhung giay to nao", "can giay to gi", "can giay to nao", "can giay to",
    "can nhung gi", "can mang nhung gi", "mang nhung gi", "can ho so gi", "can mang theo gi", "can mang gi", "can chuan bi gi", "can chuan bi nhung gi",
    "ho so gom nhung gi", "ho so gom", "giay to gi", "giay to nao", "mang theo gi", "chuan bi gi",
    "can nhung giay gi", "can giay gi", "can giay nao", "giay gi", "giay nao",
    "can lam gi", "phai lam gi", "lam gi", "can gi",
    "het bao nhieu tien", "bao nhieu tien", "het bao nhieu", "mat bao lau", "bao lau", "le phi", "bao nhieu",
    "lam o dau", "nop o dau", "o dau", "nhu the nao", "the nao", "ra sao", "lam sao", "lam the nao",
    "what papers do i need", "what do i need", "how much", "how long", "where",
)  # fmt: skip

ASPECT_KEYS = frozenset(key for _name, keys in _ASPECTS for key in keys)
"""Every aspect word and phrase as such ("o dau", "le phi"): asking, never naming."""

ASPECT_WORDS = frozenset(w for _name, keys in _ASPECTS for key in keys for w in key.split()) - {"vneid"}
"""Every word of the aspect phrases: a message made only of these (and filler) is a follow-up.
VNeID is left out: it also names the account, which a follow-up may switch to."""


_PLAIN_ASKING = ("papers", "online")
"""Aspects asked in words that also name things ("giấy tờ", "hồ sơ", "trực tuyến"): shared with a
common problem's phrasing they say nothing about it. Fees and deadlines words ("phạt", "quá hạn",
"miễn phí") often are the problem itself."""


def asking_words(tokens: Sequence[str]) -> frozenset[str]:
    """The words of the papers or where/online phrases a question asks with ("giấy tờ", "ở đâu",
    "trực tuyến"), when that is the part it asks."""
    aspect = detect_aspect(tokens)
    if aspect not in _PLAIN_ASKING:
        return frozenset()
    # "nộp hồ sơ" is handing the file in, often the very problem asked about ("các bước nộp hồ sơ")
    keys = next(keys for name, keys in _ASPECTS if name == aspect) - {"ho so"}
    pairs = {(a, b) for a, b in pairwise(tokens) if f"{a} {b}" in keys}
    return frozenset({w for pair in pairs for w in pair} | {t for t in tokens if t in keys})
