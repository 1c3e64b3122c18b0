"""Collects one ``play``'s record while it runs, and appends it to the log when it ends."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from voiceguide.log.record import Ending, Record
from voiceguide.log.store import append_record


def file_sha256(path: Path) -> str:
    """The SHA-256 of a script file's bytes, in hex; read through the bounded reader (a script is at most 1 MiB).

    Raises ``OSError`` (``FileNotFoundError`` when there is none) for what cannot be read as a script file.
    """
    from voiceguide.bounded import Refused, read_bounded
    from voiceguide.script.source import MAX_SCRIPT_BYTES

    try:
        return hashlib.sha256(read_bounded(path, MAX_SCRIPT_BYTES)).hexdigest()
    except Refused as refused:
        raise OSError(f"{path}: {refused.reason}") from None


def text_sha256(text: str) -> str:
    """The SHA-256 of a script's text (a session without a file), as ``file_sha256`` of that text saved."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _local_now() -> datetime:
    return datetime.now().astimezone()


class SessionRecorder:
    """One session's record in the making: nothing is written unless ``start`` was called."""

    def __init__(self, *, session: str, script: str, script_sha256: str, path: Path | None = None,
                 now: Callable[[], datetime] = _local_now, script_path: str | None = None,
                 note: str | None = None) -> None:
        self._session = session
        self._script = script
        self._sha256 = script_sha256
        self._script_path = script_path
        self._note = note
        self._path = path
        self._now = now
        self._started_at: datetime | None = None
        self.pain_before: int | None = None
        self.pain_after: int | None = None

    def start(self) -> None:
        """The session reaches its first step: from now on it is logged."""
        if self._started_at is None:
            self._started_at = self._now()

    def finish(self, ended: Ending, *, planned_seconds: float, played_seconds: float,
               stopped_at: tuple[str, int] | None = None) -> Record | None:
        """Append the record (once); None when the session never started.  Raises LogError.

        ``stopped_at``: the step it ended in and which time it was playing, for ``play --resume``.
        """
        if self._started_at is None:
            return None
        started_at, self._started_at = self._started_at, None
        completed = min(1.0, played_seconds / planned_seconds) if planned_seconds > 0 else 0.0
        record = Record(
            started_at=started_at, session=self._session, script=self._script, script_sha256=self._sha256,
            planned_seconds=planned_seconds, played_seconds=played_seconds, completed=completed,
            ended=ended, pain_before=self.pain_before, pain_after=self.pain_after, note=self._note,
            script_path=self._script_path, stopped_step=stopped_at[0] if stopped_at else None,
            stopped_occurrence=stopped_at[1] if stopped_at else None,
        )
        append_record(record, self._path)
        return record
