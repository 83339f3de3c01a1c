"""Scam alerts: described scam contacts are recognised however typed, warned before any answer,
counted as their own event, and answers about VNeID or paying online carry the OTP line once."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from bot.core.messages import Inbound, Outbound
from bot.core.scams import SCAM_EVENT, ScamAlerts
from bot.core.state import ConversationState
from bot.data.knowledge import KnowledgeBase

SCAMS = (
    "công an gọi bảo cài app",
    "cong an goi bao cai app vneid",
    "CA gọi bảo tải ứng dụng để nâng cấp",
    "có người gửi link nâng cấp vneid mức 2",
    "ho bao toi doc ma otp cho ho",
    "chuyển tiền để làm nhanh căn cước",
    "co nguoi goi dien bao chuyen khoan de lam nhanh cccd",
    "nguoi xung la cong an phuong bat cai ung dung",
    "someone called me saying they are police and asked for my OTP",
    "a man called me and told me to install an app to upgrade vneid",
    "they sent me a link to upgrade vneid",
)
NOT_SCAMS = (
    "kich hoat vneid muc 2 o dau",
    "không nhận được mã otp vneid",
    "quên mật khẩu vneid",
    "lệ phí làm căn cước bao nhiêu",
    "đăng ký tạm trú online",
    "how do I install the VNeID app",
    "chuyen khoan le phi tren cong dich vu cong duoc khong",
)


@pytest.fixture(scope="module")
def alerts(kb: KnowledgeBase) -> ScamAlerts:
    return ScamAlerts(kb.scams)


@pytest.mark.parametrize("text", SCAMS)
def test_a_described_scam_is_recognised(alerts: ScamAlerts, text: str) -> None:
    """Police calls, level-2 links, OTP requests and 'speed-up' fees are scams, with or without accents."""
    assert alerts.describes_scam(text)


@pytest.mark.parametrize("text", NOT_SCAMS)
def test_an_ordinary_question_is_not_a_scam(alerts: ScamAlerts, text: str) -> None:
    """Questions about OTPs, passwords and fees that describe no contact are left alone."""
    assert not alerts.describes_scam(text)


def test_without_the_file_nothing_is_a_scam() -> None:
    """A knowledge base without scams.yaml recognises nothing and adds nothing."""
    alerts = ScamAlerts(None)
    assert not alerts.describes_scam("cong an goi bao doc ma otp")
    assert alerts.alert("cong an goi bao doc ma otp") is None


async def test_the_warning_comes_before_the_answer(engine: Engine) -> None:
    """The warning is the first message and the first event; the VNeID answer follows it."""
    turn = await engine.handle(Inbound("test", "u1", "công an gọi bảo cài app VNeID mới"))
    assert "CẢNH BÁO LỪA ĐẢO" in turn.messages[0].text
    assert "Công an cấp xã" in turn.messages[0].text  # whom to contact
    assert next(e.kind for e in turn.events) == SCAM_EVENT
    assert "answered" in [e.kind for e in turn.events]
    assert turn.state.procedure == "vneid"


async def test_a_scam_with_nothing_else_to_answer_gets_only_the_warning(engine: Engine) -> None:
    """'Someone told me to transfer money to speed up my papers' is warned, without a 'sorry, I
    don't know' after it."""
    turn = await engine.handle(Inbound("test", "u1", "có người bảo chuyển tiền để làm nhanh hồ sơ"))
    assert len(turn.messages) == 1
    assert "CẢNH BÁO LỪA ĐẢO" in turn.messages[0].text
    assert [e.kind for e in turn.events] == [SCAM_EVENT]


async def test_a_scam_naming_a_procedure_is_never_followed_by_a_sorry(engine: Engine) -> None:
    """'Pay to speed up my card' sits on the matcher's answer line (0.49-0.50): warned first, then
    at most the card's own answer (its real fees), never "I don't know" or "did you mean"."""
    turn = await engine.handle(Inbound("test", "u1", "chuyển tiền để làm nhanh căn cước"))
    assert "CẢNH BÁO LỪA ĐẢO" in turn.messages[0].text
    kinds = [e.kind for e in turn.events]
    assert kinds[0] == SCAM_EVENT
    assert not {"not_understood", "did_you_mean"} & set(kinds)
    assert all("Thẻ căn cước" in m.text for m in turn.messages[1:])


async def test_the_event_carries_the_commune(engine: Engine) -> None:
    """Admins count scam attempts by commune: the event is tagged like every other."""
    state = ConversationState(commune="nghean.xa-tan-phu")
    turn = await engine.handle(Inbound("test", "u1", "cong an goi bao doc ma otp"), state)
    scam = next(e for e in turn.events if e.kind == SCAM_EVENT)
    assert scam.detail["commune"] == "nghean.xa-tan-phu"


async def test_a_scam_inside_a_guide_is_warned_and_the_guide_goes_on(engine: Engine) -> None:
    """Mid-guide, the warning comes first and the guide's question is asked again."""
    first = await engine.handle(Inbound("test", "u1", "huong dan lam can cuoc"))
    turn = await engine.handle(Inbound("test", "u1", "co nguoi goi bao chuyen tien de lam nhanh"), first.state)
    assert "CẢNH BÁO LỪA ĐẢO" in turn.messages[0].text
    assert turn.state.flow is not None
    assert turn.state.flow.flow == "identity_card"


async def test_answers_about_vneid_say_the_otp_line_once(engine: Engine) -> None:
    """A VNeID answer ends with the reminder, exactly once."""
    turn = await engine.handle(Inbound("test", "u1", "kich hoat vneid muc 2"))
    text = "\n".join(m.text for m in turn.messages)
    assert text.count("không bao giờ hỏi mã OTP") == 1


async def test_the_otp_line_is_said_once_per_conversation(engine: Engine) -> None:
    """Typed follow-ups about VNeID do not repeat it under every answer; a new conversation hears it again."""
    first = await engine.handle(Inbound("test", "u1", "kich hoat vneid muc 2 o dau"))
    later = await engine.handle(Inbound("test", "u1", "phi bao nhieu"), first.state)
    again = await engine.handle(Inbound("test", "u1", "lau ko"), later.state)
    said = ["\n".join(m.text for m in t.messages).count("không bao giờ hỏi mã OTP") for t in (first, later, again)]
    assert said == [1, 0, 0]
    assert "Lệ phí" in later.messages[0].text  # the follow-up was answered, only without the line
    fresh = await engine.handle(Inbound("test", "u2", "phi kich hoat vneid"))
    assert "không bao giờ hỏi mã OTP" in "\n".join(m.text for m in fresh.messages)


async def test_a_section_about_fees_paid_online_says_it_too(engine: Engine) -> None:
    """Pressing the fees section of the identity card carries the reminder."""
    turn = await engine.handle(Inbound("test", "u1", payload="s:identity_card:fees"))
    assert "không bao giờ hỏi mã OTP" in turn.messages[-1].text


async def test_other_answers_do_not(engine: Engine) -> None:
    """A birth registration answer, with nothing paid online, has no reminder."""
    turn = await engine.handle(Inbound("test", "u1", "dang ky khai sinh"))
    assert "OTP" not in "\n".join(m.text for m in turn.messages)


def test_an_answer_that_already_warns_is_left_as_it_is(alerts: ScamAlerts) -> None:
    """A FAQ answer that already says not to read out an OTP gets no second warning."""
    said = [Outbound("Đó là lừa đảo. Không đọc mã OTP, passcode cho ai.")]
    assert alerts.remind("vneid", said) == said
    plain = [Outbound("VNeID là ứng dụng định danh điện tử.")]
    assert alerts.remind("vneid", plain)[0].text.count("OTP") == 1
