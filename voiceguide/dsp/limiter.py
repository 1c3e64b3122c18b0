"""The look-ahead true-peak limiter: a smooth gain that holds a clip's true peak under a ceiling.

The gain reaches its lowest *before* a peak and recovers after it, so nothing
is clipped and quiet parts are untouched.  True peak is measured as BS.1770-4
does, oversampled to 192 kHz (``voiceguide.true_peak``).  Nothing here imports
scipy: the running minimum and mean are numpy (``running_min``, ``running_mean``).
``levelling`` uses it to level clips.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from voiceguide.base import SAMPLE_RATE, Audio
from voiceguide.true_peak import EDGE_FRAMES, oversampled, oversampling_factor, true_peak

LOOKAHEAD_SECONDS = 0.005
"""The limiter's gain reaches its lowest this long before a peak and recovers over as long after it."""

METER_MARGIN_DB = 0.25
"""The limiter aims this far below the ceiling, so that no meter reads a peak over it.

Meters differ by the interpolation filter they oversample with: ffmpeg's
``ebur128=peak=true`` (a short filter, to 192 kHz) reads 0.15 dB above soxr's
long one on espeak's voice, and a file at exactly -1.0 by ours read -0.85 by ffmpeg.
"""


def db_to_gain(decibels: float) -> float:
    """The linear gain of ``decibels``."""
    return float(10.0 ** (decibels / 20.0))


ENVELOPE_PIECE_FRAMES = 1 << 15
"""A long clip's peak envelope is made this many samples at a time (at 192 kHz a 6-s clip is 4.6 MB)."""

ENVELOPE_MARGIN_FRAMES = 512
"""Each piece is oversampled with this much of the clip either side, beyond the resampler's reach."""


def peak_envelope(audio: Audio, sample_rate: int) -> npt.NDArray[np.float32]:
    """Per sample, the largest oversampled magnitude within half a sample of it; long clips piece by piece."""
    if audio.size <= ENVELOPE_PIECE_FRAMES + 2 * ENVELOPE_MARGIN_FRAMES:
        return piece_envelope(audio, sample_rate)
    pieces = []
    for start in range(0, audio.size, ENVELOPE_PIECE_FRAMES):
        low = max(0, start - ENVELOPE_MARGIN_FRAMES)
        high = min(audio.size, start + ENVELOPE_PIECE_FRAMES + ENVELOPE_MARGIN_FRAMES)
        envelope = piece_envelope(audio[low:high], sample_rate)
        pieces.append(envelope[start - low : start - low + min(ENVELOPE_PIECE_FRAMES, audio.size - start)])
    return np.concatenate(pieces)


def piece_envelope(audio: Audio, sample_rate: int) -> npt.NDArray[np.float32]:
    """Per sample, the largest oversampled magnitude within half a sample of it (and the sample's own)."""
    factor = oversampling_factor(sample_rate)
    fine = oversampled(audio, sample_rate)
    np.abs(fine, out=fine)  # in place: at 192 kHz a 6-s clip is 4.6 MB oversampled
    centre = EDGE_FRAMES * factor  # where sample 0 lands in the oversampled signal
    half = factor // 2
    needed = centre + audio.size * factor + half
    if fine.size < needed:
        fine = np.concatenate([fine, np.zeros(needed - fine.size, dtype=fine.dtype)])
    # Strided slices, one per offset: far faster than max over a (n, 5) view.
    envelope = np.abs(audio).astype(np.float32)
    for offset in range(-half, half + 1):
        start = centre + offset
        np.maximum(envelope, fine[start : start + audio.size * factor : factor], out=envelope)
    return envelope


def limiter_gain(envelope: npt.NDArray[np.float32], target: float, sample_rate: int) -> npt.NDArray[np.float64]:
    """The smooth gain that brings a signal with this peak ``envelope`` to ``target`` (see ``limit_true_peak``)."""
    half = max(1, round(LOOKAHEAD_SECONDS * sample_rate))
    need = np.minimum(1.0, target / np.maximum(envelope.astype(np.float64), 1e-12))
    smooth: npt.NDArray[np.float64] = np.minimum(running_mean(running_min(need, half), half), 1.0)
    return smooth


def limiter_curve(
    envelope: npt.NDArray[np.float32], gain: float, target: float, sample_rate: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """``limiter_gain(envelope * gain, target)`` where it is below 1: those samples (sorted) and its values there.

    The curve is 1 except within two half-windows of a sample whose peak needs
    limiting (a running minimum, then a running mean, each ``half`` either side), so
    it is computed over stretches around those samples only: each stretch reaches
    four half-windows beyond its outermost such samples, the curve is kept over
    the two nearer ones, where every window it was made of lies inside the stretch
    (or at the clip's edge, as in the whole).  Stretches closer than that are one.
    All stretches go through the running minimum and mean at once, end to end:
    what is kept of each never sees its neighbours.
    """
    half = max(1, round(LOOKAHEAD_SECONDS * sample_rate))
    scaled = envelope * np.float32(gain)
    hot = np.flatnonzero(scaled > target)
    if hot.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    size = envelope.size
    breaks = np.flatnonzero(np.diff(hot) > 4 * half)
    firsts = hot[np.concatenate([[0], breaks + 1])].tolist()
    lasts = hot[np.concatenate([breaks, [hot.size - 1]])].tolist()
    stretches = [
        (max(0, first - 4 * half), min(size, last + 4 * half + 1)) for first, last in zip(firsts, lasts, strict=True)
    ]
    gathered = np.concatenate([scaled[low:high] for low, high in stretches]).astype(np.float64)
    need = np.minimum(1.0, target / np.maximum(gathered, 1e-12))
    smooth = np.minimum(running_mean(running_min(need, half), half), 1.0)
    # What is kept of each stretch, as a mask over the gathered samples and their places in the clip.
    kept = np.zeros(smooth.size, dtype=bool)
    places = np.empty(smooth.size, dtype=np.int64)
    offset = 0
    for (low, high), first, last in zip(stretches, firsts, lasts, strict=True):
        keep_low, keep_high = max(0, first - 2 * half), min(size, last + 2 * half + 1)
        kept[offset + keep_low - low : offset + keep_high - low] = True
        places[offset : offset + high - low] = np.arange(low, high)
        offset += high - low
    return places[kept], smooth[kept]


def _edge_padded(values: npt.NDArray[np.float64], half: int, extra: int = 0) -> npt.NDArray[np.float64]:
    """``values`` with its first value repeated ``half`` times before it and its last ``half + extra`` after."""
    return np.concatenate([np.full(half, values[0]), values, np.full(half + extra, values[-1])])


def running_min(values: npt.NDArray[np.float64], half: int) -> npt.NDArray[np.float64]:
    """The minimum of each window of ``values[i - half : i + half + 1]``, edges repeated (scipy's "nearest").

    By doubling: the minimum over 2 samples, then 4, 8, ... up to the largest power
    of two within the window; a window is then covered by two such spans, one from
    each end (a few passes of ``np.minimum`` over contiguous memory).
    """
    width = 2 * half + 1
    if values.size == 0:
        empty: npt.NDArray[np.float64] = values.copy()
        return empty
    spans = _edge_padded(values, half)
    span = 1
    while 2 * span <= width:
        spans = np.minimum(spans[:-span], spans[span:])
        span *= 2
    result: npt.NDArray[np.float64] = np.minimum(spans[: values.size], spans[width - span : width - span + values.size])
    return result


def running_mean(values: npt.NDArray[np.float64], half: int) -> npt.NDArray[np.float64]:
    """The mean of each window of ``values[i - half : i + half + 1]``, edges repeated (scipy's "nearest")."""
    width = 2 * half + 1
    if values.size == 0:
        empty: npt.NDArray[np.float64] = values.copy()
        return empty
    padded = _edge_padded(values, half)
    sums = np.empty(padded.size + 1)
    sums[0] = 0.0
    np.cumsum(padded, out=sums[1:])
    result: npt.NDArray[np.float64] = np.subtract(sums[width:], sums[:-width])
    result /= width
    return result


def limit_true_peak(audio: npt.ArrayLike, ceiling: float, sample_rate: int = SAMPLE_RATE) -> Audio:
    """``audio`` with its true peak at or below ``ceiling`` (linear), through a look-ahead limiter.

    The gain needed at each sample (ceiling over the local true peak, at most
    1) is spread to ``LOOKAHEAD_SECONDS`` either side by a running minimum,
    then smoothed by a running mean of the same half-width: every value in
    that mean is a minimum over a window containing the sample, so the smooth
    gain never exceeds the gain the sample needs.
    """
    samples = np.asarray(audio, dtype=np.float32)
    result: Audio = samples.copy()
    if samples.size == 0:
        return result
    target = ceiling * db_to_gain(-METER_MARGIN_DB)
    for _ in range(4):  # one pass almost always does; resampling error may leave a hair over
        envelope = peak_envelope(result, sample_rate)
        if envelope.max() <= target:
            break
        result = (result * limiter_gain(envelope, target, sample_rate)).astype(np.float32)
    else:
        # Dense peaks everywhere (noise, not speech) can leave a hair over: a plain gain settles it.
        peak = true_peak(result, sample_rate)
        if peak > target:
            result = (result * np.float32(target / peak)).astype(np.float32)
    return result
