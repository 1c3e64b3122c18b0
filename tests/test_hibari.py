"""The optional neural voice (engine ``hibari``), with the real model.

Skipped with a reason when the ``natural`` extra is missing; a failure under
``CI=true`` (``./dev test`` installs it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.cli_harness import run_cli
from tests.onsets import detect_onsets, onset_errors
from tests.required import required
from voiceguide.base import SAMPLE_RATE
from voiceguide.errors import EngineError
from voiceguide.speech.clips import SpeechBank
from voiceguide.speech.engines import ENGINES, engine_voices, open_synthesizer
from voiceguide.speech.hibari_engine import HibariSynthesizer
from voiceguide.speech.trimming import prepare_clip

pytestmark = pytest.mark.engine


def start_hibari(**kwargs: object) -> HibariSynthesizer:
    """A real hibari synthesizer; skips when the extra is missing (fails under CI=true)."""
    try:
        return HibariSynthesizer(**kwargs)  # type: ignore[arg-type]
    except EngineError as error:
        if "not installed" not in error.message:
            raise
        required(f"no natural voice: {error.message}")


@pytest.fixture(scope="module")
def hibari() -> Iterator[HibariSynthesizer]:
    synth = start_hibari(language="en")
    yield synth
    synth.close()


def test_the_engine_is_listed_and_offers_only_its_bundled_voice(hibari: HibariSynthesizer) -> None:
    assert "hibari" in ENGINES
    voices = engine_voices("hibari")
    assert [v.id for v in voices] == ["heart"]  # the others would be downloaded: never offered
    assert "en" in voices[0].languages


def test_identity_names_engine_model_voice_and_rate(hibari: HibariSynthesizer) -> None:
    identity = hibari.identity()
    assert identity.startswith("hibari ")
    assert "hibari.onnx" in identity and "voice heart" in identity and "rate 160" in identity
    assert hibari.voice_id == "heart"
    assert hibari.sample_rate == SAMPLE_RATE


def test_the_same_text_gives_the_same_samples_in_any_order() -> None:
    first = start_hibari()
    second = start_hibari()
    a1 = first.synthesize("Press now.")
    first.synthesize("Breathe out slowly, and let your shoulders drop.")
    a2 = first.synthesize("Press now.")
    second.synthesize("Release.")
    b = second.synthesize("Press now.")
    assert a1.dtype == np.float32 and a1.size > SAMPLE_RATE // 4
    assert np.array_equal(a1, a2) and np.array_equal(a1, b)


def test_output_is_resampled_from_24_khz_with_its_length_kept(hibari: HibariSynthesizer) -> None:
    text = "Thirty seconds left."
    raw = hibari._tts(text, speed=1.0, seed=0)
    clip = hibari.synthesize(text)
    assert abs(clip.size - raw.size * SAMPLE_RATE / 24000) <= 2
    # A real resampler keeps the level: no repeated or dropped samples changing the peak much.
    assert abs(float(np.abs(clip).max()) - float(np.abs(raw).max())) < 0.1


def test_rate_changes_the_pace() -> None:
    slow = start_hibari(rate=120).synthesize("Keep breathing slowly and deeply.")
    fast = start_hibari(rate=220).synthesize("Keep breathing slowly and deeply.")
    assert fast.size < 0.75 * slow.size


def test_a_clip_is_trimmed_to_the_voice_like_espeak(hibari: HibariSynthesizer) -> None:
    raw = hibari.synthesize("Breathe in.")
    clip = prepare_clip(raw, SAMPLE_RATE, "Breathe in.")
    assert clip.size < raw.size
    assert clip[0] == 0.0 and np.abs(clip[:400]).max() > 0.01  # the voice starts within 18 ms


@pytest.mark.parametrize("language", ["de", "fr-FR", "pt"])
def test_other_languages_are_refused_with_a_clear_message(language: str) -> None:
    with pytest.raises(EngineError) as caught:
        start_hibari(language=language)
    assert "English only" in caught.value.message
    assert "pyttsx3" in (caught.value.hint or "")


def test_an_unknown_voice_is_refused() -> None:
    with pytest.raises(EngineError) as caught:
        start_hibari(voice="fenrir")  # a hibari voice, but not in the package: never downloaded
    assert "fenrir" in caught.value.message


def test_the_cache_never_mixes_engines(tmp_path: Path) -> None:
    cache = tmp_path
    neural = SpeechBank(open_synthesizer("hibari", voice=None, language="en", rate=160), cache)
    espeak = SpeechBank(open_synthesizer("pyttsx3", voice=None, language="en", rate=160), cache)
    a = neural.clip("Release.")
    b = espeak.clip("Release.")
    assert len(list(cache.glob("*.clip"))) == 2
    assert a.size != b.size or not np.array_equal(a, b)


# -- through the command line ------------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
ONSET_SCRIPT = REPO / "tests" / "data" / "valid" / "minimal.yaml"


@pytest.fixture
def natural_cache(hibari: HibariSynthesizer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # ``hibari``: skip or fail here when the extra is missing (the module's synthesizer: loading the model
    # again for each of these tests cost 2-3.5 s of set-up each)
    monkeypatch.setenv("VOICEGUIDE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_rendered_onsets_match_the_plan_with_the_natural_voice(natural_cache: Path) -> None:
    script = natural_cache / "session.yaml"
    script.write_text(
        "voiceguide: 1\ntitle: Natural voice\nsteps:\n"
        "  - Settle in, and let your shoulders drop.\n"
        "  - press: {point: GB30, side: both, hold: 12s, prepare: 2s, cue_every: 5s, countdown: 2, rest: 2s}\n"
        "  - chime: 1\n"
        "  - breathe: {inhale: 3s, exhale: 4s, cycles: 2}\n"
    )
    plan_run = run_cli("plan", str(script), "--json", "--engine", "hibari")
    assert plan_run.exit_status == 0, plan_run.stderr
    plan = json.loads(plan_run.stdout)
    output = natural_cache / "out.wav"
    render_run = run_cli("render", str(script), "-o", str(output), "--engine", "hibari")
    assert render_run.exit_status == 0, render_run.stderr
    audio, rate = soundfile.read(str(output), dtype="float64")  # stereo: the press's sides are panned
    assert rate == SAMPLE_RATE and abs(audio.shape[0] / rate - plan["duration"]) < 0.001
    onsets = [frame / rate for frame in detect_onsets(audio, rate)]
    assert onset_errors(plan, onsets) == []


def test_the_plan_differs_by_engine_and_the_voices_list_both(natural_cache: Path) -> None:
    natural = run_cli("plan", str(ONSET_SCRIPT), "--json", "--engine", "hibari")
    default = run_cli("plan", str(ONSET_SCRIPT), "--json")
    assert natural.exit_status == default.exit_status == 0
    assert json.loads(natural.stdout)["duration"] != json.loads(default.stdout)["duration"]
    voices = run_cli("voices")
    assert voices.exit_status == 0
    engines = {line.split()[0] for line in voices.stdout_lines[1:]}
    assert {"pyttsx3", "hibari"} <= engines


def test_a_script_in_another_language_fails_with_one_sentence(natural_cache: Path) -> None:
    script = natural_cache / "de.yaml"
    script.write_text("voiceguide: 1\ntitle: Ruhe\nlanguage: de\nsteps:\n  - Atme ruhig.\n")
    result = run_cli("render", str(script), "-o", str(natural_cache / "de.wav"), "--engine", "hibari")
    assert result.exit_status == 1
    assert "English only" in result.stderr and "Traceback" not in result.stderr
    assert not (natural_cache / "de.wav").exists()


def test_without_the_extra_the_engine_says_what_to_install(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['hibari'] = None\n"
            "from voiceguide.cli import main; sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", code, "plan", str(ONSET_SCRIPT), "--engine", "hibari"],
                          capture_output=True, text=True, cwd=REPO,
                          env=dict(os.environ, VOICEGUIDE_CACHE_DIR=str(tmp_path)))
    assert done.returncode == 1
    assert "voiceguide[natural]" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("text", ["1234567890123456789012345678901234567", "日本語のテキスト"])
def test_a_text_the_natural_voice_cannot_say_is_an_error_at_its_step(hibari: HibariSynthesizer, tmp_path: Path,
                                                                     text: str) -> None:
    script = tmp_path / "s.yaml"
    script.write_text(f'voiceguide: 1\ntitle: Texts\nsteps:\n  - say: Settle in.\n  - say: "{text}"\n',
                      encoding="utf-8")
    result = run_cli("plan", "--engine", "hibari", str(script))
    assert result.exit_status == 2
    assert result.stderr_lines[0].startswith(f"{script}:5:5: error: The natural voice ")
