"""Opt-in deadline reminders in the conversation: the "Remind me before the deadline" button under
a checklist whose deadline depends on the person's answers, `/nhacnho` to list and cancel, the
way back from a reminder into the checklist, and reminders shown at the person's next message
where the channel cannot push (the web chat; Zalo outside its reply window).

Nothing is stored until the person taps the button, and then only what the reminder needs: the
channel, the platform user id, the guide, the due date and the language (see
:class:`bot.core.ports.Reminder`). Storage sits behind :class:`bot.core.ports.BaseReminderBook`;
the sender that pushes due reminders lives in bot.reminders.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.core.age_deadline import birth_span, next_age_due
from bot.core.flow_runner import FlowRunner
from bot.core.i18n import _, current
from bot.core.messages import Button, Inbound, Outbound, UsageEvent
from bot.core.ports import BaseReminderBook, Reminder
from bot.data.flow_models import Deadline, Flow

if TYPE_CHECKING:
    from bot.core.turn import Turn

log = logging.getLogger("bot.reminders")

DAYS_BEFORE = 3
"""The first reminder goes this many days before the due date; the second on the day."""
COMMANDS = frozenset({"nhacnho", "reminders", "nhachan"})
PUSHED_CHANNELS = frozenset({"telegram", "zalo"})
"""Channels the sender pushes to; the others show due reminders at the person's next message."""


def due_date(runner: FlowRunner, flow: Flow, answers: dict[str, str], today: dt.date) -> tuple[dt.date, Deadline] | None:
    """The deadline of the person's case and its due date, while it is still ahead (or today)."""
    for deadline in flow.deadlines:
        if not runner.holds(deadline.when, answers):
            continue
        if deadline.ages:
            found = next_age_due(answers.get(deadline.after or "", ""), deadline.ages, deadline.lasts_if_within_years, today)
            return (found[0], deadline) if found is not None and found[0] >= today else None
        try:
            if deadline.after is not None:
                due = dt.date.fromisoformat(answers[deadline.after]) + dt.timedelta(days=deadline.days)
            else:
                assert deadline.months_from is not None
                due = add_months(today, int(float(answers[deadline.months_from]))) + dt.timedelta(days=deadline.days)
        except (KeyError, ValueError):  # an answer missing or malformed: no deadline to offer
            return None
        return (due, deadline) if due >= today else None
    return None


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole calendar months, on the last day of a shorter month (31/1 + 1 → 28/2)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has a 28th


def notice_days(due: dt.date, today: dt.date) -> list[dt.date]:
    """The days a reminder set ``today`` goes out: a few days before (if still ahead) and on the day."""
    before = due - dt.timedelta(days=DAYS_BEFORE)
    return [before, due] if before > today else [due]


def checklist_message(messages: list[Outbound], flow_id: str) -> int:
    """The index of the checklist of ``flow_id`` among a turn's messages (the one carrying its
    "start this guide again" button), else the last: something may follow it (the commune question)."""
    for i in range(len(messages) - 1, -1, -1):
        if any(b.payload == f"f:{flow_id}" for b in messages[i].buttons):
            return i
    return len(messages) - 1


def show_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def remind_button(flow_id: str) -> Button:
    return Button(_("⏰ Remind me before the deadline"), f"r:set:{flow_id}")


class ReminderTalk:
    """The reminder parts of a conversation; without a book (no storage) it offers nothing."""

    def __init__(self, book: BaseReminderBook | None, runner: FlowRunner,
                 today: Callable[[], dt.date] | None = None) -> None:  # fmt: skip
        self.book = book
        self.runner = runner
        self.today = today or runner.today

    # --- what the engine calls -------------------------------------------------------------------
    def wants(self, inbound: Inbound) -> bool:
        if inbound.payload:
            return inbound.payload.startswith("r:")
        text = (inbound.text or "").strip()
        return text.startswith("/") and text[1:].split(" ")[0].split("@")[0].lower() in COMMANDS

    async def before(self, inbound: Inbound, turn: Turn) -> None:
        """Reminders that came due while the channel could not push: shown first in this reply."""
        if self.book is None or inbound.group:
            return
        try:
            waiting = await self.book.take_waiting(inbound.channel, inbound.user_id)
        except Exception:  # the store is down: the answer needs no reminder; they wait for the next turn
            log.warning("waiting reminders not read (store unavailable) channel=%s", inbound.channel, exc_info=True)
            return
        for reminder in waiting:
            flow = self.runner.flows.flows.get(reminder.flow)
            if flow is not None:
                turn.messages.append(notice(flow, reminder, self.today()))
                turn.events.append(UsageEvent("reminder_shown", flow.procedure))

    async def handle(self, inbound: Inbound, turn: Turn) -> bool:
        """A reminder button or `/nhacnho`; True when handled."""
        if self.book is None:
            turn.messages.append(Outbound(_("Reminders are not available here.")))
            return True
        kind, _sep, rest = (inbound.payload or "r:list").partition(":")[2].partition(":")
        if kind == "set":
            await self._set(rest, inbound, turn)
        elif kind == "x" and rest.isdigit():
            cancelled = await self.book.cancel(int(rest), inbound.channel, inbound.user_id)
            turn.messages.append(Outbound(_("Reminder cancelled.") if cancelled else _("That reminder is already over.")))
            if cancelled:
                turn.events.append(UsageEvent("reminder_cancelled"))
            await self._list(inbound, turn, quiet=True)
        elif kind == "b":
            await self._back(rest, inbound, turn)
        else:
            await self._list(inbound, turn)
        return True

    async def after(self, inbound: Inbound, turn: Turn) -> None:
        """Offer the button under a checklist shown in this turn; erase reminders with the person's data."""
        if self.book is None:
            return
        if turn.erase:
            await self.book.forget(inbound.channel, inbound.user_id)
            return
        for flow_id in turn.state.checklists:  # a checklist just finished, or shown again (/checklist)
            if any(m.text.startswith("✅") and any(b.payload == f"f:{flow_id}" for b in m.buttons) for m in turn.messages):
                self.offer(flow_id, turn)

    def offer(self, flow_id: str, turn: Turn) -> None:
        """Add the button to the last message when the checklist of ``flow_id`` has a deadline ahead."""
        flow = self.runner.flows.flows.get(flow_id)
        answers = turn.state.checklists.get(flow_id)
        if self.book is None or flow is None or answers is None or not turn.messages:
            return
        if due_date(self.runner, flow, answers, self.today()) is None:
            return
        at = checklist_message(turn.messages, flow_id)
        last = turn.messages[at]
        button = remind_button(flow_id)
        if button.payload not in {b.payload for b in last.buttons}:
            turn.messages[at] = Outbound(last.text, (button, *last.buttons))

    # --- the steps -------------------------------------------------------------------------------
    async def _set(self, flow_id: str, inbound: Inbound, turn: Turn) -> None:
        assert self.book is not None
        flow = self.runner.flows.flows.get(flow_id)
        answers = turn.state.checklists.get(flow_id)
        today = self.today()
        found = due_date(self.runner, flow, answers, today) if flow is not None and answers is not None else None
        if flow is None or found is None:
            turn.messages.append(Outbound(_("There is no deadline ahead in this checklist to remind you of.")))
            return
        due, deadline = found
        await self.book.add(inbound.channel, inbound.user_id, flow.id, due, current(), today)
        days = notice_days(due, today)
        when = (_("on {before} and on the day, {due}").format(before=show_date(days[0]), due=show_date(due))
                if len(days) == 2 else _("on {due}").format(due=show_date(due)))  # fmt: skip
        lines = [
            _("⏰ Reminder set: {what}.").format(what=deadline.label.get(current())),
            _("Deadline: {due}. I will write to you {when}, between 8:00 and 20:00.").format(due=show_date(due), when=when),
        ]
        if deadline.ages and answers is not None:
            lines += age_lines(deadline, answers.get(deadline.after or "", ""), today)
        if deadline.note is not None:
            lines.append(deadline.note.get(current()))
        if inbound.channel not in PUSHED_CHANNELS:
            lines.append(_("In this chat I cannot write first: you will see the reminder when you come back and write to me."))
        elif inbound.channel == "zalo":
            lines.append(_("Zalo lets an account write to you only within 7 days of your last message; if that has passed, you will see the reminder when you write to me again."))
        lines.append(_("I keep only the date, the procedure and this chat's id. See or cancel your reminders: /nhacnho"))
        turn.messages.append(Outbound("\n".join(lines), (Button(_("My reminders"), "r:list"),)))
        turn.events.append(UsageEvent("reminder_set", flow.procedure))

    async def _list(self, inbound: Inbound, turn: Turn, quiet: bool = False) -> None:
        assert self.book is not None
        mine = await self.book.of_person(inbound.channel, inbound.user_id)
        if not mine:
            if not quiet:
                turn.messages.append(Outbound(_("You have no reminders. When a checklist has a deadline, press “Remind me before the deadline” under it.")))
            return
        lines = [_("Your reminders:")]
        buttons: list[Button] = []
        for number, reminder in enumerate(mine, 1):
            flow = self.runner.flows.flows.get(reminder.flow)
            title = flow.title.get(current()) if flow else reminder.flow
            lines.append(_("{n}. {title}: deadline {due}").format(n=number, title=title, due=show_date(reminder.due)))
            buttons.append(Button(_("✖ Cancel reminder {n}").format(n=number), f"r:x:{reminder.id}"))
        turn.messages.append(Outbound("\n".join(lines), tuple(buttons)))

    async def _back(self, rest: str, inbound: Inbound, turn: Turn) -> None:
        """From a reminder into its checklist: the checklist if still remembered, else the guide."""
        assert self.book is not None
        number, _sep, flow_id = rest.partition(":")
        if number.isdigit():
            await self.book.came_back(int(number), inbound.channel, inbound.user_id)
        flow = self.runner.flows.flows.get(flow_id)
        if flow is None:
            turn.messages.append(Outbound(_("That guide is no longer available. What can I help you with?")))
            return
        turn.events.append(UsageEvent("reminder_returned", flow.procedure))
        turn.state.procedure = flow.procedure
        answers = turn.state.checklists.get(flow.id)
        if answers is not None:
            turn.messages.extend(self.runner.render_result(flow, answers))
        else:  # the conversation expired since: the guide rebuilds the checklist in a few taps
            turn.messages.extend(self.runner.start(flow, turn.state, turn.events))


def age_lines(deadline: Deadline, born: str, today: dt.date) -> list[str]:
    """For a deadline at an age: which age, and, from a year of birth alone, why 1 January."""
    found = next_age_due(born, deadline.ages, deadline.lasts_if_within_years, today)
    span = birth_span(born)
    if found is None or span is None:
        return []
    if span[0] == span[1]:
        return [_("That is the day of turning {age}.").format(age=found[1])]
    return [_("That is in the year of turning {age}: only the year (or month) of birth was given, so I count from "
              "its first day; the real deadline is the birthday.").format(age=found[1])]  # fmt: skip


def notice(flow: Flow, reminder: Reminder, today: dt.date) -> Outbound:
    """The reminder message itself (in the current locale), with the way back to the checklist."""
    deadline = next((d for d in flow.deadlines), None)
    what = deadline.label.get(current()) if deadline else flow.title.get(current())
    left = (reminder.due - today).days
    if left > 0:
        when = _("Deadline: {due}, in {days} days.").format(due=show_date(reminder.due), days=left)
    elif left == 0:
        when = _("Today, {due}, is the deadline.").format(due=show_date(reminder.due))
    else:
        when = _("The deadline was {due}. It may still be possible: check with the office.").format(due=show_date(reminder.due))
    text = "\n".join([_("⏰ Reminder: {what}").format(what=what), when])
    return Outbound(text, (Button(_("📋 Open my checklist"), f"r:b:{reminder.id}:{flow.id}"),
                           Button(_("✖ Stop this reminder"), f"r:x:{reminder.id}")))  # fmt: skip
