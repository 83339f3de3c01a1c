"""bot.core.normalize: abbreviations, teencode, dialect and English rewritten; typos repaired safely."""

from __future__ import annotations

import pytest

from bot.core.matcher import Matcher
from bot.core.normalize import Normalizer, split_units
from bot.core.text import fold
from bot.data.knowledge import KnowledgeBase
from tests.core.question_sets import every_question


@pytest.fixture(scope="module")
def norm(kb: KnowledgeBase) -> Normalizer:
    """The normaliser of a matcher over the real knowledge base (its vocabulary learned)."""
    return Matcher(kb).norm


def words(norm: Normalizer, text: str) -> str:
    return " ".join(norm(text))


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("cccd", "can cuoc"),
        ("ks", "khai sinh"),
        ("đkks", "dang ky khai sinh"),
        ("gplx", "giay phep lai xe"),
        ("bhyt", "bao hiem y te"),
        ("lltp", "ly lich tu phap"),
        ("mst", "ma so thue"),
        ("ntn", "nhu the nao"),
        ("ko", "khong"),
        ("j", "gi"),
        ("bn", "bao nhieu"),
        ("dk ko", "duoc khong"),
        ("dk", "dang ky"),
        ("o mo", "o dau"),
        ("passport", "ho chieu"),
        ("Passport", "ho chieu"),
        ("bé mới đẻ", "con moi sinh"),
        ("vo sap de", "vo sap sinh"),
        ("de lam cccd", "de lam can cuoc"),
        ("tthc", "thu tuc"),
        ("free", "mien phi"),
        ("chuyển nhà", "chuyen cho o"),
    ],
)
def test_synonyms_are_rewritten_to_their_canonical_words(
    norm: Normalizer, typed: str, canonical: str
) -> None:
    """Abbreviations, teencode, dialect and English terms become the knowledge base's words."""
    assert words(norm, typed) == canonical


def test_synonyms_are_rewritten_inside_a_sentence(norm: Normalizer) -> None:
    """Each synonym in a question is rewritten in place, the other words kept in order."""
    assert words(norm, "lam cccd o mo") == "lam can cuoc o dau"
    assert words(norm, "làm passport ở đâu") == "lam ho chieu o dau"
    assert words(norm, "đk vneid dk ko") == "dang ky vneid duoc khong"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("dk ko", "duoc khong"),  # not "dang ky khong"
        ("het bn tien", "het le phi"),  # "bn tien" wins over "bn"
        ("can cuoc cong dan", "can cuoc"),  # not "can cuoc cong dan" kept word by word
        ("dk ks", "dang ky khai sinh"),
        ("cc cd", "can cuoc"),
        ("mat vi roi", "mat wallet roi"),  # a wallet, read by its neighbour
        ("mat vi benh", "qua doi"),  # "mất vì bệnh": died of an illness, never a wallet
        ("mat vi de quen", "mat vi de quen"),  # "mất vì để quên": because, still no wallet
        ("danh roi vi", "mat wallet"),
    ],
)
def test_longest_synonym_phrase_wins(norm: Normalizer, typed: str, canonical: str) -> None:
    """A multi-word variant is rewritten before any shorter variant it contains."""
    assert words(norm, typed) == canonical


def test_expand_consumes_a_canonical_phrase_whole(norm: Normalizer) -> None:
    """A canonical phrase is kept as it is, never re-expanded word by word."""
    assert norm.expand(["dang", "ky", "khai", "sinh"]) == ["dang", "ky", "khai", "sinh"]
    assert norm.expand(["dk", "ko"]) == ["duoc", "khong"]
    assert norm.expand(["dk"]) == ["dang", "ky"]


@pytest.mark.parametrize(
    ("typed", "repaired"),
    [
        ("tam chu", "tam tru"),
        ("dang ky tam chu", "dang ky tam tru"),
        ("khai xinh", "khai sinh"),
        ("lam khai xinh cho con", "lam khai sinh cho con"),
        ("dang ky khai sing", "dang ky khai sinh"),
        ("dang ky ket hom", "dang ky ket hon"),
        ("khai bao tam vag", "khai bao tam vang"),
        ("dang ky se may", "dang ky xe may"),
        ("dang ky thuong tri", "dang ky thuong tru"),
        ("ddawng kys tamj truf", "dang ky tam tru"),
        ("cawn cuwowcs", "can cuoc"),
        ("ca8n cuo8c", "can cuoc"),
    ],
)
def test_typos_are_repaired_into_known_pairs(norm: Normalizer, typed: str, repaired: str) -> None:
    """Regional spellings, one-letter typos and Telex/VNI become the pair the knowledge base knows."""
    assert words(norm, typed) == repaired


def test_a_known_word_in_an_unknown_pair_is_repaired_to_the_procedure_name(norm: Normalizer) -> None:
    """The pair "tam van" (a dropped final g) becomes "tam vang", as the module documents."""
    assert words(norm, "tam van") == "tam vang"
    assert words(norm, "khai bao tam van") == "khai bao tam vang"


@pytest.mark.parametrize(
    "text",
    [
        "bong da",
        "thoi tiet",
        "ket qua bong da",
        "thoi tiet ngay mai",
        "troi mua to qua",
        "bong da viet nam",
        "co gai xinh dep",
        "mua rau o cho",
        "ban co khoe khong",
        "chu meo con",  # ("chu nha" is a synonym of the owner since the landlord FAQ)
        "xinh",
        "chu",
    ],
)
def test_ordinary_words_are_never_rewritten(norm: Normalizer, text: str) -> None:
    """Words outside any synonym and not forming a typo of a known pair come out as typed."""
    assert norm(text) == tuple(fold(text).split())


def test_knowledge_base_text_is_expanded_but_never_repaired(norm: Normalizer) -> None:
    """index_tokens rewrites synonyms but leaves unknown words alone: data is not guessed at."""
    assert norm.index_tokens("làm CCCD") == ["lam", "can", "cuoc"]
    assert norm.index_tokens("dang ky ket hom") == ["dang", "ky", "ket", "hom"]


def test_normalizer_without_vocabulary_does_not_repair(kb: KnowledgeBase) -> None:
    """Before learn() has run there is nothing to aim repairs at, so only synonyms apply."""
    fresh = Normalizer(kb.synonyms)
    assert fresh("dang ky ket hom") == ("dang", "ky", "ket", "hom")
    assert fresh("cccd") == ("can", "cuoc")


def test_normalizing_accented_and_plain_text_agrees(norm: Normalizer) -> None:
    """The same question with and without accents normalises to the same tokens."""
    assert norm("Đăng ký tạm trú ở đâu?") == norm("dang ky tam tru o dau")


def test_everyday_words_are_never_repaired_into_a_procedures_words(norm: Normalizer) -> None:
    """"xác nhận chưa kết hôn": "chưa" is one letter from "cha" and "nhận cha" is a procedure's
    name, but an everyday word is no typo; regional spellings still count ("tạm chú")."""
    assert norm("xác nhận chưa kết hôn") == ("xac", "nhan", "chua", "ket", "hon")
    assert norm("dang ky tam chu") == ("dang", "ky", "tam", "tru")


@pytest.mark.parametrize(("typed", "split"), [
    ("con e 14t", ["con", "e", "14", "tuoi"]),
    ("be 3th", ["be", "3", "thang"]),
    ("25tuoi", ["25", "tuoi"]),
    ("ca8n", ["ca8n"]),   # a VNI key, not a number and its unit: repaired later
    ("a1 b2", ["a1", "b2"]),
])  # fmt: skip
def test_a_number_glued_to_its_unit_is_two_words(typed: str, split: list[str]) -> None:
    assert split_units(typed.split()) == split


def test_an_age_typed_as_14t_is_an_age(norm: Normalizer) -> None:
    """"14t" was read as a VNI-typed "t" and "con e 14t lam cccd o dau" answered the tax code."""
    assert words(norm, "con e 14t lam cccd o dau") == "con e 14 tuoi lam can cuoc o dau"


@pytest.mark.parametrize(("typed", "expected"), [
    ("xac nhan chua vo", "xac nhan tinh trang hon nhan"),
    ("is there a deadline", "is there a thoi han"),
    ("get my copies certified", "get my chung thuc ban sao"),
    ("lam chung 1 lan dc ko", "lien thong duoc khong"),
    ("em la tinh nguyen vien", "em toi"),          # who is typing, not a request for a person
    ("i am a volunteer helping", "toi helping"),
    ("ba cu ko tu di duoc", "nguoi gia di lai kho khan"),
    ("can officers come to her house", "can office den tan nha"),
])  # fmt: skip
def test_plain_words_for_the_single_status_paper_deadlines_copies_and_combined(norm: Normalizer, typed: str,
                                                                               expected: str) -> None:  # fmt: skip
    assert words(norm, typed) == expected


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # someone of the family a few words before "mất", nothing lost after it: they died
        ("ba em mat hom qua", "ba em qua doi hom qua"),
        ("bà nội em mất tuần trước", "ba noi em qua doi tuan truoc"),
        ("chong toi mat", "chong toi qua doi"),
        ("ba em da mat", "ba em da qua doi"),
        ("ông cụ mất mấy tháng rồi", "nguoi gia qua doi may thang roi"),
        # a thing after it is lost; "mất bao lâu", "mất phí" ask how long, how much
        ("ba em mat the cccd", "ba em mat can cuoc"),
        ("bo em mat het giay to", "bo em mat het giay to"),
        ("bo em lam cccd mat bao lau", "bo em lam can cuoc mat bao lau"),
        ("me em mat dien thoai", "me em mat dien thoai"),
        # the groups still read their phrases: died of an illness; a wallet
        ("ba em mat vi benh", "ba em qua doi"),
        ("ba em mat vi roi", "ba em mat wallet roi"),
        # "còn", "có", "chủ" fold like family words and are not taken for them
        ("lam cccd co mat phi khong", "lam can cuoc co mat le phi khong"),
    ],
)
def test_mat_after_a_family_member_is_a_death(norm: Normalizer, typed: str, meant: str) -> None:
    """"Ba em mất hôm qua" — a father (or grandmother) died — was matched as the accommodation
    notice: "mất" read as lost because only "bố mất", "mất rồi" were known. A family word up to
    three words before "mất" makes it "qua đời", unless a lost thing or "bao lâu" follows."""
    assert words(norm, typed) == meant


@pytest.mark.parametrize("typed", ["ba khong di duoc", "bà cụ ko đi được", "ong noi ko di dc"])
def test_an_old_relative_who_cannot_go_is_one_who_cannot_travel(norm: Normalizer, typed: str) -> None:
    """"Bà không đi được" after the card's answer is the home-visit case; "hôm nay không đi được"
    (not today) stays as typed."""
    assert words(norm, typed) == "di lai kho khan"
    assert "kho" not in norm("hom nay khong di duoc")


@pytest.mark.parametrize(("typed", "meant"), [
    ("bà nội đi hôm qua rồi", "ba noi qua doi hom qua roi"),
    ("ong e vua di tuan truoc", "ong e vua qua doi tuan truoc"),
    ("me em di cho roi", "me em di cho roi"),
    ("chong em di hom qua roi", "chong em di hom qua roi"),
])  # fmt: skip
def test_an_elder_who_went_yesterday_passed_away(norm: Normalizer, typed: str, meant: str) -> None:
    """"Bà nội đi hôm qua rồi" (passed away, said kindly) was answered as the accommodation notice:
    an elder a few words before "đi", with a time or "rồi" right after, is a death; "đi chợ" is
    going somewhere, and a husband who "đi hôm qua" may have left for work."""
    assert words(norm, typed) == meant


def _expand_every_length(norm: Normalizer, toks: list[str], fixed: set[int]) -> list[str]:
    """``Normalizer.expand`` as it was: every phrase length tried at every word."""
    out: list[str] = []
    i = 0
    while i < len(toks):
        if i in fixed:
            out.append(toks[i])
            i += 1
            continue
        for n in range(min(norm._longest, len(toks) - i), 0, -1):
            if any(j in fixed for j in range(i, i + n)):
                continue
            canonical = norm._phrases.get(tuple(toks[i : i + n]))
            if canonical is not None:
                out.extend(canonical)
                i += n
                break
        else:
            out.append(toks[i])
            i += 1
    return out


def test_expand_tries_only_the_phrases_a_word_opens(norm: Normalizer, kb: KnowledgeBase) -> None:
    """Looking up only the phrase lengths each word opens rewrites every question and every
    synonym exactly as trying every length at every word does."""
    samples = [fold(t).split() for t in every_question()]
    samples += [["lam", *key, "o", "dau"] for key in norm._phrases]  # each phrase, whole, in a sentence
    for toks in samples:
        read, fixed = norm.in_context(toks)
        assert norm.expand(read, fixed) == _expand_every_length(norm, read, fixed), toks


def test_index_tokens_are_kept_and_never_shared(kb: KnowledgeBase) -> None:
    """A text read twice gives equal tokens, each call its own list (callers extend them)."""
    fresh = Normalizer(kb.synonyms)
    first = fresh.index_tokens("làm CCCD ở đâu")
    first.append("x")
    assert fresh.index_tokens("làm CCCD ở đâu") == ["lam", "can", "cuoc", "o", "dau"]
    assert Normalizer(kb.synonyms).index_tokens("làm CCCD ở đâu") == ["lam", "can", "cuoc", "o", "dau"]
