"""What ``voiceguide play`` shows: strings only (``ui.LiveDisplay`` writes them where ``cli.py`` says).

Two modes.  On a terminal, one status line redrawn in place (``\\r``, clear to
end of line): the step, the text being spoken, a progress bar and the time
left.  Plain (output is not a terminal, or ``--plain`` for screen readers):
one line per cue as it sounds, nothing redrawn, nothing per second.
"""

from __future__ import annotations

import shutil

from voiceguide import base
from voiceguide.play.keymap import KEYS_REMINDER
from voiceguide.play.log import Feedback, Notice
from voiceguide.play.status import Status, describe_place
from voiceguide.printable import printable
from voiceguide.timeline.compiler import Event

BAR_WIDTH = 20
CLEAR_TO_END = "\x1b[K"


def clock(frames: int, sample_rate: int, *, round_up: bool = True) -> str:
    """Frames as ``M:SS`` (``H:MM:SS`` from an hour): rounded up (time left) or down (time elapsed)."""
    return base.clock(frames, sample_rate, rounding="up" if round_up else "down")


def progress_bar(done: int, total: int | None, width: int = BAR_WIDTH) -> str:
    """``[#####-----]``: how much of ``total`` is ``done`` (empty while the total is unknown)."""
    if not total:
        return "[" + " " * width + "]"
    filled = min(width, max(0, done * width // total))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(0, width - 1)] + "…"


def status_line(status: Status, width: int | None = None) -> str:
    """The one-line status for a terminal, at most ``width`` characters."""
    if width is None:
        width = shutil.get_terminal_size((80, 24)).columns
    width = max(20, width - 1)  # never touch the last column: some terminals wrap there
    rate = status.sample_rate
    state = "paused" if status.paused else "done" if status.finished else "playing"
    step = f"{status.step_number}/{status.step_count}" if status.step_count else f"{status.step_number}"
    left = status.session_left
    times = (f"{clock(status.hold_left if status.hold_left is not None else status.step_left, rate)} "
             f"{'hold' if status.hold_left is not None else 'step'} · "
             + (f"{clock(left, rate)} left" if left is not None else "--:-- left"))
    right = f" {progress_bar(status.position, status.length)} {times}"
    head = f"{state} {step} {describe_place(status)}"
    if status.speaking:
        head += f" · “{status.speaking}”"
    head = printable(head, one_line=True)  # script text is shown, never obeyed
    room = width - len(right)
    if room < 12:
        return _fit(head, width)
    return _fit(head, room).ljust(room) + right


def redraw(line: str) -> str:
    """The characters that replace the terminal's current line with ``line``."""
    return "\r" + line + CLEAR_TO_END


def notice_line(notice: Notice, sample_rate: int) -> str:
    """One plain line for a cue (``3:05  Press now.``) or feedback (``Paused.``), no redraws."""
    if isinstance(notice, Feedback):
        return printable(notice.text, one_line=True)
    return printable(f"{clock(notice.start, sample_rate, round_up=False)}  {cue_words(notice)}", one_line=True)


def cue_words(event: Event) -> str:
    """What a cue says, or a description of a tone."""
    if event.kind == "speech" and event.text:
        return event.text
    return f"({event.sound or event.cue})"


def header(title: str, length: int | None, sample_rate: int, *, keys: bool) -> str:
    """The first line: title, total time, and the key reminder when keys work."""
    total = f" ({clock(length, sample_rate)})" if length is not None else ""
    hint = f"  {KEYS_REMINDER}" if keys else ""
    return f"{printable(title, one_line=True)}{total}{hint}"
