"""Real engine: every phrase of every shipped phrasebook, spoken by a voice of its own language.

Marked ``engine``: skipped with a reason when espeak-ng is missing, a failure under ``CI=true``.
One worker per language and one batched request per 32 phrases keep it to a few seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.cli_harness import run_cli
from tests.fakes import start_engine
from voiceguide.base import SAMPLE_RATE
from voiceguide.phrases import KEYS, Phrasebook, load_phrasebook, primary_language
from voiceguide.speech.pyttsx3_engine import list_voices
from voiceguide.speech.trimming import prepare_clip

LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")


def every_phrase(book: Phrasebook) -> list[str]:
    """Each key of the phrasebook as it would be spoken, placeholders filled with typical values."""
    values: dict[str, str | int] = {
        "time": book.duration(80), "place": book.fill("place_press"), "point": "GB30", "round": 2, "rounds": 3,
        "a": book.fill("minute_one", n=1), "b": book.fill("second_other", n=20), "stop": "stop",
        "commands": "pause, next, stop", "side": book.fill("left_side"),
    }
    texts = []
    for key in KEYS:
        n = 1 if key.name.endswith("_one") else 7
        texts.append(book.say(key.name, **values, n=n))
    return texts


@pytest.mark.engine
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_phrase_is_spoken_by_a_voice_of_its_language(language: str) -> None:
    with start_engine(language=language) as synth:
        voice = next(v for v in list_voices() if v.id == synth.voice_id)
        assert any(primary_language(tag) == language for tag in voice.languages), voice
        texts = every_phrase(load_phrasebook(language))
        clips = synth.synthesize_many(texts)
    assert len(clips) == len(texts) == len(KEYS)
    for text, raw in zip(texts, clips, strict=True):
        assert float(np.max(np.abs(raw))) > 0.05, text  # a real level, not near-silence
        clip = prepare_clip(raw, synth.sample_rate, text)  # raises EngineError on silence
        assert clip.size > SAMPLE_RATE // 5, text  # at least a fifth of a second of voice


def write(tmp_path: Path, language: str, extra: str = "") -> str:
    path = tmp_path / f"{language}.yaml"
    path.write_text(f"voiceguide: 1\ntitle: Test\nlanguage: {language}\n{extra}steps:\n"
                    f"  - press: {{hold: 3s, prepare: 0s, rest: 0s, countdown: 2}}\n", encoding="utf-8")
    return str(path)


@pytest.mark.engine
def test_plan_json_names_the_language_and_the_voice(tmp_path: Path) -> None:
    start_engine().close()  # skips when the engine is missing (fails under CI=true)
    result = run_cli("plan", write(tmp_path, "de-AT"), "--json")
    assert result.exit_status == 0, result.stderr
    plan = json.loads(result.stdout)
    assert (plan["language"], plan["voice"]) == ("de", "gmw/de")
    assert [event["text"] for event in plan["events"]] == ["Test", "Jetzt drücken.", "Zwei.", "Eins.", "Loslassen."]


@pytest.mark.engine
def test_no_voice_for_the_language_warns_in_check_and_fails_plan(tmp_path: Path) -> None:
    start_engine().close()
    path = write(tmp_path, "tlh")  # Klingon: no espeak-ng voice
    check = run_cli("check", path)
    assert check.exit_status == 0, check.stderr
    voice_warnings = [line for line in check.stderr_lines if "no installed voice speaks" in line]
    assert len(voice_warnings) == 1 and voice_warnings[0].startswith(f"{path}:3:11: warning: ")
    assert "espeak-ng-data" in voice_warnings[0]
    plan = run_cli("plan", path)
    assert plan.exit_status == 1 and plan.stdout == ""
    assert "'tlh'" in plan.stderr and "hint: install a voice that speaks" in plan.stderr


@pytest.mark.engine
def test_a_named_voice_of_another_language_is_refused(tmp_path: Path) -> None:
    start_engine().close()
    result = run_cli("plan", write(tmp_path, "fr"), "--voice", "gmw/de")
    assert result.exit_status == 1
    assert "does not speak French (fr)" in result.stderr
    check = run_cli("check", write(tmp_path, "fr", "voice: {name: German}\n"))
    assert check.exit_status == 0 and "does not speak French (fr)" in check.stderr
