"""What ``play`` and ``render`` show while they work, written to a stream that the command line hands in.

No module but the command line (``voiceguide/cli/``) prints: these classes write only to the stream
they are given (the terminal, or a ``StringIO`` in tests).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TextIO

from voiceguide.play import screen
from voiceguide.play.frame_map import Notice
from voiceguide.play.status import Status
from voiceguide.printable import printable

REDRAW_SECONDS = 0.25
"""The status line is redrawn at most this often, unless a cue starts sounding."""


def terminal_columns(stream: TextIO) -> int:
    """The width of the terminal ``stream`` writes to, asked each time (it can be resized); else $COLUMNS or 80."""
    import shutil

    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # not a terminal, or no file behind the stream
        columns = 0
    return columns if columns > 0 else shutil.get_terminal_size((80, 24)).columns  # 0: a size never set


class ProgressBar:
    """A one-line progress bar redrawn in place on a terminal (``render.Progress``).

    Counts frames of audio (shown as minutes) unless given ``noun`` (e.g.
    "texts"), and says about how long is left once that can be guessed.
    """

    WIDTH = 30

    def __init__(self, stream: TextIO, label: str, sample_rate: int, *, noun: str | None = None) -> None:
        self._stream = stream
        self._label = label
        self._sample_rate = sample_rate
        self._noun = noun
        self._shown_percent = -1
        self._started = time.monotonic()
        self._columns = max(20, terminal_columns(stream))

    def __call__(self, done_frames: int, total_frames: int) -> None:
        percent = 100 if total_frames <= 0 else done_frames * 100 // total_frames
        if percent == self._shown_percent:
            return
        self._shown_percent = percent
        filled = self.WIDTH * percent // 100
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        size = f"{total_frames} {self._noun}" if self._noun else f"{total_frames // self._sample_rate / 60:.1f} min"
        line = f"{self._label} [{bar}] {percent:3d}% of {size}{self._time_left(percent)}"
        # Cut to the terminal's width (a wrapped line cannot be redrawn in place),
        # then clear what a longer earlier line left behind.
        self._stream.write(screen.redraw(line[: self._columns - 1], self._columns))
        self._stream.flush()

    def _time_left(self, percent: int) -> str:
        """", about 1 min 05 s left", once 5 % and 2 s have passed; else nothing."""
        elapsed = time.monotonic() - self._started
        if not 5 <= percent < 100 or elapsed < 2:
            return ""
        seconds = round(elapsed * (100 - percent) / percent)
        if seconds >= 60:
            return f", about {seconds // 60} min {seconds % 60:02d} s left"
        return f", about {seconds} s left"

    def finish(self) -> None:
        """Clear the bar's line."""
        if self._shown_percent >= 0:
            self._stream.write(screen.redraw("", self._columns))
            self._stream.flush()


class LiveDisplay:
    """The screen of ``play``: a header, then one status line redrawn in place, or plain lines per cue."""

    def __init__(self, stream: TextIO, *, plain: bool, sample_rate: int) -> None:
        self._stream = stream
        self._plain = plain
        self._sample_rate = sample_rate
        self._drawn = ""
        self._next_draw_seconds = 0.0

    def header(self, title: str, length_frames: int | None, *, keys: bool) -> None:
        """The first line: title, total time, and the key reminder when keys work."""
        self._write_line(screen.header(title, length_frames, self._sample_rate, keys=keys))

    def update(self, notices: list[Notice], status: Callable[[], Status]) -> None:
        """Show what started sounding: a plain line each, or the status line (redrawn when a cue starts, or due)."""
        if self._plain:
            for notice in notices:
                self._write_line(screen.notice_line(notice, self._sample_rate))
            return
        if not notices and time.monotonic() < self._next_draw_seconds:
            return
        self._next_draw_seconds = time.monotonic() + REDRAW_SECONDS
        columns = terminal_columns(self._stream)
        line = screen.status_line(status(), columns)
        if line != self._drawn:
            self._stream.write(screen.redraw(line, columns))
            self._stream.flush()
            self._drawn = line

    def last(self, status: Callable[[], Status]) -> None:
        """Redraw the status line once more at the end: it says ``Finished``, or ``Stopped`` after ``q``."""
        if not self._plain and self._drawn:
            columns = terminal_columns(self._stream)
            self._drawn = screen.status_line(status(), columns)
            self._stream.write(screen.redraw(self._drawn, columns))
            self._stream.flush()

    def finish(self) -> None:
        """End the redrawn line, so the shell's prompt starts on a line of its own."""
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = ""

    def message(self, line: str) -> None:
        """A line of its own (a pain question, its answer), below the status line if one is drawn."""
        self.finish()
        self._write_line(printable(line, one_line=True))  # a script's phrases are shown, never obeyed

    def _write_line(self, line: str) -> None:
        self._stream.write(line + "\n")
        self._stream.flush()
