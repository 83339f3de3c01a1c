"""Typed answers through the flow runner at every kind of step: stored, said back, or asked again saying why."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core import i18n
from bot.core.engine import Engine
from bot.core.flow_runner import FlowRunner, nav_intent
from bot.core.state import ConversationState
from bot.core.step_answers import StepReading, read_answer
from bot.data.flow_models import Flow, Step
from bot.data.flows import FlowSet
from tests.conftest import TODAY
from tests.flows.chat import Chat


@pytest.fixture
def chat(engine: Engine) -> Chat:
    """A fresh conversation with the real engine (today fixed to TODAY)."""
    return Chat(engine)


def _step(flows: FlowSet, flow: str, step: str) -> Step:
    found = flows.flows[flow].step(step)
    assert found is not None
    return found


DATE_ANSWERS = [
    ("3/5/2026", "2026-05-03", "📅 3/5/2026 — 204 ngày trước"),
    ("hôm qua", "2026-11-22", "📅 22/11/2026 — hôm qua"),
    ("hom nay", "2026-11-23", "📅 23/11/2026 — hôm nay"),
    ("2 tuần trước", "2026-11-09", "📅 khoảng 9/11/2026 — 14 ngày trước"),
    ("ngày 3 tháng 5 năm 2026", "2026-05-03", "📅 3/5/2026 — 204 ngày trước"),
    ("mùng 3", "2026-11-03", "📅 3/11/2026 — 20 ngày trước"),
    ("2026-11-23", "2026-11-23", "📅 23/11/2026 — hôm nay"),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "stored", "echo"), DATE_ANSWERS, ids=[t for t, _s, _e in DATE_ANSWERS])
def test_a_date_answer_is_stored_and_said_back(flows: FlowSet, typed: str, stored: str, echo: str) -> None:
    """A date typed at a date step is stored as ISO and said back in words."""
    with i18n.use("vi"):
        reading = read_answer(_step(flows, "birth_registration", "birth_date"), typed, TODAY)
    assert reading == StepReading(stored, echo=echo)


PROBLEMS = [
    ("24/11/2026", "📅 24/11/2026 — ngày mai\nNgày này ở tương lai"),
    ("3/5/2099", "📅 3/5/2099 — "),
    ("tháng 5 năm 2025", "Ngày nào của tháng 5/2025?"),
    ("5/2025", "Ngày nào của tháng 5/2025?"),
    ("năm ngoái", "Ngày nào ạ?"),
    ("3/5/1890", "Ngày này cách đây hơn 120 năm"),
    ("30 tháng chạp âm lịch năm 2024", "dương lịch"),  # tháng Chạp of Giáp Thìn had 29 days
    ("tháng 3 âm lịch", "dương lịch"),
    ("31/2/2026", "Ngày này chưa đúng"),
    ("1", "Ngày này chưa đúng"),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "said"), PROBLEMS, ids=[t for t, _s in PROBLEMS])
def test_a_date_that_does_not_fit_says_why(flows: FlowSet, typed: str, said: str) -> None:
    """A future, month-only, too old, lunar or impossible date is an attempt with its own reason."""
    with i18n.use("vi"):
        reading = read_answer(_step(flows, "birth_registration", "birth_date"), typed, TODAY)
    assert reading.value is None
    assert reading.problem is not None
    assert said in reading.problem


@pytest.mark.parametrize("typed", ["có mất tiền không", "làm ở đâu", "trợ cấp thất nghiệp", "cảm ơn", "hello"])
def test_words_that_are_no_date_are_left_to_the_caller(flows: FlowSet, typed: str) -> None:
    """A message with no date in it is neither an answer nor an attempt: the engine decides what it is."""
    assert read_answer(_step(flows, "birth_registration", "birth_date"), typed, TODAY) == StepReading()


def test_the_english_echo_is_in_english(flows: FlowSet) -> None:
    """In English the date is said back with the month's name."""
    with i18n.use("en"):
        reading = read_answer(_step(flows, "death_registration", "death_date"), "yesterday", TODAY)
    assert reading.echo == "📅 22 November 2026 — yesterday"


def test_yes_no_answers_may_echo_the_question(flows: FlowSet) -> None:
    """At "have the parents registered their marriage?", "chưa đăng ký" is a no and "đăng ký rồi" a yes."""
    step = _step(flows, "birth_registration", "parents_married")
    assert read_answer(step, "chưa đăng ký", TODAY).value == "no"
    assert read_answer(step, "đăng ký rồi ạ", TODAY).value == "yes"
    assert read_answer(step, "có mất tiền không", TODAY) == StepReading()


def test_a_number_out_of_range_is_an_attempt(flows: FlowSet) -> None:
    """A number outside the step's range says the range; words with no number are left to the caller."""
    step = _step(flows, "identity_card", "child_age")
    with i18n.use("vi"):
        assert read_answer(step, "20", TODAY).problem == "Bạn nhập một số từ 0 đến 13 nhé."
    assert read_answer(step, "5 tuổi", TODAY).value == "5"
    assert read_answer(step, "làm ở đâu", TODAY) == StepReading()


async def test_the_next_question_starts_with_the_date_said_back(chat: Chat) -> None:
    """After a typed date the next question comes with the date in words above it."""
    await chat.start("birth_registration")
    await chat.press("fa:birth_registration:born_where:facility")
    await chat.say("hôm qua")
    assert chat.answers["birth_date"] == "2026-11-22"
    assert chat.last.text.startswith("📅 22/11/2026 — hôm qua\n\nCha mẹ bé đã đăng ký kết hôn chưa?")


async def test_a_future_date_is_asked_again_saying_why(chat: Chat) -> None:
    """A birth date in the future is not stored; the question comes again with the reason."""
    await chat.start("birth_registration")
    await chat.press("fa:birth_registration:born_where:facility")
    await chat.say("25/11/2026")
    assert chat.step == "birth_date"
    assert "birth_date" not in chat.answers
    assert "Ngày này ở tương lai" in chat.last.text
    assert "Bé sinh ngày nào?" in chat.last.text


async def test_a_date_step_offers_today_as_a_button(chat: Chat) -> None:
    """A date step has a "today" button; pressing it stores today's date."""
    await chat.start("death_registration")
    await chat.press("fa:death_registration:died_where:home")
    assert "fa:death_registration:death_date:2026-11-23" in chat.payloads
    await chat.press_label("Hôm nay")
    assert chat.answers["death_date"] == "2026-11-23"


def test_a_date_that_ends_a_guide_is_said_back_before_the_checklist() -> None:
    """When a date answer ends a guide, the date is said back in a message before the checklist."""
    flow = Flow.model_validate({
        "version": 1, "id": "one_date", "procedure": "death_registration",
        "title": {"vi": "Một ngày", "en": "One date"}, "intro": {"vi": "Thử.", "en": "Try."}, "start": "when",
        "steps": [{"id": "when", "ask": {"vi": "Ngày nào?", "en": "When?"}, "type": "date", "not_future": True,
                   "next": [{"goto": "end"}]}],
        "result": [{"papers": [{"vi": "Giấy", "en": "Paper"}]}],
    })  # fmt: skip
    runner = FlowRunner(FlowSet({flow.id: flow}), lambda: TODAY)
    state = ConversationState()
    runner.start(flow, state, [])
    with i18n.use("vi"):
        replies = runner.answer(flow, flow.steps[0], "hôm qua", state, [])
    assert replies is not None
    assert [r.text.split("\n")[0] for r in replies] == ["📅 22/11/2026 — hôm qua", "✅ Danh sách việc cần làm: Một ngày"]


def test_today_is_read_in_vietnam_by_default() -> None:
    """A runner without a clock reads dates against Vietnam's today, not the server's."""
    runner = FlowRunner(FlowSet({}))
    utc = dt.datetime.now(dt.UTC).date()
    assert runner.today() in (utc, utc + dt.timedelta(days=1))


@pytest.mark.parametrize(("typed", "expected"), [("thôi", None), ("không", None), ("ko bt", "idk"),
                                                 ("quay lại", "back"), ("hủy", "cancel")])  # fmt: skip
def test_at_a_yes_no_step_a_no_is_an_answer_before_a_way_out(flows: FlowSet, typed: str, expected: str | None) -> None:
    """Given a yes/no step, "thôi" is its no rather than "cancel"; don't-know and navigation still work."""
    step = _step(flows, "birth_registration", "combined")
    assert nav_intent(typed, step) == expected


def test_thoi_declines_an_offer_but_leaves_at_a_question_of_fact(flows: FlowSet) -> None:
    """"Thôi" is the no of "Người cha có muốn nhận con…?" (an offer), while to "Cha mẹ bé đã đăng ký
    kết hôn chưa?" it is no answer: the person leaves the guide."""
    assert nav_intent("thôi", _step(flows, "birth_registration", "father_acknowledged")) is None
    assert nav_intent("thoi a", _step(flows, "birth_registration", "father_acknowledged")) is None
    assert nav_intent("thôi", _step(flows, "birth_registration", "parents_married")) == "cancel"


def test_without_a_step_thoi_cancels() -> None:
    """With no step given (or another kind), "thôi" keeps its meaning of stopping."""
    assert nav_intent("thôi") == "cancel"


@pytest.mark.parametrize(("typed", "expected"), [
    ("thôi không làm nữa", "cancel"), ("thoi ko lam nua", "cancel"), ("hủy đi ạ", "cancel"),
    ("không muốn làm nữa đâu", "cancel"), ("dạ quay lại", "back"), ("quay lai di", "back"),
    ("làm lại từ đầu nhé", "restart"), ("ok tiếp tục", "continue"), ("đúng", None), ("dung roi", None),
    ("thôi ở nhà", None), ("không", None), ("lam lai cccd", None),
])  # fmt: skip
def test_ways_out_are_read_with_particles_around_them(typed: str, expected: str | None) -> None:
    """"thôi không làm nữa", "hủy đi ạ", "dạ quay lại" move in the guide; "đúng" (an option's
    word) and other answers do not."""
    assert nav_intent(typed) == expected


# --- a year of birth (identity card: the next exchange age) -------------------------------------
BIRTH_ODD = [
    ("abc", None),  # no date at all: left to the caller, who asks again
    ("2099", "ở tương lai"),
    ("năm 2027", "ở tương lai"),
    ("1850", "hơn 120 năm"),
    ("35 tuổi", "không phải số tuổi"),
    ("90", "đủ 4 số"),
    ("31/2/1990", "đủ 4 số"),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "said"), BIRTH_ODD, ids=[t for t, _s in BIRTH_ODD])
def test_an_odd_year_of_birth_is_asked_again_saying_why(flows: FlowSet, typed: str, said: str | None) -> None:
    """A future year, a year over 120 years back, an age, a bare two-digit number or an impossible
    date stores nothing; each but plain words says why."""
    with i18n.use("vi"):
        reading = read_answer(_step(flows, "identity_card", "birth_date"), typed, TODAY)
    assert reading.value is None
    if said is None:
        assert reading == StepReading()
    else:
        assert reading.problem is not None
        assert said in reading.problem


async def test_dont_remember_at_the_year_of_birth_offers_skip(chat: Chat) -> None:
    """"ko nhớ" gets the help (nothing is kept) and a one-tap Skip; the checklist still comes."""
    await chat.start("identity_card")
    await chat.press("fa:identity_card:card_case:first")
    assert chat.step == "birth_date"
    await chat.say("ko nhớ")
    assert "Mình không lưu năm sinh" in chat.text
    assert chat.payloads.count("fa:identity_card:birth_date:skip") == 1, "Skip offered once, not twice"
    await chat.say("bỏ qua")
    assert chat.state is not None
    assert chat.state.checklists["identity_card"]["birth_date"] == "skip"
    assert "Đã bỏ qua" in chat.text
    assert "✅" in chat.text


BIRTH_ANSWERS = [
    ("1990", "1990", "📅 1990"),
    ("sinh năm 90", "1990", "📅 1990"),
    ("em sinh năm 2001 ạ", "2001", "📅 2001"),
    ("sinh nam 05", "2005", "📅 2005"),
    ("15/3/1985", "1985-03-15", "📅 15/3/1985 — khoảng 41 năm trước"),
    ("ngày 3 tháng 5 năm 1999", "1999-05-03", "📅 3/5/1999 — khoảng 27 năm trước"),
    ("5/1990", "1990-05", "📅 tháng 5/1990"),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "stored", "echo"), BIRTH_ANSWERS, ids=[t for t, _s, _e in BIRTH_ANSWERS])
def test_a_year_or_date_of_birth_is_stored_and_said_back(flows: FlowSet, typed: str, stored: str, echo: str) -> None:
    """A year alone, with "sinh năm", two digits after "năm", a whole date or a month: stored as
    precisely as it was given."""
    with i18n.use("vi"):
        reading = read_answer(_step(flows, "identity_card", "birth_date"), typed, TODAY)
    assert reading == StepReading(stored, echo=echo)


def test_a_year_alone_is_no_answer_where_a_whole_date_is_needed(flows: FlowSet) -> None:
    """At the birth registration's date step (no `year_ok`), "1990" still asks for the whole date."""
    with i18n.use("vi"):
        reading = read_answer(_step(flows, "birth_registration", "birth_date"), "sinh năm 2026", TODAY)
    assert reading.value is None


@pytest.mark.parametrize("typed", ["1998", "chồng em sinh 1998", "sinh năm 1998 ạ"])
def test_a_birth_year_where_an_age_is_asked_gets_both_possible_ages(flows: FlowSet, typed: str) -> None:
    """A year of birth at an age step is not a number out of range: it is answered with the two
    ages it can be (the birthday decides), and the age is asked for — never one of them guessed."""
    reading = read_answer(_step(flows, "marriage_registration", "man_age"), typed, TODAY)
    assert reading.value is None
    assert reading.problem is not None
    assert "1998" in reading.problem
    assert "28" in reading.problem
    assert "27" in reading.problem


@pytest.mark.parametrize(("flow", "step", "typed", "stored"), [
    ("marriage_registration", "man_age", "chồng em sinh 1998", "27"),   # 27 or 28: both over 19
    ("marriage_registration", "man_age", "sinh 2006", None),            # 19 or 20: the limit is between
    ("vneid", "age", "bà sinh năm 1958", "67"),                         # the guide compares with nothing
    ("permanent_residence", "age", "2011", "14"),                       # 14 or 15: both free (under 16)
    ("permanent_residence", "age", "2010", None),                       # 15 or 16: the limit is between
    ("permanent_residence", "age", "1980", "45"),
])  # fmt: skip
def test_a_birth_year_is_taken_when_the_guide_treats_both_ages_alike(
    flows: FlowSet, flow: str, step: str, typed: str, stored: str | None
) -> None:
    """Where the guide's limits (its rules, checklist and deadlines) do not fall between the two
    ages a year of birth can be, either age gives the same checklist: the year is taken."""
    runner = FlowRunner(flows, lambda: TODAY)
    with i18n.use("vi"):
        reading = runner.read(_step(flows, flow, step), typed)
    assert reading.value == stored, reading
    if stored is not None:
        assert reading.echo is not None
        assert typed[-4:] in reading.echo


def test_a_number_out_of_range_that_is_no_year_says_the_range(flows: FlowSet) -> None:
    """An age typed as 500 (no year of birth) still gets the range."""
    reading = read_answer(_step(flows, "marriage_registration", "man_age"), "500", TODAY)
    assert reading.problem is not None
    assert "120" in reading.problem


@pytest.mark.parametrize(("flow", "step", "typed", "stored"), [
    ("vehicle_registration", "transfer_date", "tháng 9 năm nay", "2026-09-01"),  # over 30 days whatever the day
    ("vehicle_registration", "transfer_date", "thang 10", None),     # 1/10 is over 30 days, 31/10 is not
    ("death_registration", "death_date", "tháng 8", "2026-08-01"),   # over 15 days whatever the day
    ("birth_registration", "birth_date", "tháng 11", None),          # within 60 days, but the reminder needs the day
    ("birth_registration", "birth_date", "tháng 5 năm 2025", "2025-05-01"),
    ("vehicle_registration", "transfer_date", "tháng 12", "2025-12-01"),  # this year's is ahead: last year's
])  # fmt: skip
def test_a_month_without_its_day_is_taken_when_every_day_of_it_leads_alike(
    flows: FlowSet, flow: str, step: str, typed: str, stored: str | None
) -> None:
    """A month typed without its day is an answer when the guide's day counts fall on the same side
    for all its days and any deadline counted from it has passed; otherwise the day is asked."""
    runner = FlowRunner(flows, lambda: TODAY)
    with i18n.use("vi"):
        reading = runner.read(_step(flows, flow, step), typed)
    assert reading.value == stored, reading
    if stored is None:
        assert reading.problem is not None
        assert "Ngày nào" in reading.problem


@pytest.mark.parametrize(("typed", "expected"), [
    ("nó sang hàn quốc làm", "yes"),
    ("nó đi sang úc", "yes"),
    ("đi xklđ bên nhật", "yes"),
    ("ko, vào sài gòn thôi", "no"),
    ("vô nam làm thuê", "no"),
    ("không sang hàn quốc", None),  # a negated country says neither
    ("quá hạn rồi", None),          # "hạn" is no "Hàn"
])  # fmt: skip
def test_a_yes_no_step_reads_its_own_words_for_yes_and_no(flows: FlowSet, typed: str, expected: str | None) -> None:
    """At "going abroad?", a country or a place at home typed without a yes or no answers it."""
    assert read_answer(_step(flows, "temporary_absence", "abroad"), typed, TODAY).value == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("anh ay co 1 doi vo truoc roi", "yes"),
    ("chồng cũ của e ở quê", "yes"),
    ("ko, ca 2 deu lan dau", "no"),
])  # fmt: skip
def test_a_marriage_before_is_a_yes_to_divorced_before(flows: FlowSet, typed: str, expected: str | None) -> None:
    """At "has either of you been married and divorced?", a former wife or husband told in words is
    a yes, a first marriage a no; "anh ấy có 1 đời vợ trước rồi" was not read."""
    assert read_answer(_step(flows, "marriage_registration", "divorced"), typed, TODAY).value == expected
