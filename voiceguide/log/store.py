"""The log file: append-only JSON lines in the platform's data folder, safe against crashes and races.

Where: ``$VOICEGUIDE_DATA_DIR/sessions.jsonl`` when that variable is set
(tests), else ``sessions.jsonl`` in ``platformdirs.user_data_dir("voiceguide")``
(``~/.local/share/voiceguide`` on Linux).  Nothing is ever sent anywhere.

Writing: each record is one ``os.write`` of one whole line on a file opened
with ``O_APPEND``, under an exclusive lock (``system.file_locks``), so two players finishing at
once never interleave, and a process killed mid-write leaves at most one
incomplete line at the end.  The next writer starts a fresh line after such a
stump, and readers skip any line that is not a complete record.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from voiceguide.errors import VoiceguideError
from voiceguide.log.record import BadRecord, Record, format_record, parse_record
from voiceguide.system.file_locks import exclusive_lock

LOG_FILE_NAME = "sessions.jsonl"


class LogError(VoiceguideError):
    """The session log could not be read, written or deleted."""


@dataclass(frozen=True)
class LogContents:
    """The records read from the log, and how many lines were skipped as damaged."""

    records: tuple[Record, ...]
    damaged_lines: int


def log_path() -> Path:
    """Where the session log is (it may not exist yet)."""
    override = os.environ.get("VOICEGUIDE_DATA_DIR")
    if override:
        return Path(override) / LOG_FILE_NAME
    import platformdirs

    return Path(platformdirs.user_data_dir("voiceguide")) / LOG_FILE_NAME


def _byte_at(fd: int, offset: int) -> bytes:
    """The byte at ``offset`` (``O_APPEND`` writes go to the end whatever the file offset is)."""
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, 1)


def append_record(record: Record, path: Path | None = None) -> Path:
    """Append ``record`` to the log as one line; returns the log's path.  Raises LogError."""
    path = log_path() if path is None else path
    line = format_record(record)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as error:
        raise LogError(f"The session log {path} could not be opened: {error.strerror or error}.") from error
    try:
        with exclusive_lock(fd):
            size = os.fstat(fd).st_size
            if size and _byte_at(fd, size - 1) != b"\n":
                line = b"\n" + line  # a crashed writer's stump stays a line of its own
            written = os.write(fd, line)
            if written != len(line):  # a full disk: the stump is skipped by readers
                raise LogError(f"The session log {path} could not be written: the disk is full.")
            os.fsync(fd)
    except OSError as error:
        raise LogError(f"The session log {path} could not be written: {error.strerror or error}.") from error
    finally:
        os.close(fd)
    return path


def read_log(path: Path | None = None) -> LogContents:
    """Every complete record in the log, oldest first; an absent log is empty.  Raises LogError."""
    path = log_path() if path is None else path
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return LogContents((), 0)
    except OSError as error:
        raise LogError(f"The session log {path} could not be read: {error.strerror or error}.") from error
    records: list[Record] = []
    damaged = 0
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            records.append(parse_record(line))
        except BadRecord:
            damaged += 1
    # The file is in order of ending; two players may have ended in the other order.
    records.sort(key=lambda record: record.started_at)
    return LogContents(tuple(records), damaged)


def forget_log(path: Path | None = None) -> bool:
    """Delete the log; False when there was none.  Raises LogError."""
    path = log_path() if path is None else path
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as error:
        raise LogError(f"The session log {path} could not be deleted: {error.strerror or error}.") from error
    return True
