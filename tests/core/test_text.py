"""bot.core.text: folding what people type, and the readings of Telex/VNI and regional spellings."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.text import fold, kept_per_text, regional_variants, telex_repairs, tokens

# --- fold ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Làm CCCD ở đâu ạ??", "lam cccd o dau a"),
        ("đăng ký thường trú", "dang ky thuong tru"),
        ("hộ chiếu phổ thông", "ho chieu pho thong"),
        ("ơ ư ô â ă ê", "o u o a a e"),
        ("Ỷ Ỹ Ỵ Ý Ỳ", "y y y y y"),
    ],
)
def test_fold_removes_accents(text: str, folded: str) -> None:
    """Folding strips every Vietnamese tone and vowel mark."""
    assert fold(text) == folded


@pytest.mark.parametrize("text", ["đ", "Đ", "đĐ"])
def test_fold_turns_d_with_stroke_into_d(text: str) -> None:
    """Both đ and Đ become a plain d, which Unicode decomposition alone would not do."""
    assert fold(text) == "d" * len(text)


def test_fold_gives_the_same_key_for_nfc_and_nfd_input() -> None:
    """Precomposed (NFC) and combining-mark (NFD) spellings of a sentence fold alike."""
    nfc = unicodedata.normalize("NFC", "Đăng ký tạm trú ở Nghệ An được không?")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    assert fold(nfc) == fold(nfd) == "dang ky tam tru o nghe an duoc khong"


def test_fold_lowercases() -> None:
    """Upper, lower and mixed case fold to the same lower-case key."""
    assert fold("CCCD") == fold("Cccd") == fold("cCcD") == "cccd"
    assert fold("VNeID MỨC 2") == "vneid muc 2"


def test_fold_replaces_punctuation_with_single_spaces() -> None:
    """Punctuation splits words and never leaves double or edge spaces."""
    assert fold("  căn-cước,,, (CCCD)...  ở đâu?!  ") == "can cuoc cccd o dau"


def test_fold_removes_emoji() -> None:
    """Emoji are dropped, the words around them kept."""
    assert fold("xin chào 😀 bạn 🙏🙏") == "xin chao ban"
    assert fold("😀😀😀") == ""


def test_fold_treats_control_characters_as_spaces() -> None:
    """Control characters separate words instead of gluing them together or surviving."""
    assert fold("lam\x00cccd\x07o\x1fdau\x7f") == "lam cccd o dau"
    assert fold("hello\tworld\r\nnew") == "hello world new"


@pytest.mark.parametrize(
    ("text", "folded"),
    [("khongggg", "khong"), ("dauuu", "dau"), ("Đâuuuuu", "dau"), ("ko điiii", "ko di"), ("zzz", "z")],
)
def test_fold_collapses_letters_repeated_for_emphasis(text: str, folded: str) -> None:
    """A vowel or final letter typed three or more times counts once."""
    assert fold(text) == folded


@pytest.mark.parametrize("text", ["cccd", "lam cccd o dau", "xoong", "coo"])
def test_fold_keeps_letters_that_are_really_doubled(text: str) -> None:
    """Real doubled letters ("cccd", double vowels) stay as typed."""
    assert fold(text) == text


def test_tokens_are_the_folded_words() -> None:
    """tokens() splits the folded text into words."""
    assert tokens("Làm  CCCD, ở đâu?") == ["lam", "cccd", "o", "dau"]


@given(st.text())
def test_fold_output_is_plain_lowercase_ascii_words(text: str) -> None:
    """Any input folds to lower-case ASCII letters and digits separated by single spaces."""
    folded = fold(text)
    assert re.fullmatch(r"(?:[0-9a-z]+(?: [0-9a-z]+)*)?", folded), folded


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    """Folding a folded text changes nothing."""
    once = fold(text)
    assert fold(once) == once


# --- telex_repairs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "reading"),
    [
        ("ddawng", "dang"),
        ("kys", "ky"),
        ("cawn", "can"),
        ("cuwowcs", "cuoc"),
        ("ddinhj", "dinh"),
        ("tamj", "tam"),
        ("truwf", "tru"),
        ("ca8n", "can"),
    ],
)
def test_telex_repairs_reads_unconverted_keys(typed: str, reading: str) -> None:
    """Telex and VNI keys left unconverted are read as the plain word."""
    assert reading in telex_repairs(typed)


@pytest.mark.parametrize("word", ["can", "dang", "ky", "hello", "vneid", "123"])
def test_telex_repairs_offers_nothing_for_plain_words(word: str) -> None:
    """A word with no Telex or VNI keys in it has no other reading."""
    assert telex_repairs(word) == []


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12))
def test_telex_repairs_never_returns_the_word_itself(word: str) -> None:
    """Every reading differs from what was typed and is made of letters only."""
    for reading in telex_repairs(word):
        assert reading != word
        assert reading.isalpha()


# --- regional_variants -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "variant"),
    [("chu", "tru"), ("tru", "chu"), ("xinh", "sinh"), ("sinh", "xinh"), ("dang", "giang"),
     ("dang", "rang"), ("giay", "day"), ("rang", "dang"), ("nam", "lam"), ("lam", "nam")],
)  # fmt: skip
def test_regional_variants_swaps_confused_first_consonants(word: str, variant: str) -> None:
    """tr/ch, s/x, d/gi/r and l/n spellings are offered for one another."""
    assert variant in regional_variants(word)


def test_regional_variants_does_not_treat_ng_as_n() -> None:
    """The consonant "ng" is not "n", so "nguoi" has no l/n variant."""
    assert regional_variants("nguoi") == []
    assert regional_variants("ngay") == []


def test_regional_variants_only_changes_the_first_consonant() -> None:
    """Words starting with an unconfused consonant have no variants, and the rest of a word is kept."""
    assert regional_variants("tam") == []
    assert regional_variants("khai") == []
    assert all(v.endswith("inh") for v in regional_variants("xinh"))


def _fold_by_character(text: str) -> str:
    """The plain definition fold must keep to: drop every combining mark, one character at a time."""
    text = text.translate({c: " " for c in range(32)} | {0x7F: " "}).replace("Đ", "d").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d").replace("ð", "d")
    words = re.sub(r"[^0-9a-z]+", " ", stripped)
    return re.sub(r"([aeiouy])\1{2,}|([a-z])\2{2,}\b", lambda m: m.group(1) or m.group(2), words).strip()


def test_fold_equals_the_character_by_character_definition_on_every_text_we_hold() -> None:
    """The fast fold (one str.translate) folds the knowledge base, the flows and every test
    question exactly as the per-character definition does, and every Vietnamese letter too."""
    root = Path(__file__).resolve().parents[2]
    lines = [line for pattern in ("knowledge/**/*.yaml", "flows/*.yaml", "tests/**/*.yaml")
             for path in root.glob(pattern) for line in path.read_text(encoding="utf-8").splitlines()]  # fmt: skip
    letters = "aăâeêioôơuưyđ"
    lines += [unicodedata.normalize(form, f"{b}{mark}x") for b in letters + letters.upper()
              for mark in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323") for form in ("NFC", "NFD")]  # fmt: skip
    assert len(lines) > 5_000
    differ = [line for line in lines if fold(line) != _fold_by_character(line)]
    assert differ == []


def test_kept_per_text_keeps_short_texts_only() -> None:
    """A reading is worked out once per short text, and every time for a text too long to keep."""
    calls: list[str] = []
    words = kept_per_text(lambda text: calls.append(text) or len(text.split()))
    long = "chữ " * 200
    assert [words("làm cccd"), words("làm cccd"), words(long), words(long)] == [2, 2, 200, 200]
    assert calls == ["làm cccd", long, long]
