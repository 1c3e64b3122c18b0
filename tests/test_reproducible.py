"""Reproducible speech: the same text is the same take, so a render is the same file every time.

espeak-ng carries state from one utterance to the next (see ``_tts_worker``);
these tests drive the real engine and fail where a take depends on what was
spoken before it, in this process or in another one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.fakes import start_engine

pytestmark = pytest.mark.engine

REPO = Path(__file__).resolve().parent.parent

SCRIPT = """\
voiceguide: 1
title: Same every time
steps:
  - say: Breathe in slowly through your nose.
  - pause: 0.3s
  - say: Hold.
  - chime: 1
  - say: Now let it go, and rest.
"""

PART = """\
voiceguide: 1
title: Part of it
steps:
  - say: Hold.
"""


def test_a_take_does_not_depend_on_what_was_spoken_before() -> None:
    with start_engine() as synth:
        first = synth.synthesize("Hold.")
        synth.synthesize("Breathe in slowly through your nose, and let the shoulders drop.")
        again = synth.synthesize("Hold.")
        in_batch = synth.synthesize_many(["Now let it go.", "Hold.", "Rest."])[1]
    assert first.size == again.size == in_batch.size
    assert np.array_equal(first, again) and np.array_equal(first, in_batch)


def _render(script: Path, output: Path, cache: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, VOICEGUIDE_CACHE_DIR=str(cache))
    return subprocess.Popen([sys.executable, "-m", "voiceguide", "render", str(script), "-o", str(output)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(process: subprocess.Popen[bytes]) -> None:
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()


def test_a_render_is_byte_identical_cold_warm_partly_warm_and_concurrent_in_wav_and_flac(tmp_path: Path) -> None:
    # One test, so the FLAC half reuses the WAV renders and their warm caches instead of making its own.
    import soundfile

    script = tmp_path / "session.yaml"
    script.write_text(SCRIPT)
    part = tmp_path / "part.yaml"
    part.write_text(PART)
    outputs = {name: tmp_path / f"{name}.wav" for name in ("cold", "warm", "partly", "twin1", "twin2")}
    _finish(_render(script, outputs["cold"], tmp_path / "cache-a"))
    _finish(_render(script, outputs["warm"], tmp_path / "cache-a"))
    _finish(_render(part, tmp_path / "part.wav", tmp_path / "cache-b"))
    _finish(_render(script, outputs["partly"], tmp_path / "cache-b"))
    twins = [_render(script, outputs[name], tmp_path / "cache-c") for name in ("twin1", "twin2")]
    for twin in twins:
        _finish(twin)
    reference = outputs["cold"].read_bytes()
    assert len(reference) > 1000
    for name, path in outputs.items():
        assert path.read_bytes() == reference, f"the {name} render differs from the cold one"

    # The samples do not depend on the cache's state (above); the FLAC encoder must not add anything
    # of its own that changes from run to run (a date, a random seed).
    flacs = [tmp_path / name for name in ("a.flac", "b.flac")]
    caches = (tmp_path / "cache-a", tmp_path / "cache-c")
    flac_renders = [_render(script, output, cache) for output, cache in zip(flacs, caches, strict=True)]
    for flac_render in flac_renders:
        _finish(flac_render)
    flac, again = flacs
    assert flac.read_bytes() == again.read_bytes()
    wav_samples, wav_rate = soundfile.read(str(outputs["cold"]), dtype="int16")
    flac_samples, flac_rate = soundfile.read(str(flac), dtype="int16")
    assert flac_rate == wav_rate and np.array_equal(flac_samples, wav_samples)


def test_takes_stay_identical_while_three_engines_synthesize_at_once() -> None:
    # Under load, pyttsx3's end-of-loop stop() can land while espeak is still applying
    # the queued rate, and a take would come out at 200 wpm: the worker never calls it.
    import threading

    texts = ["Breathe in slowly through your nose.", "Hold.", "Now let it go, and rest.", "Release."]
    takes: list[list[bytes]] = []
    failures: list[BaseException] = []

    def synthesize_rounds() -> None:
        try:
            with start_engine() as synth:
                for _ in range(5):
                    takes.append([clip.tobytes() for clip in synth.synthesize_many(texts)])
        except BaseException as error:  # reported below, on the test's thread
            failures.append(error)

    threads = [threading.Thread(target=synthesize_rounds) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    assert len(takes) == 15
    assert all(take == takes[0] for take in takes), "a take differed from the others"


def test_the_prepared_engine_speaks_as_a_fresh_one(tmp_path: Path) -> None:
    # Utterances are forked from an engine started once in espeak's synchronous mode (no thread to
    # lose in the fork), which also greets and takes the voice; a take from it must be the very take
    # a fresh engine makes in its own child.
    code = (
        "import sys\n"
        "from voiceguide.speech import _tts_worker as w\n"
        "folder, texts = sys.argv[1], sys.argv[2:]\n"
        "fresh = [w._speak_job('gmw/en', 160, {'text': t, 'path': f'{folder}/fresh{i}.wav'})"
        " for i, t in enumerate(texts)]\n"
        "print(w._run_children(fresh, 2))\n"
        "worker = w.Worker()\n"
        "assert worker.prepared is not None, 'no prepared engine with this pyttsx3'\n"
        "assert worker.hello()['ok'] and worker.configure('gmw/en', 160, folder)['ok']\n"
        "print(worker.synth([{'text': t, 'path': f'{folder}/prepared{i}.wav'} for i, t in enumerate(texts)]))\n"
    )
    texts = ["Hold.", "Breathe in slowly through your nose.", "Now let it go, and rest."]
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path), *texts], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for index, text in enumerate(texts):
        fresh, prepared = (tmp_path / f"{route}{index}.wav" for route in ("fresh", "prepared"))
        assert fresh.stat().st_size > 1000, text
        assert prepared.read_bytes() == fresh.read_bytes(), f"{text!r}: the prepared engine's take differs"
