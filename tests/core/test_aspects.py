"""Which part of an answer a question asks for, read from how people ask (bot/core/aspects.py)."""

from __future__ import annotations

import pytest

from bot.core.aspects import detect_aspect
from bot.core.matcher import Matcher


@pytest.fixture(scope="module")
def matcher(engine: object) -> Matcher:
    m: Matcher = engine.matcher  # type: ignore[attr-defined]
    return m


@pytest.mark.parametrize(("text", "aspect"), [
    ("phạt bao nhiêu tiền", "rules"),            # the amount of the fine, not the fee
    ("trễ thì phạt bn", "rules"),
    ("hạn mấy ngày", "rules"),                    # how long the deadline is
    ("lệ phí bao nhiêu", "fees"),
    ("mất bao lâu", "fees"),
    ("bao nhiêu tiền", "fees"),
    ("hộ chiếu hết hạn làm lại ở đâu", "online"),  # hết hạn is the case, ở đâu the question
    ("khai sinh quá hạn", "rules"),               # the case alone asks about the deadline
    ("không khai thì sao", "rules"),               # what if it is not done
    ("nếu ko báo có sao ko", "rules"),
    ("không có giấy khai sinh thì sao", None),     # a missing paper is not a penalty question
    ("bà già rồi đi lại khó", None),              # già (old) is no price
    ("bị móc túi mất hết giấy tờ", None),         # lost papers, not papers asked for
    ("cần giấy gì", "papers"),
    ("đăng ký ở xã nào", "online"),
    ("đến đâu khai", "online"),
    ("làm trên vneid được không", "online"),
    # past the deadline by so long is the case, the deadline and penalty what it asks about
    ("qua 60 ngay roi chua lam giay khai sinh cho be", "rules"),
    ("quá 15 ngày mới khai tử thì có sao ko", "rules"),
    ("khai tu tre co sao ko", "rules"),            # "có sao không": what happens then
    ("làm khai sinh mất 3 ngày ko", "fees"),       # a number of days alone still asks how long
    ("nop ho so o dau", "online"),                # where to hand the file in, not what is in it
    ("có cần giấy khám sức khỏe ko", "papers"),    # whether a paper is needed
    ("đăng ký tạm trú có cần hợp đồng thuê không", "papers"),
    ("báo lưu trú qua điện thoại được không", "online"),
    ("nộp hồ sơ cần gì", "papers"),
])  # fmt: skip
def test_the_section_asked(matcher: Matcher, text: str, aspect: str | None) -> None:
    assert detect_aspect(list(matcher.norm(text))) == aspect


@pytest.mark.parametrize(("text", "procedure"), [
    ("vneid dang nhap khong duoc", "vneid"),
    ("app vneid bao loi dang nhap hoai", "vneid"),
    ("dang nhap dich vu cong bang vneid", "public_service_portal"),
    ("quen mat khau dang nhap dich vu cong", "public_service_portal"),
])  # fmt: skip
def test_the_app_named_is_the_app_asked_about(matcher: Matcher, text: str, procedure: str) -> None:
    assert matcher.match(text).procedure == procedure


@pytest.mark.parametrize("text", ["how long does it take", "how long does it take?", "it takes how long"])
def test_asking_words_alone_name_no_procedure(matcher: Matcher, text: str) -> None:
    """With nothing in hand, "how long does it take" is no question about the marital-status
    paper, whose English common problem happens to share its words."""
    assert matcher.match(text).procedure is None


@pytest.mark.parametrize("text", ["dang ky hien mau", "hiến máu ở đâu", "đăng ký hiến máu tình nguyện"])
def test_a_real_word_is_not_repaired_into_a_procedure(matcher: Matcher, text: str) -> None:
    """"hiến máu" (donating blood) was repaired to "biển" and answered as the motorbike's plate."""
    assert matcher.match(text).procedure is None


@pytest.mark.parametrize(("text", "aspect"), [
    ("the lam o cho mo", "online"), ("nop tien cho mo", "online"), ("can mang nhung gi", "papers"),
    ("sao y can mang ban goc ko", "papers"),
])  # fmt: skip
def test_nghe_an_where_and_what_to_bring(matcher: Matcher, text: str, aspect: str) -> None:
    """"Chỗ mô" (Nghệ An: where) asks where; "cần mang những gì" asks the papers."""
    assert detect_aspect(list(matcher.norm(text))) == aspect


@pytest.mark.parametrize(("text", "aspect"), [
    ("gio ra dau khai tu", "online"), ("lam tren dt dc ko", "online"), ("bao qua app nao", "online"),
    ("how many days to get it", "fees"), ("single status paper, how many days", "fees"),
])  # fmt: skip
def test_where_on_a_phone_and_how_many_days_as_typed(matcher: Matcher, text: str, aspect: str) -> None:
    """"Ra đâu" (go where), "trên đt", "qua app" ask where and whether online; "how many days" asks
    how long it takes (the fees and time section). Each opened at the overview."""
    assert detect_aspect(list(matcher.norm(text))) == aspect


@pytest.mark.parametrize(("text", "aspect"), [
    ("đăng ký tạm trú trên dịch vụ công được ko", "online"),  # whether it is done on the portal
    ("lam tren cong dvc dc ko", "online"),
    ("nop tren dich vu cong mat bao lau", "fees"),  # how long, though on the portal
    ("khai sinh mấy hôm thì lấy được", "fees"),  # "mấy hôm thì…": how long
    ("quên báo mấy hôm rồi có sao ko", "rules"),  # "mấy hôm rồi" says when
    ("ko bao thi bi chi ko", "rules"),  # Nghệ An "chi" = gì: what happens if not
    ("hồ sơ xin trợ cấp nộp tại đâu", "online"),  # the file handed in: where
    ("ho so lam the nao, can gi", "papers"),
])  # fmt: skip
def test_the_section_asked_round_8(matcher: Matcher, text: str, aspect: str | None) -> None:
    """Whether it is done on the portal, how many days, what happens if not (round 8's phrasings)."""
    assert detect_aspect(list(matcher.norm(text))) == aspect
