"""What ``voiceguide log`` shows, read with as little of the log as each view needs.

The table of the last sessions reads the log backwards from its end and stops
as soon as no earlier line can be among them; ``--since`` reads back to that
day; CSV streams every record through, a row at a time; the charts stream
every record into per-day totals (``pain_points``).  So a log of a million
sessions is shown in flat memory, and its table in a fraction of a second.
Each function returns the text to print piece by piece; damaged lines met
on the way are counted in the ``Damage`` passed in.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from voiceguide.log import tables
from voiceguide.log.pain_points import pain_chart
from voiceguide.log.record import Record
from voiceguide.log.store import Damage, LogContents, read_last, read_since, scan_log

__all__ = ["TABLE_ROWS", "chart_text", "csv_text", "picture", "table_text"]

TABLE_ROWS = 20
"""Sessions the table shows without ``--since``."""
SUMMARY_DAYS = 31
"""The summary counts the last 30 days: read back a day more (a day is from midnight)."""
CHART_ROWS = 60
"""Lines the text chart shows at most (a longer log is shown as means per period)."""


def _since(day: date | None, damage: Damage, *, ordered: bool = True) -> Iterator[Record]:
    records = scan_log(damage=damage, ordered=ordered)
    return records if day is None else (r for r in records if r.started_at.date() >= day)


def table_text(day: date | None, damage: Damage, now: datetime | None = None) -> Iterator[str]:
    """A one-line summary of the last 30 days, then the table of the last ``TABLE_ROWS`` sessions or of
    those since ``day``; a sentence when there are none."""
    contents: LogContents = read_last(TABLE_ROWS) if day is None else read_since(day)
    damage.lines += contents.damaged_lines
    if not contents.records:
        yield "No sessions in the log yet.\n" if contents.total == 0 else "No sessions since then.\n"
        return
    now = datetime.now().astimezone() if now is None else now
    yield tables.format_summary(read_since((now - timedelta(days=SUMMARY_DAYS)).date()).records, now)
    yield tables.format_table(contents.records)
    if day is None and contents.total > len(contents.records):
        yield (f"(the last {len(contents.records)} of {contents.total} sessions; "
               "--since DATE or --csv shows more)\n")


def csv_text(day: date | None, damage: Damage) -> Iterator[str]:
    """Every session (since ``day``) as CSV, a line at a time."""
    return tables.csv_lines(_since(day, damage))


def chart_text(day: date | None, damage: Damage) -> str:
    """The text chart of the pain answers (since ``day``)."""
    return tables.format_chart(pain_chart(_since(day, damage, ordered=False), CHART_ROWS))


def picture(path: str, day: date | None, damage: Damage) -> int:
    """Draw the pain chart (since ``day``) into ``path``; the number of sessions drawn.  Raises PlotUnavailable."""
    from voiceguide.log.plot import MAX_POINTS, write_plot

    return write_plot(pain_chart(_since(day, damage, ordered=False), MAX_POINTS), path)
