"""Rendered sessions with a bed, with the real engine: measured from the files, checked by ffmpeg's meter.

One short session is rendered a few ways (module fixture, shared speech cache):
with a brown-noise bed, without it, in mono, and twice to compare bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from tests.cli_harness import run_cli
from tests.fakes import start_engine
from tests.ffmpeg_meter import ebur128
from tests.render_parts import render_parts
from voiceguide.dsp.levelling import loudness_lufs

pytestmark = pytest.mark.engine

SESSION = """\
voiceguide: 1
title: Bed check
background: brown
steps:
  - say: We begin with a calm breath, and a slow sentence to measure the level by.
  - pause: 5
  - press: {side: left, hold: 4, prepare: 1, rest: 1, point: The shoulder, cue_every: 2}
  - press: {side: right, hold: 4, prepare: 1, rest: 1, point: The shoulder, cue_every: 2}
  - say: Breathe in slowly, and let the shoulders drop as you breathe out.
  - say: That is all for now. Thank you for taking the time.
"""


def _render(script: Path, output: Path, *options: str) -> None:
    print(f"rendering {output.name} {' '.join(options)}")
    result = run_cli("render", str(script), "-o", str(output), "--plain", *options)
    assert result.exit_status == 0, result.stderr


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    start_engine().close()  # skips here (fails under CI) without the engine
    folder = tmp_path_factory.mktemp("soundscape")
    script = folder / "bed.yaml"
    script.write_text(SESSION, encoding="utf-8")
    files = {name: folder / f"{name}.wav" for name in ("bed", "again", "silent", "mono")}
    _render(script, files["bed"], "--loudness", "-20")
    _render(script, files["again"], "--loudness", "-20")
    _render(script, files["silent"], "--loudness", "-20", "--no-background")
    _render(script, files["mono"], "--loudness", "-20", "--mono")
    plan = json.loads(run_cli("plan", str(script), "--json").stdout)
    yield {"files": files, "plan": plan, "script": script, "folder": folder}


def _read(path: Path) -> np.ndarray:
    audio, rate = soundfile.read(path, dtype="float64", always_2d=True)
    assert rate == 22050
    return audio


def _db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(samples * samples) + 1e-20))


def _span(event: dict[str, Any], rate: int = 22050) -> slice:
    start = round(event["t"] * rate)
    return slice(start, start + round(event["duration"] * rate))


def test_the_bed_sounds_in_the_silences_and_is_ducked_under_speech(renders: dict[str, Any]) -> None:
    with_bed, without = _read(renders["files"]["bed"]), _read(renders["files"]["silent"])
    assert with_bed.shape == without.shape and with_bed.shape[1] == 2
    # The voice is the same in both files, up to the file gain: what is left is the bed.
    gain = float(np.sum(with_bed * without) / np.sum(without * without))
    bed = with_bed - gain * without
    speech = [e for e in renders["plan"]["events"] if e["kind"] == "speech" and e["duration"] > 1.0]
    under = np.concatenate([bed[_span(e)][round(0.2 * 22050):] for e in speech])
    pause_start = next(e for e in renders["plan"]["events"] if e["cue"] == "say")
    silence = bed[_span(pause_start).stop + round(2.0 * 22050):_span(pause_start).stop + round(4.0 * 22050)]
    free, ducked = _db(silence), _db(under)
    print(f"bed in the pause {free:.1f} dBFS, under speech {ducked:.1f} dBFS")
    assert -50 < free < -25  # there, and quiet
    assert ducked - free == pytest.approx(-6.0, abs=1.5)  # duck: 6dB
    voice = _db(gain * without[np.concatenate([np.arange(_span(e).start, _span(e).stop) for e in speech])])
    assert voice - ducked >= 15.0  # the voice stays well above the bed while it speaks


def test_side_cues_come_from_their_side_and_the_rest_from_the_middle(renders: dict[str, Any]) -> None:
    audio = _read(renders["files"]["silent"])  # no bed: the voice alone
    events = renders["plan"]["events"]
    for side, louder, softer in (("left", 0, 1), ("right", 1, 0)):
        cues = [e for e in events if e["side"] == side and e["kind"] == "speech"]
        assert cues
        for cue in cues:
            part = audio[_span(cue)]
            margin = _db(part[:, louder]) - _db(part[:, softer])
            assert 6.0 < margin < 20.0, (cue["text"], margin)  # clearly from that side, but not only one ear
    centred = audio[_span(events[0])]
    assert _db(centred[:, 0]) == pytest.approx(_db(centred[:, 1]), abs=0.01)


def test_mono_is_one_channel_as_loud_and_a_render_is_byte_identical_twice(renders: dict[str, Any]) -> None:
    files = renders["files"]
    info = soundfile.info(files["mono"])
    assert info.channels == 1
    (mono, mono_peak), (stereo, _) = ebur128(files["mono"]), ebur128(files["bed"])
    print(f"--loudness -20: mono {mono} LUFS ({mono_peak} dBTP), stereo {stereo} LUFS")
    assert mono == pytest.approx(-20.0, abs=0.5) and stereo == pytest.approx(-20.0, abs=0.5)
    assert mono_peak <= -1.0
    assert files["bed"].read_bytes() == files["again"].read_bytes()
    assert soundfile.info(files["bed"]).channels == 2


def test_without_a_bed_or_a_side_the_file_stays_mono(renders: dict[str, Any], tmp_path: Path) -> None:
    script = tmp_path / "plain.yaml"
    script.write_text("voiceguide: 1\ntitle: Plain\nsteps:\n  - Hello there.\n", encoding="utf-8")
    _render(script, tmp_path / "plain.wav")
    assert soundfile.info(tmp_path / "plain.wav").channels == 1
    _render(script, tmp_path / "rain.wav", "--background", "rain")
    assert soundfile.info(tmp_path / "rain.wav").channels == 2


@pytest.mark.parametrize("extension", [".flac", ".mp3", ".opus"])
def test_a_render_with_a_bed_meets_the_loudness_and_true_peak_by_ffmpeg(renders: dict[str, Any],
                                                                        extension: str) -> None:
    output = renders["folder"] / f"target{extension}"
    _render(renders["script"], output, "--background", "waves")
    integrated, peak = ebur128(output)
    print(f"{extension}: {integrated} LUFS, true peak {peak} dBTP")
    assert integrated == pytest.approx(-16.0, abs=0.5)
    assert peak <= -1.0


SPARSE = """\
voiceguide: 1
title: Sparse
background: {sound: rain, level: -18dB}
steps:
  - say: Settle in.
  - pause: 10
  - say: Breathe out slowly.
  - pause: 10
"""


def test_a_session_of_long_silences_meets_the_loudness_with_its_bed_lowered(renders: dict[str, Any]) -> None:
    # Two short cues in 24 s: BS.1770's gate counts the rain, and with the bed at its level the file
    # read -21.5 LUFS (the voice may go only 3 LU over the target). The bed is lowered instead.
    folder = renders["folder"]
    script = folder / "sparse.yaml"
    script.write_text(SPARSE, encoding="utf-8")
    _render(script, folder / "sparse.flac")
    integrated, peak = ebur128(folder / "sparse.flac")
    print(f"sparse: {integrated} LUFS, true peak {peak} dBTP")
    assert integrated == pytest.approx(-16.0, abs=0.5)
    assert peak <= -1.0
    # The file's two parts, as render makes them, to measure the voice over the bed while it speaks.
    parts = render_parts(script)
    voice, bed, level, events = parts.voice, parts.bed, parts.level, parts.events
    assert np.abs(voice + bed - _read(folder / "sparse.flac")).max() < 1e-4  # the very file, up to 16 bits
    print(f"gain {level.gain_db:.2f} dB, bed lowered {level.stage.bed_lowered_db:.2f} dB under its level")
    assert level.stage.bed_lowered_db > 0 and level.short_lu == 0
    for event in (e for e in events if e.kind == "speech"):
        part = slice(event.start, event.start + event.length)
        margin = loudness_lufs(voice[part], 22050) - loudness_lufs(bed[part], 22050)
        assert margin >= 15.0, (event.text, margin)
    pause = bed[events[-1].start - 4 * 22050:events[-1].start - 2 * 22050]
    assert -60 < _db(pause) < _db(voice[voice != 0]) - 18.0  # still there, and no louder than the script asked


def test_a_file_that_cannot_meet_the_loudness_says_by_how_much(renders: dict[str, Any]) -> None:
    # One cue in a minute of a bed as loud as the voice: out of reach even with the bed 20 dB lower.
    script = renders["folder"] / "loud-bed.yaml"
    script.write_text("voiceguide: 1\ntitle: Loud bed\nbackground: {sound: brown, level: 0dB}\n"
                      "steps:\n  - say: Rest now.\n  - pause: 60\n", encoding="utf-8")
    output = renders["folder"] / "loud-bed.flac"
    result = run_cli("render", str(script), "-o", str(output), "--plain")
    assert result.exit_status == 0, result.stderr
    said = re.search(r"loud-bed.yaml:3:13: warning: the file comes out ([\d.]+) LU under --loudness -16",
                     result.stderr)
    assert said is not None, result.stderr
    integrated, peak = ebur128(output)
    print(f"said {said.group(1)} LU under; ffmpeg: {integrated} LUFS, {peak} dBTP")
    assert -16.0 - integrated == pytest.approx(float(said.group(1)), abs=0.5)
    assert peak <= -1.0
