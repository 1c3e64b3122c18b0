"""What every stage shares: the sample rate, the audio array type, frame/second conversion."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Audio = npt.NDArray[np.float32]
    """Mono audio: a 1-D float32 array of samples in [-1, 1]."""
else:

    def __getattr__(name: str) -> Any:
        # ``Audio`` is built on first import, so that `check` starts without numpy.
        if name == "Audio":
            import numpy as np
            import numpy.typing as npt

            return npt.NDArray[np.float32]
        raise AttributeError(name)

SAMPLE_RATE = 22050
"""Frames per second of every clip, block and file inside voiceguide (espeak-ng's own rate)."""


def seconds_to_frames(seconds: Fraction | float | int, sample_rate: int = SAMPLE_RATE) -> int:
    """The nearest whole frame to ``seconds`` (half to even)."""
    return round(Fraction(seconds) * sample_rate)


def frames_to_seconds(frames: int, sample_rate: int = SAMPLE_RATE) -> float:
    """``frames`` as float seconds, for screens and the JSON plan."""
    return frames / sample_rate
