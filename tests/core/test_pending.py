"""A question asked with buttons is answered by typing: yes/no, the button's words or its number."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from bot.core.messages import Inbound
from bot.core.pending import read_asked
from bot.core.state import Asked, ConversationState
from bot.core.turn import Turn

CONSENT = Asked(
    text="Shall I ask a volunteer to call you?",
    buttons=[("Có, nhờ người gọi cho tôi", "hd:yes"), ("Không, cảm ơn", "hd:no")],
    yes="hd:yes",
    no="hd:no",
)
CHOICE = Asked(
    text="Did you mean one of these?",
    buttons=[("Đăng ký tạm trú", "p:temporary_residence"), ("Đăng ký thường trú", "p:permanent_residence"),
             ("Không phải các mục này", "m:0")],
    no="m:0",
)


@pytest.mark.parametrize("typed", ["có", "co", "ừ", "uh", "vâng", "dạ", "dạ có", "ok", "được", "đồng ý", "yes", "1"])
def test_a_typed_yes_presses_the_yes_button(typed: str) -> None:
    """Yes in Vietnamese or English, accents or not, or the button's number, presses "yes"."""
    assert read_asked(CONSENT, typed) == "hd:yes"


@pytest.mark.parametrize("typed", ["không", "ko", "k", "không cần", "thôi", "no", "2", "Không, cảm ơn"])
def test_a_typed_no_presses_the_no_button(typed: str) -> None:
    """No, in the ways people type it, or the no button's words, presses "no"."""
    assert read_asked(CONSENT, typed) == "hd:no"


@pytest.mark.parametrize("typed", ["cảm ơn", "alo", "hmm", "3", "0", "cái thứ 3", "làm căn cước ở đâu", "", "   ", "ở đâu"])
def test_what_answers_nothing_presses_nothing(typed: str) -> None:
    """Thanks, a greeting, a number past the buttons or a new question press no button."""
    assert read_asked(CONSENT, typed) is None


@pytest.mark.parametrize(
    ("typed", "payload"),
    [
        ("dang ky tam tru", "p:temporary_residence"),
        ("Đăng ký thường trú", "p:permanent_residence"),
        ("dang ky thuong tru a", "p:permanent_residence"),
        ("2", "p:permanent_residence"),
        ("cai thu 2", "p:permanent_residence"),
        ("cái thứ hai ạ", "p:permanent_residence"),
        ("số 1", "p:temporary_residence"),
        ("cái cuối", "m:0"),
        ("ko phai", "m:0"),
    ],
)
def test_a_choice_is_made_by_its_words(typed: str, payload: str) -> None:
    """A button of several is pressed by typing its label (accents optional) or its number."""
    assert read_asked(CHOICE, typed) == payload


@pytest.mark.parametrize("typed", ["có", "ừ", "đăng ký", "cái đó"])
def test_a_choice_is_never_picked_for_the_person(typed: str) -> None:
    """A bare yes, or words that fit several buttons, pick nothing: no option is first by default."""
    assert read_asked(CHOICE, typed) is None


async def say(engine: Engine, state: ConversationState | None, text: str) -> Turn:
    return await engine.handle(Inbound("test", "pending-user", text), state)


async def test_typed_yes_confirms_erasing_and_typed_no_keeps(engine: Engine) -> None:
    """/xoadulieu asks before deleting: a typed "có" deletes, a typed "ko" keeps everything."""
    asked = await say(engine, None, "/xoadulieu")
    kept = await say(engine, asked.state, "ko")
    assert not kept.erase
    assert "Chưa xóa" in kept.messages[0].text
    asked = await say(engine, kept.state, "/xoadulieu")
    erased = await say(engine, asked.state, "có")
    assert erased.erase


async def test_a_new_question_at_the_erase_prompt_is_answered_and_deletes_nothing(engine: Engine) -> None:
    """A question typed under "Delete?" is answered; the destructive question is not asked again."""
    asked = await say(engine, None, "/xoadulieu")
    turn = await say(engine, asked.state, "làm hộ chiếu ở đâu")
    assert not turn.erase
    assert turn.state.procedure == "passport"
    assert turn.state.asked is None


async def test_yes_to_a_single_suggestion_opens_it(engine: Engine) -> None:
    """Under "Did you mean X?" with one suggestion, a typed "đúng rồi" opens X."""
    state = ConversationState(asked=Asked(text="Did you mean", buttons=[("Hộ chiếu", "p:passport"), ("None", "m:0")],
                                          yes="p:passport", no="m:0", keep=False))  # fmt: skip
    turn = await say(engine, state, "đúng rồi")
    assert turn.state.procedure == "passport"


async def test_gibberish_at_a_yes_no_question_asks_it_again(engine: Engine) -> None:
    """Words that answer nothing and ask nothing get the same question again, with its buttons."""
    asked = await say(engine, None, "/xoadulieu")
    turn = await say(engine, asked.state, "hmm để xem")
    assert not turn.erase
    assert [b.payload for b in turn.messages[-1].buttons] == ["erase:yes", "erase:no"]
    assert turn.state.asked is not None


async def test_typed_yes_resumes_a_paused_guide(engine: Engine) -> None:
    """After a side question, "ok tiếp đi" (or "có") takes the person back to the guide's question."""
    state = None
    for text in ("huong dan dang ky khai sinh", "con sinh o benh vien"):
        state = (await say(engine, state, text)).state
    side = await say(engine, state, "khai sinh mat bao nhieu tien")
    assert side.state.flow is not None
    assert side.state.flow.paused
    back = await say(engine, side.state, "có")
    assert back.state.flow is not None
    assert not back.state.flow.paused
    assert back.flow_spoke


OUTCOME = Asked(
    text="Kết quả thế nào?",
    buttons=[("✅ Đã nộp trực tuyến xong", "av:online"), ("🏢 Hướng dẫn đến cơ quan", "av:office"),
             ("❌ Chưa làm được", "av:unfinished")],
)


@pytest.mark.parametrize(
    ("typed", "payload"),
    [("nop truc tuyen xong", "av:online"), ("huong dan den co quan", "av:office"), ("chưa làm được", "av:unfinished"),
     ("3", "av:unfinished")],
)
def test_most_of_a_label_presses_it(typed: str, payload: str) -> None:
    """A volunteer typing most of an outcome's words records that outcome; emoji need not be typed."""
    assert read_asked(OUTCOME, typed) == payload


@pytest.mark.parametrize("typed", ["làm được", "xong", "co quan"])
def test_a_part_that_changes_the_meaning_presses_nothing(typed: str) -> None:
    """"làm được" leaves out the "chưa" of "Chưa làm được"; one word alone is too little to choose."""
    assert read_asked(OUTCOME, typed) is None


async def test_step_by_step_under_a_did_you_mean_of_one_is_yes_and_the_guide(engine: Engine) -> None:
    """"Did you mean: birth registration?" answered "hướng dẫn từng bước" / "step by step": that
    procedure, walked through — not "please answer yes or no"."""
    for text, lang in (("hướng dẫn từng bước", "vi"), ("step by step please", "en")):
        asked = Asked(text="Did you mean one of these?", keep=False, yes="p:birth_registration", no="m:0",
                      buttons=[("Đăng ký khai sinh", "p:birth_registration"), ("Không phải", "m:0")])  # fmt: skip
        turn = await engine.handle(Inbound("web", f"dym-{lang}", text=text, lang_hint=lang),
                                   ConversationState(asked=asked))  # fmt: skip
        assert turn.state.flow is not None
        assert turn.state.flow.flow == "birth_registration"


async def test_a_pick_by_place_with_nothing_asked_presses_the_button_last_shown(engine: Engine) -> None:
    """After an answer, "cai thu 2" presses its second button (papers), on any channel, as a
    number does in the terminal; "quay lại" goes back to the overview."""
    answer = await say(engine, None, "lam cccd")
    second = answer.state.shown[1]
    assert second == "s:identity_card:papers"
    picked = await say(engine, answer.state, "cai thu 2")
    assert "Giấy tờ cần chuẩn bị" in picked.messages[0].text
    again = await say(engine, picked.state, "2")
    assert "Lệ phí và thời gian" in again.messages[0].text  # the second button of the papers reply
    back = await say(engine, again.state, "quay lại")
    assert back.messages[0].text.startswith("📋 Thẻ căn cước")
    assert "Lệ phí và thời gian" not in back.messages[0].text.split("\n")[0]


async def test_a_pick_past_the_buttons_shown_says_so_instead_of_searching(engine: Engine) -> None:
    """"cái thứ 9" when fewer buttons were shown, or nothing was: a short "which one?", never a
    decline about public services."""
    first = await say(engine, None, "cái thứ 2")
    assert "chưa rõ bạn chọn mục nào" in first.messages[0].text
    answer = await say(engine, None, "khai sinh")
    past = await say(engine, answer.state, "cai thu 15")
    assert "chưa rõ bạn chọn mục nào" in past.messages[0].text
    assert past.state.procedure == "birth_registration"


@pytest.mark.parametrize("typed", ["xóa dữ liệu", "xoa du lieu cua toi", "Xóa hết dữ liệu của tôi đi", "xóa thông tin của tôi",
                                   "xóa dữ liệu cá nhân của mình", "delete my data", "erase my data please"])
async def test_asking_in_words_to_delete_my_data_asks_as_the_command_does(engine: Engine, typed: str) -> None:
    """"xóa dữ liệu của tôi" typed is /xoadulieu: the same question before anything is deleted
    (probed: it was answered as the food safety certificate we do not cover)."""
    asked = await say(engine, None, typed)
    assert not asked.erase
    assert [b.payload for b in asked.messages[-1].buttons] == ["erase:yes", "erase:no"]
    erased = await say(engine, asked.state, "có")
    assert erased.erase


async def test_asking_to_delete_my_data_in_the_middle_of_a_guide_asks_too(engine: Engine) -> None:
    """A guide under way does not swallow the request as an answer to its step."""
    state = (await say(engine, None, "huong dan dang ky khai sinh")).state
    assert state.flow is not None
    asked = await say(engine, state, "xóa dữ liệu của tôi")
    assert [b.payload for b in asked.messages[0].buttons] == ["erase:yes", "erase:no"]
    assert (await say(engine, asked.state, "có")).erase


@pytest.mark.parametrize("typed", ["xóa đăng ký thường trú", "xóa dữ liệu trên vneid thế nào", "xóa tài khoản vneid"])
async def test_deleting_something_else_is_not_taken_for_erasing_my_data(engine: Engine, typed: str) -> None:
    """Questions about deleting a record elsewhere are questions, not a request to erase ours."""
    turn = await say(engine, None, typed)
    assert all(b.payload != "erase:yes" for m in turn.messages for b in m.buttons)
