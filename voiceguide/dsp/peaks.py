"""A clip's true-peak envelope for levelling: coarse everywhere, exact (192 kHz) only where a gain makes it matter.

``limiter.peak_envelope`` oversamples a whole clip to 192 kHz (nine times at
22,050 Hz) to find, per sample, the largest magnitude within half a sample of it:
1.1 M points for a 6-s clip, a third of what levelling a clip cost.  But the
limiter's curve reads the envelope only where the envelope times the take's gain
passes the target (1-2 % of espeak's samples at the final gain); everywhere else
it only needs to know that it does not.  So ``PeakEnvelope`` oversamples the whole
clip four times (``COARSE_FACTOR``: 88.2 kHz, ~3.4 × cheaper), and computes the
192-kHz envelope only at the samples where the coarse one, times the gain, may
pass the target, straight from soxr's own filter taps (``oversampling_taps``: the
same points as ``peak_envelope``'s within 1e-5).

Where may it?  Between two points of the coarse grid a signal band-limited to
half the clip's rate rises at most ``GRID_RISE`` (0.077) times its own peak above
the nearer point (Bernstein's inequality: its second derivative is at most
(2 pi B)^2 times its peak, and a point is at most an eighth of a sample away), so
the exact envelope is at most the coarse one plus 0.077 times the clip's peak;
``COARSE_MARGIN_DB`` more is allowed for the two filters' different edges (0.054
dB at most on 100 clips of espeak's voice; 0.54 dB on white noise and a 10-kHz
tone).  The envelope a gain is given is then the exact one wherever the limiter
looks, and the curve made from it is the curve of the exact envelope.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from voiceguide.base import Audio
from voiceguide.true_peak import oversampling_factor

__all__ = ["COARSE_FACTOR", "COARSE_MARGIN_DB", "TAP_REACH", "PeakEnvelope", "coarse_envelope", "exact_envelope",
           "oversampling_taps"]

COARSE_FACTOR = 4
"""The coarse envelope's oversampling (88.2 kHz at 22,050 Hz: soxr's HQ filter, ~3.4 × cheaper than nine times)."""

COARSE_MARGIN_DB = 1.0
"""The exact envelope is made wherever the coarse one, times the gain, is within this of the target (at least)."""

GRID_RISE = 0.5 * (np.pi / (2 * COARSE_FACTOR)) ** 2
"""How far above the nearer coarse point a band-limited signal can rise, as a fraction of its peak (0.077)."""

_EDGE = 64
"""Silence resampled before and after, as ``true_peak.oversampled`` pads (its ringing is kept)."""


def coarse_envelope(audio: Audio, sample_rate: int) -> npt.NDArray[np.float32]:
    """Per sample, the largest magnitude of ``audio`` oversampled ``COARSE_FACTOR`` times within half a sample."""
    import soxr

    samples = np.asarray(audio, dtype=np.float32)
    pad = np.zeros(_EDGE, dtype=np.float32)
    factor = COARSE_FACTOR
    fine = soxr.resample(np.concatenate([pad, samples, pad]), sample_rate, sample_rate * factor, quality="HQ")
    np.abs(fine, out=fine)
    centre, half = _EDGE * factor, factor // 2
    needed = centre + samples.size * factor + half
    if fine.size < needed:
        fine = np.concatenate([fine, np.zeros(needed - fine.size, dtype=fine.dtype)])
    envelope = np.abs(samples)
    for offset in range(-half, half + 1):
        start = centre + offset
        np.maximum(envelope, fine[start : start + samples.size * factor : factor], out=envelope)
    return envelope


TAP_REACH = 96
"""How far the exact envelope's taps reach either side: soxr's 192-kHz filter beyond this sums to under 1e-5 of one."""

_BATCH = 64
"""Samples per matrix product (small products run on one thread, where OpenBLAS would spin up and wait on two)."""


@lru_cache(maxsize=4)
def oversampling_taps(sample_rate: int) -> npt.NDArray[np.float32]:
    """soxr's oversampling to 192 kHz as a matrix: a window of ``2 * TAP_REACH + 1`` samples times it gives the
    oversampled points within half a sample of its middle one (columns: offsets -half..half of the factor).

    soxr's HQ resampling at a whole factor is a polyphase filter, the same at every sample (measured: an
    impulse anywhere gives the same response within 1e-7), so its taps are read from one impulse's response.
    """
    import soxr

    factor = oversampling_factor(sample_rate)
    half, reach = factor // 2, TAP_REACH
    where = 2 * reach  # the impulse, far enough from both ends for its whole response
    impulse = np.zeros(4 * reach + 1 + 2 * _EDGE, dtype=np.float32)
    impulse[_EDGE + where] = 1.0
    response = np.asarray(soxr.resample(impulse, sample_rate, sample_rate * factor, quality="HQ"), dtype=np.float64)
    rows = np.arange(2 * reach + 1)[:, np.newaxis]
    offsets = np.arange(-half, half + 1)[np.newaxis, :]
    taps: npt.NDArray[np.float32] = response[(_EDGE + where + reach - rows) * factor + offsets].astype(np.float32)
    taps.flags.writeable = False
    return taps


def exact_envelope(audio: Audio, where: npt.NDArray[np.int64], sample_rate: int,
                   padded: npt.NDArray[np.float32] | None = None) -> npt.NDArray[np.float32]:
    """``limiter.piece_envelope(audio)[where]``, computed at those samples alone (within ~1e-6 of it).

    ``padded`` is ``audio`` with ``TAP_REACH`` zeros either side, if the caller keeps one.
    """
    samples = np.asarray(audio, dtype=np.float32)
    if padded is None:
        padded = np.concatenate([np.zeros(TAP_REACH, np.float32), samples, np.zeros(TAP_REACH, np.float32)])
    taps = oversampling_taps(sample_rate)
    count = where.size
    rows = np.concatenate([where, np.full(-count % _BATCH, where[0] if count else 0, dtype=np.int64)])
    windows = sliding_window_view(padded, taps.shape[0])[rows].reshape(-1, _BATCH, taps.shape[0])
    points = np.abs(np.matmul(windows, taps).reshape(-1, taps.shape[1])[:count])
    envelope: npt.NDArray[np.float32] = np.maximum(points.max(axis=1, initial=0.0), np.abs(samples[where]))
    return envelope


class PeakEnvelope:
    """The envelope of a clip, made exact wherever a gain brings it near a target (see the module doc)."""

    def __init__(self, audio: Audio, sample_rate: int) -> None:
        self.audio = np.asarray(audio, dtype=np.float32)
        self.sample_rate = sample_rate
        self.values = coarse_envelope(self.audio, sample_rate)
        self.peak = float(self.values.max(initial=0.0))
        self.exact = np.zeros(self.audio.size, dtype=bool)
        pad = np.zeros(TAP_REACH, dtype=np.float32)
        self._padded = np.concatenate([pad, self.audio, pad])

    def at(self, gain: float, target: float) -> npt.NDArray[np.float32]:
        """The envelope, exact at every sample where times ``gain`` it may come near ``target`` (see the module doc).

        The array is shared and grows more exact with each call (exact values are never coarse again).
        """
        near = target * 10.0 ** (-COARSE_MARGIN_DB / 20.0) / gain
        rise = GRID_RISE / (1.0 - GRID_RISE) * self.peak  # the peak itself is at most this above the coarse one
        missing = np.flatnonzero((self.values > np.float32(min(near, target / gain - rise))) & ~self.exact)
        if missing.size:
            self.values[missing] = exact_envelope(self.audio, missing, self.sample_rate, self._padded)
            self.exact[missing] = True
        return self.values
