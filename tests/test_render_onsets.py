"""Rendered sessions with real pyttsx3 speech: every sound starts where the JSON plan says.

Also: the onset detector itself on synthetic sounds, block-size identity on
real speech, and the plan/render/list commands end to end.  Needs the speech
engine: skipped with a reason when it is missing, a failure under ``CI=true``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from tests.cli_harness import run_cli
from tests.onsets import detect_onsets, onset_errors, required_events
from tests.required import required
from voiceguide.audio.mixer import Mixer
from voiceguide.audio.sinks import FileSink, to_pcm16
from voiceguide.base import SAMPLE_RATE
from voiceguide.cli import parse_options
from voiceguide.errors import EngineError
from voiceguide.play.prepare import prepare_session
from voiceguide.play.render import render_files, render_session
from voiceguide.script.limits import estimate_session
from voiceguide.script.parse import load_script
from voiceguide.timeline.plan import plan_dict

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = sorted((REPO / "tests" / "data" / "valid").glob("*.yaml")) + sorted((REPO / "scripts").glob("*.yaml"))


pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def engine_cache() -> Iterator[Path]:
    """The run's speech cache (shared with the other modules: the same text gives the same clip, cold or
    warm); fails under CI=true if there is no engine."""
    from voiceguide.speech.pyttsx3_engine import Pyttsx3Synthesizer

    try:
        Pyttsx3Synthesizer().close()
    except EngineError as error:
        required(f"no speech engine: {error.message}")
    yield Path(os.environ["VOICEGUIDE_CACHE_DIR"])


# -- the detector itself ---------------------------------------------------------------


def _burst(frames: int, frequency: float, attack: int = 44) -> np.ndarray[Any, np.dtype[np.float64]]:
    t = np.arange(frames)
    envelope = np.minimum(1.0, t / attack) * np.exp(-t / (frames / 3))
    return 0.5 * envelope * np.sin(2 * np.pi * frequency * t / SAMPLE_RATE)


def test_detector_finds_bursts_after_silence_to_the_sample() -> None:
    x = np.zeros(6 * SAMPLE_RATE)
    truth = [0, 20_000, 51_234, 90_001]
    for i, start in enumerate(truth):
        x[start : start + 6000] += _burst(6000, 250 + 90 * i)
    x[55_000:57_000] += 0.3 * _burst(2000, 400)  # follows 51_234 with too short a gap: not an onset
    onsets = detect_onsets(x, SAMPLE_RATE)
    assert len(onsets) == len(truth)
    assert all(abs(got - want) <= 0.0003 * SAMPLE_RATE for got, want in zip(onsets, truth, strict=True))


def test_detector_ignores_noise_and_sees_quiet_sounds_after_loud_ones() -> None:
    rng = np.random.default_rng(7)
    x = 1e-4 * rng.standard_normal(4 * SAMPLE_RATE)  # -80 dBFS hiss
    x[10_000:16_000] += _burst(6000, 300)
    x[40_000:46_000] += 0.05 * _burst(6000, 500)  # 26 dB quieter: still a sound
    onsets = detect_onsets(x, SAMPLE_RATE)
    assert len(onsets) == 2
    assert abs(onsets[0] - 10_000) <= 22 and abs(onsets[1] - 40_000) <= 22


def test_detector_hears_either_channel_of_a_stereo_file() -> None:
    x = np.zeros((5 * SAMPLE_RATE, 2))
    x[10_000:16_000, 0] += _burst(6000, 300)  # left only
    x[40_000:46_000, 1] += _burst(6000, 500)  # right only
    x[80_000:86_000] += _burst(6000, 400)[:, None] / np.sqrt(2)  # centred: as loud as the others
    assert detect_onsets(x, SAMPLE_RATE) == detect_onsets(np.abs(x).max(axis=1), SAMPLE_RATE)
    assert [round(onset, -2) for onset in detect_onsets(x, SAMPLE_RATE)] == [10_000, 40_000, 80_000]


def test_detector_on_silence_finds_nothing() -> None:
    assert detect_onsets(np.zeros(SAMPLE_RATE), SAMPLE_RATE) == []


# -- matching rendered onsets to the plan ----------------------------------------------


LONG_SESSION_SECONDS = 20 * 60
"""Longer scripts are checked at ``--pace 0.1`` (mostly silence; keeps the suite quick)."""


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_rendered_onsets_match_the_plan(engine_cache: Path, tmp_path: Path, script: Path) -> None:
    # --volume 1: a script may set volume 0 (see test_volume_zero_renders_silence); the voice's onsets
    # are measured without the sound under it (test_soundscape_render measures that).
    # One preparation: the render's own timeline is the plan (``plan --json`` prints plan_dict of the
    # same prepare_session; the commands themselves are tested end to end below).
    output = tmp_path / "session.wav"
    options = ["render", str(script), "--volume", "1", "--no-background", "-o", str(output)]
    if estimate_session(load_script(script)).seconds > LONG_SESSION_SECONDS:
        options += ["--pace", "0.1"]
    warnings: list[Any] = []
    timeline = render_files(parse_options(options), None, warnings.extend)
    plan = json.loads(json.dumps(plan_dict(timeline), ensure_ascii=False))
    samples, rate = soundfile.read(output, dtype="float64")
    assert rate == SAMPLE_RATE
    assert len(samples) == round(plan["duration"] * SAMPLE_RATE)
    onsets = [frame / SAMPLE_RATE for frame in detect_onsets(samples, SAMPLE_RATE)]
    required = required_events(plan)
    assert required and required[0]["cue"] == "title"  # the check has something to check
    problems = onset_errors(plan, onsets)
    assert not problems, f"{len(problems)} mismatches:\n" + "\n".join(problems)


def test_volume_zero_renders_silence(engine_cache: Path, tmp_path: Path) -> None:
    script = REPO / "tests" / "data" / "valid" / "top-level.yaml"
    assert "volume: 0" in script.read_text()
    output = tmp_path / "silent.flac"
    assert run_cli("render", str(script), "-o", str(output)).exit_status == 0
    samples, _ = soundfile.read(output)
    assert len(samples) > SAMPLE_RATE and not samples.any()
    run_cli("render", str(script), "-o", str(output), "--volume", "0.5")
    assert np.abs(soundfile.read(output)[0]).max() > 0.1


def test_the_onset_check_catches_a_misplaced_cue() -> None:
    plan = {"events": [
        {"t": 0.0, "duration": 0.5, "kind": "speech", "text": "a", "cue": "say"},
        {"t": 1.0, "duration": 1.5, "kind": "tone", "text": None, "cue": "chime"},
    ]}  # fmt: skip
    assert onset_errors(plan, [0.0, 1.0]) == []
    assert len(onset_errors(plan, [0.0, 1.0012])) == 1  # a tone 1.2 ms late
    assert len(onset_errors(plan, [0.004, 1.0])) == 0  # speech within 5 ms
    assert len(onset_errors(plan, [0.0, 1.0, 3.0])) == 1  # a sound where the plan is silent
    assert len(onset_errors(plan, [1.0])) == 1  # a cue missing


# -- block-size identity with real speech ------------------------------------------------

SHORT_SCRIPT = """\
voiceguide: 1
title: Blocks
steps:
  - say: One.
    pause: 0.2s
  - chime: {count: 2, sound: gong}
  - press: {hold: 4s, prepare: 0.5s, countdown: 2, rest: 0.5s}
  - breathe: {inhale: 1s, exhale: 1s, cycles: 1}
"""


def test_file_and_mixer_blocks_give_identical_samples(engine_cache: Path, tmp_path: Path) -> None:
    script_path = tmp_path / "blocks.yaml"
    script_path.write_text(SHORT_SCRIPT)
    output = tmp_path / "blocks.wav"
    options = parse_options(["render", str(script_path), "-o", str(output), "--volume", "0.8"])
    session = prepare_session(options.session)
    timeline, clips, volume = session.timeline, session.clips, session.volume
    assert volume == 0.8
    mixer = Mixer(timeline.events, clips, volume, length=timeline.length)
    whole = mixer.render(0, timeline.length)
    assert np.abs(whole).max() > 0.3  # real speech and tones, not silence
    # (One-frame blocks are test_mixer's, on fake clips: the block arithmetic does not look at the samples.)
    for block in (37, 512, 22050, timeline.length):
        np.testing.assert_array_equal(np.concatenate(list(mixer.blocks(block))), whole, err_msg=f"block {block}")
    for block in (37, 22050):
        render_session(timeline, clips, FileSink(output, SAMPLE_RATE), volume=volume, block_frames=block)
        got, _ = soundfile.read(output, dtype="int16")
        np.testing.assert_array_equal(got, to_pcm16(whole))


# -- the commands end to end ---------------------------------------------------------------


def test_plan_text_and_json_describe_the_same_session(engine_cache: Path) -> None:
    text = run_cli("plan", "quick-relief")
    assert text.exit_status == 0, text.stderr
    data = json.loads(run_cli("plan", "quick-relief", "--json").stdout)
    lines = text.stdout_lines
    assert lines[0] == data["title"] == "Quick relief"
    assert "Pressing the point  (from " in text.stdout
    assert lines[-1].startswith("Total length ") and lines[-1].endswith(f"{len(data['events'])} cues.")
    press = next(e for e in data["events"] if e["cue"] == "press")
    minutes, secs = divmod(press["t"], 60)
    # The same time, and the same step number as the JSON plan's.
    assert f"  {int(minutes)}:{secs:05.2f}  {press['step']}  press" in [line[:len(line.split("press")[0]) + 5]
                                                                       for line in lines if "press" in line]


def test_pace_and_no_cautions_change_the_plan_as_the_spec_says(engine_cache: Path) -> None:
    normal = json.loads(run_cli("plan", "quick-relief", "--json").stdout)
    quick = json.loads(run_cli("plan", "quick-relief", "--json", "--pace", "0.5", "--no-cautions").stdout)
    assert not any(e["cue"] == "caution" for e in quick["events"])
    assert any(e["cue"] == "caution" for e in normal["events"])
    assert quick["duration"] < normal["duration"] / 1.5
    quick_speech = {e["text"]: e["duration"] for e in quick["events"] if e["kind"] == "speech"}
    normal_speech = {e["text"]: e["duration"] for e in normal["events"] if e["kind"] == "speech"}
    shared = quick_speech.keys() & normal_speech.keys()
    assert len(shared) > 5
    assert all(quick_speech[text] == normal_speech[text] for text in shared)  # speech is not stretched


def test_render_writes_audio_captions_and_chapters(engine_cache: Path, tmp_path: Path) -> None:
    # WAV: encoding the session's 4 minutes as Vorbis cost 4 of the test's 5 CPU s, and checks nothing here
    # (an OGG of two minutes is written in test_render.py, every format tagged in test_phone_files.py).
    out = tmp_path / "q.wav"
    result = run_cli("render", "quick-relief", "-o", str(out), "--captions", str(tmp_path / "q.srt"),
                     "--chapters", str(tmp_path / "q.cue"))  # fmt: skip
    assert result.exit_status == 0, result.stderr
    assert "\r" not in result.stderr and "rendering" not in result.stderr  # no progress bar unless a terminal
    assert result.stdout.startswith(f"wrote {out}: ")
    plan = json.loads(run_cli("plan", "quick-relief", "--json").stdout)
    assert soundfile.info(out).duration == pytest.approx(plan["duration"], abs=0.1)
    srt = (tmp_path / "q.srt").read_text()
    spoken = [e for e in plan["events"] if e["kind"] == "speech"]
    assert srt.count(" --> ") == len(spoken)
    assert "Press now." in srt
    cue = (tmp_path / "q.cue").read_text()
    assert 'FILE "q.wav" WAVE' in cue and 'TITLE "Pressing the point"' in cue
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.cue", "q.srt", "q.wav"]


def test_an_interrupted_render_leaves_no_file(engine_cache: Path, tmp_path: Path) -> None:
    script = tmp_path / "long.yaml"
    script.write_text("voiceguide: 1\ntitle: A long silence\nsteps:\n  - pause: 40m\n")
    output = tmp_path / "out" / "long.ogg"
    output.parent.mkdir()
    env = dict(os.environ, VOICEGUIDE_CACHE_DIR=str(engine_cache))
    # SIGINT at its default in the render, as typed Ctrl-C finds it: a run started from a background shell
    # has it ignored, which a render (not a live session) rightly keeps (tests/test_interrupts.py).
    process = subprocess.Popen(
        [sys.executable, "-m", "voiceguide", "render", str(script), "-o", str(output)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 60
    # Interrupt once audio is being written (the temporary file has grown), not during synthesis.
    while time.monotonic() < deadline and process.poll() is None:
        if any(p.stat().st_size > 4096 for p in output.parent.iterdir()):
            break
        time.sleep(0.01)
    assert process.poll() is None, "the render finished before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert list(output.parent.iterdir()) == []


def test_render_shows_a_progress_bar_only_on_a_terminal(engine_cache: Path, tmp_path: Path) -> None:
    import contextlib
    import io

    from voiceguide.cli import main

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    script = tmp_path / "blocks.yaml"  # a few seconds of audio draw the bar as a session's minutes would
    script.write_text(SHORT_SCRIPT)
    stderr = Terminal()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        status = main(["render", str(script), "-o", str(tmp_path / "b.wav")])
    assert status == 0
    assert "\rrendering [" in stderr.getvalue() and "100% of " in stderr.getvalue()
    piped = run_cli("render", str(script), "-o", str(tmp_path / "b.wav"))
    assert piped.exit_status == 0 and "rendering" not in piped.stderr
    plain = Terminal()
    with contextlib.redirect_stderr(plain), contextlib.redirect_stdout(io.StringIO()):
        status = main(["render", str(script), "-o", str(tmp_path / "b.wav"), "--plain"])
    assert status == 0 and "rendering" not in plain.getvalue()


def test_plan_and_render_warn_about_dropped_cues_with_positions(engine_cache: Path, tmp_path: Path) -> None:
    script = tmp_path / "crowded.yaml"
    script.write_text(
        "voiceguide: 1\ntitle: Crowded\nsteps:\n"
        "  - press:\n      hold: 4s\n      halfway: true\n      countdown: 3\n"
        "      say: Press firmly, and breathe slowly and deeply all the way down.\n"
    )
    for command in (["plan", str(script)], ["render", str(script), "-o", str(tmp_path / "c.wav")]):
        result = run_cli(*command)
        assert result.exit_status == 0, result.stderr
        warnings = [line for line in result.stderr_lines if ": warning: " in line]
        # Each at the key whose value would make room, with its line and a caret.
        assert sorted(line.split(": warning: ")[0] for line in warnings) == [f"{script}:6:7", f"{script}:8:7"]
        assert "          halfway: true" in result.stderr_lines and "          ^" in result.stderr_lines
