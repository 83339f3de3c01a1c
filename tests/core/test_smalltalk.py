"""What people say around the procedures: who are you, thanks, goodbye, anger, "bn", Nghệ An words."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.core.engine import Engine
from bot.core.matcher import Matcher
from bot.core.messages import Inbound
from bot.core.smalltalk import SmallTalk
from bot.data.knowledge import KnowledgeBase
from tests.core.question_sets import every_question


@pytest.fixture(scope="module")
def talk(engine: Engine) -> SmallTalk:
    return engine.smalltalk


@pytest.fixture(scope="module")
def matcher(engine: Engine) -> Matcher:
    m: Matcher = engine.matcher
    return m


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("bạn là ai", "identity"), ("bn là ai", "identity"), ("ban la nguoi hay may", "identity"),
        ("bn la nguoi that a", "identity"), ("who are you", "identity"), ("are you a bot", "identity"),
        ("Bạn là máy à?", "identity"), ("ai đang trả lời vậy", "identity"),
        ("ngu quá", "anger"), ("bot ngu vl", "anger"), ("chán quá đi", "anger"), ("you are useless", "anger"),
        ("hỏi mãi không được", "anger"), ("vô dụng", "anger"),
        ("cảm ơn bn nhé", "thanks"), ("tks ad", "thanks"), ("cam on nhieu hi", "thanks"),
        ("thanks e", "thanks"), ("cảm ơn c nhé", "thanks"), ("cam on bac nha", "thanks"), ("bye e", "goodbye"),
        ("tạm biệt nhé", "goodbye"), ("bye bn", "goodbye"),
        ("bn ơi", "greeting"), ("chào bn", "greeting"),
        # two examples of one intent side by side
        ("vâng cảm ơn", "thanks"), ("ok c.on ad", "thanks"), ("c.ơn nhiều", "thanks"), ("ok roi cam on nhe", "thanks"), ("dạ vâng cảm ơn ad", "thanks"), ("ok rồi", "thanks"),
    ],
)  # fmt: skip
def test_small_talk_is_recognised_however_it_is_typed(talk: SmallTalk, text: str, kind: str) -> None:
    """Who-are-you, anger, thanks, goodbye and greetings are recognised with accents, without, and in chat shorthand."""
    assert talk.classify(text) == kind


@pytest.mark.parametrize("text", ["tôi muốn gặp người thật", "bn tiền", "làm cccd ở đâu", "ngu ngốc thì có làm cccd được không",
                                  "co e", "ba con e",
                                  # each word is in some example ("óc chó", "không hiểu gì cả", "làm sao dùng",
                                  # "có ai không"), but no whole example is here
                                  "chủ nhà ko cho", "chu nha ko cho", "ko cho", "thế thì làm sao", "ko dc", "ko", "cho"])
def test_questions_are_not_small_talk(talk: SmallTalk, text: str) -> None:
    """A request for a person, an amount or a procedure question is never taken for chit-chat."""
    assert talk.classify(text) is None


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("bn là ai", ("ban", "la", "ai")),
        ("bn ơi", ("ban", "oi")),
        ("cảm ơn bn", ("cam", "on", "ban")),
        ("bn tiền", ("le", "phi")),
        ("bn ngày", ("bao", "lau")),
        ("mất bn", ("mat", "bao", "nhieu")),
        ("can giay to chi", ("can", "giay", "to", "gi")),
        ("làm căn cước ở mô, cần giấy tờ chi", ("lam", "can", "cuoc", "o", "dau", "can", "giay", "to", "gi")),
        ("the can cuoc mat roi", ("the", "can", "cuoc", "mat", "roi")),
        ("ông nội mất rồi", ("qua", "doi")),
        ("bà tôi mất tại nhà", ("ba", "toi", "qua", "doi", "tai")),  # "tại" stopped the death reading
        ("mẹ em mất tại bệnh viện", ("me", "em", "qua", "doi", "tai", "benh", "vien")),
        ("mẹ em mất tài khoản vneid", ("me", "em", "mat", "tai", "khoan")),
        ("dong qua vneid dc ko", ("nop", "qua", "vneid")),  # pay; was "đồng" of "hợp đồng" (certified copy)
        ("hop dong mua ban xe", ("hop", "dong", "mua")),
        ("vneid cu vang ra hoai", ("vneid", "cu", "loi", "ra")),  # crashes; was "vắng" (tạm vắng)
        ("quen ko bao thi sao", ("khong", "bao", "thi", "sao")),  # not reported; not a forgotten password
    ],
)
def test_a_word_is_read_by_its_neighbour(matcher: Matcher, text: str, tokens: tuple[str, ...]) -> None:
    """"bn" is bạn when it addresses someone and bao nhiêu before an amount; "chi" at the end is gì; a lost card is not a death."""
    assert matcher.norm(text)[: len(tokens)] == tokens


@pytest.mark.parametrize(
    ("question", "procedure"),
    [
        ("lam cccd o mo", "identity_card"),
        ("làm căn cước cần mang giấy tờ chi", "identity_card"),
        ("chừ đi làm căn cước răng", "identity_card"),
        ("mần khai sinh cho con ở mô rứa", "birth_registration"),
        ("đăng ký tạm trú mất bn tiền hỉ", "temporary_residence"),
        ("bựa ni đi đổi bằng lái ở mô", "driving_license"),
        ("nỏ biết khai tử ở mô", "death_registration"),
        ("hộ chiếu làm ở tê có được không", "passport"),
    ],
)
def test_nghe_an_words_are_understood(matcher: Matcher, question: str, procedure: str) -> None:
    """Questions with mô, răng, rứa, chi, chừ, tê, nỏ, hỉ are answered with their procedure."""
    assert matcher.match(question).procedure == procedure


@pytest.mark.parametrize(
    ("question", "procedure"),
    [
        ("làm khai sinh trên cổng dịch vụ công", "birth_registration"),
        ("đăng ký tạm trú trên vneid", "temporary_residence"),
        ("nop ho so ket hon truc tuyen tren dich vu cong quoc gia", "marriage_registration"),
        ("xin lý lịch tư pháp online", "criminal_record"),
        ("đăng nhập cổng dịch vụ công bằng vneid", "public_service_portal"),
        ("kích hoạt vneid mức 2", "vneid"),
    ],
)
def test_doing_a_procedure_online_goes_to_the_procedure(matcher: Matcher, question: str, procedure: str) -> None:
    """"X on VNeID / on the portal / online" answers with X; the app or the portal only when nothing else is named."""
    assert matcher.match(question).procedure == procedure


async def test_who_are_you_says_it_is_an_automatic_assistant_and_offers_a_person(engine: Engine) -> None:
    """"bn là ai" is told the assistant is a program, not a person, with the human-help button."""
    turn = await engine.handle(Inbound("test", "u1", "bn là ai", lang_hint="vi"))
    reply = turn.messages[-1]
    assert "trợ lý tự động" in reply.text
    assert "không phải người thật" in reply.text
    assert "h" in [b.payload for b in reply.buttons]


async def test_an_insult_is_met_calmly_with_the_offer_of_a_person(engine: Engine) -> None:
    """An insult gets an apology and the human-help button, never a procedure answer or a decline."""
    turn = await engine.handle(Inbound("test", "u1", "bot ngu vl", lang_hint="vi"))
    reply = turn.messages[-1]
    assert "h" in [b.payload for b in reply.buttons]
    assert "ngu" not in reply.text.lower()
    assert not [e for e in turn.events if e.kind in ("answered", "not_understood")]


def test_a_kept_reading_equals_a_fresh_one(engine: Engine, kb: KnowledgeBase) -> None:
    """Every test question and every small-talk example reads the same from the engine's kept
    answers, asked twice, as from small talk that keeps nothing."""
    fresh = SmallTalk(kb, engine.matcher.norm)
    texts = [*every_question()] + [e for intent in kb.intents.intents for e in intent.examples]
    for text in texts + texts:
        assert engine.smalltalk.classify(text) == fresh.classify(text), text


def test_kept_readings_are_forgotten_when_a_phrasing_is_taught(kb: KnowledgeBase) -> None:
    """A taught phrasing changes which words the reading repairs: what was kept is read again."""
    matcher = Matcher(kb)
    reads: list[str] = []

    def counted(work: Callable[[str], str | None]) -> Callable[[str], str | None]:
        return matcher.per_index(lambda text: reads.append(text) or work(text))

    talk = SmallTalk(kb, matcher.norm, counted)
    assert talk.classify("cảm ơn nhé") == talk.classify("cảm ơn nhé") == "thanks"
    assert reads == ["cảm ơn nhé"]
    matcher.add_alias("vneid", "bùa hộ mệnh số")
    assert talk.classify("cảm ơn nhé") == "thanks"
    assert reads == ["cảm ơn nhé", "cảm ơn nhé"]
