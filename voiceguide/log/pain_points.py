"""What a pain chart draws: each session's answers, or, for a long log, their means per day, week, month or year.

A chart of a year is a picture of a year: past ``max_points`` sessions with an
answer, the sessions are grouped by the shortest period (day, ISO week,
month, year) that leaves at most ``max_points`` groups, and each group is
drawn as the mean of its answers.  The records stream through, in any order:
what is held is one total per day (per month past ``MAX_DAYS`` days), never
more than ``max_points`` records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from voiceguide.log.record import Record

PERIODS = ("day", "week", "month", "year")
MAX_DAYS = 20_000
"""Day totals kept before they are merged into months (a hostile log spanning millennia stays small)."""


@dataclass(frozen=True)
class PainPoint:
    """One mark on a chart: a session, or the mean of the sessions of one period."""

    started_at: datetime
    """The session's start, or the first day of the period (midnight, local time)."""
    label: str
    """The session's title, or the period and how many sessions it holds."""
    pain_before: float | None
    pain_after: float | None
    sessions: int = 1


@dataclass(frozen=True)
class PainChart:
    """The marks to draw, and the period each stands for (``None``: one session each)."""

    points: tuple[PainPoint, ...]
    period: str | None
    sessions: int
    """Sessions with at least one answer, in all."""


@dataclass
class _Total:
    sessions: int = 0
    before_sum: int = 0
    before_count: int = 0
    after_sum: int = 0
    after_count: int = 0

    def add(self, other: _Total) -> None:
        self.sessions += other.sessions
        self.before_sum += other.before_sum
        self.before_count += other.before_count
        self.after_sum += other.after_sum
        self.after_count += other.after_count


_STARTS: dict[str, Callable[[date], date]] = {
    "day": lambda day: day,
    "week": lambda day: day - timedelta(days=day.weekday()),
    "month": lambda day: day.replace(day=1),
    "year": lambda day: day.replace(month=1, day=1),
}


def pain_chart(records: Iterable[Record], max_points: int) -> PainChart:
    """The marks for the records with a pain answer, one per session or grouped by period (see the module)."""
    sessions: list[Record] = []
    days: dict[date, _Total] = {}
    coarse = "day"
    count = 0
    for record in records:
        if record.pain_before is None and record.pain_after is None:
            continue
        count += 1
        if count <= max_points:
            sessions.append(record)
        total = days.setdefault(_STARTS[coarse](record.started_at.date()), _Total())
        total.sessions += 1
        if record.pain_before is not None:
            total.before_sum += record.pain_before
            total.before_count += 1
        if record.pain_after is not None:
            total.after_sum += record.pain_after
            total.after_count += 1
        if len(days) > MAX_DAYS and coarse == "day":
            coarse, days = "month", _regroup(days, "month")
    if count <= max_points:
        sessions.sort(key=lambda record: record.started_at)
        points = tuple(PainPoint(r.started_at, r.session, r.pain_before, r.pain_after) for r in sessions)
        return PainChart(points, None, count)
    for period in PERIODS[PERIODS.index(coarse):]:
        groups = _regroup(days, period)
        if len(groups) <= max_points or period == "year":
            return PainChart(tuple(_point(start, total, period) for start, total in sorted(groups.items())),
                             period, count)
    raise AssertionError("unreachable")  # pragma: no cover


def _regroup(days: dict[date, _Total], period: str) -> dict[date, _Total]:
    groups: dict[date, _Total] = {}
    for day, total in days.items():
        groups.setdefault(_STARTS[period](day), _Total()).add(total)
    return groups


def _point(start: date, total: _Total, period: str) -> PainPoint:
    moment = datetime.combine(start, time()).astimezone()
    names = {"day": start.isoformat(), "week": f"week of {start.isoformat()}",
             "month": start.strftime("%Y-%m"), "year": str(start.year)}
    label = f"{names[period]} ({total.sessions} session{'' if total.sessions == 1 else 's'})"
    before = total.before_sum / total.before_count if total.before_count else None
    after = total.after_sum / total.after_count if total.after_count else None
    return PainPoint(moment, label, before, after, total.sessions)
