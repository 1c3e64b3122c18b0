"""The 24 h limit held on the real, synthesized length (``check`` can only estimate it).

``check`` estimates speech from the words and the rate, so a script whose text
takes far longer to say than its words suggest (one long word repeated a
thousand times) passes it and would then render for more than a day.  Once
the speech is synthesized the layout is exact: ``plan`` and ``render`` refuse
such a session before any audio is written, and ``play`` as soon as its
background layout passes the limit.  The refusal is a script error (exit 2),
positioned at the script, as the estimated limit is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from voiceguide.errors import Diagnostic, ScriptError
from voiceguide.script.limits import hours_text
from voiceguide.script.model import MAX_SESSION_SECONDS, Script
from voiceguide.timeline.layout import StepPlan, Timeline


def too_long_error(script: Script, length_frames: int, sample_rate: int, *, at_least: bool = False) -> ScriptError:
    """The error for a session whose laid-out length passes ``MAX_SESSION_SECONDS``."""
    shown = hours_text(length_frames / sample_rate)
    lasts = "would last more than" if at_least else "would last"
    message = (f"with its speech synthesized the session {lasts} {shown}; a session may last at most "
               f"{MAX_SESSION_SECONDS // 3600} h (some text takes longer to say than its words suggest)")
    return ScriptError([Diagnostic(script.position, "error", message)])


def limit_frames(sample_rate: int) -> int:
    """The longest a session may be, in frames."""
    return MAX_SESSION_SECONDS * sample_rate


def check_timeline_length(script: Script, timeline: Timeline) -> None:
    """``ScriptError`` if the laid-out ``timeline`` lasts more than 24 h."""
    if timeline.length > limit_frames(timeline.sample_rate):
        raise too_long_error(script, timeline.length, timeline.sample_rate)


def held_to_limit(script: Script, plans: Iterable[StepPlan], sample_rate: int) -> Iterator[StepPlan]:
    """``plans`` passed through; ``ScriptError`` as soon as one ends past 24 h (for a lazy layout)."""
    limit = limit_frames(sample_rate)
    for plan in plans:
        end = max([plan.span.end, *(event.end for event in plan.events)])  # a pause has no events
        if end > limit:
            raise too_long_error(script, end, sample_rate, at_least=True)
        yield plan
