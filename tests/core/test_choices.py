"""Typed answers at a multiple-choice step: the one option meant, or none — never a silent guess."""

from __future__ import annotations

import time

import pytest

from bot.core import i18n
from bot.core.choices import is_the_other, parse_choice
from bot.core.engine import Engine
from bot.core.flow_runner import FlowRunner
from bot.core.state import ConversationState
from bot.core.text import fold
from bot.data.flow_models import Option, Step
from bot.data.flows import load_flows
from bot.data.knowledge import load_knowledge
from tests.conftest import TODAY
from tests.flows.chat import Chat

_FLOWS = load_flows(load_knowledge().procedures)
CHOICE_STEPS: list[tuple[str, Step]] = [
    (f"{flow.id}.{step.id}", step) for flow in _FLOWS.flows.values() for step in flow.steps if step.type == "choice"
]
BARE = ["có", "co", "ko", "không", "k", "ừ", "uh", "dạ", "vâng", "ok", "rồi", "chưa", "đúng", "yes", "no",
        "có ạ", "dạ có", "ko ạ", "không biết", "ko bt"]  # fmt: skip


@pytest.fixture
def chat(engine: Engine) -> Chat:
    """A fresh conversation with the real engine."""
    return Chat(engine)


def _option(step: Step, option_id: str) -> Option:
    return next(o for o in step.options if o.id == option_id)


@pytest.mark.parametrize(("where", "step"), CHOICE_STEPS, ids=[w for w, _s in CHOICE_STEPS])
def test_a_bare_yes_or_no_picks_nothing_unless_an_option_means_it(where: str, step: Step) -> None:
    """At every choice step of every flow, "có", "ko", "ừ"… pick no option unless one declares `means`."""
    for typed in BARE:
        picked = parse_choice(typed, step.options)
        meant = [o.id for o in step.options if o.means is not None and parse_choice(o.means, step.options) == o.id]
        if picked is not None:
            assert _option(step, picked).means is not None, f"{where}: {typed!r} picked {picked!r}"
            assert picked in meant


@pytest.mark.parametrize(("where", "step"), CHOICE_STEPS, ids=[w for w, _s in CHOICE_STEPS])
def test_each_option_label_picks_its_option(where: str, step: Step) -> None:
    """Every option's label, in either language, with or without accents, picks that option."""
    for option in step.options:
        for label in (option.label.vi, option.label.en, fold(option.label.vi), option.label.vi.lower()):
            assert parse_choice(label, step.options) == option.id, f"{where}: {label!r}"


@pytest.mark.parametrize(("where", "step"), CHOICE_STEPS, ids=[w for w, _s in CHOICE_STEPS])
def test_each_option_word_picks_its_option_or_nothing(where: str, step: Step) -> None:
    """Each declared word of an option picks that option, or nothing when another option also claims it."""
    for option in step.options:
        for word in option.match:
            picked = parse_choice(word, step.options)
            assert picked in (option.id, None), f"{where}: {word!r} picked {picked!r}"
            if not any(fold(word) in map(fold, o.match) for o in step.options if o is not option):
                assert picked == option.id, f"{where}: {word!r} picked nothing"


@pytest.mark.parametrize(("where", "step"), CHOICE_STEPS, ids=[w for w, _s in CHOICE_STEPS])
def test_numbers_pick_only_within_range(where: str, step: Step) -> None:
    """"1".."n" pick that option; 0 and n+1 pick nothing."""
    n = len(step.options)
    for i, option in enumerate(step.options, 1):
        assert parse_choice(str(i), step.options) == option.id
        assert parse_choice(f"số {i}", step.options) == option.id
    assert parse_choice("0", step.options) is None
    assert parse_choice(str(n + 1), step.options) is None


def _step(flow: str, step: str) -> Step:
    found = _FLOWS.flows[flow].step(step)
    assert found is not None
    return found


BORN = _step("birth_registration", "born_where")
DIED = _step("death_registration", "died_where")
PURPOSE = _step("permanent_residence", "purpose")
CARD = _step("identity_card", "lost_or_damaged")
CASE = _step("identity_card", "card_case")
FOREIGN = _step("marriage_registration", "foreign_element")
HOME = _step("permanent_residence", "home_type")
WHO = _step("temporary_absence", "who")

TYPED: list[tuple[Step, str, str | None]] = [
    (BORN, "bệnh viện", "facility"), (BORN, "benh vien", "facility"), (BORN, "bv huyện", "facility"),
    (BORN, "sinh ở bệnh viện tỉnh", "facility"), (BORN, "trạm y tế xã", "facility"),
    (BORN, "benh vein", "facility"), (BORN, "ở nhà", "home"), (BORN, "đẻ ở nhà", "home"),
    (BORN, "nước ngoài", "abroad"), (BORN, "bên Nhật, nước ngoài", "abroad"), (BORN, "hospital", "facility"),
    (BORN, "at home", "home"), (BORN, "không phải bệnh viện", None), (BORN, "ko phải ở nhà", None),
    (BORN, "có, ở bệnh viện", "facility"), (BORN, "co so y te", "facility"), (BORN, "cơ", None),
    (BORN, "so", None), (BORN, "ở", None), (BORN, "ở nhà hay bệnh viện", None), (BORN, "ok", None),
    (BORN, "đẻ ở viện", "facility"), (DIED, "ở viện", "facility"), (DIED, "nằm viện rồi mất", "facility"),
    (DIED, "không phải ở viện", None), (DIED, "ko phai benh vien", None),
    (DIED, "có", None), (DIED, "tai nạn giao thông", "accident"), (DIED, "mất ở nhà", "home"),
    (DIED, "ở bệnh viện", "facility"), (DIED, "già yếu mất tại nhà", "home"), (DIED, "đột tử", "accident"),
    (PURPOSE, "có", None), (PURPOSE, "co", None), (PURPOSE, "nhập khẩu cho con mới sinh", "newborn"),
    (PURPOSE, "tách hộ", "split"), (PURPOSE, "chuyển khẩu về nhà mới", "moving"), (PURPOSE, "con", None),
    (CARD, "mất", "lost_card"), (CARD, "bị mất rồi", "lost_card"), (CARD, "hỏng", "damaged_card"),
    (CARD, "hỏng chip", "damaged_card"), (CARD, "gãy", "damaged_card"), (CARD, "ko", None),
    (CARD, "bị trộm", "lost_card"), (CARD, "không", None),
    (FOREIGN, "có", "domestic"), (FOREIGN, "đúng rồi", "domestic"), (FOREIGN, "vâng ạ", "domestic"),
    (FOREIGN, "không", "foreign"), (FOREIGN, "không phải", "foreign"), (FOREIGN, "chồng là việt kiều", "foreign"),
    (FOREIGN, "ko biết", None),
    (HOME, "nhà thuê", "rented"), (HOME, "nhà bố mẹ", "relative"), (HOME, "nhà mình", "own"),
    (HOME, "có", None), (HOME, "ở nhờ", "rented"), (HOME, "nhà cha mẹ", "relative"),
    # --- a place in the list, said in words
    (BORN, "cái đầu tiên", "facility"), (BORN, "cái thứ hai", "home"), (BORN, "số hai", "home"),
    (BORN, "thứ ba", "abroad"), (BORN, "cái cuối", "abroad"), (BORN, "cuối cùng", "abroad"),
    (BORN, "the second one", "home"), (BORN, "first", "facility"), (BORN, "cái thứ 2", "home"),
    (BORN, "chọn 2", "home"), (BORN, "số 3", "abroad"), (BORN, "2.", "home"), (BORN, "hai", None),
    (BORN, "ba", None), (BORN, "cái thứ tư", None), (BORN, "số 4", None), (BORN, "２", None),
    (BORN, "cai thu 2", "home"), (BORN, "số 2 nhé", "home"), (BORN, "cái đầu tiên ạ", "facility"),
    (BORN, "nút 3", "abroad"), (BORN, "chọn 1 đi", "facility"), (BORN, "cái cuối cùng nha", "abroad"),
    # --- everyday words declared per option
    (BORN, "trạm xá", "facility"), (BORN, "sinh tại nhà", "home"), (DIED, "bệnh già", "home"),
    (DIED, "mất tại bệnh viện", "facility"), (CARD, "thất lạc", "lost_card"),
    (PURPOSE, "nhập khẩu cho bé", "newborn"),
    # --- the ID card's case, typed as people tell what happened
    (CASE, "bi mat roi", "lost"), (CASE, "mất ví rồi", "lost"), (CASE, "bị trộm mất ví", "lost"),
    (CASE, "bị móc túi", "lost"), (CASE, "the bi gay", "lost"), (CASE, "het han roi", "milestone"),
    (CASE, "lam cho con", "child"), (CASE, "sai ten", "change"), (CASE, "mat khau", None), (CASE, "ko", None), (CASE, "mất rồi", "lost"),
    # --- "nó" (he, she) typed with its accent is who, not a "no" before the option's words
    (WHO, "nó đi làm thôi", "ordinary"), (WHO, "nó đi học", "ordinary"), (WHO, "no di lam", None),
    (WHO, "không đi làm", None),
]  # fmt: skip


@pytest.mark.parametrize(("step", "typed", "expected"), TYPED, ids=[f"{s.id}:{t}" for s, t, _e in TYPED])
def test_typed_words_pick_the_option_meant(step: Step, typed: str, expected: str | None) -> None:
    """Typed words, typos and negations pick the option meant, or nothing when unclear."""
    assert parse_choice(typed, step.options) == expected


def _runner_at(flow_id: str) -> tuple[FlowRunner, ConversationState]:
    runner = FlowRunner(_FLOWS, lambda: TODAY)
    state = ConversationState()
    runner.start(_FLOWS.flows[flow_id], state, [])
    return runner, state


def test_typed_co_at_the_death_place_is_asked_again_with_the_options() -> None:
    """A typed "có" at "where did the person die?" records nothing and lists the options (it once recorded a hospital)."""
    runner, state = _runner_at("death_registration")
    flow = _FLOWS.flows["death_registration"]
    with i18n.use("vi"):
        assert runner.answer(flow, DIED, "có", state, []) is None
        again = runner.invalid(flow, DIED, state, "có").text
    assert state.flow is not None
    assert state.flow.answers == {}
    assert "“có”" in again
    for i, option in enumerate(DIED.options, 1):
        assert f"{i}. {option.label.vi}" in again


def test_typed_co_at_the_residence_purpose_does_not_jump_to_the_newborn_branch() -> None:
    """A typed "có" at the permanent-residence purpose stays on that question (it once took the newborn branch)."""
    runner, state = _runner_at("permanent_residence")
    flow = _FLOWS.flows["permanent_residence"]
    assert runner.answer(flow, PURPOSE, "có", state, []) is None
    assert state.flow is not None
    assert (state.flow.step, state.flow.answers) == ("purpose", {})


def test_words_not_naming_an_option_are_asked_again_with_the_options() -> None:
    """Words that fit no option are asked again with every option listed by number, in English too."""
    runner, state = _runner_at("permanent_residence")
    flow = _FLOWS.flows["permanent_residence"]
    with i18n.use("en"):
        again = runner.invalid(flow, PURPOSE, state, "hmm cái kia").text
    assert "Sorry, I didn't understand which one you mean" in again
    for i, option in enumerate(PURPOSE.options, 1):
        assert f"{i}. {option.label.en}" in again


async def test_typed_words_at_a_choice_step_are_recorded(chat: Chat) -> None:
    """Typing the words of an option at a choice step records that option and moves on."""
    await chat.start("death_registration")
    await chat.say("mất ở nhà ạ")
    assert chat.answers == {"died_where": "home"}


def test_reading_a_choice_is_fast() -> None:
    """A typed answer at a choice step is read in well under a millisecond on average."""
    samples = [(step, typed) for step, typed, _e in TYPED]
    started = time.perf_counter()
    for _ in range(5):
        for step, typed in samples:
            parse_choice(typed, step.options)
    assert (time.perf_counter() - started) / (5 * len(samples)) < 0.001


OTHER = [
    ("cái kia", True), ("cai kia", True), ("cai con lai", True), ("cái còn lại nhé", True), ("cái tê", True),
    ("không, cái kia", True), ("nhầm rồi, cái kia mới đúng", True), ("chọn cái kia", True), ("cái khác", True),
    ("the other one", True), ("i meant the other one", True),
    ("kia", True), ("cái kia là gì", False), ("bên kia", False), ("hôm kia", False), ("cái thứ 2", False),
    ("người khác làm được không", False), ("khác gì nhau", False), ("có", False), ("", False),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "expected"), OTHER, ids=[repr(t) for t, _e in OTHER])
def test_the_other_of_two_is_read_as_people_type_it(typed: str, expected: bool) -> None:
    """"Cái kia", "cai con lai", "the other one" ask for the option not taken; questions do not."""
    assert is_the_other(typed) is expected


FOREIGN = _step("marriage_registration", "foreign_element")


@pytest.mark.parametrize(("typed", "expected"), [
    ("dung roi ca 2 deu o vn", "domestic"), ("cả hai đều là người việt", "domestic"),
    ("a ay nguoi nuoc ngoai", "foreign"),
])  # fmt: skip
def test_both_in_vietnam_typed_in_shorthand(typed: str, expected: str) -> None:
    """"Đúng rồi cả 2 đều ở vn" at the marriage guide's first question is both Vietnamese in the
    country; it was asked again."""
    assert parse_choice(typed, FOREIGN.options) == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("k phai, ny e nguoi uc", "foreign"), ("không, chồng sắp cưới ở mỹ", "foreign"),
    ("dung vay, 2 dua o ha tinh", "domestic"), ("ko, a ay o vn, nguoi viet", "domestic"),
])  # fmt: skip
def test_a_yes_or_no_said_first_picks_the_option_meaning_it(typed: str, expected: str) -> None:
    """"K phải, ny e người úc" to "Both Vietnamese, living here, right?" is the foreign case: the no
    said first picks the option declared `means: no` when no option's own words are typed (they
    still win: "ko, a ay o vn, nguoi viet" names the domestic one). It was asked again."""
    assert parse_choice(typed, FOREIGN.options) == expected


HOME = _step("permanent_residence", "home_type")


@pytest.mark.parametrize("typed", ["o nha cha me chong", "nha cha me chong", "ở nhà bố mẹ chồng"])
def test_an_option_named_in_words_that_all_read_as_a_reply(typed: str) -> None:
    """"Nhà cha mẹ chồng" is all particles and "chả" (no) to the reply words, so it read as a bare no
    and picked nothing; the option "nhà cha mẹ" is typed whole in it: the relative's home."""
    assert parse_choice(typed, HOME.options) == "relative"


@pytest.mark.parametrize(("flow", "step", "typed", "expected"), [
    ("temporary_absence", "who", "no dang trong tuoi di nghia vu", "military_age"),
    ("temporary_absence", "who", "anh di phu ho ngoai bac", "ordinary"),
    ("temporary_absence", "who", "di lam thue o sai gon", "ordinary"),
    ("vehicle_registration", "vehicle_case", "moi mua xe honda o dai ly", "new"),
    ("vehicle_registration", "vehicle_case", "vua mua xe o cua hang", "new"),
])  # fmt: skip
def test_a_case_told_in_everyday_words(flow: str, step: str, typed: str, expected: str) -> None:
    """"Đang trong tuổi đi nghĩa vụ", "đi phụ hồ", "mới mua xe ở đại lý" name the case in the words
    people use; they were asked again (or read as the military-service topic we do not cover)."""
    assert parse_choice(typed, _step(flow, step).options) == expected
