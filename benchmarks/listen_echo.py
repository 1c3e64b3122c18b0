"""The barge-in experiment of ``bench_listen``: cancelling voiceguide's own sound from the microphone.

A person may want to speak over the voice.  The gate ignores whatever overlaps
voiceguide's own sound, so they must wait.  Since the exact signal the player
sent is known, an adaptive filter can learn the room's echo path and subtract
it (acoustic echo cancellation); this measures whether that is good enough to
drop the gate: the player's own voice through the canceller must give no
command over a whole session, and commands said over the voice must be heard.

The room is simulated: the speaker's sound reaches the microphone 25 ms late
through a reverberant path (an exponentially decaying random impulse response,
RT60 0.3 s, plus a direct path), with the person's command and a little noise
added.  The canceller is a frequency-domain block NLMS filter (overlap-save),
1024-sample blocks, filter length 4 blocks (256 ms), numpy only.  WebRTC's
processing module would be the better canceller, but no binding installs from
PyPI here: ``webrtc-audio-processing`` needs swig and a C++ build,
``aec-audio-processing`` builds WebRTC and abseil from source.
"""

from __future__ import annotations

import numpy as np

RATE = 16000
BLOCK = 1024
PARTITIONS = 4


def room_echo(rate: int = RATE, rt60: float = 0.3, delay: float = 0.025, seed: int = 9) -> np.ndarray:
    """An impulse response: a direct path after ``delay`` and a diffuse tail decaying 60 dB in ``rt60``."""
    rng = np.random.default_rng(seed)
    length = int(rt60 * rate)
    tail = rng.standard_normal(length) * np.exp(-6.9 * np.arange(length) / length) * 0.08
    response = np.zeros(int(delay * rate) + length)
    response[int(delay * rate)] = 0.6
    response[int(delay * rate) + 1:] += tail[: response.size - int(delay * rate) - 1]
    return response


def cancel_echo(mic: np.ndarray, reference: np.ndarray, step: float = 0.5, block: int = BLOCK,
                partitions: int = PARTITIONS, hold_db: float | None = None) -> np.ndarray:
    """``mic`` less the echo of ``reference`` (what was played), by a partitioned block NLMS filter of
    ``block`` × ``partitions`` taps.  ``hold_db``: the filter does not adapt on a block where the microphone
    is that much louder than the echo it expects (someone speaks: double talk), after the first 2 s."""
    size = mic.size - mic.size % block
    ref = np.concatenate([np.zeros(block), reference[:size]])
    weights = np.zeros((partitions, block + 1), complex)
    history = np.zeros((partitions, block + 1), complex)
    power = np.full(block + 1, 1e-3)
    out = np.zeros(size)
    hold = None if hold_db is None else 10 ** (hold_db / 10)
    for start in range(0, size, block):
        spectrum = np.fft.rfft(ref[start:start + 2 * block])
        history = np.roll(history, 1, axis=0)
        history[0] = spectrum
        estimate = np.fft.irfft((weights * history).sum(axis=0))[block:]
        error = mic[start:start + block] - estimate
        out[start:start + block] = error
        power = 0.9 * power + 0.1 * np.abs(spectrum) ** 2
        if (hold is not None and start > 2 * RATE
                and np.mean(np.square(error)) > hold * (np.mean(np.square(estimate)) + 1e-10)):
            continue
        gradient_spectrum = np.fft.rfft(np.concatenate([np.zeros(block), error]))
        for index in range(partitions):
            gradient = np.conj(history[index]) * gradient_spectrum / (partitions * power + 1e-6)
            constrained = np.fft.irfft(gradient)
            constrained[block:] = 0  # the overlap-save constraint: a causal filter of ``block`` taps per partition
            weights[index] += step * np.fft.rfft(constrained)
    return out


def echo_return_loss_enhancement(echo: np.ndarray, residual: np.ndarray, skip_seconds: float = 5.0) -> float:
    """How much quieter the echo is after cancelling (dB), after the filter's first ``skip_seconds``."""
    skip = int(skip_seconds * RATE)
    loud = np.abs(echo[skip:residual.size]) > 1e-3
    before = float(np.mean(np.square(echo[skip:residual.size][loud])))
    after = float(np.mean(np.square(residual[skip:][loud])))
    return 10 * np.log10(before / max(after, 1e-12))


def suppress_residual(cleaned: np.ndarray, mic: np.ndarray, frame: int = 480, drop_db: float = 10.0) -> np.ndarray:
    """Silence the frames the canceller made much quieter than the microphone (only echo was there): what
    is left of the echo still sounds like a voice to the voice detector.  A frame where someone speaks over
    the echo keeps most of its energy, and is kept."""
    out = cleaned.copy()
    for start in range(0, min(cleaned.size, mic.size) - frame + 1, frame):
        heard = float(np.mean(np.square(mic[start:start + frame]))) + 1e-12
        left = float(np.mean(np.square(cleaned[start:start + frame])))
        if left < heard * 10 ** (-drop_db / 10):
            out[start:start + frame] = 0.0
    return out
