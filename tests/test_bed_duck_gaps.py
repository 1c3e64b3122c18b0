"""The bed around the cues as a listener hears it: down before a word starts, no swell in a short gap.

A real render (espeak-ng through pyttsx3, a pink-noise bed at the default
level and duck) split in-process into its two parts, the voice and the bed,
exactly as ``render`` mixes them (their sum is the file, to 16 bits): the bed
is then measured under the words too, not only between them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.cli_harness import run_cli
from tests.fakes import start_engine
from tests.render_parts import render_parts
from voiceguide.base import SAMPLE_RATE

pytestmark = pytest.mark.engine

RATE = SAMPLE_RATE
SESSION = """\
voiceguide: 1
title: Duck check
background: {sound: pink, fade: 1s}
steps:
  - pause: 5
  - {say: Breathe out slowly., pause: 2}
  - {say: Breathe in gently., pause: 5}
  - say: Rest now.
  - pause: 4
"""


def _db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(samples, dtype=np.float64)) + 1e-20))


def _windows(bed: np.ndarray, start: int, stop: int, seconds: float = 0.2) -> list[float]:
    """The bed's level in consecutive windows over ``[start, stop)``."""
    size = round(seconds * RATE)
    return [_db(bed[a:a + size]) for a in range(start, stop - size + 1, size)]


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> tuple[list, np.ndarray]:  # type: ignore[type-arg]
    """The session's speech events and its bed alone, checked to be the render's."""
    start_engine().close()  # skips here (fails under CI) without the engine
    folder = tmp_path_factory.mktemp("duck")
    script = folder / "duck.yaml"
    script.write_text(SESSION, encoding="utf-8")
    result = run_cli("render", str(script), "-o", str(folder / "duck.wav"), "--plain")
    assert result.exit_status == 0, result.stderr
    parts = render_parts(script)
    rendered, rate = soundfile.read(Path(folder / "duck.wav"), dtype="float64", always_2d=True)
    assert rate == RATE and np.abs(parts.voice + parts.bed - rendered).max() < 1e-4  # the very file, up to 16 bits
    return [e for e in parts.events if e.kind == "speech"], parts.bed.astype(np.float64)


def test_the_bed_is_already_down_when_a_word_starts(parts: tuple[list, np.ndarray]) -> None:  # type: ignore[type-arg]
    events, bed = parts
    title, first, second, last = events
    free = _db(bed[3 * RATE:first.start - RATE // 2])  # the pause: faded in, the title's duck over
    for event in (first, second, last):
        onset = _db(bed[event.start:event.start + RATE // 20])  # the word's first 50 ms ("Br...")
        rest = _db(bed[event.start + RATE // 10:event.end])
        print(f"{event.text!r}: bed {onset - free:+.1f} dB in the first 50 ms, {rest - free:+.1f} dB after")
        assert onset - free == pytest.approx(-6.0, abs=1.0)  # the whole duck, from the first sample
        assert abs(onset - rest) < 1.0
        before = _db(bed[event.start - RATE // 20:event.start])  # and in the 50 ms before it
        assert before - free < -4.5


def test_the_bed_does_not_swell_in_a_two_second_gap_but_comes_back_in_a_long_one(
        parts: tuple[list, np.ndarray]) -> None:  # type: ignore[type-arg]
    events, bed = parts
    title, first, second, last = events
    free = _db(bed[3 * RATE:first.start - RATE // 2])
    under = _db(bed[first.start:first.end])
    assert second.start - first.end == pytest.approx(2.0 * RATE, abs=RATE // 100)
    short = _windows(bed, first.end, second.start)
    print(f"2-s gap: the bed {max(short) - under:+.1f} dB at most re under the voice ({under - free:+.1f} dB)")
    assert max(short) - under < 1.0  # held down: no swell of the duck's 6 dB for a second
    assert last.start - second.end == pytest.approx(5.0 * RATE, abs=RATE // 100)
    long = _windows(bed, second.end, last.start)
    middle = _db(bed[second.end + 2 * RATE:last.start - 2 * RATE])
    print(f"5-s gap: the bed {middle - free:+.1f} dB in its middle re the free bed")
    assert abs(middle - free) < 1.0  # up again: the hold is for short gaps only
    assert max(long) - under > 5.0
