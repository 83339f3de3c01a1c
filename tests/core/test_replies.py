"""Yes, no and "I don't know" as citizens type them, and the messages that are not answers at all."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.core.replies import Reply, accepts_suggestion, echoed_reply, parse_dont_know, parse_yesno, read_reply
from bot.data.paths import knowledge_dir
from bot.data.replies import load_replies
from bot.errors import DataError
from tests.core.question_sets import every_question

YES, NO, IDK = Reply.YES, Reply.NO, Reply.DONT_KNOW

# (typed, expected) with no question context: the reply must say it on its own.
TABLE: list[tuple[str, Reply | None]] = [
    # --- yes, accents or not, shorthand, with polite particles
    ("có", YES), ("co", YES), ("Có", YES), ("CÓ", YES), ("có ạ", YES), ("co a", YES), ("Có ạ.", YES),
    ("dạ có", YES), ("da co", YES), ("dạ có ạ", YES), ("dạ", YES), ("vâng", YES), ("vâng ạ", YES),
    ("vang a", YES), ("dạ vâng", YES), ("ừ", YES), ("ừ ừ", YES), ("uh", YES), ("uhm", YES), ("um", YES),
    ("ừm", YES), ("uk", YES), ("ờ", YES), ("đúng", YES), ("dung roi", YES), ("đúng rồi", YES),
    ("ừ đúng rồi", YES), ("đúng vậy", YES), ("phải", YES), ("phải rồi", YES), ("được", YES), ("đc", YES),
    ("dc", YES), ("được thôi", YES), ("cũng được", YES), ("đồng ý", YES), ("dong y", YES), ("ok", YES),
    ("OK", YES), ("oke", YES), ("okie", YES), ("ok luôn", YES), ("ok nhé", YES), ("rồi", YES),
    ("có rồi", YES), ("co roi", YES), ("có chứ", YES), ("có chứ anh", YES), ("có luôn", YES),
    ("chuẩn", YES), ("có nha", YES), ("có nhé em", YES), ("dạ có bác", YES), ("vâng cảm ơn", YES),
    ("ok cảm ơn bạn", YES), ("có, cảm ơn", YES), ("Có!!!", YES), ("cóooo", YES), ("có 😊", YES),
    ("yes", YES), ("Yes", YES), ("y", YES), ("yep", YES), ("yeah", YES), ("sure", YES), ("of course", YES),
    ("yes please", YES), ("ok thanks", YES), ("right", YES), ("correct", YES), ("i think so", YES),
    ("có nè", YES), ("rồi nè", YES), ("có ạ em cảm ơn nhiều", YES), ("okela", YES), ("sure thing", YES),
    ("có chứ sao không", YES), ("được chứ sao không", YES), ("có sao không", None), ("không hẳn", NO), ("no sorry", NO), ("ko rõ lắm", IDK),
    # --- no, and negation winning over yes
    ("không", NO), ("khong", NO), ("ko", NO), ("k", NO), ("kh", NO), ("hông", NO), ("hok", NO),
    ("khum", NO), ("không ạ", NO), ("dạ không", NO), ("dạ không ạ", NO), ("ko a", NO), ("chưa", NO),
    ("chưa ạ", NO), ("dạ chưa", NO), ("chưa có", NO), ("chua co", NO), ("không có", NO), ("ko có", NO),
    ("ko có đâu", NO), ("không phải", NO), ("ko phải", NO), ("không đúng", NO), ("sai", NO),
    ("thôi", NO), ("thôi khỏi", NO), ("khỏi", NO), ("không cần", NO), ("ko cần", NO), ("k cần", NO),
    ("ko cần đâu", NO), ("không cần đâu ạ", NO), ("thôi không cần", NO), ("không muốn", NO),
    ("chưa bao giờ", NO), ("có, không cần", NO), ("ừ không", NO), ("không nha", NO), ("ko đâu anh", NO),
    ("không, cảm ơn", NO), ("đâu có", NO), ("làm gì có", NO),
    # --- a clear reply, then why
    ("có, ở bệnh viện", YES), ("ko, em sinh ở nhà", NO), ("không, sim của vợ", NO),
    ("co, di xuat khau lao dong", YES), ("dạ có - hôm qua", YES), ("chưa. đang chờ giấy", NO),
    # --- shorthand and Nghệ An words
    ("r", YES), ("rùi", YES), ("oy", YES), ("xong r", YES), ("r ạ", YES), ("nỏ", NO), ("nỏ có", NO),
    ("hổng có", NO), ("nỏ biết", IDK), ("nỏ nhớ", IDK), ("k bik", IDK), ("ko nhớ rõ", IDK), ("hok nhớ", IDK),
    ("no", NO), ("No", NO), ("nope", NO), ("nah", NO), ("not yet", NO), ("no thanks", NO), ("n", NO),
    # --- I don't know: never no
    ("không biết", IDK), ("ko biết", IDK), ("k biết", IDK), ("ko bt", IDK), ("k bt", IDK), ("kb", IDK),
    ("không bít", IDK), ("chưa biết", IDK), ("chưa rõ", IDK), ("không rõ", IDK), ("ko rõ", IDK),
    ("không nhớ", IDK), ("quên rồi", IDK), ("không chắc", IDK), ("chưa chắc", IDK), ("chịu", IDK),
    ("bó tay", IDK), ("không biết ạ", IDK), ("dạ không biết", IDK), ("em không biết nữa", IDK),
    ("idk", IDK), ("i don't know", IDK), ("dont know", IDK), ("not sure", IDK), ("no idea", IDK),
    ("i'm not sure", IDK), ("không rõ lắm", IDK), ("có thể", IDK), ("có lẽ", IDK), ("maybe", IDK),
    # --- not answers: questions, content words, empty
    ("có mất tiền không", None), ("có mất phí không", None), ("co mat tien ko", None),
    ("có không", None), ("có k", None), ("phải không", None), ("phải không?", None),
    ("có phải không", None), ("rồi chưa", None), ("có chưa", None), ("có?", None), ("ok?", None),
    ("không?", None), ("có à", None), ("có hả", None), ("được không", None),
    ("có nhưng mà ở xa", None), ("có ở bệnh viện", None), ("ko em sinh ở nhà", None),
    ("có, mà có mất tiền không", None), ("ok. cho hỏi có mất phí không", None),
    ("bệnh viện", None), ("đi đâu làm", None), ("làm căn cước ở đâu", None), ("hello", None),
    ("cảm ơn", None), ("ạ", None), ("", None), ("   ", None), ("???", None), ("1", None), ("2", None),
    ("3/5/2025", None), ("0912345678", None), ("không có tiền thì sao", None),
    ("cho mình hỏi", None), ("tôi muốn hỏi về khai sinh", None), ("có cần mang sổ hộ khẩu không", None),
    ("ko biết làm ở đâu", None), ("không có giấy tờ gì", None), ("yes but where", None),
    ("no i want to ask something else", None), ("what", None), ("hủy", None),
    ("ở đâu", None), ("o dau", None), ("ở đâu ạ", None), ("thế nộp ở đâu", None), ("o dau vay", None),
    ("có " * 20, None),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "expected"), TABLE, ids=[repr(t) for t, _e in TABLE])
def test_reply_is_read_as_people_type_it(typed: str, expected: Reply | None) -> None:
    """A reply is read as yes, no or don't-know only when it is nothing else."""
    assert read_reply(typed) is expected


def test_the_table_is_large_and_has_negatives() -> None:
    """The table holds at least 100 rows, at least 30 of which must read as no answer."""
    assert len(TABLE) >= 100
    assert sum(e is None for _t, e in TABLE) >= 30


BIRTH_MARRIED = "Cha mẹ bé đã đăng ký kết hôn chưa? Are the baby's parents married (registered)?"
CONSENT = "Bạn có muốn một tình nguyện viên gọi lại cho bạn không?"
DIVORCED = "Có ai trong hai bạn đã từng kết hôn và ly hôn chưa?"
COMBINED = "Bạn có muốn làm liên thông một lần: khai sinh + đăng ký thường trú + thẻ BHYT cho bé?"

ECHO: list[tuple[str, str, Reply | None]] = [
    (BIRTH_MARRIED, "đăng ký rồi", YES), (BIRTH_MARRIED, "đã đăng ký rồi ạ", YES),
    (BIRTH_MARRIED, "chưa đăng ký", NO), (BIRTH_MARRIED, "dạ chưa đăng ký ạ", NO),
    (BIRTH_MARRIED, "đăng ký", YES), (BIRTH_MARRIED, "đăng ký chưa", None),
    (BIRTH_MARRIED, "kết hôn rồi", YES), (BIRTH_MARRIED, "chưa kết hôn", NO),
    (BIRTH_MARRIED, "kết hôn", None), (BIRTH_MARRIED, "ly hôn rồi", None),
    (BIRTH_MARRIED, "yes they are married", YES), (BIRTH_MARRIED, "no, not registered", NO),
    (CONSENT, "muốn", YES), (CONSENT, "muốn ạ", YES), (CONSENT, "không muốn", NO),
    (CONSENT, "gọi lại cho em nhé", None), (CONSENT, "có gọi lại cho em", YES),
    (CONSENT, "có mất tiền không", None), (CONSENT, "tình nguyện viên là ai", None),
    (COMBINED, "muốn làm liên thông", YES), (COMBINED, "thẻ bhyt", None),
    # the question's words said another way: "dk" for "đăng ký", "cưới" for "kết hôn"
    (BIRTH_MARRIED, "chua dk", NO), (BIRTH_MARRIED, "co dk roi", YES), (BIRTH_MARRIED, "cưới rồi", YES),
    (BIRTH_MARRIED, "chua cuoi", NO), (BIRTH_MARRIED, "cưới", None), (BIRTH_MARRIED, "ks roi", None),
    (CONSENT, "dk roi", None),
    (COMBINED, "không làm liên thông", NO), (COMBINED, "liên thông là gì", None),
    # "Có ai … không?" answered "nobody" ("có ai đâu" says no, too); asking back is no answer
    (DIVORCED, "ko ai ca", NO), (DIVORCED, "không ai cả ạ", NO), (DIVORCED, "chua ai", NO),
    (DIVORCED, "có ai đâu", NO), (DIVORCED, "ko co ai", NO), (DIVORCED, "co ai ko", None),
    (DIVORCED, "có 1 người", None),
    # the question's words with "at all", "ever" ("cả", "lần nào"); "đâu" after a yes denies it
    (DIVORCED, "chưa ai ly hôn cả", NO), (DIVORCED, "chua ai ly hon ca", NO), (DIVORCED, "chưa kết hôn lần nào", NO),
    (DIVORCED, "có ly hôn đâu", NO), (DIVORCED, "có đâu ạ", NO), (BIRTH_MARRIED, "có đâu", NO),
    (BIRTH_MARRIED, "có đăng ký đâu", NO), (DIVORCED, "có ạ", YES), (DIVORCED, "ly hôn rồi", YES),
    (DIVORCED, "ly hôn ở đâu", None),
    # "nó" (he, she, it) typed with its accent is who answers, not the English "no": "nó đăng ký rồi" is yes
    (BIRTH_MARRIED, "nó đăng ký rồi", YES), (BIRTH_MARRIED, "nó cưới rồi", YES), (BIRTH_MARRIED, "Nó chưa", NO),
    (DIVORCED, "no", NO),
]  # fmt: skip


@pytest.mark.parametrize(("question", "typed", "expected"), ECHO, ids=[f"{t!r}" for _q, t, _e in ECHO])
def test_words_of_the_question_may_be_echoed(question: str, typed: str, expected: Reply | None) -> None:
    """An answer may repeat the question's words; the verb echoed alone ("muốn ạ") is a yes."""
    assert read_reply(typed, question) is expected


ECHOED: list[tuple[str, str, Reply | None]] = [
    (BIRTH_MARRIED, "bố mẹ cưới rồi", YES), (BIRTH_MARRIED, "chưa đăng ký kết hôn", NO), (BIRTH_MARRIED, "chua dk", NO),
    (COMBINED, "muon lam lien thong luon", YES), (COMBINED, "không làm liên thông", NO),
    # a bare reply, or one echoing only words any question has, could answer any question
    (BIRTH_MARRIED, "có", None), (BIRTH_MARRIED, "rồi", None), (COMBINED, "muốn làm", None), (CONSENT, "không muốn", None),
    # a question, don't-know, or words of its own are no answer
    (BIRTH_MARRIED, "kết hôn rồi thì sao", None), (BIRTH_MARRIED, "chưa biết đăng ký chưa", None),
    (COMBINED, "liên thông là gì", None), (BIRTH_MARRIED, "cưới rồi nhưng chưa có giấy", None),
]  # fmt: skip


@pytest.mark.parametrize(("question", "typed", "expected"), ECHOED, ids=[f"{t!r}" for _q, t, _e in ECHOED])
def test_an_answer_in_the_questions_own_words(question: str, typed: str, expected: Reply | None) -> None:
    """What may answer a question before it is asked: a yes or no saying which question it answers."""
    assert echoed_reply(typed, question) is expected


def test_parse_yesno_leaves_dont_know_to_its_own_function() -> None:
    """parse_yesno gives only yes/no; "không biết" is None there and True for parse_dont_know."""
    assert parse_yesno("dạ có") == "yes"
    assert parse_yesno("ko cần đâu") == "no"
    assert parse_yesno("không biết") is None
    assert parse_dont_know("ko bt") is True
    assert parse_dont_know("không") is False
    assert parse_dont_know("có mất tiền không") is False


def test_reading_a_reply_is_fast() -> None:
    """A reply is read in well under a millisecond (it runs on every turn of a pending question)."""
    samples = [t for t, _e in TABLE] + [t for _q, t, _e in ECHO]
    read_reply("warm up")
    started = time.perf_counter()
    for _ in range(20):
        for text in samples:
            read_reply(text, BIRTH_MARRIED)
    per_call = (time.perf_counter() - started) / (20 * len(samples))
    assert per_call < 0.001


def _write(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "replies.yaml").write_text(body, encoding="utf-8")
    return folder


def test_the_shipped_lexicon_loads() -> None:
    """knowledge/replies.yaml loads and knows the basic words."""
    lexicon = load_replies(knowledge_dir())
    assert lexicon.phrases[("co",)] == "yes"
    assert lexicon.phrases[("khong",)] == "no"
    assert lexicon.phrases[("khong", "biet")] == "dont_know"


def test_a_phrase_with_two_meanings_is_an_error_naming_its_line(tmp_path: Path) -> None:
    """A word listed as both yes and no is refused with the file, line and field."""
    folder = _write(tmp_path, "version: 1\nyes: [có, ok]\nno:\n  - không\n  - OK\ndont_know: [không biết]\n")
    with pytest.raises(DataError) as caught:
        load_replies(folder)
    assert any(p.startswith("knowledge/replies.yaml:5: no: 'OK' is also listed under yes") for p in caught.value.problems)


def test_a_missing_field_is_an_error_naming_the_field(tmp_path: Path) -> None:
    """A lexicon without its `no` list is refused, naming the field."""
    folder = _write(tmp_path, "version: 1\nyes: [có]\ndont_know: [không biết]\n")
    with pytest.raises(DataError) as caught:
        load_replies(folder)
    assert any("no: this field is required" in p for p in caught.value.problems)


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    """Without knowledge/replies.yaml the loader says the file is required."""
    with pytest.raises(DataError) as caught:
        load_replies(tmp_path)
    assert caught.value.problems == ["knowledge/replies.yaml: missing; this file is required"]


def test_an_echo_variant_that_is_a_reply_word_is_an_error_naming_its_line(tmp_path: Path) -> None:
    """A way of saying a question's words may not also be a yes/no word: the file, line and field say so."""
    folder = _write(tmp_path, "version: 1\nyes: [có]\nno: [không]\ndont_know: [chịu]\n"
                              "echo_variants:\n  đăng ký: [dk]\n  đồng ý:\n    - chịu\n")  # fmt: skip
    with pytest.raises(DataError) as caught:
        load_replies(folder)
    assert any(p.startswith("knowledge/replies.yaml:8: echo_variants: 'chịu' is a reply word (dont_know)")
               for p in caught.value.problems)  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("ok", True), ("uh", True), ("ừ ạ", True), ("vâng", True), ("dạ vâng ạ", True), ("được", True),
     ("ok luôn", True), ("cũng được", True), ("có", False), ("không", False), ("rồi", False), ("chưa", False),
     ("ok?", False), ("ừ à", False), ("ok cho hỏi có mất tiền không", False), ("", False)],
)  # fmt: skip
def test_agreeing_to_a_proposal_is_told_from_answering_the_question(typed: str, expected: bool) -> None:
    """"ok", "ừ" agree to the safe choice just offered; "có", "không", "rồi" answer the question."""
    assert accepts_suggestion(typed) is expected


def test_an_accept_word_must_also_be_a_yes(tmp_path: Path) -> None:
    """An agreement word missing from yes is refused, naming the file, line and field."""
    folder = _write(tmp_path, "version: 1\nyes: [có, ok]\nno: [không]\ndont_know: [chịu]\naccept:\n  - ok\n  - hay\n")
    with pytest.raises(DataError) as caught:
        load_replies(folder)
    assert any(p.startswith("knowledge/replies.yaml:7: accept: 'hay' is not listed under yes") for p in caught.value.problems)


OWNER_AGREES = "Chủ nhà (hoặc chủ hộ) đã đồng ý cho bạn đăng ký thường trú vào đó chưa?"
LANDLORD_APP = "Chủ nhà (chủ trọ, người thân) có xác nhận cho bạn trên ứng dụng VNeID được không?"


@pytest.mark.parametrize(("question", "typed", "expected"), [
    (OWNER_AGREES, "bo chong dong y roi", Reply.YES), (OWNER_AGREES, "mẹ chồng chưa", Reply.NO),
    (LANDLORD_APP, "chu tro gia ko dung dt", Reply.NO), (LANDLORD_APP, "bà chủ không có điện thoại thông minh", Reply.NO),
    (LANDLORD_APP, "chủ nhà dùng app được", Reply.YES),
    (LANDLORD_APP, "chủ trọ có mất tiền không", None), (OWNER_AGREES, "bố chồng", None),
])  # fmt: skip
def test_who_answers_may_be_said_before_the_answer(question: str, typed: str, expected: Reply | None) -> None:
    """"Bố chồng đồng ý rồi", "chủ trọ già ko dùng đt" answer the question (whom it is about, then
    yes or no; the phone is the app asked about); the person alone answers nothing."""
    assert read_reply(typed, question) is expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("k biet, chac chua", Reply.NO), ("ko rõ, chắc là có", Reply.YES), ("không nhớ, hình như có rồi", Reply.YES),
    ("không biết, probably not", Reply.NO), ("k biet, chac vay", Reply.DONT_KNOW), ("ko biết", Reply.DONT_KNOW),
    ("không biết, chắc có mất tiền không", None),
])  # fmt: skip
def test_a_guess_after_dont_know_answers(typed: str, expected: Reply | None) -> None:
    """"K biết, chắc chưa": unsure, but the guess given is the answer; a hedge with no yes or no
    stays a don't-know, and a question after it is none."""
    assert read_reply(typed, "Người bán đã làm thủ tục thu hồi giấy đăng ký, biển số chưa?") is expected


@pytest.mark.parametrize("typed", ["ong ba dong y het r", "đồng ý hết rồi", "bố mẹ đồng ý hết"])
def test_all_agreed_is_a_yes(typed: str) -> None:
    """"Ông bà đồng ý hết r" to "has the owner agreed?" is a yes; "hết" (all) made it a question."""
    assert read_reply(typed) is Reply.YES


def test_a_kept_reading_equals_a_fresh_one() -> None:
    """Read with the shipped lexicon (kept per text) or with a lexicon passed in (read afresh), every
    test message and every reply word gives the same reply, alone and to a question."""
    fresh = load_replies()
    texts = [*every_question(), *(" ".join(words) for words in fresh.phrases), "không, sim của vợ", "k biết, chắc chưa"]
    for text in texts + texts:
        for question in ("", "Hai bạn đã đăng ký kết hôn chưa?"):
            assert read_reply(text, question) == read_reply(text, question, fresh), (text, question)
            assert read_reply(text, question, lead=False) == read_reply(text, question, fresh, lead=False)
