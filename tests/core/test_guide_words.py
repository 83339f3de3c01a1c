"""Which typed requests ask to be walked through a procedure (bot.core.guide.wants_guide)."""

from __future__ import annotations

import pytest

from bot.core.guide import wants_guide


@pytest.mark.parametrize("text", [
    "hướng dẫn làm khai sinh", "chỉ em làm căn cước", "chỉ cấy thủ tục đăng ký kết hôn với",
    "chi cai cach dang ky tam tru", "các bước làm khai tử cho bà", "chỉ dùm em làm vneid", "walk me through it",
])  # fmt: skip
def test_a_request_to_be_shown_how_asks_for_the_guide(text: str) -> None:
    """"Chỉ cấy…" (Nghệ An "cái"), "các bước…", "chỉ dùm…" ask to be walked through, as "hướng dẫn" does."""
    assert wants_guide(text)


@pytest.mark.parametrize("text", ["chỉ cái thẻ cũ thôi có dùng được ko", "làm căn cước cần gì", "chị ơi cho hỏi"])
def test_only_or_a_plain_question_is_no_request_for_the_guide(text: str) -> None:
    """"Chỉ cái thẻ cũ" is "only the old card"; a plain question is answered, not walked through."""
    assert not wants_guide(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("hd khai tam vang", True), ("hd e lam khai sinh voi", True), ("hdan dang ky tam tru", True),
    ("hd thue nha co can cong chung ko", False),  # "hđ" is a contract here
    ("co hd lao dong chua", False),
])  # fmt: skip
def test_hd_opening_a_request_is_huong_dan(text: str, expected: bool) -> None:
    """"Hd khai tạm vắng" asks for the guide ("hd" = hướng dẫn before a word of doing, at the start);
    "hđ thuê nhà" is a contract. It was answered with the overview."""
    assert wants_guide(text) is expected
