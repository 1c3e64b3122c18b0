"""``play --resume``: where a session stopped (kept in its log record), and where to take it up again.

A position is a step's path (``"5.2"``) and which time that step was played
(``2``: the second round of a repeat), so it means the same whatever the
speech lengths, ``--pace`` or ``--no-cautions``.  Resuming starts at the
beginning of that step, in the same script, once its hash shows it is the
script that was played.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from voiceguide.errors import UsageError
from voiceguide.play.program import Snapshot, StartPoint


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


@dataclass(frozen=True)
class ResumeTarget:
    """What ``play --resume`` plays: the script file, its name as first given, and where to start."""

    script: str
    """The script file's path (or a shipped session's name)."""
    session: str
    point: StopPoint
