"""A simulated room for the echo canceller: the player's output as the live path hands it over, and a microphone
that hears it late, through a room, on its own clock (``tests/test_echo_canceller.py``, ``bench_listen``).

The output gives the device blocks of ``BLOCK_FRAMES`` at the session's rate (``PlayedSound.played`` on the
callback's thread); the device plays them ``OUTPUT_LATENCY_SECONDS`` later; the sound reaches the microphone
through ``response`` (its direct path, then the room); the microphone's clock runs ``drift_ppm`` fast and its
blocks (odd sizes) arrive late, now and then a second late (a loaded machine).  ``run`` feeds both to the
listener's ``AlignedCanceller`` in the order they would arrive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import soxr

from voiceguide.base import SAMPLE_RATE
from voiceguide.play.echo_canceller import RATE, AlignedCanceller, PlayedSound
from voiceguide.play.live import BLOCK_FRAMES, OUTPUT_LATENCY_SECONDS


@dataclass
class EchoRoom:
    """``played`` (the output, frames × channels at ``SAMPLE_RATE``) heard at the microphone; ``mic_start``:
    seconds after the output's start that the microphone starts."""

    played: np.ndarray
    response: np.ndarray
    mic_start: float = 0.7
    drift_ppm: float = 40.0
    seed: int = 5
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def echo(self) -> np.ndarray:
        """What the microphone records of the output, from its own first sample (16 kHz, its own clock)."""
        mono = self.played if self.played.ndim == 1 else self.played.mean(axis=1)
        at_mic_rate = np.asarray(soxr.resample(mono, SAMPLE_RATE, RATE), dtype=np.float64)
        size = 1 << int(np.ceil(np.log2(at_mic_rate.size + self.response.size)))
        heard = np.fft.irfft(np.fft.rfft(at_mic_rate, size) * np.fft.rfft(self.response, size), size)
        heard = heard[:at_mic_rate.size]
        if self.drift_ppm:
            heard = np.asarray(soxr.resample(heard, RATE * (1 + self.drift_ppm * 1e-6), RATE), dtype=np.float64)
        # The output plays its first sample OUTPUT_LATENCY_SECONDS after its start; the microphone starts later.
        lead = round((OUTPUT_LATENCY_SECONDS - self.mic_start) * RATE)
        return np.concatenate([np.zeros(lead), heard]) if lead >= 0 else heard[-lead:]

    def delay(self) -> int:
        """The true lag (samples) from the reference's count to the microphone's, at its start."""
        return round((OUTPUT_LATENCY_SECONDS - self.mic_start) * RATE) + int(np.argmax(np.abs(self.response)))

    def run(self, canceller: AlignedCanceller, played: PlayedSound, mic: np.ndarray) -> np.ndarray:
        """``mic`` (what the microphone records) through ``canceller``, both streams arriving as they would."""
        blocks = range(0, self.played.shape[0] - BLOCK_FRAMES + 1, BLOCK_FRAMES)
        handed = [(index * BLOCK_FRAMES / SAMPLE_RATE - 0.2 + 0.02 * self.rng.random(), index) for index in
                  range(len(blocks))]  # the callback asks for a block about the device buffer's length ahead
        out = []
        count = 0
        pending = np.zeros(0)
        next_block = 0
        while count < mic.size:
            size = int(self.rng.integers(160, 1200))
            chunk = mic[count:count + size]
            count += chunk.size
            late = 0.01 + 0.05 * self.rng.random() + (1.05 if self.rng.random() < 0.01 else 0.0)
            arrived = self.mic_start + count / RATE + late
            while next_block < len(handed) and handed[next_block][0] <= arrived:
                start = handed[next_block][1] * BLOCK_FRAMES
                played.played(self.played[start:start + BLOCK_FRAMES], handed[next_block][0])
                next_block += 1
            canceller.heard(count, arrived)
            pending = np.concatenate([pending, chunk])
            while pending.size >= 480:
                out.append(canceller.clean(pending[:480]))
                pending = pending[480:]
        return np.concatenate(out)


def simple_room(delay_seconds: float = 0.02, rt60: float = 0.25, seed: int = 9) -> np.ndarray:
    """A direct path after ``delay_seconds``, then a diffuse tail decaying 60 dB in ``rt60`` (16 kHz)."""
    rng = np.random.default_rng(seed)
    length = int(rt60 * RATE)
    start = round(delay_seconds * RATE)
    response = np.zeros(start + length)
    response[start] = 0.6
    response[start + 1:] = rng.standard_normal(length - 1) * np.exp(-6.9 * np.arange(length - 1) / length) * 0.08
    return response
