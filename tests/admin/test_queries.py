"""Dashboard queries as a storage contract: the same numbers on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from bot.admin.inbox_queries import EventFilters, browse, inbox
from bot.admin.people import people
from bot.admin.queries import Filters, communes, dashboard
from bot.admin.schema import admin_daily_people
from bot.admin.site import AdminSite
from tests.admin.data import AN_HOA, D1, D2, EXPECTED, EXPECTED_TAN_PHU, SO_DO, TAN_PHU, TODAY, insert, row

LAST_30 = Filters(TODAY - timedelta(days=29), TODAY)


def test_overview_totals_match_the_script(seeded: AdminSite) -> None:
    """Conversations, questions, answers, feedback, guides and human help add up as scripted."""
    with seeded.db.connect() as connection:
        board = dashboard(connection, LAST_30, TODAY)
    totals = board.totals
    assert {name: getattr(totals, name) for name in EXPECTED} == EXPECTED
    assert totals.answer_rate == 0.5
    assert totals.completion_rate == 0.5
    assert board.questions_per_day[D1] == 3
    assert board.questions_per_day[D2] == 3
    assert board.conversations_per_day[D1] == 3
    assert board.conversations_per_day[D2] == 3
    assert board.answered_per_day[D1] == 2
    assert board.answered_per_day[D2] == 1
    assert len(board.questions_per_day) == 30


def test_procedures_and_channels_are_broken_down(seeded: AdminSite) -> None:
    """Each procedure has its questions, answers, votes and guides; each channel its conversations."""
    with seeded.db.connect() as connection:
        board = dashboard(connection, LAST_30, TODAY)
    rows = {r.procedure: r for r in board.procedures}
    assert set(rows) == {"identity_card", "vneid", "birth_registration"}
    assert (rows["identity_card"].questions, rows["identity_card"].answers, rows["identity_card"].helpful) == (1, 1, 1)
    assert (rows["identity_card"].flows_started, rows["identity_card"].flows_abandoned) == (1, 1)
    assert (rows["birth_registration"].flows_started, rows["birth_registration"].flows_completed) == (1, 1)
    assert rows["vneid"].not_helpful == 1
    channels = {c.channel: (c.conversations, c.questions, c.answered) for c in board.channels}
    assert channels == {"web": (2, 2, 2), "zalo": (3, 3, 0), "telegram": (1, 1, 1)}


def test_a_commune_sees_only_its_own_numbers(seeded: AdminSite) -> None:
    """Filtering by commune counts that commune's events and people only."""
    with seeded.db.connect() as connection:
        totals = dashboard(connection, Filters(LAST_30.start, TODAY, TAN_PHU), TODAY).totals
        places = communes(connection, LAST_30)
    assert {name: getattr(totals, name) for name in EXPECTED_TAN_PHU} == EXPECTED_TAN_PHU
    assert places == [(TAN_PHU, 3), (AN_HOA, 2), ("", 1)]


def test_a_channel_filter_narrows_every_number(seeded: AdminSite) -> None:
    """With channel=web only the web chat's conversations and questions count."""
    with seeded.db.connect() as connection:
        totals = dashboard(connection, Filters(LAST_30.start, TODAY, channel="web"), TODAY).totals
    assert (totals.conversations, totals.questions, totals.answered, totals.helpful) == (2, 2, 2, 1)


def test_closed_days_are_counted_once_and_kept(seeded: AdminSite) -> None:
    """People of a closed day are stored with a marker; the open days are never stored."""
    with seeded.db.connect() as connection:
        first = people(connection, LAST_30.start, TODAY, TODAY)
        stored = connection.execute(sa.select(admin_daily_people)).all()
        again = people(connection, LAST_30.start, TODAY, TODAY)
    assert sorted((p.day, p.channel, p.people) for p in first) == sorted((p.day, p.channel, p.people) for p in again)
    assert {r.day for r in stored} <= {LAST_30.start + timedelta(days=i) for i in range(28)}
    assert D2 not in {r.day for r in stored}
    marker = [r for r in stored if r.day == D1 and r.channel == ""]
    assert marker[0].people == 3
    assert len([r for r in stored if r.channel == ""]) == 28, "every closed day of the period is marked"


def test_late_events_of_an_open_day_are_counted(seeded: AdminSite) -> None:
    """An event arriving later for yesterday shows up on the next look."""
    insert(seeded.db, [row(D2, "web", TAN_PHU, "p9", "question", "vneid", "vneid")])
    with seeded.db.connect() as connection:
        board = dashboard(connection, LAST_30, TODAY)
    assert board.conversations_per_day[D2] == 4
    assert board.totals.questions == 7


def test_inbox_groups_the_same_question_asked_three_ways(seeded: AdminSite) -> None:
    """The three ways of asking about the red book form one group of three."""
    with seeded.db.connect() as connection:
        groups = inbox(connection, LAST_30.start, TODAY, seeded.core.engine.matcher.norm, set())
    assert len(groups) == 1
    assert groups[0].count == 3
    assert set(groups[0].texts) == set(SO_DO)


def test_inbox_leaves_out_what_was_taught(seeded: AdminSite) -> None:
    """A group one of whose phrasings was taught no longer waits in the inbox."""
    with seeded.db.connect() as connection:
        groups = inbox(connection, LAST_30.start, TODAY, seeded.core.engine.matcher.norm, {SO_DO[1]})
    assert groups == []


def test_events_browser_filters_and_pages(seeded: AdminSite) -> None:
    """Filters combine; pages of two walk through the rows newest first without repeats."""
    with seeded.db.connect() as connection:
        questions, more = browse(connection, EventFilters(LAST_30.start, TODAY, kind="question"), 1, 50)
        zalo = EventFilters(LAST_30.start, TODAY, channel="zalo", kind="not_understood")
        first, more_1 = browse(connection, zalo, 1, 2)
        second, more_2 = browse(connection, zalo, 2, 2)
        found, _ = browse(connection, EventFilters(LAST_30.start, TODAY, text="Sổ đỏ"), 1, 50)
        hidden, _ = browse(connection, EventFilters(LAST_30.start, TODAY, kind="question"), 1, 50, with_text=False)
        unknown, _ = browse(connection, EventFilters(LAST_30.start, TODAY, commune=""), 1, 50)
    assert len(questions) == 6
    assert not more
    assert [r.text for r in first + second] == [SO_DO[2], SO_DO[1], SO_DO[0]]
    assert more_1
    assert not more_2
    assert [(r.kind, r.text) for r in found] == [("not_understood", SO_DO[2]), ("question", SO_DO[2]),
                                                 ("not_understood", SO_DO[0]), ("question", SO_DO[0])]  # fmt: skip
    assert all("text" not in r._mapping for r in hidden)
    assert [r.person for r in unknown] == ["p5"] * 4
