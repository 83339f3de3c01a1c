"""An age typed after an answer tells the person's case: the procedure's guide takes it from there."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from bot.core.messages import Inbound


@pytest.mark.parametrize(("question", "age", "guided"), [
    ("lam can cuoc cho chau noi thi lam răng", "chau 15 tuoi roi", True),
    ("làm vneid mức 2 cho bà", "bà 78t", True),
    ("làm căn cước ở đâu", "con trai út năm nay 10 tuổi", True),
    ("làm căn cước ở đâu", "thế con trai tôi 10t thì sao", False),  # asks it for him: answered
    ("làm căn cước ở đâu", "15 tuổi có phải mang giấy khai sinh ko", False),  # a question of its own
    ("lam ly lich tu phap o dau", "toi 30 tuoi", False),                     # no guide for it
])  # fmt: skip
async def test_an_age_after_an_answer_starts_the_guide(engine: Engine, question: str, age: str, guided: bool) -> None:
    """"Cháu 15 tuổi rồi" after the ID card's answer starts its guide instead of the overview again."""
    first = await engine.handle(Inbound("test", "age-told", question), None)
    turn = await engine.handle(Inbound("test", "age-told", age), first.state)
    assert any(e.kind == "flow_started" for e in turn.events) is guided
