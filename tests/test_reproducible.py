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


def test_the_prepared_engine_speaks_in_memory_as_a_fresh_engine_writes_its_file(tmp_path: Path) -> None:
    # Utterances are forked from an engine started once in espeak's synchronous mode (no thread to
    # lose in the fork), which also greets and takes the voice, and each child speaks into memory; a
    # take from it must be, sample for sample, the file pyttsx3 writes from a fresh engine in its own child.
    code = (
        "import sys, json\n"
        "from voiceguide.speech import _tts_worker as w\n"
        "folder, rate, voice, texts = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]\n"
        "fresh = [w._speak_job(voice, rate, {'text': t, 'path': f'{folder}/fresh{i}.wav'})"
        " for i, t in enumerate(texts)]\n"
        "assert all(reply['ok'] for reply in w._run_children(fresh, 2))\n"
        "worker = w.Worker()\n"
        "assert worker.prepared is not None, 'no prepared engine with this pyttsx3'\n"
        "assert worker.hello()['ok'] and worker.configure(voice, rate, folder)['ok']\n"
        "reply = worker.synth([{'text': t, 'path': f'{folder}/unused{i}.wav'} for i, t in enumerate(texts)])\n"
        "open(f'{folder}/prepared.raw', 'wb').write(reply.pop('payload'))\n"
        "open(f'{folder}/reply.json', 'w').write(json.dumps(reply))\n"
    )
    import json

    import soundfile

    cases = [
        ("gmw/en", 160, ["Hold.", "Breathe in slowly through your nose.", "Now let it go, and rest.",
                         "Fifty-six seconds left in the hold.", "Three."]),
        ("gmw/en", 230, ["Breathe out, and let the shoulders drop.", "Hold."]),
        ("roa/fr", 140, ["Inspirez lentement par le nez.", "Tenez."]),
        ("gmw/de", 180, ["Atmen Sie langsam aus.", "Halten."]),
    ]
    for voice, rate, texts in cases:
        folder = tmp_path / f"{voice.replace('/', '-')}-{rate}"
        folder.mkdir()
        done = subprocess.run([sys.executable, "-c", code, str(folder), str(rate), voice, *texts], cwd=REPO,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        reply = json.loads((folder / "reply.json").read_text())  # stdout has pyttsx3's prints
        assert reply["ok"] and reply["rate"] == 22050
        samples = np.frombuffer((folder / "prepared.raw").read_bytes(), dtype="<i2")
        assert not list(folder.glob("unused*")), "the prepared engine wrote files"
        start = 0
        for index, (text, count) in enumerate(zip(texts, reply["frames"], strict=True)):
            fresh, rate_read = soundfile.read(str(folder / f"fresh{index}.wav"), dtype="int16")
            assert rate_read == 22050 and fresh.size > 2000, text
            assert count == fresh.size and np.array_equal(samples[start:start + count], fresh), (
                f"{voice} at {rate}: {text!r}: the prepared engine's take differs from a fresh engine's file")
            start += count
