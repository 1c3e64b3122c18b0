"""What ``voiceguide play`` shows: strings only (``ui.LiveDisplay`` writes them where the command line says).

Two modes.  On a terminal, one status line redrawn in place (``\\r``, clear to
end of line): the step, the text being spoken, a progress bar and the time
left.  Plain (output is not a terminal, or ``--plain`` for screen readers):
one line per cue as it sounds, nothing redrawn, nothing per second.
"""

from __future__ import annotations

import os
import shutil

from voiceguide.base import clock
from voiceguide.play.frame_map import Feedback, Notice
from voiceguide.play.keymap import KEYS_REMINDER
from voiceguide.play.status import Status, describe_place
from voiceguide.printable import printable
from voiceguide.timeline.layout import Event

BAR_WIDTH = 20
MIN_SENTENCE = 12
"""Characters of the sentence being spoken kept on a narrow line before the times give way."""
CLEAR_TO_END = "\x1b[K"


def progress_bar(done: int, total: int | None, width: int = BAR_WIDTH) -> str:
    """``[#####-----]``: how much of ``total`` is ``done`` (empty while the total is unknown)."""
    if not total:
        return "[" + " " * width + "]"
    filled = min(width, max(0, done * width // total))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(0, width - 1)] + "…"


def status_line(status: Status, width: int | None = None) -> str:
    """The one-line status for a terminal, at most ``width`` characters.

    ``Playing · step 3 of 9 · GB30, left side · “Press now.”   0:44 left in the hold ·
    session [####------] 12:05 left``: steps numbered as the script, ``plan`` and
    ``--from`` number them (``5.2`` inside a repeat; no number for the title and
    cautions).  When the line is too long the session's bar goes first, then the
    session's time, then the time left in the step; the step's name stays, and the
    sentence being spoken fills what room is left.
    """
    if width is None:
        width = shutil.get_terminal_size((80, 24)).columns
    width = max(20, width - 1)  # never touch the last column: some terminals wrap there
    rate = status.sample_rate
    state = ("Paused" if status.paused else "Stopped" if status.stopped else "Finished" if status.finished
             else "Playing")
    name = printable(describe_place(status), one_line=True)  # script text is shown, never obeyed
    speaking = printable(status.speaking, one_line=True) if status.speaking else None
    count = status.step_count
    number = status.step_number
    if number in ("", "0"):  # the title, the cautions and the end are no step of the script
        heads = [f"{state} · {name}"]
    else:
        heads = [f"{state} · step {number}" + (f" of {count}" if count else "") + f" · {name}",
                 f"{state} {number}" + (f"/{count}" if count else "") + f" · {name}"]
    def time_left(frames: int) -> str:
        return clock(frames, rate, rounding="up")  # never 0:00 while something is left

    step_time = (f"{time_left(status.hold_left)} left in the hold" if status.hold_left is not None
                 else f"{time_left(status.step_left)} left in the step")
    left = status.session_left
    session_time = f"{time_left(left)} left" if left is not None else "--:-- left"
    short_time = (f"hold {time_left(status.hold_left)} left" if status.hold_left is not None
                  else f"step {time_left(status.step_left)} left")
    rights = [f"{step_time} · session {progress_bar(status.position, status.length, 10)} {session_time}",
              f"{step_time} · session {session_time}", step_time, short_time, ""]
    if status.finished or status.stopped:
        rights = [f"session {progress_bar(status.position, status.length, 10)} {session_time}",
                  f"session {session_time}", ""]
    # The step's name and room for (the start of) a sentence come first; then the times.  The
    # room is kept in silence too, so the layout changes with the width and the step only.
    wanted = len(" · “…”") + MIN_SENTENCE
    for right in rights:
        room = width - len(right) - (3 if right else 0)
        for head in heads:
            if len(head) + wanted <= room:
                line = _with_speaking(head, speaking, room)
                return f"{line.ljust(room)}   {right}" if right else line
    return _fit(_with_speaking(heads[-1], speaking, width), width)


def _with_speaking(head: str, speaking: str | None, room: int) -> str:
    """``head`` followed by the sentence being spoken, shortened to ``room`` (left out if too little)."""
    if not speaking:
        return head
    line = f"{head} · “{speaking}”"
    if len(line) <= room:
        return line
    space = room - len(head) - len(" · “…”")
    return f"{head} · “{speaking[:space].rstrip()}…”" if space >= 6 else head


def dumb_terminal() -> bool:
    """True when ``TERM`` says the terminal obeys no escape sequences (``dumb``, as Emacs' shell sets)."""
    return os.environ.get("TERM") == "dumb"


def redraw(line: str, columns: int = 80) -> str:
    """The characters that replace the terminal's current line with ``line`` (``columns`` wide).

    A dumb terminal gets no ``ESC[K``: the line is padded with spaces over what a longer one left.
    """
    if dumb_terminal():
        return "\r" + line.ljust(columns - 1)
    return "\r" + line + CLEAR_TO_END


def notice_line(notice: Notice, sample_rate: int) -> str:
    """One plain line for a cue (``3:05  Press now.``) or feedback (``Paused.``), no redraws."""
    if isinstance(notice, Feedback):
        return printable(notice.text, one_line=True)
    return printable(f"{clock(notice.start, sample_rate, rounding='down')}  {cue_words(notice)}", one_line=True)


def cue_words(event: Event) -> str:
    """What a cue says, or a description of a tone."""
    if event.kind == "speech" and event.text:
        return event.text
    return f"({event.sound or event.cue})"


def header(title: str, length: int | None, sample_rate: int, *, keys: bool) -> str:
    """The first line: title, total time, and the key reminder when keys work."""
    total = f" ({clock(length, sample_rate, rounding='up')})" if length is not None else ""
    hint = f"  {KEYS_REMINDER}" if keys else ""
    return f"{printable(title, one_line=True)}{total}{hint}"
