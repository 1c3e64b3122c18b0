"""True peak as ITU-R BS.1770-4 (Annex 2) measures it: the peak of the signal oversampled to 192 kHz.

BS.1770-4 oversamples a 48 kHz signal four times, to 192 kHz, before taking
its largest magnitude; a signal at a lower rate needs a larger factor to see
the same peaks between its samples (``oversampling_factor``: 9 at 22,050 Hz,
5 at 44.1 kHz, 4 at 48 kHz).  This is what ffmpeg's ``ebur128=peak=true``
meter reads, which resamples to 192 kHz.  Four times 22,050 Hz misses peaks
by up to 0.2 dB: a file levelled that way reads -0.8 dBTP for a -1 ceiling.

``true_peak`` measures any length of mono or multichannel audio in pieces
(memory stays at one piece, oversampled), and ``TruePeakMeter`` measures a
stream block by block (a mix as it is rendered): both give the same figure.
The resampler is ``soxr`` (imported when first used).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from voiceguide.base import SAMPLE_RATE

__all__ = ["TRUE_PEAK_RATE", "TruePeakMeter", "oversampled", "oversampling_factor", "true_peak", "true_peak_dbtp"]

TRUE_PEAK_RATE = 192_000
"""The rate true peak is measured at: BS.1770-4's four times 48 kHz."""
EDGE_FRAMES = 64
"""Silence measured before and after the signal, so ringing at its edges is kept."""
PIECE_FRAMES = 1 << 16
"""Frames resampled at once by ``true_peak`` (memory: a piece times the factor)."""


def oversampling_factor(sample_rate: int) -> int:
    """The whole factor that takes ``sample_rate`` to at least 192 kHz (at least 4, as BS.1770-4)."""
    return max(4, math.ceil(TRUE_PEAK_RATE / sample_rate))


def oversampled(audio: npt.ArrayLike, sample_rate: int = SAMPLE_RATE) -> npt.NDArray[np.float32]:
    """Mono ``audio`` at ``oversampling_factor`` times its rate, with ``EDGE_FRAMES`` of silence either side."""
    import soxr

    samples = np.asarray(audio, dtype=np.float32)
    pad = np.zeros(EDGE_FRAMES, dtype=np.float32)
    padded = np.concatenate([pad, samples, pad])
    factor = oversampling_factor(sample_rate)
    result: npt.NDArray[np.float32] = soxr.resample(padded, sample_rate, sample_rate * factor, quality="HQ")
    return result


class TruePeakMeter:
    """The true peak of a stream fed block by block: ``feed`` each block, then read ``peak`` (after ``finish``).

    Blocks are 1-D (mono) or 2-D ``(frames, channels)``; the channel count is
    fixed by the first block.  The peak is the largest over all channels.
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE) -> None:
        self.sample_rate = sample_rate
        self.factor = oversampling_factor(sample_rate)
        self._stream: Any = None
        self._channels = 0
        self._peak = 0.0
        self._finished = False

    def feed(self, block: npt.ArrayLike) -> float:
        """Measure one more block of the stream; returns the largest magnitude measured by this call (linear).

        That is the block's samples and the oversampled curve the resampler gave back for it: the
        resampler holds back a few dozen samples, so the curve of a block's last moments may come with
        the next block (``file_peaks`` widens what it reports by a block for that).
        """
        samples = np.asarray(block, dtype=np.float32)
        if samples.ndim == 1:
            samples = samples[:, np.newaxis]
        if samples.shape[0] == 0:
            return 0.0
        if self._stream is None:
            import soxr

            self._channels = samples.shape[1]
            self._stream = soxr.ResampleStream(self.sample_rate, self.sample_rate * self.factor, self._channels,
                                               dtype="float32", quality="HQ")
            self._resample(np.zeros((EDGE_FRAMES, self._channels), dtype=np.float32), last=False)
        measured = float(np.abs(samples).max())  # a sample is a point of the curve too
        self._peak = max(self._peak, measured)
        return max(measured, self._resample(np.ascontiguousarray(samples), last=False))

    def finish(self) -> float:
        """Measure the ringing after the last block; returns ``peak``.  Feeding after this is an error."""
        if self._stream is not None and not self._finished:
            self._resample(np.zeros((EDGE_FRAMES, self._channels), dtype=np.float32), last=True)
        self._finished = True
        return self._peak

    @property
    def peak(self) -> float:
        """The true peak so far (linear; 0 for silence or nothing fed)."""
        return self._peak

    def _resample(self, samples: npt.NDArray[np.float32], *, last: bool) -> float:
        if self._finished:
            raise ValueError("TruePeakMeter.feed after finish")
        out = self._stream.resample_chunk(samples, last=last)
        if not out.size:
            return 0.0
        measured = float(np.abs(out).max())
        self._peak = max(self._peak, measured)
        return measured


def true_peak(audio: npt.ArrayLike, sample_rate: int = SAMPLE_RATE) -> float:
    """The true peak (linear) of mono or ``(frames, channels)`` audio, measured piece by piece."""
    samples = np.asarray(audio, dtype=np.float32)
    if samples.size == 0:
        return 0.0
    meter = TruePeakMeter(sample_rate)
    for start in range(0, samples.shape[0], PIECE_FRAMES):
        meter.feed(samples[start:start + PIECE_FRAMES])
    return meter.finish()


def true_peak_dbtp(audio: npt.ArrayLike, sample_rate: int = SAMPLE_RATE) -> float:
    """``true_peak`` in dBTP (decibels relative to full scale; ``-inf`` for silence)."""
    peak = true_peak(audio, sample_rate)
    return 20 * math.log10(peak) if peak > 0 else -math.inf
