"""The room's steady sound taken out of a segment before the recognizer hears it (spectral subtraction).

While no voice is heard, ``NoiseSpectrum`` averages the microphone's power
spectrum: a bed of rain or waves, a fan, the microphone's own hiss.  ``clean``
then lowers each short-time frequency bin of a segment by what that steady
sound contributes to it (a Wiener-like gain, never below ``FLOOR_GAIN``), so
the words stand out for Whisper as they do for a listener.  In a silent room
the spectrum is zero and the segment is left as it was.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]

SIZE = 480
"""Samples per analysis frame (30 ms at 16 kHz: the listener's frame), hopped by half."""
SMOOTHING = 0.1
"""Weight of each new quiet frame in the average spectrum (it follows a change within about half a second)."""
OVER_SUBTRACTION = 2.0
"""How much of the steady sound's power is taken away: more than once, so that it does not rise and fall
in the gaps as a warble."""
FLOOR_GAIN = 0.1
"""The least a bin is kept (-20 dB): deeper holes make the sound watery, which Whisper hears worse."""


class NoiseSpectrum:
    """The average power spectrum of the frames without voice, and the cleaning of a segment with it."""

    def __init__(self) -> None:
        self._window = np.hanning(SIZE + 1)[:-1]
        self._power: npt.NDArray[np.float64] | None = None

    def add(self, frame: Samples) -> None:
        """One frame (``SIZE`` samples) in which no voice was heard."""
        if frame.size != SIZE:
            return
        power = np.square(np.abs(np.fft.rfft(frame.astype(np.float64) * self._window)))
        self._power = power if self._power is None else (1 - SMOOTHING) * self._power + SMOOTHING * power

    def clean(self, samples: Samples) -> Samples:
        """``samples`` with the steady sound taken out (unchanged when nothing was heard but silence)."""
        if self._power is None or not self._power.any() or samples.size < SIZE:
            return samples
        hop = SIZE // 2
        padded = np.concatenate([np.zeros(SIZE), samples.astype(np.float64), np.zeros(SIZE)])
        out = np.zeros_like(padded)
        norm = np.zeros_like(padded)
        noise = OVER_SUBTRACTION * self._power
        for start in range(0, padded.size - SIZE + 1, hop):
            spectrum = np.fft.rfft(padded[start:start + SIZE] * self._window)
            power = np.square(np.abs(spectrum))
            gain = np.sqrt(np.maximum(1.0 - noise / np.maximum(power, 1e-20), FLOOR_GAIN ** 2))
            out[start:start + SIZE] += np.fft.irfft(spectrum * gain, SIZE) * self._window
            norm[start:start + SIZE] += np.square(self._window)
        cleaned: Samples = (out / np.maximum(norm, 1e-9))[SIZE:SIZE + samples.size].astype(np.float32)
        return cleaned
