"""A lossy file's decoded true peak, checked before the file is moved into place (``render``'s passes).

Lossy encoders (Vorbis, Opus, MP3) add their own overshoot to the peaks they are
given (measured at ``--loudness -12``: +1.8, +1.4 and +0.3 dB on ffmpeg's meter;
Opus at ``OPUS_STEREO_BITRATE``, 0.1-0.3 dB on the shipped sessions).  Each finished
lossy file is decoded and measured; one over the ceiling is refused (``PeakOver``,
with where it is over) and rendered again with the clips that play there quieter
(``quieter_clips``).  The last pass is measured too: a file still over is kept, and
``render`` says so (``peak_warning``).

Why the clips there, and not a lower ceiling for every clip (before 2026-12-07):
Vorbis's overshoot is its coding noise, largest on espeak's sibilants ("Jetzt
drücken."), added to whatever is near the top, not to the few peaks a limiter
takes.  The captured mix of a German press, encoded again: limited 1.0 dB lower,
it decoded only 1.0 dB lower (1.5 dB: 0.9); scaled 0.25 dB lower, 0.5 dB lower.
And limiting every clip anew re-rolls the codec's noise everywhere: ``sciatica-de``
as ``.ogg`` decoded -1.24, then -1.19, then -2.56 dBTP on three renders, its
highest spot moving each time.  A clip made quieter changes only its own
stretch, where the codec's noise scales with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from voiceguide.errors import Diagnostic

if TYPE_CHECKING:
    from voiceguide.audio.loudness import ClipKey
    from voiceguide.audio.sinks import FileSink
    from voiceguide.script.model import Script
    from voiceguide.timeline.layout import Event

PEAK_PASSES = 2
"""Renders of a lossy file at most: the first, and one more with the clips where it decoded over made quieter.

Every shipped session renders once in every lossy format (docs/performance.md, "Lossy renders in one pass");
a second render changes only the clips that were over, so it lands under (a third never helped: it
would scale the same clips again)."""
PEAK_STEP_DB = 0.5
"""How much further below its overshoot a clip that was over is made in the next render.

The codec's noise on one stretch moves with the gain by a little more than the gain (0.25 dB quieter:
0.5 dB lower), and the meter's block reaches into neighbouring clips: 0.5 dB of room for both."""


class PeakOver(Exception):
    """A finished file that decodes with a true peak over the ceiling (refused before it is moved into place)."""

    def __init__(self, peak_dbtp: float, over: tuple[tuple[float, float], ...] = ()) -> None:
        super().__init__(f"true peak {peak_dbtp:.2f} dBTP")
        self.peak_dbtp = peak_dbtp
        self.over = over
        """(start, end) seconds of the file where it decoded over the ceiling."""


class PeakCheck:
    """``FileSink.before_commit`` for a lossy file: measures its decoded true peak, refuses it if over (``refuse``).

    ``peak_dbtp`` is what a meter like ffmpeg's would read (ours plus ``METER_MARGIN_DB``), once measured.
    """

    def __init__(self, *, refuse: bool) -> None:
        self.refuse = refuse
        self.peak_dbtp: float | None = None

    @staticmethod
    def applies_to(sink: FileSink) -> bool:
        """True for a lossy file, whose decoded peaks differ from the samples it was given."""
        from voiceguide.audio.file_formats import LOSSY_SUBTYPES

        return sink.format.subtype in LOSSY_SUBTYPES

    @property
    def over(self) -> bool:
        """True when the file was measured over the ceiling."""
        from voiceguide.dsp.levelling import CEILING_DBTP

        return self.peak_dbtp is not None and self.peak_dbtp > CEILING_DBTP

    def __call__(self, path: Path) -> None:
        from voiceguide.audio import loudness
        from voiceguide.base import release_free_memory
        from voiceguide.dsp.levelling import CEILING_DBTP
        from voiceguide.dsp.limiter import METER_MARGIN_DB

        release_free_memory()  # what the render freed, before the decoder and the meter take their own
        measured = loudness.file_peaks(path, CEILING_DBTP - METER_MARGIN_DB)
        self.peak_dbtp = measured.peak_dbtp + METER_MARGIN_DB  # the margin other meters need (levelling)
        if self.refuse and self.over:
            raise PeakOver(self.peak_dbtp, measured.over)


def quieter_clips(events: Sequence[Event], sample_rate: int, over: PeakOver,
                  before: Mapping[ClipKey, float]) -> dict[ClipKey, float]:
    """How much quieter (dB) each clip goes in the pass after one refused at ``over``: those playing where it was over.

    Every clip sounding in a stretch over the ceiling goes the overshoot and ``PEAK_STEP_DB`` lower than it
    was (``before``); the others stay.  Empty when no clip plays there (a bed alone over the ceiling).
    """
    from voiceguide.audio.loudness import clip_key
    from voiceguide.dsp.levelling import CEILING_DBTP

    lower = over.peak_dbtp - CEILING_DBTP + PEAK_STEP_DB
    quieter = dict(before)
    for start, end in over.over:
        first, last = start * sample_rate, end * sample_rate
        for event in events:
            if event.start < last and event.end > first:
                key = clip_key(event)
                quieter[key] = before.get(key, 0.0) + lower
    return quieter


def next_ceiling_dbtp(ceiling_dbtp: float, gain_db: float, over: PeakOver) -> float:
    """The voice's ceiling for the pass after one refused at ``over`` with no clip where it was over.

    The peaks given, lowered by the overshoot and ``PEAK_STEP_DB``: the bed's peaks leave the voice that much less room.
    """
    from voiceguide.dsp.levelling import CEILING_DBTP, HEADROOM_DB

    given = min(ceiling_dbtp, CEILING_DBTP - HEADROOM_DB + gain_db)  # the peaks the encoder got
    return given - (over.peak_dbtp - CEILING_DBTP) - PEAK_STEP_DB


def peak_warning(script: Script, path: str, peak_dbtp: float) -> list[Diagnostic]:
    """A warning that the file written still decodes over the ceiling, after every pass."""
    from voiceguide.dsp.levelling import CEILING_DBTP

    return [Diagnostic(script.position, "warning",
                       f"{path} decodes with a true peak of {peak_dbtp:+.1f} dBTP, over {CEILING_DBTP:g} dBTP, "
                       f"after {PEAK_PASSES} renders (the second with the clips there quieter): its encoder's "
                       f"noise still passes the ceiling; .flac or .wav keep the ceiling exactly")]
