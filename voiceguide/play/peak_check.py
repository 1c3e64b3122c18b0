"""A lossy file's decoded true peak, checked before the file is moved into place (``render``'s passes).

Lossy encoders (Vorbis, Opus, MP3) add their own overshoot to the peaks they are
given (measured at ``--loudness -12``: +1.8, +1.4 and +0.3 dB on ffmpeg's meter;
Opus at ``OPUS_STEREO_BITRATE``, 0.1-0.3 dB on the shipped sessions).  Each finished
lossy file is decoded and measured; one over the ceiling is refused (``PeakOver``)
and rendered again, limited that much lower.  The last pass is measured too: a file
still over is kept, and ``render`` says so (``peak_warning``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from voiceguide.errors import Diagnostic

if TYPE_CHECKING:
    from voiceguide.audio.sinks import FileSink
    from voiceguide.script.model import Script

PEAK_PASSES = 3
"""Renders of a lossy file at most: the first, and up to two more limited lower while it decodes over -1 dBTP.

Opus takes one (every shipped session, docs/performance.md "Opus render"); Vorbis near the ceiling
can read higher after a lower render (``sciatica-de`` as ``.ogg``: -1.24, then -1.19 dBTP)."""
PEAK_STEP_DB = 0.6
"""How much further below its overshoot a render after the first is limited."""


class PeakOver(Exception):
    """A finished file that decodes with a true peak over the ceiling (refused before it is moved into place)."""

    def __init__(self, peak_dbtp: float) -> None:
        super().__init__(f"true peak {peak_dbtp:.2f} dBTP")
        self.peak_dbtp = peak_dbtp


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
        from voiceguide.audio.loudness import file_true_peak_dbtp
        from voiceguide.dsp.limiter import METER_MARGIN_DB

        self.peak_dbtp = file_true_peak_dbtp(path) + METER_MARGIN_DB  # the margin other meters need (levelling)
        if self.refuse and self.over:
            raise PeakOver(self.peak_dbtp)


def next_ceiling_dbtp(ceiling_dbtp: float, gain_db: float, over: PeakOver) -> float:
    """The voice's ceiling for the pass after one refused at ``over``: the peaks given, lowered by the overshoot."""
    from voiceguide.dsp.levelling import CEILING_DBTP, HEADROOM_DB

    given = min(ceiling_dbtp, CEILING_DBTP - HEADROOM_DB + gain_db)  # the peaks the encoder got
    return given - (over.peak_dbtp - CEILING_DBTP) - PEAK_STEP_DB


def peak_warning(script: Script, path: str, peak_dbtp: float) -> list[Diagnostic]:
    """A warning that the file written still decodes over the ceiling, after every pass."""
    from voiceguide.dsp.levelling import CEILING_DBTP

    return [Diagnostic(script.position, "warning",
                       f"{path} decodes with a true peak of {peak_dbtp:+.1f} dBTP, over {CEILING_DBTP:g} dBTP, "
                       f"after {PEAK_PASSES} renders: its encoder adds more than the limiter left room for; "
                       f".flac or .wav keep the ceiling exactly")]
