"""Streaming resampling for formats that cannot hold the session's own rate (Opus runs at 48 kHz)."""

from __future__ import annotations

import numpy as np

from voiceguide.base import Audio

OPUS_RATE = 48000
"""Opus encodes at 48 kHz only; libsndfile refuses 22,050 Hz Opus."""


class StreamResampler:
    """Resamples consecutive blocks as one signal (soxr, high quality), aligned: no delay, no drift.

    A sound at frame ``n`` of the input comes out at ``n * to_rate / from_rate``
    of the output, whatever the block sizes; after ``flush`` the output has
    ``round(input frames * to_rate / from_rate)`` frames.
    """

    def __init__(self, from_rate: int, to_rate: int, channels: int = 1) -> None:
        import soxr

        self.from_rate = from_rate
        self.to_rate = to_rate
        self.channels = channels
        self._stream = soxr.ResampleStream(from_rate, to_rate, channels, dtype="float32", quality="HQ")

    def process(self, block: Audio) -> Audio:
        """The resampled frames that ``block`` completes (soxr holds back a few for its filter)."""
        out: Audio = self._stream.resample_chunk(np.ascontiguousarray(block, dtype=np.float32))
        return out

    def flush(self) -> Audio:
        """The frames still held back, at the end of the signal."""
        empty = np.zeros(0 if self.channels == 1 else (0, self.channels), dtype=np.float32)
        out: Audio = self._stream.resample_chunk(empty, last=True)
        return out
