"""Quick sessions (``breathe``, ``press``) and starter scripts (``new``): what they write, and that it plays."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from voiceguide.errors import UsageError
from voiceguide.quick.build import BreatheRequest, PressRequest, breathe_script, press_script, quick_languages
from voiceguide.quick.patterns import NAMED_PATTERNS, parse_pattern
from voiceguide.quick.starter import starter_languages, starter_text
from voiceguide.script.limits import estimated_measure
from voiceguide.script.parse import parse_script
from voiceguide.timeline.compiler import compile_timeline
from voiceguide.timeline.layout import Timeline

SEVEN = ("de", "en", "es", "fr", "it", "nl", "pt")


def _timeline(text: str) -> Timeline:
    result = parse_script(text, "quick.yaml")
    assert result.script is not None and result.diagnostics == [], [d.format() for d in result.diagnostics]
    return compile_timeline(result.script, estimated_measure(160, 22050))


@pytest.mark.parametrize(("text", "seconds"), [
    ("4-7-8", (4, 7, 8, 0)), ("5.5-5.5", (5.5, 0, 5.5, 0)), ("4-4-4-4", (4, 4, 4, 4)), ("box", (4, 4, 4, 4)),
    ("coherent", (5.5, 0, 5.5, 0)), ("Physiological-Sigh", (2, 1, 6, 1)), ("4-2-6", (4, 2, 6, 0)),
])
def test_patterns_by_numbers_or_name(text: str, seconds: tuple[float, ...]) -> None:
    pattern = parse_pattern(text)
    assert (pattern.inhale, pattern.hold, pattern.exhale, pattern.rest) == tuple(Fraction(str(s)) for s in seconds)


@pytest.mark.parametrize(("text", "words"), [
    ("4", "is not a breathing pattern"), ("4-7-8-2-1", "is not a breathing pattern"),
    ("squre", "is not a breathing pattern"), ("0-4", "must take some time"), ("4-90", "at most 60 seconds"),
    ("4--8", "is not a breathing pattern"), ("1e9-1", "is not a breathing pattern"),
])
def test_bad_patterns_are_one_sentence_with_the_names(text: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_pattern(text)
    assert words in caught.value.message
    assert caught.value.hint is not None and "box (4-4-4-4)" in caught.value.hint


def test_named_patterns_include_the_four_the_issue_asks_for() -> None:
    assert {"box", "4-7-8", "coherent", "sigh"} <= set(NAMED_PATTERNS)


@pytest.mark.parametrize("language", SEVEN)
def test_the_sigh_drops_no_cue_in_any_language(language: str) -> None:
    text = breathe_script(BreatheRequest(parse_pattern("sigh"), "sigh", cycles=4, language=language))
    assert _timeline(text).dropped == ()


@pytest.mark.parametrize("language", SEVEN)
def test_breathe_script_in_each_language_has_the_cycles_and_words(language: str) -> None:
    request = BreatheRequest(parse_pattern("4-7-8"), "4-7-8", for_seconds=Fraction(180), language=language)
    timeline = _timeline(breathe_script(request))
    inhales = [e for e in timeline.events if e.cue == "inhale"]
    assert len(inhales) == 180 // 19  # floor(for / cycle)
    assert (inhales[1].start - inhales[0].start) == 19 * 22050
    assert f"language: {language}" in breathe_script(request)


def test_the_sigh_says_its_second_breath_in_with_its_own_words() -> None:
    text = breathe_script(BreatheRequest(parse_pattern("sigh"), "sigh", cycles=3))
    holds = [e for e in _timeline(text).events if e.cue == "hold"]
    assert [e.text for e in holds] == ["Once more."] * 3


def test_press_script_has_the_side_cues_and_countdown() -> None:
    request = PressRequest(Fraction(60), side="both", every_seconds=Fraction(20), countdown=3, point="LI4")
    timeline = _timeline(press_script(request))
    cues = [e.cue for e in timeline.events]
    assert cues.count("press") == 2 and cues.count("release") == 2 and cues.count("countdown") == 6
    assert cues.count("remaining") == 4  # 40 s and 20 s left, on each side


def test_quick_sessions_speak_only_the_shipped_languages() -> None:
    assert tuple(sorted(quick_languages())) == SEVEN
    with pytest.raises(UsageError) as caught:
        breathe_script(BreatheRequest(parse_pattern("box"), "box", language="ja"))
    assert "ja" in caught.value.message and "en" in (caught.value.hint or "")


@pytest.mark.parametrize("language", SEVEN)
def test_starters_are_commented_and_pass_check_cleanly(language: str) -> None:
    text = starter_text(language)
    assert text.count("\n#") + text.startswith("#") >= 3  # commented
    assert f"language: {language} " in text
    _timeline(text)


def test_a_starter_keeps_a_region_tag() -> None:
    assert "language: pt-BR " in starter_text("pt-BR")
    assert starter_languages() == SEVEN


@pytest.mark.engine
def test_every_starter_and_quick_press_plans_with_the_real_voice_and_drops_nothing(tmp_path: Path) -> None:
    # The real engine speaks every text of the starter and of a quick press in each language (plan
    # synthesizes exactly what play would say), with nothing dropped and nothing to warn about.
    from tests.cli_harness import run_cli

    for language in SEVEN:
        print(f"planning the {language} starter and quick press with the real voice")
        both = yaml.safe_load(starter_text(language))  # one plan (one engine) per language: the press appended
        press = PressRequest(Fraction(30), side="both", every_seconds=Fraction(10), language=language)
        both["steps"] += yaml.safe_load(press_script(press))["steps"]
        path = tmp_path / f"{language}.yaml"
        path.write_text(yaml.safe_dump(both, allow_unicode=True), encoding="utf-8")
        result = run_cli("plan", str(path), "--json")
        assert result.exit_status == 0 and result.stderr == "", (language, result.stderr)
