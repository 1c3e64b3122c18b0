"""The echo canceller (``voiceguide/play/echo_canceller.py``) in a simulated room (``tests/echo_room.py``).

The played bed is handed over as the live output hands it (blocks at the session's rate, in stereo), the
microphone hears it late through a reverberant room on its own clock, its blocks arriving late: the delay is
found to the sample, the bed comes out at least 20 dB quieter (15 dB when the clocks drift 30 ppm apart), a
voice said over it comes through (the filter holds still), and with nothing played the microphone is left as it
was.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tests.echo_room import EchoRoom, simple_room
from voiceguide.audio.sounds import Generator
from voiceguide.base import SAMPLE_RATE
from voiceguide.play.echo_canceller import RATE, AlignedCanceller, EchoCanceller, PlayedSound, find_delay

Signal = npt.NDArray[np.float64]


def bed(name: str, seconds: float) -> npt.NDArray[np.float32]:
    """A built-in bed as the player sends it: frames × 2 at the session's rate, about -25 dBFS."""
    return np.ascontiguousarray(Generator(name).render(0, round(seconds * SAMPLE_RATE), 2).T) * np.float32(0.05)


def cancelled(room: EchoRoom, mic: Signal, comfort: bool = False) -> tuple[Signal, AlignedCanceller]:
    """``mic`` through the listener's canceller; without its comfort noise unless told (what it subtracts)."""
    played = PlayedSound(SAMPLE_RATE)
    canceller = AlignedCanceller(played)
    if not comfort:
        canceller.filter = EchoCanceller(comfort=0.0)
    return room.run(canceller, played, mic), canceller


def level_db(signal: Signal) -> float:
    return 10 * float(np.log10(np.mean(np.square(signal)) + 1e-20))


def test_a_known_delay_is_found_to_the_sample() -> None:
    rng = np.random.default_rng(3)
    reference = rng.standard_normal(8 * RATE)
    heard = np.concatenate([np.zeros(1234), np.convolve(reference, simple_room(0.0, 0.3))])  # 1234 samples late
    start, size, low, high = 3 * RATE, 3 * RATE, -4000, 4000
    mic = heard[start:start + size] + 0.3 * rng.standard_normal(size)
    lag, _ = find_delay(reference[start - high:start + size - low], mic, low)
    assert round(lag) == 1234
    # In the listener: a bed handed over in blocks, heard 13 ms late through a room, the microphone started
    # 0.9 s after the output, its blocks late.
    room = EchoRoom(bed("rain", 12.0), simple_room(0.013), mic_start=0.9, drift_ppm=0.0)
    echo = room.echo()
    _, canceller = cancelled(room, echo + 1e-5 * rng.standard_normal(echo.size))
    assert canceller.lag is not None and round(canceller.lag) == room.delay(), (canceller.lag, room.delay())


def test_the_bed_is_20_db_quieter_after_cancelling_and_15_db_though_the_clocks_drift() -> None:
    for drift_ppm, least_db in ((0.0, 20.0), (30.0, 15.0)):
        room = EchoRoom(bed("waves", 25.0), simple_room(0.025, 0.3), mic_start=0.4, drift_ppm=drift_ppm)
        mic = room.echo()
        mic = mic + 1e-5 * np.random.default_rng(4).standard_normal(mic.size)  # the microphone's hiss, -100 dBFS
        out, _ = cancelled(room, mic)
        later = slice(12 * RATE, 24 * RATE)
        assert level_db(mic[later]) - level_db(out[later]) >= least_db, drift_ppm
    # As shipped, a steady noise 15 dB under the bed's echo stays (the listener's floor).
    comforted, _ = cancelled(room, mic, comfort=True)
    assert 12.0 <= level_db(mic[later]) - level_db(comforted[later]) <= 16.0


def test_a_voice_over_the_bed_comes_through_and_the_filter_holds_still() -> None:
    room = EchoRoom(bed("rain", 20.0), simple_room(0.02, 0.3), drift_ppm=10.0)
    echo = room.echo()
    # A voice-like sound 20 dB over the bed, 14-15.5 s: harmonics of 150 Hz under a syllable envelope.
    t = np.arange(round(1.5 * RATE)) / RATE
    voice = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 20)) * np.sin(np.pi * t / 1.5) ** 2
    voice *= 10 ** ((level_db(echo[RATE:]) + 20 - level_db(voice)) / 20)
    track = np.zeros(echo.size)
    track[14 * RATE:14 * RATE + voice.size] = voice
    out, canceller = cancelled(room, echo + track)
    said = slice(14 * RATE, 14 * RATE + voice.size)
    # What is left in the voice's stretch is the voice, the bed under it at least 15 dB down.
    assert level_db(out[said] - track[said]) <= level_db(echo[said]) - 15.0
    assert canceller.filter.held >= voice.size // 480 // 2


def test_with_nothing_played_the_microphone_is_left_as_it_was() -> None:
    rng = np.random.default_rng(6)
    mic = rng.standard_normal(8 * RATE) * 0.01
    played = PlayedSound(SAMPLE_RATE)
    canceller = AlignedCanceller(played)
    out = np.concatenate([canceller.clean(mic[start:start + 480]) for start in range(0, mic.size, 480)])
    assert np.array_equal(out, mic)
    assert canceller.lag is None
