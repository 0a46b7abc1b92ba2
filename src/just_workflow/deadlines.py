"""Deadlines: when a state's deadline falls due, counted from the history alone; ISO 8601 durations.

A state's :class:`~just_workflow.definition.Deadline` is due ``after`` a
duration from the moment the instance entered the state (the ``at`` of the
event that moved it there, or of the start), or, with ``at``, at the start
(00:00 UTC) of the day a date field of the context holds, plus ``after``
when given. Both come from the recorded events, so an auditor computes the
due time from a log alone. The engine's clock fires the deadline's trigger
as :data:`SYSTEM`, the one actor of the reserved ``system`` role.

Durations are ISO 8601 ``PnYnMnWnDTnHnMnS`` with whole numbers (``P14D``,
``PT48H``, ``P1M``, ``P1Y2M``), at least one component. Years and months
are calendar ones: they move the date, keeping the day of the month, or the
month's last day when it has fewer (January 31 plus ``P1M`` is February 28
or 29); then weeks, days and the time are added as exact spans (a day is
24 hours: the arithmetic is in UTC). Pure functions: no clock, no store.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import attrs

from just_workflow.definition import SYSTEM_ROLE, Deadline
from just_workflow.errors import Refusal
from just_workflow.events import Actor, Event
from just_workflow.instance import Instance

#: The actor the engine's clock fires deadlines as; no person acts in the ``system`` role.
SYSTEM = Actor(SYSTEM_ROLE, SYSTEM_ROLE)

_DURATION = re.compile(
    r"P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)
#: The longest duration read, in seconds (months counted as 31 days): a thousand years is a typo already.
_MOST = 1000 * 366 * 24 * 3600
_SECONDS = {"years": 366 * 86400, "months": 31 * 86400, "weeks": 7 * 86400, "days": 86400, "hours": 3600}

_UNITS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")


class DurationError(ValueError):
    """A text that is not an ISO 8601 duration this library reads; the message says why."""


@attrs.frozen
class Duration:
    """An ISO 8601 duration: calendar years and months, then exact weeks, days, hours, minutes, seconds."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    def added_to(self, moment: datetime.datetime) -> datetime.datetime:
        """``moment`` plus this duration: calendar months first (the day kept, or the month's last), then the span."""
        total_months = moment.month - 1 + self.months + 12 * self.years
        year, month = moment.year + total_months // 12, total_months % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        moved = moment.replace(year=year, month=month, day=day)
        span = datetime.timedelta(
            weeks=self.weeks, days=self.days, hours=self.hours, minutes=self.minutes, seconds=self.seconds
        )
        return moved + span

    def describe(self) -> str:
        """In words, for diagrams: ``14 days``, ``1 month``, ``2 hours 30 minutes``."""
        parts = []
        for unit in _UNITS:
            count = getattr(self, unit)
            if count:
                parts.append(f"{count} {unit if count != 1 else unit[:-1]}")
        return " ".join(parts) or "0 seconds"


def parse_duration(text: object) -> Duration:
    """The duration ``text`` spells; :class:`DurationError` saying what is wrong with it otherwise."""
    if not isinstance(text, str):
        raise DurationError(f"a duration is a text such as 'P14D', got {text!r}")
    match = _DURATION.fullmatch(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise DurationError(
            f"{text!r} is not an ISO 8601 duration: write P, then whole numbers of Y, M, W, D, "
            "and after T of H, M, S, in that order (P14D, PT48H, P1M, P1Y2M10DT2H)"
        )
    values = {unit: int(value) for unit, value in match.groupdict().items() if value is not None}
    if (
        sum(value * _SECONDS.get(unit, 60 if unit == "minutes" else 1) for unit, value in values.items())
        > _MOST
    ):
        raise DurationError(f"{text!r} is too long a duration: keep it under a thousand years")
    return Duration(**values)


def midnight(date_text: str) -> datetime.datetime:
    """The start of the day ``date_text`` (``YYYY-MM-DD``) in UTC."""
    return datetime.datetime.combine(datetime.date.fromisoformat(date_text), datetime.time(), datetime.UTC)


def moment(text: str) -> datetime.datetime:
    """An event's ``at`` (ISO 8601) as an aware datetime; a time without an offset is taken as UTC."""
    parsed = datetime.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=datetime.UTC)


def due_at(deadline: Deadline, entered: str, context: Mapping[str, Any]) -> datetime.datetime | None:
    """When ``deadline`` falls due for an instance that entered its state at ``entered`` with ``context``.

    None for a deadline ``at`` a date field that is not set, or due past the year 9999: it is never due.
    """
    if deadline.at is not None:
        value = context.get(deadline.at)
        if not isinstance(value, str):
            return None
        start = midnight(value)
    else:
        start = moment(entered)
    if deadline.after is None:
        return start
    try:
        return parse_duration(deadline.after).added_to(start)
    except (OverflowError, ValueError):  # past datetime's last year
        return None


def entry(events: Sequence[Event]) -> Event:
    """The event by which the instance entered its current state: the last one that moved it, or the start."""
    for event in reversed(events):
        if event.source != event.target:  # the start's source is None
            return event
    raise ValueError("an instance's history begins with its start event")  # pragma: no cover


def deadline_key(entry_seq: int, trigger: str) -> str:
    """The idempotency key of the deadline ``trigger`` of the state entered at event ``entry_seq``.

    One per entry into the state: a second tick finds the first one's answer.
    """
    return f"deadline:{entry_seq}:{trigger}"


class Due(NamedTuple):
    """A deadline that has passed: the instance, the trigger the clock fires, when it fell due."""

    instance_id: str
    trigger: str
    due_at: datetime.datetime


class Skipped(NamedTuple):
    """A passed deadline a tick did not fire: the protocol refused it (``refusal``, a guard); it stays due."""

    instance_id: str
    trigger: str
    due_at: datetime.datetime
    refusal: Refusal


class Ticked(list[Instance]):
    """What a tick did: the new snapshots (the list itself), and the deadlines it skipped."""

    def __init__(self) -> None:
        super().__init__()
        self.skipped: list[Skipped] = []
