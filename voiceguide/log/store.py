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

import contextlib
import heapq
import math
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from voiceguide.bounded import Refused, open_regular
from voiceguide.errors import VoiceguideError
from voiceguide.log.lines import backward_lines, count_lines, forward_lines
from voiceguide.log.record import BadRecord, Record, format_record, parse_record
from voiceguide.printable import shown_path
from voiceguide.system.file_locks import exclusive_lock

LOG_FILE_NAME = "sessions.jsonl"


class LogError(VoiceguideError):
    """The session log could not be read, written or deleted."""


REORDER_SECONDS = 2 * 24 * 3600.0
"""How far apart in start two records may be written out of order (a session paused for days aside)."""
MAX_HELD = 100_000
"""The most records held back to put them in order of start."""
STOP_AFTER = 100
"""Reading back stops after this many records in a row that cannot be among those wanted.

The log is in order of ending, so one such record means none before it is
wanted either; a run of them guards against a log edited or joined by hand.
"""


@dataclass(frozen=True)
class LogContents:
    """Records read from the log, how many lines were skipped as damaged, and how many sessions it holds."""

    records: tuple[Record, ...]
    damaged_lines: int
    total: int = 0
    """Sessions in the whole log (lines, less the damaged ones read, when ``exact`` is False)."""
    exact: bool = True


@dataclass
class Damage:
    """A count of damaged lines skipped while a log is read."""

    lines: int = 0


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
        # O_NONBLOCK: a FIFO in the log's place must not make the end of a session wait for a reader.
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as error:
        raise LogError(f"The session log {shown_path(path)} could not be opened: {error.strerror or error}.") from error
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise LogError(f"The session log {shown_path(path)} is not a regular file; nothing was written to it.",
                           hint="move it away to start a new log")
        with exclusive_lock(fd):
            size = os.fstat(fd).st_size
            if size and _byte_at(fd, size - 1) != b"\n":
                line = b"\n" + line  # a crashed writer's stump stays a line of its own
            written = os.write(fd, line)
            if written != len(line):  # a full disk: the stump is skipped by readers
                raise LogError(f"The session log {shown_path(path)} could not be written: the disk is full.")
            os.fsync(fd)
    except OSError as error:
        raise LogError(f"The session log {shown_path(path)} could not be written: "
                       f"{error.strerror or error}.") from error
    finally:
        os.close(fd)
    return path


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[int | None]:
    """The log's descriptor (None when there is no log), through the bounded reader; LogError for the rest."""
    try:
        descriptor = open_regular(path)
    except FileNotFoundError:
        yield None
        return
    except Refused as refused:
        raise LogError(f"The session log {shown_path(path)} cannot be read: {refused.reason}.",
                       hint="it should be the regular file voiceguide writes; move it away to start a new log"
                       ) from None
    try:
        yield descriptor
    except OSError as error:
        raise LogError(f"The session log {shown_path(path)} could not be read: {error.strerror or error}.") from None
    finally:
        os.close(descriptor)


def _records(lines: Iterable[bytes], damage: Damage) -> Iterator[Record]:
    for line in lines:
        try:
            yield parse_record(line)
        except BadRecord:
            damage.lines += 1


def _in_start_order(records: Iterable[Record]) -> Iterator[Record]:
    """``records`` (in order of ending, as written) in order of start, holding only a window of them."""
    held: list[tuple[float, int, Record]] = []
    newest = -math.inf
    for order, record in enumerate(records):
        start = record.started_at.timestamp()
        heapq.heappush(held, (start, order, record))
        newest = max(newest, start)
        while held and (held[0][0] < newest - REORDER_SECONDS or len(held) > MAX_HELD):
            yield heapq.heappop(held)[2]
    while held:
        yield heapq.heappop(held)[2]


def scan_log(path: Path | None = None, damage: Damage | None = None, *, ordered: bool = True) -> Iterator[Record]:
    """Every valid record in the log, oldest first, read as a stream (flat memory); raises LogError.

    Damaged lines are skipped and counted in ``damage``.  Records are written
    in order of ending and come out in order of start: two sessions that
    overlapped are swapped back within a window of ``REORDER_SECONDS``;
    ``ordered=False`` leaves them as written (for totals, where order does not matter).
    """
    path = log_path() if path is None else path
    damage = Damage() if damage is None else damage
    with _opened(path) as descriptor:
        if descriptor is None:
            return
        records = _records(forward_lines(descriptor), damage)
        yield from _in_start_order(records) if ordered else records


def read_log(path: Path | None = None) -> LogContents:
    """Every complete record in the log, oldest first; an absent log is empty.  Raises LogError."""
    damage = Damage()
    records = tuple(scan_log(path, damage))
    return LogContents(records, damage.lines, len(records))


def read_last(count: int, path: Path | None = None) -> LogContents:
    """The ``count`` sessions that started last, oldest first, reading the log backwards from its end.

    ``total`` counts the lines of the whole log when it was not read whole
    (damaged lines included: "about"), and ``damaged_lines`` those among what was read.
    """
    path = log_path() if path is None else path
    damage = Damage()
    read: list[Record] = []
    newest: list[float] = []  # the ``count`` latest starts so far (a min-heap)
    whole = True
    with _opened(path) as descriptor:
        if descriptor is None:
            return LogContents((), 0, 0)
        if count <= 0:
            return LogContents((), 0, count_lines(descriptor), exact=False)
        unwanted = seen = 0
        for record in _records(backward_lines(descriptor), damage):
            seen += 1
            start = record.started_at.timestamp()
            if len(newest) == count and start + REORDER_SECONDS < newest[0]:
                unwanted += 1
                if unwanted >= STOP_AFTER:
                    whole = False  # nothing written before these can be among the last ``count``
                    break
                continue
            unwanted = 0
            read.append(record)
            if len(newest) < count:
                heapq.heappush(newest, start)
            else:
                heapq.heappushpop(newest, start)
        total = seen if whole else count_lines(descriptor) - damage.lines
    read.reverse()  # back to the order of the file, so that equal starts keep it
    read.sort(key=lambda record: record.started_at)
    return LogContents(tuple(read[-count:] if count else ()), damage.lines, total, exact=whole)


def read_since(day: date, path: Path | None = None) -> LogContents:
    """The sessions started on ``day`` (local time) or later, oldest first, read backwards from the log's end.

    ``total`` is how many records were read (at least one more than those
    returned when reading stopped before the start of the log).
    """
    path = log_path() if path is None else path
    damage = Damage()
    read: list[Record] = []
    seen = 0
    first = datetime.combine(day, time()).astimezone().timestamp()
    with _opened(path) as descriptor:
        if descriptor is None:
            return LogContents((), 0, 0)
        unwanted = 0
        for record in _records(backward_lines(descriptor), damage):
            seen += 1
            if record.started_at.timestamp() + REORDER_SECONDS < first:
                unwanted += 1
                if unwanted >= STOP_AFTER:
                    break  # nothing written before these started on ``day`` or later
                continue
            unwanted = 0
            if record.started_at.date() >= day:
                read.append(record)
    read.reverse()
    read.sort(key=lambda record: record.started_at)
    return LogContents(tuple(read), damage.lines, seen)


def forget_log(path: Path | None = None) -> bool:
    """Delete the log; False when there was none.  Raises LogError."""
    path = log_path() if path is None else path
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as error:
        raise LogError(f"The session log {shown_path(path)} could not be deleted: "
                       f"{error.strerror or error}.") from error
    return True
