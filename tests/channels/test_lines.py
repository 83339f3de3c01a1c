"""Per-person send lines: replies leave in the order places were taken, whatever order the
turns get there in, and a turn that leaves early or is cancelled lets no later one overtake."""

from __future__ import annotations

import asyncio

from bot.channels.lines import PersonLocks, Place, SendLines


async def test_places_are_reached_in_the_order_they_were_taken() -> None:
    """The second place waits for the first to be left, even when its holder comes first."""
    lines = SendLines()
    first, second = lines.join("p"), lines.join("p")
    order: list[str] = []

    async def hold(name: str, place: Place, delay: float) -> None:
        await asyncio.sleep(delay)
        await place.reached()
        order.append(name)
        place.leave()

    await asyncio.gather(hold("second", second, 0.0), hold("first", first, 0.05))
    assert order == ["first", "second"]
    assert len(lines) == 0


async def test_people_do_not_wait_for_each_other() -> None:
    """Another person's line is not held up by this one's."""
    lines = SendLines()
    lines.join("p")  # held, never left
    other = lines.join("q")
    async with asyncio.timeout(1):
        await other.reached()


async def test_a_place_left_early_lets_the_next_go_only_after_the_ones_before() -> None:
    """A turn that failed leaves its place before reaching it; the turn after it still waits for
    the one before both."""
    lines = SendLines()
    first, middle, last = lines.join("p"), lines.join("p"), lines.join("p")
    middle.leave()
    middle.leave()  # again: nothing more
    waiting = asyncio.create_task(last.reached())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    first.leave()
    async with asyncio.timeout(1):
        await waiting
    last.leave()
    assert len(lines) == 0


async def test_a_turn_cancelled_while_waiting_does_not_cancel_the_one_before() -> None:
    """Cancelling a waiter leaves the place before it untouched, and the line still holds order."""
    lines = SendLines()
    first, second, third = lines.join("p"), lines.join("p"), lines.join("p")
    waiting = asyncio.create_task(second.reached())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    second.leave()
    assert not first.done.done()
    third_waits = asyncio.create_task(third.reached())
    await asyncio.sleep(0.05)
    assert not third_waits.done()
    first.leave()
    async with asyncio.timeout(1):
        await third_waits


async def test_turns_take_the_lock_in_the_order_they_asked() -> None:
    """One turn at a time per person, first come first served; the entry goes when nobody waits."""
    locks = PersonLocks()
    order: list[int] = []

    async def turn(n: int) -> None:
        async with locks.one_at_a_time("p"):
            await asyncio.sleep(0.01)
            order.append(n)

    await asyncio.gather(*(turn(n) for n in range(5)))
    assert order == list(range(5))
    assert len(locks) == 0
