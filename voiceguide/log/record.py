"""One session in the log: what was played, how far, how it ended, and the pain before and after.

A record is one JSON object on one line.  ``parse_record`` is strict (a line
that is not a complete, well-typed record is refused), so that a reader can
skip a line a crash left half-written instead of misreading it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Ending = Literal["done", "quit", "error"]
ENDINGS: tuple[Ending, ...] = ("done", "quit", "error")

PAIN_MAX = 10
RECORD_VERSION = 1


@dataclass(frozen=True)
class Record:
    """One played session.  ``started_at`` is timezone-aware local time."""

    started_at: datetime
    session: str
    """The session's title."""
    script: str
    """The script as it was named on the command line (a path, or a shipped session's name)."""
    script_sha256: str
    planned_seconds: float
    played_seconds: float
    """Seconds of the session's own audio heard (pauses and spoken answers to keys not counted)."""
    completed: float
    """``played_seconds / planned_seconds``, from 0 to 1."""
    ended: Ending
    pain_before: int | None = None
    pain_after: int | None = None
    note: str | None = None
    """What the person noted with the session (``play --note``)."""
    script_path: str | None = None
    """The script file played (absolute), or a shipped session's name; None for a session without a file."""
    stopped_step: str | None = None
    """The step the session was in when it ended (``"5.2"``), for ``play --resume``."""
    stopped_occurrence: int | None = None
    """Which time that step was playing (the round of a repeat), from 1."""


MAX_NOTE_CHARS = 1000


class BadRecord(ValueError):
    """A line that is not a complete, valid record."""


def format_record(record: Record) -> bytes:
    """The record as one line of JSON, newline included."""
    data = {
        "v": RECORD_VERSION,
        "started_at": record.started_at.isoformat(timespec="seconds"),
        "session": record.session,
        "script": record.script,
        "script_sha256": record.script_sha256,
        "planned_seconds": round(record.planned_seconds, 3),
        "played_seconds": round(record.played_seconds, 3),
        "completed": round(record.completed, 4),
        "ended": record.ended,
        "pain_before": record.pain_before,
        "pain_after": record.pain_after,
    }
    optional = {"note": record.note, "script_path": record.script_path, "stopped_step": record.stopped_step,
                "stopped_occurrence": record.stopped_occurrence}
    data.update({key: value for key, value in optional.items() if value is not None})
    # ensure_ascii: a title's line separators (U+2028) cannot split the line for other readers.
    return (json.dumps(data, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


def parse_record(line: bytes) -> Record:
    """A record from one line of the log; raises BadRecord."""
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRecord(str(error)) from None
    if not isinstance(data, dict) or data.get("v") != RECORD_VERSION:
        raise BadRecord("not a version 1 record")
    try:
        started_at = datetime.fromisoformat(_typed(data, "started_at", str))
    except ValueError as error:
        raise BadRecord(str(error)) from None
    if started_at.tzinfo is None:
        raise BadRecord("started_at has no time zone")
    ended = _typed(data, "ended", str)
    if ended not in ENDINGS:
        raise BadRecord(f"unknown ending {ended!r}")
    return Record(
        started_at=started_at,
        session=_typed(data, "session", str),
        script=_typed(data, "script", str),
        script_sha256=_typed(data, "script_sha256", str),
        planned_seconds=_seconds(data, "planned_seconds"),
        played_seconds=_seconds(data, "played_seconds"),
        completed=_seconds(data, "completed"),
        ended=ended,  # checked against ENDINGS above
        pain_before=_pain(data, "pain_before"),
        pain_after=_pain(data, "pain_after"),
        note=_optional_text(data, "note", MAX_NOTE_CHARS),
        script_path=_optional_text(data, "script_path", 4096),
        stopped_step=_optional_text(data, "stopped_step", 200),
        stopped_occurrence=_optional_count(data, "stopped_occurrence"),
    )


def _optional_text(data: dict[str, object], key: str, limit: int) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise BadRecord(f"{key} is not a text of at most {limit} characters")
    return value


def _optional_count(data: dict[str, object], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000_000:
        raise BadRecord(f"{key} is not a whole number from 1")
    return value


def _typed(data: dict[str, object], key: str, kind: type[str]) -> str:
    value = data.get(key)
    if not isinstance(value, kind):
        raise BadRecord(f"{key} is missing or not a {kind.__name__}")
    return value


def _seconds(data: dict[str, object], key: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise BadRecord(f"{key} is missing or not a non-negative number")
    return float(value)


def _pain(data: dict[str, object], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= PAIN_MAX:
        raise BadRecord(f"{key} is not a whole number from 0 to {PAIN_MAX}")
    return value
