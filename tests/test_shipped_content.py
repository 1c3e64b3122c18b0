"""The sessions shipped in ``scripts/``: valid, the right length, honest, and packaged.

These test content, not the player: that every shipped script passes the
validator, that the sciatica session teaches what its source text says (the
point in the hollow at the side of the buttock held on both sides with deep
breathing, gentle Tai Chi / Qi Gong stretching) with health cautions that never
promise a cure, and that the wheel carries the scripts so ``voiceguide play
sciatica`` works after ``pip install``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.required import required
from tests.shipped import MINUTE, REPO, SHIPPED, estimated_minutes, load, load_script, spoken_texts, walk
from voiceguide.cli import main
from voiceguide.script.model import Breathe, Chime, Pause, Press, Repeat, Say, Section

SHIPPED_NAMES = {"sciatica", "sciatica-de", "sciatica-fr", "sciatica-es", "quick-relief", "breathing",
                 "lower-back", "neck-shoulders", "sleep"}

# Words that would promise more than acupressure and breathing can give.
PROMISE = re.compile(r"\b(cure[sd]?|curing|guarantee[sd]?|heal(s|ed|ing)?)\b", re.IGNORECASE)
NEGATED_CURE = re.compile(r"\b(not|never|no)\s+(\w+\s+){0,2}cure", re.IGNORECASE)


# --------------------------------------------------------------------------
# every shipped script


def test_the_shipped_sessions_are_all_known() -> None:
    assert {path.stem for path in SHIPPED} == SHIPPED_NAMES


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_shipped_script_loads(path: Path) -> None:
    script = load_script(path)
    assert script.title
    assert script.steps


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_check_accepts_shipped_script_without_warnings(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["check", str(path)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "error:" not in captured.err
    assert "warning:" not in captured.out + captured.err


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_shipped_script_opens_and_closes_with_a_chime(path: Path) -> None:
    script = load_script(path)
    assert isinstance(script.steps[0], Chime)
    assert isinstance(script.steps[-1], Chime)
    assert any(isinstance(step, Section) for step in script.steps)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_shipped_script_never_promises_a_cure(path: Path) -> None:
    script = load_script(path)
    for text in spoken_texts(script):
        assert not PROMISE.search(text), text
    for caution in script.cautions:
        # "cure" may appear in a caution only to say that the session is not one.
        if PROMISE.search(caution):
            assert NEGATED_CURE.search(caution), caution


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_shipped_script_reuses_blocks_through_x_anchors(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert re.search(r"^x-[\w-]+:", text, re.MULTILINE)
    assert "&" in text and "*" in text


def test_shipped_scripts_are_found_by_name() -> None:
    from voiceguide.script.shipped import shipped_scripts

    found = shipped_scripts()
    if isinstance(found, Mapping):
        names = {str(name) for name in found}
        paths = [Path(path) for path in found.values()]
    else:
        paths = [Path(path) for path in found]
        names = {path.stem for path in paths}
    assert names >= SHIPPED_NAMES
    for path in paths:
        assert path.is_file(), path


@pytest.fixture(scope="module")
def speech_cache() -> Iterator[Path]:
    """The run's speech cache, where this module's plans with the real engine keep their clips."""
    yield Path(os.environ["VOICEGUIDE_CACHE_DIR"])


def real_plan(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str]:
    """``voiceguide plan --json`` with the real speech engine: the plan and what went to stderr."""
    status = main(["plan", str(path), "--json"])
    captured = capsys.readouterr()
    if status == 1 and "engine" in captured.err.lower():
        required(f"no speech engine: {captured.err.strip()}")
    assert status == 0, captured.err
    plan: dict[str, Any] = json.loads(captured.out)
    return plan, captured.err


@pytest.mark.engine
@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_real_speech_drops_no_cue(path: Path, speech_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The holds are chosen so that breathing cues fall clear of the time-left cues and
    # the countdown; with real speech lengths a collision would drop a cue and warn.
    plan, err = real_plan(path, capsys)
    assert "warning:" not in err
    cues = [event["cue"] for event in plan["events"]]
    if any(isinstance(step, Press) for step in walk(load_script(path).steps)):
        assert cues.count("press") == cues.count("release") > 0
        assert "remaining" in cues and "countdown" in cues and "inhale" in cues
    if path.stem == "sciatica":  # its length with real speech, from this one plan rather than a second
        assert 10 * MINUTE <= plan["duration"] <= 20 * MINUTE


# --------------------------------------------------------------------------
# the sciatica session


def test_sciatica_lasts_10_to_20_minutes() -> None:
    assert 10 <= estimated_minutes(load("sciatica")) <= 20


def test_sciatica_cautions_send_people_to_a_doctor() -> None:
    cautions = " ".join(load("sciatica").cautions).lower()
    assert "doctor" in cautions
    for warning_sign in ("saddle", "bladder", "bowel", "weakness", "injury", "fever", "few weeks"):
        assert warning_sign in cautions, warning_sign
    assert "stop" in cautions and "sharp" in cautions
    assert "pregnant" in cautions
    # "press where the skin is broken": "press on broken skin" is heard as "press unbroken skin".
    assert "where the skin is broken" in cautions and "inflamed" in cautions
    assert NEGATED_CURE.search(cautions)


def test_sciatica_presses_the_hip_point_on_both_sides_with_breathing() -> None:
    presses = [step for step in walk(load("sciatica").steps) if isinstance(step, Press)]
    assert presses
    for press in presses:
        assert press.side == "both"
        assert press.point is not None and "GB30" in press.point
        assert press.where is not None and "hollow at the side of your buttock" in press.where
        assert press.breathe is not None
        assert press.hold >= 60
        assert press.cue_every is not None
        assert press.countdown == 3
        assert press.say is not None and "not uncomfortable" in press.say


def test_sciatica_has_a_second_round() -> None:
    script = load("sciatica")
    rounds = [step for step in walk(script.steps) if isinstance(step, Repeat) and step.announce]
    presses_in_rounds = [
        step for r in rounds for step in walk(r.steps) if isinstance(step, Press)
    ]
    presses = [step for step in walk(script.steps) if isinstance(step, Press)]
    assert (rounds and rounds[0].times >= 2 and presses_in_rounds) or len(presses) >= 2


def test_sciatica_teaches_the_seed_tips() -> None:
    script = load("sciatica")
    spoken = " ".join(spoken_texts(script)).lower()
    assert "centre of the hollow at the side of your buttock" in spoken
    assert "on your side" in spoken
    assert "breathe deeply" in spoken
    assert "attention" in spoken
    assert "strong" in spoken and "not uncomfortable" in spoken
    assert "tai chi" in spoken and "qi gong" in spoken
    assert any(isinstance(step, Breathe) and step.count for step in walk(script.steps))


# --------------------------------------------------------------------------
# the German sciatica session

# German words that would promise a cure ("heilt", "Heilung", "garantiert", "kuriert").
PROMISE_DE = re.compile(r"\b(heil(t|en|ung)|geheilt|garantie\w*|garantiert|kurier\w*)\b", re.IGNORECASE)


def test_sciatica_de_is_german_with_the_same_shape_as_sciatica() -> None:
    english, german = load("sciatica"), load("sciatica-de")
    assert german.language == "de"
    assert [type(step) for step in walk(german.steps)] == [type(step) for step in walk(english.steps)]
    assert len(german.cautions) == len(english.cautions)
    assert [step.label is None for step in walk(german.steps)] == [step.label is None for step in walk(english.steps)]
    english_words = {"the", "and", "your", "breathe", "press", "side", "point", "you"}
    for text in spoken_texts(german) + list(german.cautions):
        assert not set(re.findall(r"[a-z]+", text.lower())) & english_words, text


def test_sciatica_de_never_promises_a_cure_and_sends_people_to_a_doctor() -> None:
    script = load("sciatica-de")
    for text in spoken_texts(script) + list(script.cautions):
        assert not PROMISE_DE.search(text), text
    cautions = " ".join(script.cautions).lower()
    assert "ersetzt keine behandlung" in cautions and "beseitigt aber nicht" in cautions
    assert "ärztin" in cautions and "arzt" in cautions
    # The same warning signs: saddle numbness, bladder, bowel, weakness, injury, fever, weeks.
    for warning_sign in ("gesäßbereich", "blase", "darm", "schwächer", "verletzung", "fieber", "wochen"):
        assert warning_sign in cautions, warning_sign
    assert "sofort auf" in cautions and "stechend" in cautions
    assert "schwanger" in cautions and "entzündete haut" in cautions


def test_sciatica_de_teaches_the_same_point_and_tips() -> None:
    script = load("sciatica-de")
    presses = [step for step in walk(script.steps) if isinstance(step, Press)]
    english = [step for step in walk(load("sciatica").steps) if isinstance(step, Press)]
    assert len(presses) == len(english)
    for press, twin in zip(presses, english, strict=True):
        assert (press.side, press.point, press.prepare, press.cue_every, press.countdown, press.rest) == (
            twin.side, twin.point, twin.prepare, twin.cue_every, twin.countdown, twin.rest)
        assert press.breathe == twin.breathe and abs(press.hold - twin.hold) <= 1
        assert press.where is not None and "Mulde seitlich an Ihrem Gesäß" in press.where
        assert press.say is not None and "nie unangenehm" in press.say
    spoken = " ".join(spoken_texts(script)).lower()
    for tip in ("auf die seite", "atmen sie tief", "aufmerksamkeit", "kräftig", "tai chi", "qi gong"):
        assert tip in spoken, tip
    assert any(isinstance(step, Breathe) and step.count for step in walk(script.steps))
    assert 10 <= estimated_minutes(script) <= 20


def test_sciatica_de_cues_are_all_german() -> None:
    from tests.fakes import GENERATED, vocabulary, words
    from voiceguide.script.limits import estimated_measure
    from voiceguide.timeline.compiler import compile_timeline

    script = load("sciatica-de")
    timeline = compile_timeline(script, estimated_measure(script.voice.rate, 22050), sample_rate=22050)
    german = vocabulary("de") | words(" ".join(spoken_texts(script)))
    cues = [event.text or "" for event in timeline.events if event.cue in GENERATED and event.cue != "announce"]
    assert cues and all(words(text) <= german for text in cues)
    assert "Runde zwei von zwei." in cues and "Noch zwanzig Sekunden." in cues and "Jetzt drücken." in cues


# --------------------------------------------------------------------------
# the short sessions


def test_quick_relief_is_short_and_presses_both_sides() -> None:
    script = load("quick-relief")
    assert 3 <= estimated_minutes(script) <= 5
    assert script.cautions and "doctor" in " ".join(script.cautions).lower()
    presses = [step for step in walk(script.steps) if isinstance(step, Press)]
    assert len(presses) == 1
    assert presses[0].side == "both" and presses[0].breathe is not None


def test_breathing_is_breathing_only_for_about_five_minutes() -> None:
    script = load("breathing")
    assert 4 <= estimated_minutes(script) <= 6
    steps = list(walk(script.steps))
    assert not any(isinstance(step, Press) for step in steps)
    assert any(isinstance(step, Breathe) and step.for_seconds is not None and step.count for step in steps)


# --------------------------------------------------------------------------
# the README's example script


def readme_example(tmp_path: Path) -> Path:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Writing your own session", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match, "README has no yaml example under 'Writing your own session'"
    path = tmp_path / "wrist-break.yaml"
    path.write_text(match.group(1), encoding="utf-8")
    return path


def test_readme_example_is_valid_and_uses_every_step_kind(tmp_path: Path) -> None:
    path = readme_example(tmp_path)
    script = load_script(path)
    kinds = {type(step) for step in walk(script.steps)}
    assert kinds == {Say, Pause, Chime, Breathe, Press, Section, Repeat}
    text = path.read_text(encoding="utf-8")
    assert "\n  - Sit comfortably" in text  # the bare-string shorthand for say
    assert "<<: *" in text and "\nx-" in text


def test_readme_example_passes_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = readme_example(tmp_path)
    status = main(["check", str(path)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "warning:" not in captured.out + captured.err


@pytest.mark.engine
def test_readme_example_drops_no_cue_with_real_speech(
    tmp_path: Path, speech_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, err = real_plan(readme_example(tmp_path), capsys)
    assert "warning:" not in err
