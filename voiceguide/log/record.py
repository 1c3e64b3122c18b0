"""One session in the log: what was played, how far, how it ended, and the pain before and after.

A record is one JSON object on one line.  ``parse_record`` is strict (a line
that is not a complete, well-typed record is refused), so that a reader can
skip a line a crash left half-written, or a person's edit damaged, instead of
misreading it or failing on it.

The fields are a table: each attribute of ``Record`` carries, in its
``dataclasses.field`` metadata (``column``), the check that reads it from JSON,
how it is written to JSON and how it is shown in CSV.  A new field (a note, a
position, the script's hash of a later format) is one attribute there, with a
default so that older records stay valid; reading, writing and CSV follow.
Every check bounds its value, so that no line can make a reader slow, large
or fail: NaN and Infinity, a number of 400 digits or ``1e308``, a year-1 date,
a line of 100,000 nested brackets and a title of megabytes are all refused.
"""

from __future__ import annotations

import dataclasses
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Ending = Literal["done", "quit", "error"]
ENDINGS: tuple[Ending, ...] = ("done", "quit", "error")

PAIN_MAX = 10
RECORD_VERSION = 1
MAX_LINE_BYTES = 64 * 1024
"""The longest line that can be a record; a longer one is damaged (and never read whole)."""
MAX_TEXT_CHARS = 4096
"""The longest title or script name kept in a record (a longer one is cut when written)."""
MAX_SECONDS = 7 * 24 * 3600.0
"""The most seconds a record may hold (a session is at most 24 hours; a week leaves room)."""
FIRST_YEAR, LAST_YEAR = 1970, 9998
"""The years a start may fall in (year 1 or 9999 cannot be moved to another time zone)."""
MAX_NOTE_CHARS = 1000
"""The longest note (``play --note``) a record holds."""


class BadRecord(ValueError):
    """A line that is not a complete, valid record."""


Check = Callable[[str, object], Any]
"""Reads one field from JSON: ``check(key, value)`` returns the attribute's value or raises BadRecord."""


def column(check: Check, *, to_json: Callable[[Any], object] = lambda value: value,
           to_csv: Callable[[Any], str] | None = str, text: bool = False,
           omit_none: bool = False) -> dict[str, object]:
    """The metadata of one field of ``Record``: how it is read from, and written to, JSON and CSV.

    ``to_csv`` None: not a CSV column.  ``text``: the field holds free text
    (made safe for terminals and spreadsheets where it is shown).
    ``omit_none``: left out of the JSON line while it is None (a field added later).
    """
    return {"check": check, "to_json": to_json, "to_csv": to_csv, "text": text, "omit_none": omit_none}


def _moment(key: str, value: object) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise BadRecord(f"{key} is missing or not a date and time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise BadRecord(str(error)) from None
    if moment.tzinfo is None:
        raise BadRecord(f"{key} has no time zone")
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise BadRecord(f"{key} is in the year {moment.year}, not from {FIRST_YEAR} to {LAST_YEAR}")
    return moment


def _text(key: str, value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT_CHARS:
        raise BadRecord(f"{key} is missing, not a text or longer than {MAX_TEXT_CHARS} characters")
    return value


def _number(low: float, high: float) -> Check:
    def check(key: str, value: object) -> float:
        # bool is an int; NaN fails every comparison; a 400-digit int is out of range before float().
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise BadRecord(f"{key} is missing or not a number from {low:g} to {high:g}")
        return float(value)
    return check


def _ending(key: str, value: object) -> Ending:
    for ending in ENDINGS:
        if value == ending:
            return ending
    raise BadRecord(f"{key} is not one of {', '.join(ENDINGS)}")


def _optional_text(limit: int) -> Check:
    def check(key: str, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > limit:
            raise BadRecord(f"{key} is not a text of at most {limit} characters")
        return value
    return check


def _occurrence(key: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000_000:
        raise BadRecord(f"{key} is not a whole number from 1 to 10,000,000")
    return value


def _pain(key: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= PAIN_MAX:
        raise BadRecord(f"{key} is not a whole number from 0 to {PAIN_MAX}")
    return value


def _rounded(digits: int) -> Callable[[float], float]:
    return lambda value: round(value, digits)


def _cut(text: str) -> str:
    return text[:MAX_TEXT_CHARS]


def _optional(value: int | str | None) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Record:
    """One played session.  ``started_at`` is timezone-aware local time."""

    started_at: datetime = dataclasses.field(metadata=column(
        _moment, to_json=lambda moment: moment.isoformat(timespec="seconds"),
        to_csv=lambda moment: moment.isoformat(timespec="seconds")))
    session: str = dataclasses.field(metadata=column(_text, to_json=_cut, text=True))
    """The session's title."""
    script: str = dataclasses.field(metadata=column(_text, to_json=_cut, text=True))
    """The script as it was named on the command line (a path, or a shipped session's name)."""
    script_sha256: str = dataclasses.field(metadata=column(_text, to_json=_cut, text=True))
    planned_seconds: float = dataclasses.field(metadata=column(
        _number(0, MAX_SECONDS), to_json=_rounded(3), to_csv=lambda value: f"{value:.1f}"))
    played_seconds: float = dataclasses.field(metadata=column(
        _number(0, MAX_SECONDS), to_json=_rounded(3), to_csv=lambda value: f"{value:.1f}"))
    """Seconds of the session's own audio heard (pauses and spoken answers to keys not counted)."""
    completed: float = dataclasses.field(metadata=column(
        _number(0, 1), to_json=_rounded(4), to_csv=lambda value: f"{value:.3f}"))
    """``played_seconds / planned_seconds``, from 0 to 1."""
    ended: Ending = dataclasses.field(metadata=column(_ending))
    pain_before: int | None = dataclasses.field(default=None, metadata=column(_pain, to_csv=_optional))
    pain_after: int | None = dataclasses.field(default=None, metadata=column(_pain, to_csv=_optional))
    note: str | None = dataclasses.field(default=None, metadata=column(
        _optional_text(MAX_NOTE_CHARS), to_csv=_optional, text=True, omit_none=True))
    """What the person noted with the session (``play --note``)."""
    script_path: str | None = dataclasses.field(default=None, metadata=column(
        _optional_text(MAX_TEXT_CHARS), to_csv=None, omit_none=True))
    """The script file played (absolute), or a shipped session's name; None for a session without a file."""
    stopped_step: str | None = dataclasses.field(default=None, metadata=column(
        _optional_text(200), to_csv=None, omit_none=True))
    """The step the session was in when it ended (``"5.2"``), for ``play --resume``."""
    stopped_occurrence: int | None = dataclasses.field(default=None, metadata=column(
        _occurrence, to_csv=None, omit_none=True))
    """Which time that step was playing (the round of a repeat), from 1."""


FIELDS: tuple[dataclasses.Field[Any], ...] = dataclasses.fields(Record)
"""The record's fields, in the order of the JSON line."""
_CSV_FIELDS = tuple(field for field in FIELDS if field.metadata["to_csv"] is not None)
CSV_COLUMNS = tuple(field.name for field in _CSV_FIELDS)
"""The CSV columns, in order."""
TEXT_COLUMNS = frozenset(index for index, field in enumerate(_CSV_FIELDS) if field.metadata["text"])
"""The CSV columns that hold free text."""


_VALUES = operator.attrgetter(*CSV_COLUMNS)
_TO_CSV = tuple(field.metadata["to_csv"] for field in _CSV_FIELDS)


def csv_cells(record: Record) -> list[str]:
    """The record's fields as CSV cells (text as it is: the CSV writer makes it safe)."""
    return [to_csv(value) for to_csv, value in zip(_TO_CSV, _VALUES(record), strict=True)]


def format_record(record: Record) -> bytes:
    """The record as one line of JSON, newline included."""
    data: dict[str, object] = {"v": RECORD_VERSION}
    for field in FIELDS:
        value = getattr(record, field.name)
        if value is None and field.metadata["omit_none"]:
            continue
        data[field.name] = field.metadata["to_json"](value)
    # ensure_ascii: a title's line separators (U+2028) cannot split the line for other readers.
    return (json.dumps(data, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


def _no_constant(name: str) -> object:
    raise BadRecord(f"{name} is not a number a record holds")


_DECODER = json.JSONDecoder(parse_constant=_no_constant)
"""One decoder for every line (``1e400`` becomes infinity, and every number field refuses it by its range)."""
_CHECKS: tuple[tuple[str, Check, bool], ...] = tuple(
    (field.name, field.metadata["check"], field.default is dataclasses.MISSING) for field in FIELDS)


def parse_record(line: bytes) -> Record:
    """A record from one line of the log; raises BadRecord (never anything else)."""
    if len(line) > MAX_LINE_BYTES:
        raise BadRecord(f"a line of more than {MAX_LINE_BYTES} bytes")
    try:
        data = _DECODER.decode(line.decode("utf-8"))
    except (ValueError, RecursionError) as error:  # BadRecord and UnicodeDecodeError are ValueErrors
        raise BadRecord(str(error)[:200]) from None
    if not isinstance(data, dict) or data.get("v") != RECORD_VERSION:
        raise BadRecord("not a version 1 record")
    values: dict[str, Any] = {}
    for name, check, required in _CHECKS:
        if required or name in data:
            values[name] = check(name, data.get(name))
    return Record(**values)
