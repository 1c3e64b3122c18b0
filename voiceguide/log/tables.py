"""The log as text: a table of the last sessions, CSV for a spreadsheet, and a small pain chart.

Strings only; the command line prints them.  Text from the log (a session's title,
the script's name) is shown with its control characters made visible, never
live, in the CSV too: the log is a file anyone can edit.  In the table and the
chart a title is cut to ``TITLE_CHARS``.  CSV is written a row at a time (a
log of a million sessions streams through), and a cell that a spreadsheet
would take for a formula (one starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return) is written with a leading ``'``, as OWASP advises.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

from voiceguide.log.pain_points import PainChart
from voiceguide.log.record import CSV_COLUMNS, PAIN_MAX, TEXT_COLUMNS, Record, csv_cells
from voiceguide.printable import printable

TITLE_CHARS = 40
"""The most of a title the table and the text chart show."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula in a cell."""


def since(records: Sequence[Record], day: date) -> list[Record]:
    """The records of sessions started on ``day`` (local time) or later."""
    return [r for r in records if r.started_at.date() >= day]


def safe_text(text: str, max_chars: int | None = None) -> str:
    """``text`` on one line with control characters shown as escapes, so a title cannot drive the terminal."""
    return printable(text, one_line=True, max_chars=max_chars)


def csv_safe(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs: ``'`` before what would start a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _pain(value: int | None) -> str:
    return "-" if value is None else str(value)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


NOTE_CHARS = 40
"""The most of a note the table shows (``--csv`` has it whole)."""


def _note(note: str | None) -> str:
    if note is None:
        return ""
    text = safe_text(note)
    return text if len(text) <= NOTE_CHARS else text[:NOTE_CHARS - 1] + "…"


def format_table(records: Sequence[Record]) -> str:
    """The sessions as an aligned table, one line each, oldest first."""
    rows = [("STARTED", "SESSION", "PLAYED", "OF", "DONE", "ENDED", "PAIN BEFORE", "AFTER", "NOTE")]
    for r in records:
        rows.append((_when(r.started_at), safe_text(r.session, TITLE_CHARS), _minutes(r.played_seconds),
                     _minutes(r.planned_seconds), f"{round(r.completed * 100)}%", r.ended,
                     _pain(r.pain_before), _pain(r.pain_after), _note(r.note)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {2, 3, 4, 6, 7}  # numbers line up on the right
    lines = []
    for row in rows:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def csv_lines(records: Iterable[Record], rows_per_piece: int = 1000) -> Iterator[str]:
    """The sessions as CSV with a header row, a few rows at a time; an unanswered question is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    yield out.getvalue()
    records = iter(records)
    while rows := [_csv_row(record) for record in itertools.islice(records, rows_per_piece)]:
        out.seek(0)
        out.truncate()
        writer.writerows(rows)
        yield out.getvalue()


def _csv_row(record: Record) -> list[str]:
    cells = csv_cells(record)
    for index in TEXT_COLUMNS:
        cell = cells[index]
        if not cell.isprintable() or cell.startswith(FORMULA_STARTS):  # rare: most titles need nothing
            cells[index] = csv_safe(safe_text(cell))
    return cells


def format_csv(records: Iterable[Record]) -> str:
    """The sessions as CSV with a header row (``csv_lines`` joined)."""
    return "".join(csv_lines(records))


def with_pain(records: Sequence[Record]) -> list[Record]:
    """The records that hold at least one pain answer (what the charts draw)."""
    return [r for r in records if r.pain_before is not None or r.pain_after is not None]


CHART_CELLS = 2
"""Characters per pain point on the text chart's scale."""


def format_chart(chart: PainChart) -> str:
    """A small text chart: one line per session (or period), ``o`` before and ``*`` after on 0-10."""
    if not chart.points:
        return "No pain answers in the log yet: play with --ask-pain to record them.\n"
    names = [safe_text(point.label, TITLE_CHARS) for point in chart.points]
    name_width = min(24, max(len(name) for name in names))
    scale_width = PAIN_MAX * CHART_CELLS + 1
    label_width = 16 + 2 + name_width + 2
    ticks = "".join(str(n).ljust(CHART_CELLS * 2) for n in range(0, PAIN_MAX + 1, 2)).rstrip()
    lines = [" " * label_width + ticks,
             " " * label_width + "|" + "-" * (scale_width - 2) + "|"]
    if chart.period is not None:
        lines.insert(0, f"Mean pain per {chart.period} ({chart.sessions} sessions with an answer):")
    for point, name in zip(chart.points, names, strict=True):
        track = [" "] * scale_width
        before = None if point.pain_before is None else round(point.pain_before * CHART_CELLS)
        after = None if point.pain_after is None else round(point.pain_after * CHART_CELLS)
        if before is not None and after is not None:
            low, high = sorted((before, after))
            for i in range(low, high):
                track[i] = "-"
        if before is not None:
            track[before] = "o"
        if after is not None:
            track[after] = "*" if before != after else "@"
        if len(name) > name_width:
            name = name[:name_width - 1] + "…"
        lines.append(f"{_when(point.started_at)}  {name.ljust(name_width)}  {''.join(track)}  "
                     f"{_answer(point.pain_before)} -> {_answer(point.pain_after)}".rstrip())
    lines.append("o pain before   * pain after   @ the same   (0 none, 10 worst)")
    return "\n".join(lines) + "\n"


def _answer(value: float | None) -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else f"{value:.1f}"
def _average(values: Sequence[int]) -> str:
    return f"{sum(values) / len(values):.1f}" if values else "-"


def format_summary(records: Sequence[Record], now: datetime) -> str:
    """One line: sessions in the last 7 and 30 days, and the average pain before and after over those 30 days."""
    from datetime import timedelta

    def within(days: int) -> list[Record]:
        return [r for r in records if now - r.started_at <= timedelta(days=days)]

    week, month = within(7), within(30)
    before = [r.pain_before for r in month if r.pain_before is not None]
    after = [r.pain_after for r in month if r.pain_after is not None]
    line = (f"Last 7 days: {len(week)} session{'' if len(week) == 1 else 's'}; "
            f"last 30 days: {len(month)} session{'' if len(month) == 1 else 's'}")
    if before or after:
        line += f", average pain {_average(before)} before and {_average(after)} after (0 none, 10 worst)"
    return line + ".\n"
