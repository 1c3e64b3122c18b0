"""``play --resume``: where a session stopped (kept in its log record), and where to take it up again.

A position is a step's path (``"5.2"``) and which time that step was played
(``2``: the second round of a repeat), so it means the same whatever the
speech lengths, ``--pace`` or ``--no-cautions``.  Resuming starts at the
beginning of that step, in the same script, once its hash shows it is the
script that was played.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from voiceguide.errors import UsageError, VoiceguideError
from voiceguide.log.record import Record
from voiceguide.play.program import Snapshot, StartPoint
from voiceguide.play.requests import PlayOptions


@dataclass(frozen=True)
class StopPoint:
    """The step a session stopped in: its path, and which of the times it is played (from 1)."""

    step: str
    occurrence: int


def stop_point(snapshot: Snapshot, frame: int) -> StopPoint | None:
    """The step playing at session ``frame`` (the last one started by then); None before the first."""
    starts = [span.start for span in snapshot.spans]
    index = bisect.bisect_right(starts, frame) - 1
    if index < 0:
        return None
    step = snapshot.spans[index].step
    occurrence = sum(1 for span in snapshot.spans[:index + 1] if span.step == step)
    return StopPoint(step, occurrence)


def resume_start(snapshot: Snapshot, point: StopPoint) -> StartPoint:
    """The start of the step ``point`` names in a (rough) layout of the whole session; raises LookupError."""
    seen = 0
    for index, span in enumerate(snapshot.spans):
        if span.step == point.step:
            seen += 1
            if seen == point.occurrence:
                return StartPoint("span", index)
    raise LookupError(f"the session has no step {point.step} played {point.occurrence} times")


class NothingToResume(UsageError):
    """The log holds no session that ``--resume`` can continue (exit status 2, one sentence)."""


def resume_options(options: PlayOptions) -> tuple[PlayOptions, ResumeTarget]:
    """``play --resume``'s options with the last logged session's script filled in, and where to start."""
    import dataclasses

    from voiceguide.log.store import read_last

    target = resume_target(read_last(1).records)  # the log's end only: it may hold a million sessions
    if target.command is not None:  # the command line makes a quick session's script again
        return options, target
    session = dataclasses.replace(options.session, script=target.script)
    return dataclasses.replace(options, session=session), target


@dataclass(frozen=True)
class ResumeTarget:
    """What ``play --resume`` plays: the script file, its name as first given, and where to start."""

    script: str
    """The script file's path (or a shipped session's name); empty for a quick session."""
    session: str
    point: StopPoint
    command: str | None = None
    """A quick session's command (``voiceguide breathe 4-7-8 --for 3m``), which makes its script again."""
    script_sha256: str = ""


QUICK_COMMANDS = ("voiceguide breathe ", "voiceguide press ")
"""How a quick session's record names it: by the command that makes it."""


def resume_target(records: Sequence[Record]) -> ResumeTarget:
    """Where ``play --resume`` takes up the last session in ``records`` (oldest first); NothingToResume if nowhere.

    The script must still be the one played: the same SHA-256 as the record's.
    """
    from voiceguide.log.recorder import file_sha256
    from voiceguide.printable import printable
    from voiceguide.script.shipped import resolve_script

    if not records:
        raise NothingToResume("there is no session in the log to resume", hint="play a session first")
    last = records[-1]
    name = printable(last.session, one_line=True)
    again = f"play it again with 'voiceguide play {printable(last.script, one_line=True)}'"
    if last.ended == "done":
        raise NothingToResume(f"the last session, '{name}', ran to its end", hint=again)
    if last.stopped_step is None or last.stopped_occurrence is None:
        raise NothingToResume(f"the log does not say where the last session, '{name}', stopped", hint=again)
    point = StopPoint(last.stopped_step, last.stopped_occurrence)
    if last.script_path is None:
        if last.script.startswith(QUICK_COMMANDS):  # made again by the command line, and checked by its hash
            return ResumeTarget("", last.session, point, command=last.script, script_sha256=last.script_sha256)
        raise NothingToResume(f"the log does not say which script the last session, '{name}', played", hint=again)
    try:
        path = resolve_script(last.script_path)
        digest = file_sha256(path)
    except (VoiceguideError, OSError):
        raise NothingToResume(f"the script of the last session, {printable(last.script_path, one_line=True)}, "
                              "is no longer there") from None
    if digest != last.script_sha256:
        raise NothingToResume(f"{printable(last.script_path, one_line=True)} has changed since the last session, "
                              "so voiceguide cannot tell where that session stopped",
                              hint=f"play it with --from STEP (it stopped in step {last.stopped_step})")
    # A shipped session stays named as it was logged ("breathing"), so the next record names it alike.
    return ResumeTarget(last.script_path if path.stem == last.script_path else str(path), last.session, point)
