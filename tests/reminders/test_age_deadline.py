"""The identity card's exchange at 14, 25, 40 and 60 (Law on Identification 26/2023/QH15, art. 21):
the due date counted from a date or a year of birth, the flow data that declares it (checked at
load, naming file and line), and what a reminder keeps (never the birth date)."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from bot.core.age_deadline import birth_span, next_age_due, on_birthday
from bot.core.engine import Engine
from bot.core.messages import Inbound
from bot.core.reminders import ReminderTalk, due_date
from bot.core.state import ConversationState
from bot.data.flows import FlowSet, load_flows
from bot.data.sourcing import Findings, check_flow
from bot.errors import DataError
from bot.reminders.memory import MemoryReminderBook
from tests.conftest import TODAY
from tests.flows.test_flow_checks import GOOD, PROCEDURES, line

AGES = (14, 25, 40, 60)


@pytest.mark.parametrize("value", ["skip", "", "abc", "1990-13", "1990-02-30", "19900"])
def test_no_birth_date_no_due_date(value: str) -> None:
    """A skipped or malformed answer gives no deadline (and no button), never an error."""
    assert birth_span(value) is None
    assert next_age_due(value, AGES, 2, TODAY) is None


CASES = [
    # born, today, due, age — the card counted as made on `today`
    ("1990-03-15", "2026-11-23", "2030-03-15", 40),  # 36: next is 40, not within 2 years of it
    ("1988-11-01", "2026-11-23", "2048-11-01", 60),  # 38 since 1 November: within 2 years of 40, lasts to 60
    ("1988-12-01", "2026-11-23", "2028-12-01", 40),  # 38 only next week: not yet within 2 years of 40
    ("1988-11-23", "2026-11-23", "2048-11-23", 60),  # exactly 38 today: the window has opened
    ("1988-11-24", "2026-11-23", "2028-11-24", 40),  # 38 tomorrow: not yet within 2 years
    ("2001-06-01", "2026-11-23", "2041-06-01", 40),  # just turned 25: exchanging now lasts to 40
    ("2020-02-29", "2026-11-23", "2034-02-28", 14),  # a child born on 29 February: the 28th in 2034
    ("2013-01-10", "2026-11-23", "2038-01-10", 25),  # a 13-year-old: within 2 years of 14, lasts to 25
    ("1960-05-01", "2026-11-23", None, None),  # over 60: the card lasts for life
    ("1967-01-01", "2026-11-23", None, None),  # 59: within 2 years of 60, lasts for life
    ("1990", "2026-11-23", "2030-01-01", 40),  # year only: from 1 January, so never late
    ("1988", "2026-11-23", "2028-01-01", 40),  # 38 this year, birthday unknown: the earlier age counts
    ("1987", "2026-11-23", "2047-01-01", 60),  # 39 this year: certainly within 2 years of 40
    ("1990-05", "2026-11-23", "2030-05-01", 40),
]  # fmt: skip


@pytest.mark.parametrize(("born", "today", "due", "age"), CASES, ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_the_next_exchange_age(born: str, today: str, due: str | None, age: int | None) -> None:
    found = next_age_due(born, AGES, 2, dt.date.fromisoformat(today))
    assert found == (None if due is None else (dt.date.fromisoformat(due), age))


def test_the_birthday_at_an_age() -> None:
    assert on_birthday(dt.date(1990, 3, 15), 40) == dt.date(2030, 3, 15)
    assert on_birthday(dt.date(2024, 2, 29), 14) == dt.date(2038, 2, 28)
    assert on_birthday(dt.date(2024, 2, 29), 16) == dt.date(2040, 2, 29)


@pytest.mark.parametrize(("case", "extra", "due"), [
    ("first", {}, "2030-01-01"),
    ("milestone", {"issued_near_milestone": "no"}, "2030-01-01"),
    ("milestone", {"issued_near_milestone": "yes"}, "2030-01-01"),
    ("child", {"child_age": "7"}, "2033-01-01"),
    ("lost", {"lost_or_damaged": "lost_card"}, "2030-01-01"),
    ("lost", {"lost_or_damaged": "damaged_card"}, "2030-01-01"),
    ("change", {"change_reason": "renamed_commune"}, "2030-01-01"),
    ("change", {"change_reason": "details_changed"}, "2030-01-01"),
    ("change", {"change_reason": "wrong_info"}, "2030-01-01"),
    ("change", {"change_reason": "switch_cccd"}, "2030-01-01"),
])  # fmt: skip
def test_the_identity_card_guide_declares_the_deadline(flows: FlowSet, engine: Engine, case: str,
                                                       extra: dict[str, str], due: str) -> None:  # fmt: skip
    """First card, exchange at an age, a child's card, a card re-issued after loss or damage or
    exchanged for changed details (art. 21.2 names cards 'cấp, cấp đổi, cấp lại'): each counts the
    next age from the year of birth."""
    born = {"child_birth_date": "2019"} if case == "child" else {"birth_date": "1990"}
    found = due_date(engine.runner, flows.flows["identity_card"], {"card_case": case, **extra, **born}, TODAY)
    assert found is not None
    assert found[0] == dt.date.fromisoformat(due)
    assert found[1].sources, "the rule names its sources"


@pytest.mark.parametrize(("born", "due", "age"), [
    ("2019", "2033-01-01", 14),  # 7: the child's card is exchanged at 14
    ("2015-03-15", "2029-03-15", 14),  # 11: not yet within 2 years of 14
    ("2014", "2028-01-01", 14),  # 11 or 12 this year, birthday unknown: the earlier age counts
    ("2013", "2038-01-01", 25),  # 12 or 13: made within 2 years before 14, it lasts to 25 (art. 21.2)
])  # fmt: skip
def test_a_child_card_is_due_at_14_unless_made_at_12_or_13(flows: FlowSet, engine: Engine, born: str, due: str,
                                                            age: int) -> None:  # fmt: skip
    """A child's card follows art. 21 like any other: due at 14, or at 25 when made within 2 years before 14."""
    answers = {"card_case": "child", "child_age": "7", "child_birth_date": born}
    found = due_date(engine.runner, flows.flows["identity_card"], answers, TODAY)
    assert found is not None
    assert found[0] == dt.date.fromisoformat(due)
    assert next_age_due(born, AGES, 2, TODAY) == (dt.date.fromisoformat(due), age)


@pytest.mark.parametrize("answers", [
    {"card_case": "lost", "lost_or_damaged": "lost_card"},
    {"card_case": "change", "change_reason": "wrong_info", "birth_date": "skip"},
    {"card_case": "first", "birth_date": "skip"},
    {"card_case": "first", "birth_date": "1950"},
])  # fmt: skip
def test_no_deadline_without_a_year_or_after_the_last_age(flows: FlowSet, engine: Engine, answers: dict[str, str]) -> None:
    assert due_date(engine.runner, flows.flows["identity_card"], answers, TODAY) is None


async def test_the_reminder_keeps_the_due_date_not_the_birth_date(engine: Engine) -> None:
    """Set from the checklist, the reminder row holds channel, user, guide, due date and language;
    the date of birth stays in the conversation's answers only."""
    book = MemoryReminderBook()
    mine = copy.copy(engine)
    mine.reminders = ReminderTalk(book, mine.runner)
    state: ConversationState | None = None
    for text in ("huong dan lam the can cuoc", "lam lan dau", "15/3/1990"):
        turn = await mine.handle(Inbound("telegram", "77", text), state)
        state = turn.state
    turn = await mine.handle(Inbound("telegram", "77", payload="r:set:identity_card"), state)
    said = "\n".join(m.text for m in turn.messages)
    assert "15/03/2030" in said
    assert "ngày đủ 40 tuổi" in said
    assert "1990" not in said, "the date of birth is not said back when the reminder is set"
    [row] = book.rows.values()
    assert (row.channel, row.user_id, row.flow, row.due, row.lang) == ("telegram", "77", "identity_card", dt.date(2030, 3, 15), "vi")
    assert "1990" not in repr(row)


# --- the data, checked at load ----------------------------------------------------------------
WITH_BIRTH = GOOD.replace("""  - id: second
    ask: {vi: "Câu hai?", en: "Two?"}
    type: yesno""", """  - id: second
    ask: {vi: "Năm sinh?", en: "Born?"}
    type: date
    year_ok: true""").replace("  - when: {second: true}\n", "  - when: {first: opt_b}\n")
LABEL = "    label: {vi: \"đổi thẻ\", en: \"exchange\"}\n"


def test_an_age_deadline_loads(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text(WITH_BIRTH + "deadlines:\n  - after: second\n    ages: [14, 25]\n"
                                        "    lasts_if_within_years: 2\n" + LABEL, encoding="utf-8")  # fmt: skip
    flow = load_flows(PROCEDURES, folder=tmp_path).flows["demo"]
    assert flow.deadlines[0].ages == (14, 25)


@pytest.mark.parametrize(("entry", "words"), [
    ("  - after: second\n    ages: [25, 14]\n", "increasing order"),
    ("  - after: second\n    ages: [14, 14]\n", "each once"),
    ("  - after: second\n    ages: [0, 14]\n", "from 1 to 120"),
    ("  - after: second\n    ages: [14]\n    days: 30\n", "no `days`"),
    ("  - months_from: second\n    ages: [14]\n", "give `after`"),
    ("  - after: second\n    lasts_if_within_years: 2\n", "only goes with `ages`"),
    ("  - after: second\n    days: 30\n", "may hold only a year"),
])  # fmt: skip
def test_a_wrong_age_deadline_names_its_file_and_line(tmp_path: Path, entry: str, words: str) -> None:
    text = WITH_BIRTH + "deadlines:\n" + entry + LABEL
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_flows(PROCEDURES, folder=tmp_path)
    [problem] = caught.value.problems
    assert problem.startswith("flows/demo.yaml:"), problem
    assert "deadlines" in problem or f":{line(text, entry.splitlines()[0].strip())}:" in problem, problem
    assert words in problem


@pytest.mark.parametrize(("typed", "value"), [
    ("2019", "2019"), ("bé sinh 2019", "2019"), ("15/3/2019", "2019-03-15"), ("2012", "2012"),  # may be 13
    ("12/2012", "2012-12"), ("2026", "2026"),  # a baby born this year
    ("2011", None), ("sinh năm 1990", None), ("15/3/2012", None), ("5/2012", None),  # certainly 14 or older
])  # fmt: skip
def test_a_child_year_of_birth_refuses_a_year_too_old_for_a_child(flows: FlowSet, engine: Engine, typed: str,
                                                                   value: str | None) -> None:  # fmt: skip
    """The child's question takes a child's year and refuses one that makes the holder 14 or older
    (most often a parent's own year), saying from which year a child under 14 is born."""
    step = flows.flows["identity_card"].step("child_birth_date")
    assert step is not None
    assert step.under_age == 14
    reading = engine.runner.read(step, typed)
    assert reading.value == value
    if value is None:
        assert reading.problem is not None
        assert "2012" in reading.problem


@pytest.mark.parametrize(("field", "problem"), [
    ("under_age: 14", "`under_age` goes only with `year_ok: true`"),
    ("year_ok: true", "`year_ok` is for date steps"),
], ids=["under_age without year_ok", "year_ok on a yes/no step"])  # fmt: skip
def test_year_fields_are_checked_at_load(tmp_path: Path, field: str, problem: str) -> None:
    text = GOOD.replace("    type: yesno", f"    type: yesno\n    {field}", 1)
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_flows(PROCEDURES, folder=tmp_path)
    assert problem in caught.value.problems[0]
    assert caught.value.problems[0].startswith("flows/demo.yaml:")


@pytest.mark.parametrize(("sources", "words"), [((), "names no source"), (("nowhere_1",), "unknown id(s) nowhere_1")])
def test_a_deadline_cites_its_rule(flows: FlowSet, sources: tuple[str, ...], words: str) -> None:
    """`kb check` refuses a deadline without sources, or citing an id the procedure does not have;
    the real flows all cite theirs."""
    for flow in flows.flows.values():
        found = Findings()
        check_flow(flow, flows.sources[flow.id], TODAY, found)
        assert not [e for e in found.errors if "deadlines" in e], found.errors
    card = flows.flows["identity_card"]
    broken = card.model_copy(update={"deadlines": (card.deadlines[0].model_copy(update={"sources": sources}),)})
    found = Findings()
    check_flow(broken, flows.sources["identity_card"], TODAY, found)
    assert any(e.startswith("flows/identity_card.yaml: deadlines[0]") and words in e for e in found.errors), found.errors
