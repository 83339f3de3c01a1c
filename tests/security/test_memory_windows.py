"""The in-process moving windows behind every rate limit of a one-worker server: exact counts
(no burst at a minute's edge), refused hits not counted, the wait told precisely, and memory that
follows the people still inside a window."""

from __future__ import annotations

import pytest

from bot.ratelimit import MemoryWindows, Rule


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_the_window_moves_with_time_not_with_the_minute(clock: Clock) -> None:
    """3/minute: three hits at 0, 20 and 40 s; the fourth waits until the first is 60 s old."""
    windows, rule = MemoryWindows(clock), Rule.parse("t", "3/minute")
    for at in (0, 20, 40):
        clock.now = 1000.0 + at
        assert windows.hit(rule, ("a",)) == 0.0
    clock.now = 1059.0
    assert windows.hit(rule, ("a",)) == pytest.approx(1.0)
    clock.now = 1060.5
    assert windows.hit(rule, ("a",)) == 0.0, "the hit at 0 s left the window"
    assert windows.hit(rule, ("a",)) == pytest.approx(19.5), "next out: the hit at 20 s"


def test_a_refused_hit_is_not_counted_and_keys_are_apart(clock: Clock) -> None:
    windows, rule = MemoryWindows(clock), Rule.parse("t", "2/minute")
    assert windows.hit(rule, ("a",)) == windows.hit(rule, ("a",)) == 0.0
    for _ in range(10):
        assert windows.hit(rule, ("a",)) > 0, "a flood keeps being refused"
    assert windows.hit(rule, ("b",)) == 0.0, "another key has its own budget"
    clock.now += 60.01
    assert windows.hit(rule, ("a",)) == 0.0, "the refused hits did not push the window on"


def test_every_part_of_a_rule_must_allow_it(clock: Clock) -> None:
    """2/minute;3/hour: the hour refuses the fourth hit even after the minute has passed."""
    windows, rule = MemoryWindows(clock), Rule.parse("t", "2/minute;3/hour")
    assert windows.hit(rule, ("a",)) == windows.hit(rule, ("a",)) == 0.0
    assert windows.hit(rule, ("a",)) > 0
    clock.now += 61
    assert windows.hit(rule, ("a",)) == 0.0
    assert windows.wait(rule, ("a",)) == pytest.approx(3600 - 61, abs=0.01), "the hour's oldest hit"
    windows.clear(rule, ("a",))
    assert windows.hit(rule, ("a",)) == 0.0, "cleared (a right password forgets its failures)"


def test_a_cost_above_the_limit_waits_a_whole_window(clock: Clock) -> None:
    windows, rule = MemoryWindows(clock), Rule.parse("t", "2/minute")
    assert windows.hit(rule, ("a",), cost=3) == pytest.approx(60.0)
    assert windows.hit(rule, ("a",), cost=2) == 0.0


def test_memory_follows_the_people_still_inside_a_window(clock: Clock) -> None:
    """10,000 people each hit once; a minute later only the latest remain after the sweep."""
    windows, rule = MemoryWindows(clock), Rule.parse("t", "5/minute")
    for n in range(10_000):
        windows.hit(rule, (f"person{n}",))
    assert len(windows._windows) == 10_000
    clock.now += 61
    windows.hit(rule, ("latest",))
    assert list(windows._windows) == [("t", str(rule.items[0]), "latest")]


def test_one_hit_against_several_budgets_counts_in_all_or_in_none(clock: Clock) -> None:
    """The web chat's address and person budgets in one step: a hit the person's budget refuses
    is not counted against the address either, and the wait is the longest."""
    windows = MemoryWindows(clock)
    address, person = Rule.parse("address", "3/minute"), Rule.parse("person", "1/minute")
    both = ((address, ("10.0.0.1",)), (person, ("p1",)))
    assert windows.hit_all(both) == 0.0
    assert windows.hit_all(both) == pytest.approx(60.0), "the person waits for their first hit to leave"
    assert windows.hit_all(((address, ("10.0.0.1",)), (person, ("p2",)))) == 0.0
    assert windows.hit_all(((address, ("10.0.0.1",)), (person, ("p3",)))) == 0.0, "the refused hit was not counted"
    assert windows.hit_all(((address, ("10.0.0.1",)), (person, ("p4",)))) > 0, "now the address is spent"
