"""How a guided flow behaves turn by turn: answers typed or pressed, mistakes, navigation, side
questions, stale buttons and the checklist at the end (through the real engine)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.engine import Engine
from bot.core.flow_runner import NAV_WORDS, _nav_intent, nav_intent
from bot.data.flows import FlowSet
from tests.conftest import TODAY
from tests.core.question_sets import every_question
from tests.flows.chat import Chat, labels

BIRTH = "birth_registration"
LATE = "Đã quá 60 ngày kể từ ngày sinh"
ON_TIME = "Hạn đăng ký khai sinh là 60 ngày kể từ ngày sinh"


def ask(flows: FlowSet, flow_id: str, step_id: str) -> str:
    step = flows.flows[flow_id].step(step_id)
    assert step is not None
    return step.ask.vi


async def to_birth_date(chat: Chat) -> None:
    await chat.start(BIRTH)
    await chat.press(f"fa:{BIRTH}:born_where:facility")
    assert chat.step == "birth_date"


async def to_parents_married(chat: Chat) -> None:
    await to_birth_date(chat)
    await chat.say("3/5/2025")
    assert chat.step == "parents_married"


async def finish_birth(chat: Chat, birth_date: str, married: str = "yes", combined: str = "yes") -> str:
    await to_birth_date(chat)
    await chat.say(birth_date)
    await chat.press(f"fa:{BIRTH}:parents_married:{married}")
    if married == "no":
        await chat.press(f"fa:{BIRTH}:father_acknowledged:no")
    await chat.press(f"fa:{BIRTH}:combined:{combined}")
    assert chat.state is not None
    assert chat.state.flow is None
    return chat.last.text


# --- typed answers ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("có", "yes"),
        ("ko", "no"),
        ("rồi", "yes"),
        ("chưa", "no"),
        ("Có ạ", "yes"),
        ("khong", "no"),
        ("yes", "yes"),
        ("chưa đăng ký", "no"),
    ],
)
async def test_yes_no_typed_in_everyday_words(chat: Chat, typed: str, stored: str) -> None:
    """A yes/no question understands có, ko, rồi, chưa and their variants."""
    await to_parents_married(chat)
    before = chat.answers
    await chat.say(typed)
    assert chat.state is not None
    assert chat.state.flow is not None
    assert chat.state.flow.answers == {**before, "parents_married": stored}
    assert chat.step == ("father_acknowledged" if stored == "no" else "combined")


@pytest.mark.parametrize(
    "typed", ["3/5/2025", "03-05-2025", "3.5.2025", "03/05/2025", "3/5/25", "sinh ngày 3/5/2025", "2025-05-03",
              "ngày 3 tháng 5 năm 2025", "3 May 2025"]
)
async def test_dates_typed_day_first(chat: Chat, typed: str) -> None:
    """A date question reads day-first dates with slashes, dashes or dots."""
    await to_birth_date(chat)
    await chat.say(typed)
    assert chat.step == "parents_married"
    assert chat.answers["birth_date"] == "2025-05-03"


async def test_today_is_not_in_the_future(chat: Chat) -> None:
    """A baby born today is accepted by a date question that refuses future dates."""
    await to_birth_date(chat)
    await chat.say(f"{TODAY.day}/{TODAY.month}/{TODAY.year}")
    assert chat.answers["birth_date"] == TODAY.isoformat()


@pytest.mark.parametrize(("typed", "stored"), [("3", "3"), ("3 tuổi", "3"), ("0", "0"), ("bé 13 tuổi", "13")])
async def test_number_typed(chat: Chat, flows: FlowSet, typed: str, stored: str) -> None:
    """A number question keeps the number typed, with or without words around it."""
    await chat.start("identity_card")
    await chat.press("fa:identity_card:card_case:child")
    await chat.say(typed)
    assert chat.state is not None
    answers = chat.state.flow.answers if chat.state.flow else chat.state.checklists["identity_card"]
    assert answers["child_age"] == stored
    assert chat.step == ("birth_registered" if float(stored) <= 5 else "child_birth_date")


@pytest.mark.parametrize(
    ("typed", "option"),
    [
        ("tai nha, ngoai co so y te", "home"),
        ("o nuoc ngoai", "abroad"),
        ("benh vien", "facility"),
        ("Tại nhà", "home"),
        ("sinh o nha", "home"),
        ("At home", "home"),
    ],
)
async def test_choice_typed_as_its_label_or_words(chat: Chat, typed: str, option: str) -> None:
    """A choice question understands an option's label typed without accents, or its match words."""
    await chat.start(BIRTH)
    await chat.say(typed)
    assert chat.state is not None
    answers = chat.state.flow.answers if chat.state.flow else chat.state.checklists[BIRTH]
    assert answers["born_where"] == option


@pytest.mark.parametrize(
    ("typed", "option"), [("1", "facility"), ("2", "home"), ("3", "abroad"), (" 2. ", "home")]
)
async def test_choice_typed_as_its_number(chat: Chat, typed: str, option: str) -> None:
    """A choice question takes the number of an option."""
    await chat.start(BIRTH)
    await chat.say(typed)
    assert chat.state is not None
    answers = chat.state.flow.answers if chat.state.flow else chat.state.checklists[BIRTH]
    assert answers["born_where"] == option


# --- answers that do not fit -------------------------------------------------------------------
async def assert_asked_again(
    chat: Chat, flows: FlowSet, flow_id: str, step_id: str, before: dict[str, str], explanation: str
) -> None:
    assert chat.step == step_id
    assert chat.answers == before
    assert len(chat.replies) == 1
    text = chat.last.text
    assert text.startswith(explanation), text
    assert ask(flows, flow_id, step_id) in text.split("\n\n", 1)[1]
    assert "fn:cancel" in chat.payloads


@pytest.mark.parametrize("typed", ["qwerty", "7", "0"])
async def test_choice_not_understood_is_asked_again(chat: Chat, flows: FlowSet, typed: str) -> None:
    """An answer that fits no option (or a number out of range) re-asks the same question and says how to answer."""
    await chat.start(BIRTH)
    await chat.say(typed)
    await assert_asked_again(chat, flows, BIRTH, "born_where", {}, "Xin lỗi, mình chưa hiểu bạn chọn mục nào")
    assert [p for p in chat.payloads if p.startswith("fa:")] == [
        f"fa:{BIRTH}:born_where:{o}" for o in ("facility", "home", "abroad")
    ]


@pytest.mark.parametrize("typed", ["²", "①", "³"])
async def test_unicode_digit_on_a_choice_is_asked_again(chat: Chat, flows: FlowSet, typed: str) -> None:
    """A superscript or circled digit at a choice question gets the kind re-ask, not a crash."""
    await chat.start(BIRTH)
    await chat.say(typed)  # Chat fails on the engine's `error` event
    assert chat.step == "born_where"
    assert ask(flows, BIRTH, "born_where") in chat.last.text


async def test_yes_no_not_understood_is_asked_again(chat: Chat, flows: FlowSet) -> None:
    """A yes/no question asks again for có or không when the answer is neither."""
    await to_parents_married(chat)
    before = chat.answers
    await chat.say("qwerty")
    await assert_asked_again(
        chat, flows, BIRTH, "parents_married", before, "Xin lỗi, mình chưa hiểu. Bạn trả lời có hoặc không"
    )


@pytest.mark.parametrize("typed", ["qwerty", "31/2/2025", "32/5", "1"])
async def test_date_not_understood_is_asked_again(chat: Chat, flows: FlowSet, typed: str) -> None:
    """An unreadable or impossible date re-asks with the expected format."""
    await to_birth_date(chat)
    await chat.say(typed)
    await assert_asked_again(
        chat,
        flows,
        BIRTH,
        "birth_date",
        {"born_where": "facility"},
        "Ngày này chưa đúng. Bạn nhập theo dạng 3/5/2025",
    )


@pytest.mark.parametrize(
    ("typed", "explanation"),
    [
        ("abc", "Bạn nhập một số từ 0 đến 13"),
        ("20", "Bạn nhập một số từ 0 đến 13"),
        ("-1", "Bạn nhập một số từ 0 đến 13"),
    ],
)
async def test_number_out_of_range_is_asked_again(
    chat: Chat, flows: FlowSet, typed: str, explanation: str
) -> None:
    """A number question re-asks with the allowed range when the answer is not a number in it."""
    await chat.start("identity_card")
    await chat.press("fa:identity_card:card_case:child")
    await chat.say(typed)
    await assert_asked_again(chat, flows, "identity_card", "child_age", {"card_case": "child"}, explanation)


@pytest.mark.parametrize(
    ("flow_id", "first"),
    [
        (BIRTH, f"fa:{BIRTH}:born_where:home"),
        ("vehicle_registration", "fa:vehicle_registration:vehicle_case:used"),
        ("death_registration", "fa:death_registration:died_where:home"),
    ],
)
async def test_future_date_is_refused(chat: Chat, flows: FlowSet, flow_id: str, first: str) -> None:
    """A date after today is refused where the step does not accept future dates."""
    await chat.start(flow_id)
    await chat.press(first)
    step = chat.step
    assert step is not None
    flow_step = flows.flows[flow_id].step(step)
    assert flow_step is not None
    assert flow_step.type == "date"
    assert flow_step.not_future
    before = chat.answers
    tomorrow = TODAY + dt.timedelta(days=1)
    await chat.say(f"{tomorrow.day}/{tomorrow.month}/{tomorrow.year}")
    assert chat.step == step
    assert chat.answers == before
    assert flow_step.ask.vi in chat.last.text


async def test_future_date_refusal_says_why(chat: Chat) -> None:
    """A well-formed future date is refused with its own reason, not with the date-format hint."""
    await to_birth_date(chat)
    await chat.say("qwerty")
    format_hint = chat.last.text
    await chat.say("3/5/2099")
    assert chat.step == "birth_date"
    assert chat.last.text != format_hint, (
        "a correctly typed future date is told to use the format it already used"
    )


@pytest.mark.parametrize("typed", ["ko chac", "chua ro", "khong nho"])
async def test_not_sure_is_not_taken_as_no(chat: Chat, typed: str) -> None:
    """'Not sure' in everyday words does not record a No on a yes/no question."""
    await to_parents_married(chat)
    await chat.say(typed)
    assert chat.step == "parents_married"
    assert "parents_married" not in chat.answers


@pytest.mark.parametrize(("typed", "value"), [("hai muoi lam", "25"), ("muoi tam", "18"), ("ba mươi", "30")])
async def test_number_in_words_is_read_whole_or_asked_again(chat: Chat, typed: str, value: str) -> None:
    """An age written in words is read as the whole number, or asked again, never as its first word."""
    await chat.start("marriage_registration")
    await chat.press("fa:marriage_registration:foreign_element:domestic")
    await chat.say(typed)
    assert chat.state is not None
    assert chat.state.flow is not None
    assert chat.state.flow.answers.get("man_age") in (None, value)


# --- navigation --------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["fn:back", "quay lai", "Quay lại"])
async def test_back_goes_to_the_previous_question_and_forgets_its_answer(
    chat: Chat, flows: FlowSet, how: str
) -> None:
    """Back returns to the previous question, forgets its answer and keeps the ones before."""
    await to_parents_married(chat)
    await (chat.press(how) if how.startswith("fn:") else chat.say(how))
    assert chat.step == "birth_date"
    assert chat.answers == {"born_where": "facility"}
    assert chat.last.text.startswith(ask(flows, BIRTH, "birth_date"))
    await chat.say("3/5/2026")
    assert chat.answers["birth_date"] == "2026-05-03"


async def test_back_on_the_first_question_stays_there(chat: Chat, flows: FlowSet) -> None:
    """Back on the first question says so and asks it again."""
    await chat.start(BIRTH)
    assert "fn:back" not in chat.payloads
    await chat.press("fn:back")
    assert chat.step == "born_where"
    assert chat.last.text.startswith("Đây là câu hỏi đầu tiên.")
    assert ask(flows, BIRTH, "born_where") in chat.last.text


@pytest.mark.parametrize("how", ["fn:restart", "lam lai", "bắt đầu lại"])
async def test_restart_forgets_every_answer(chat: Chat, flows: FlowSet, how: str) -> None:
    """Start over goes back to the first question with no answers kept."""
    await to_parents_married(chat)
    await (chat.press(how) if how.startswith("fn:") else chat.say(how))
    assert chat.step == "born_where"
    assert chat.answers == {}
    assert chat.last.text.startswith(ask(flows, BIRTH, "born_where"))


@pytest.mark.parametrize("how", ["fn:cancel", "huy", "Hủy", "/cancel", "/huy", "thoi"])
async def test_cancel_ends_the_flow_without_a_checklist(chat: Chat, how: str) -> None:
    """Cancel ends the guide, keeps no checklist and offers a fresh start."""
    await to_parents_married(chat)
    turn = await (chat.press(how) if how.startswith("fn:") else chat.say(how))
    assert chat.state is not None
    assert chat.state.flow is None
    assert chat.state.checklists == {}
    assert chat.text.startswith("Đã hủy.")
    assert "m:0" in chat.payloads
    assert [(e.kind, e.detail) for e in turn.events] == [
        ("flow_abandoned", {"flow": BIRTH, "step": "parents_married"})
    ]


async def test_navigation_without_a_flow_says_there_is_none(chat: Chat) -> None:
    """Back, restart and continue with no guide running explain that and offer topics."""
    for action in ("back", "restart", "continue", "idk"):
        await chat.press(f"fn:{action}")
        assert chat.text.startswith("Hiện không có lượt hướng dẫn nào đang làm.")
        assert chat.state is not None
        assert chat.state.flow is None
    await chat.say("/cancel")
    assert chat.text.startswith("Không có gì để hủy.")


# --- "I don't know" ------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["fn:idk", "khong biet", "không biết", "ko biet", "không chắc"])
async def test_dont_know_explains_and_offers_the_default_first(chat: Chat, flows: FlowSet, how: str) -> None:
    """'Không biết' shows the step's help and offers its safe default as the first button."""
    await to_parents_married(chat)
    step = flows.flows[BIRTH].step("parents_married")
    assert step is not None
    assert step.help is not None
    assert step.default == "yes"
    await (chat.press(how) if how.startswith("fn:") else chat.say(how))
    assert chat.step == "parents_married"
    assert chat.replies[0].text.startswith(step.help.vi)
    assert "Nếu chưa chắc, bạn có thể chọn: Có." in chat.replies[0].text
    first = chat.last.buttons[0]
    assert first.label == "✅ Có"
    assert first.payload == f"fa:{BIRTH}:parents_married:yes"
    assert ask(flows, BIRTH, "parents_married") in chat.last.text
    await chat.press(first.payload)
    assert chat.step == "combined"
    assert chat.answers["parents_married"] == "yes"


async def test_dont_know_on_a_choice_offers_the_default_option(chat: Chat, flows: FlowSet) -> None:
    """On a choice step the suggested button is the default option's label and answers it."""
    await chat.start(BIRTH)
    await chat.say("khong biet")
    first = chat.last.buttons[0]
    assert first.label == "✅ Bệnh viện, trạm y tế"
    await chat.press(first.payload or "")
    assert chat.answers == {"born_where": "facility"}


async def test_dont_know_without_a_default_only_explains(chat: Chat, flows: FlowSet) -> None:
    """A step with help but no default shows the help and asks again, suggesting nothing."""
    await to_birth_date(chat)
    step = flows.flows[BIRTH].step("birth_date")
    assert step is not None
    assert step.help is not None
    assert step.default is None
    await chat.press("fn:idk")
    assert chat.replies[0].text == step.help.vi
    assert not any(label.startswith("✅") for label in labels(chat.buttons))
    assert chat.step == "birth_date"
    assert chat.answers == {"born_where": "facility"}


# --- side questions -----------------------------------------------------------------------------
async def test_side_question_is_answered_and_the_flow_resumes(chat: Chat, flows: FlowSet) -> None:
    """An unrelated question mid-flow is answered; 'continue' asks the same step with earlier answers kept."""
    await to_parents_married(chat)
    before = chat.answers
    await chat.say("le phi lam ho chieu bao nhieu")
    assert "hộ chiếu" in chat.text
    assert "200.000" in chat.text
    assert chat.state is not None
    assert chat.state.flow is not None
    assert chat.state.flow.paused
    assert chat.last.text == "Mình đang làm dở hướng dẫn từng bước."
    assert [b.payload for b in chat.last.buttons] == ["fn:continue", "fn:cancel"]
    await chat.press_label("Tiếp tục")
    assert chat.step == "parents_married"
    assert chat.answers == before
    assert not chat.state.flow.paused
    assert chat.last.text.startswith("Mình tiếp tục từ chỗ đang dở nhé.")
    assert ask(flows, BIRTH, "parents_married") in chat.last.text
    await chat.press(f"fa:{BIRTH}:parents_married:yes")
    assert chat.step == "combined"
    assert chat.answers == {**before, "parents_married": "yes"}


async def test_typing_an_answer_while_paused_resumes(chat: Chat) -> None:
    """After a side question, typing an answer to the guide's question resumes the guide."""
    await to_birth_date(chat)
    await chat.say("le phi lam ho chieu bao nhieu")
    assert chat.state is not None
    assert chat.state.flow is not None
    assert chat.state.flow.paused
    await chat.say("3/5/2025")
    assert chat.step == "parents_married"
    assert chat.answers == {"born_where": "facility", "birth_date": "2025-05-03"}
    assert not chat.state.flow.paused


async def test_pressing_the_current_question_while_paused_resumes(chat: Chat) -> None:
    """After a side question, a button of the current question still answers it."""
    await to_parents_married(chat)
    await chat.say("le phi lam ho chieu bao nhieu")
    await chat.press(f"fa:{BIRTH}:parents_married:no")
    assert chat.step == "father_acknowledged"
    assert chat.state is not None
    assert chat.state.flow is not None
    assert not chat.state.flow.paused


@pytest.mark.parametrize(
    ("typed", "step"), [("tiep tuc", "parents_married"), ("tiếp tục", "parents_married")]
)
async def test_continue_typed_while_paused_resumes(chat: Chat, typed: str, step: str) -> None:
    """Typing 'tiếp tục' after a side question resumes the guide like the button does."""
    await to_parents_married(chat)
    await chat.say("le phi lam ho chieu bao nhieu")
    await chat.say(typed)
    assert chat.state is not None
    assert chat.state.flow is not None
    assert not chat.state.flow.paused
    assert chat.step == step
    assert chat.last.text.startswith("Mình tiếp tục từ chỗ đang dở nhé.")


@pytest.mark.parametrize("typed", ["huy", "hủy"])
async def test_cancel_typed_while_paused_cancels(chat: Chat, typed: str) -> None:
    """Typing 'hủy' after a side question cancels the guide like the button does."""
    await to_parents_married(chat)
    await chat.say("le phi lam ho chieu bao nhieu")
    await chat.say(typed)
    assert chat.state is not None
    assert chat.state.flow is None
    assert chat.text.startswith("Đã hủy.")


async def test_button_of_a_side_answer_keeps_the_way_back(chat: Chat) -> None:
    """Pressing a button under a side answer still offers to continue (or cancel) the guide."""
    await to_parents_married(chat)
    await chat.say("le phi lam ho chieu bao nhieu")
    papers = next(p for p in chat.payloads if p.startswith("s:passport:"))
    await chat.press(papers)
    assert chat.state is not None
    assert chat.state.flow is not None
    assert {"fn:continue", "fn:cancel"} <= set(chat.payloads), labels(chat.buttons)


async def test_follow_up_after_a_guide_is_about_the_guide(chat: Chat) -> None:
    """After a guide ends, a short follow-up ('nộp ở đâu') is about the guide's procedure, not an earlier side question."""
    await to_parents_married(chat)
    await chat.say("le phi lam ho chieu bao nhieu")
    await chat.press("fn:continue")
    await chat.press(f"fa:{BIRTH}:parents_married:yes")
    await chat.press(f"fa:{BIRTH}:combined:yes")
    assert chat.text.startswith("✅")
    assert chat.state is not None
    assert chat.state.procedure == BIRTH


# --- stale buttons -------------------------------------------------------------------------------
async def test_stale_answer_button_does_not_change_the_answers(chat: Chat, flows: FlowSet) -> None:
    """A button from an earlier question is refused kindly and the current question is asked again."""
    await chat.start(BIRTH)
    old = f"fa:{BIRTH}:born_where:home"
    await chat.press(f"fa:{BIRTH}:born_where:facility")
    await chat.say("3/5/2025")
    before = chat.answers
    await chat.press(old)
    assert chat.answers == before
    assert chat.step == "parents_married"
    assert chat.replies[0].text == "Nút này thuộc câu hỏi trước đó."
    assert ask(flows, BIRTH, "parents_married") in chat.last.text
    assert "fn:cancel" in chat.payloads


async def test_answer_button_of_another_flow_does_not_answer(chat: Chat) -> None:
    """A button of a different guide does not answer the current one."""
    await to_parents_married(chat)
    before = chat.answers
    await chat.press("fa:death_registration:combined:yes")
    assert chat.answers == before
    assert chat.step == "parents_married"


async def test_answer_button_after_the_flow_ended_offers_a_restart(chat: Chat) -> None:
    """A question button pressed after the guide ended offers to start it again and keeps the checklist."""
    await finish_birth(chat, "3/5/2025")
    kept = dict(chat.state.checklists) if chat.state else {}
    await chat.press(f"fa:{BIRTH}:combined:no")
    assert chat.text.startswith("Câu hỏi này thuộc một lượt hướng dẫn đã kết thúc.")
    assert f"f:{BIRTH}" in chat.payloads
    assert chat.state is not None
    assert chat.state.flow is None
    assert chat.state.checklists == kept


async def test_invalid_value_on_a_current_button_is_asked_again(chat: Chat, flows: FlowSet) -> None:
    """A forged button value for the current question is not stored."""
    await chat.start(BIRTH)
    await chat.press(f"fa:{BIRTH}:born_where:mars")
    assert chat.step == "born_where"
    assert chat.answers == {}
    assert ask(flows, BIRTH, "born_where") in chat.last.text


# --- starting and results -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed",
    ["hướng dẫn tôi làm khai sinh", "huong dan toi lam khai sinh", "chi toi cach dang ky khai sinh cho con"],
)
async def test_asking_to_be_guided_starts_the_flow(chat: Chat, flows: FlowSet, typed: str) -> None:
    """Asking to be walked through a procedure starts its guide at the first question."""
    turn = await chat.say(typed)
    assert chat.step == "born_where"
    assert chat.state is not None
    assert chat.state.flow is not None
    assert chat.state.flow.flow == BIRTH
    assert chat.text.startswith("🧭 Đăng ký khai sinh")
    assert chat.last.text.startswith(ask(flows, BIRTH, "born_where"))
    assert ("flow_started", BIRTH) in [(e.kind, e.procedure) for e in turn.events]


GUIDE_REQUESTS = [
    ("birth_registration", "huong dan toi lam khai sinh"),
    ("death_registration", "huong dan khai tu"),
    ("identity_card", "hướng dẫn tôi làm căn cước"),
    ("identity_card", "huong dan lam cccd"),
    ("marriage_registration", "huong dan dang ky ket hon"),
    ("permanent_residence", "huong dan dang ky thuong tru"),
    ("temporary_absence", "huong dan khai bao tam vang"),
    ("temporary_residence", "huong dan dang ky tam tru"),
    ("vehicle_registration", "huong dan sang ten xe"),
    ("vneid", "huong dan lam vneid muc 2"),
]


@pytest.mark.parametrize(("flow_id", "typed"), GUIDE_REQUESTS, ids=[t for _f, t in GUIDE_REQUESTS])
async def test_each_guide_starts_when_asked_for(chat: Chat, flows: FlowSet, flow_id: str, typed: str) -> None:
    """'Hướng dẫn …' naming a procedure that has a guide starts that guide."""
    await chat.say(typed)
    assert chat.state is not None
    assert chat.state.flow is not None, chat.text[:200]
    assert chat.state.flow.flow == flow_id
    assert chat.last.text.startswith(ask(flows, flow_id, flows.flows[flow_id].start))


async def test_plain_question_does_not_start_the_flow(chat: Chat) -> None:
    """A plain question about a procedure answers it and offers the guide as a button."""
    await chat.say("lam khai sinh can giay to gi")
    assert chat.state is not None
    assert chat.state.flow is None
    assert f"f:{BIRTH}" in chat.payloads


@pytest.mark.parametrize("how", ["/checklist", "/danhsach", "danh sách của tôi", "danh sach cua toi"])
async def test_checklist_can_be_shown_again(chat: Chat, how: str) -> None:
    """The finished checklist is shown again, identical, with /checklist or 'danh sách của tôi',
    after what is still missing (bot/core/checklist.py)."""
    checklist = await finish_birth(chat, "3/5/2025")
    await chat.say(how)
    texts = [m.text for m in chat.replies]
    assert texts[-1] == checklist
    assert "Còn thiếu" in texts[0]


async def test_no_checklist_before_finishing_a_guide(chat: Chat) -> None:
    """Asking for the checklist before any guide finished says there is none yet."""
    await chat.say("/checklist")
    assert chat.text.startswith("Bạn chưa có danh sách việc cần làm.")


async def test_late_birth_registration_shows_the_late_warning(chat: Chat) -> None:
    """A birth registered after 60 days gets the late warning and not the deadline reminder."""
    checklist = await finish_birth(chat, "3/5/2025")
    assert LATE in checklist
    assert ON_TIME not in checklist


async def test_birth_registration_within_60_days_has_no_late_warning(chat: Chat) -> None:
    """A birth within 60 days gets the deadline reminder and not the late warning."""
    checklist = await finish_birth(chat, "hôm qua")
    assert ON_TIME in checklist
    assert LATE not in checklist


async def test_unmarried_parents_get_their_own_lines(chat: Chat) -> None:
    """Unmarried parents see the line for them; married parents do not; combined adds the VNeID route."""
    married = await finish_birth(chat, "3/5/2025", married="yes", combined="no")
    unmarried = await finish_birth(chat, "3/5/2025", married="no", combined="yes")
    line = "Cha mẹ chưa kết hôn vẫn đăng ký khai sinh bình thường."
    assert line in unmarried
    assert line not in married
    assert "Liên thông khai sinh, thường trú, BHYT" in unmarried
    assert "Liên thông khai sinh, thường trú, BHYT" not in married
    assert chat.state is not None
    assert chat.state.checklists[BIRTH]["parents_married"] == "no"


async def test_vietnamese_checklist_has_no_english(chat: Chat) -> None:
    """A checklist in Vietnamese has its header and links section in Vietnamese too."""
    checklist = await finish_birth(chat, "3/5/2025")
    assert "Your checklist" not in checklist
    assert "Links:" not in checklist


async def test_english_flow_is_in_english(engine: Engine, flows: FlowSet) -> None:
    """With English chosen the guide asks in English and the checklist is in English."""
    chat = Chat(engine)
    await chat.press("l:en:quiet")
    await chat.start(BIRTH)
    step = flows.flows[BIRTH].step("born_where")
    assert step is not None
    assert chat.last.text.startswith(step.ask.en)
    assert "Abroad" in labels(chat.buttons)
    await chat.press_label("Abroad")
    assert chat.last.text.startswith("✅ Your checklist: Birth registration")
    assert "Child born abroad" in chat.last.text


async def test_flow_usage_events(chat: Chat) -> None:
    """A guide reports its start, each answered step and its completion, without the answers."""
    kinds: list[tuple[str, str | None, dict[str, str]]] = []
    for turn in [await chat.start(BIRTH), await chat.press(f"fa:{BIRTH}:born_where:abroad")]:
        kinds += [(e.kind, e.procedure, e.detail) for e in turn.events]
    assert kinds == [
        ("flow_started", BIRTH, {"flow": BIRTH}),
        ("flow_step", BIRTH, {"flow": BIRTH, "step": "born_where"}),
        ("flow_completed", BIRTH, {"flow": BIRTH}),
    ]


async def test_checklist_button_starts_the_guide_afresh(chat: Chat) -> None:
    """'Làm lại hướng dẫn này' under a checklist starts the guide with no answers, keeping the old checklist."""
    await finish_birth(chat, "3/5/2025")
    await chat.press_label("Làm lại hướng dẫn này")
    assert chat.step == "born_where"
    assert chat.answers == {}
    assert chat.state is not None
    assert BIRTH in chat.state.checklists


def test_a_kept_guide_reading_equals_a_fresh_one() -> None:
    """Outside a guide's question, whether a message moves in the guide is kept per text; every
    test message and every guide word reads the same as afresh."""
    texts = [*every_question(), *(w for words in NAV_WORDS.values() for w in words), "dạ quay lại", "ko bt ạ"]
    for text in texts + texts:
        assert nav_intent(text) == _nav_intent(text, None), text


def test_each_procedures_guide_is_the_first_flow_for_it(engine: Engine, flows: FlowSet) -> None:
    """The runner's guide of each procedure is the one FlowSet.for_procedure finds."""
    for proc in [*engine.kb.procedures, "no_such_procedure"]:
        assert engine.runner.for_procedure(proc) is flows.for_procedure(proc)
