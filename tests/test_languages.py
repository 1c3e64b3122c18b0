"""Every word voiceguide says on its own follows the script's language (phrasebooks, numbers, phrases:)."""

from __future__ import annotations

import re
import textwrap

import pytest
import yaml
from num2words import num2words

from tests.cli_harness import run_cli
from tests.fakes import GENERATED, lower, vocabulary, words
from voiceguide.phrases import (
    KEYS,
    KEYS_BY_NAME,
    load_phrasebook,
    phrase_problem,
    phrasebook_yaml,
    shipped_languages,
)
from voiceguide.phrases.numbers import number_words
from voiceguide.script.model import Script
from voiceguide.script.parse import parse_script
from voiceguide.timeline.compiler import compile_timeline
from voiceguide.timeline.layout import Timeline

LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")
# Every cue kind: breathing with counts, press on both sides with time left (minutes,
# minutes and seconds, seconds), halfway and countdown, repeat with announce, section.
EVERY_CUE = """\
voiceguide: 1
title: Q
language: {language}
steps:
  - section: Q
  - breathe: {{inhale: 4, hold: 3, exhale: 4, rest: 2, cycles: 1, count: true}}
  - repeat: 2
    announce: true
    steps:
      - press: {{side: both, hold: 130s, prepare: 1s, cue_every: 40s, halfway: true, countdown: 3, rest: 1s}}
"""


def parse(text: str) -> Script:
    result = parse_script(textwrap.dedent(text), "s.yaml")
    assert result.script is not None, [d.format() for d in result.diagnostics]
    return result.script


def plan(language: str) -> Timeline:
    # Every utterance half a second long: the same cues survive in every language, index by index.
    return compile_timeline(parse(EVERY_CUE.format(language=language)), lambda text: 11025)


def generated(timeline: Timeline) -> list[tuple[str, str]]:
    return [(event.cue, event.text or "") for event in timeline.events if event.cue in GENERATED]


def test_seven_languages_are_shipped() -> None:
    assert set(LANGUAGES) <= set(shipped_languages())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_cue_speaks_the_language_of_the_script(language: str) -> None:
    timeline = plan(language)
    cues = generated(timeline)
    assert {cue for cue, _ in cues} == GENERATED  # the script really uses every kind
    own = vocabulary(language)
    foreign = set().union(*(vocabulary(other) for other in LANGUAGES if other != language)) - own
    for cue, text in cues:
        assert words(text) <= own, (cue, text, words(text) - own)
        assert not words(text) & foreign, (cue, text)
    if language != "en":
        english = generated(plan("en"))
        assert len(english) == len(cues)
        same = [(cue, text) for (cue, text), (_, other) in zip(cues, english, strict=True) if text == other]
        assert same == []  # not one cue left in English


@pytest.mark.parametrize("language", LANGUAGES)
def test_numbers_are_the_languages_words(language: str) -> None:
    timeline = plan(language)
    book = load_phrasebook(language)

    def said(cue: str) -> list[str]:
        return [text for c, text in generated(timeline) if c == cue]

    def spoken(n: int) -> str:
        return num2words(n, lang=language)

    # Counted seconds inside the 4 s in-breath: two, three, four (then the 3 s hold: two, three ...).
    counts = [lower(text.rstrip(".")) for text in said("count")]
    assert counts[:3] == [spoken(2).lower(), spoken(3).lower(), spoken(4).lower()]
    countdown = [lower(text.rstrip(".")) for text in said("countdown")]
    assert countdown == [spoken(3).lower(), spoken(2).lower(), spoken(1).lower()] * 4  # 2 rounds x 2 sides
    for round_number, text in enumerate(said("round"), 1):
        assert text == book.say("round", round=round_number, rounds=2)
        assert spoken(round_number).lower() in text.lower() and spoken(2).lower() in text.lower()
    # 130 s hold, a cue every 40 s: two minutes, one minute and twenty seconds, forty seconds left.
    remaining = said("remaining")
    assert remaining == [book.time_left(120), book.time_left(80), book.time_left(40)] * 4
    assert spoken(40).lower() in remaining[2].lower()
    assert spoken(20).lower() in remaining[1].lower()
    assert not re.search(r"\d", " ".join(text for _, text in generated(timeline)))


@pytest.mark.parametrize(
    ("language", "seconds", "expected"),
    [
        ("en", 90, "One minute thirty seconds left."),
        ("en", 1, "One second left."),
        ("de", 60, "Noch eine Minute."),
        ("de", 21, "Noch einundzwanzig Sekunden."),
        ("fr", 21, "Encore vingt et une secondes."),  # feminine: une, not un
        ("fr", 60, "Encore une minute."),
        ("es", 21, "Quedan veintiún segundos."),  # apocope before a noun
        ("es", 1, "Queda un segundo."),  # singular verb
        ("es", 7200, "Quedan dos horas."),
        ("it", 60, "Manca un minuto."),
        ("it", 120, "Mancano due minuti."),
        ("nl", 60, "Nog één minuut."),
        ("pt", 7200, "Faltam duas horas."),  # feminine: duas, not dois
        ("pt", 3600, "Falta uma hora."),
        ("pt-BR", 16, "Faltam dezesseis segundos."),  # Brazilian numbers for pt-BR
        ("pt", 16, "Faltam dezasseis segundos."),
    ],
)
def test_time_left_agrees_in_number_and_gender(language: str, seconds: int, expected: str) -> None:
    assert load_phrasebook(language).time_left(seconds) == expected


def test_dutch_one_is_capitalised_as_dutch_writes_it() -> None:
    assert load_phrasebook("nl").say("countdown", n=1) == "Eén."


def test_every_shipped_phrasebook_is_complete_valid_and_translated() -> None:
    english = load_phrasebook("en").templates
    for language in LANGUAGES:
        book = load_phrasebook(language)
        assert set(book.templates) == set(KEYS_BY_NAME)
        assert book.shipped and book.fallback_keys == ()
        for key, template in book.templates.items():
            assert phrase_problem(key, template) is None, (language, key)
        if language != "en":
            untranslated = {key for key, template in book.templates.items() if template == english[key]}
            # Only the bare numbers, and words that are the same in both languages (Dutch "In").
            assert untranslated <= {"count", "countdown", "minute_other", "place_pause", "place_title",
                                    "status_point", "volume", "time_and", "inhale_short"}, (language, untranslated)


def test_words_of_the_script_keep_priority_over_the_phrasebook() -> None:
    script = parse("""\
        voiceguide: 1
        title: T
        language: de
        steps:
          - breathe: {inhale: 2, exhale: 2, cycles: 1, words: {inhale: Tief einatmen}}
          - press: {hold: 5s, prepare: 0s, words: {release: Sanft lösen}}
        """)
    texts = [event.text for event in compile_timeline(script, lambda text: 100).events]
    assert texts == ["T", "Tief einatmen.", "Ausatmen.", "Jetzt drücken.", "Sanft lösen."]


def test_phrases_of_the_script_override_single_keys() -> None:
    script = parse("""\
        voiceguide: 1
        title: T
        language: de
        phrases:
          press: Jetzt fest drücken
          countdown: "Noch {n}"
        steps:
          - press: {hold: 5s, prepare: 0s, countdown: 2}
        """)
    texts = [event.text for event in compile_timeline(script, lambda text: 100).events]
    assert texts == ["T", "Jetzt fest drücken.", "Noch zwei.", "Noch eins.", "Loslassen."]


def test_a_language_without_a_phrasebook_takes_english_for_what_it_leaves_out() -> None:
    source = textwrap.dedent("""\
        voiceguide: 1
        title: T
        language: sv
        phrases:
          press: Tryck nu
          countdown: "{n}"
        steps:
          - press: {hold: 5s, prepare: 0s, countdown: 2}
        """)
    result = parse_script(source, "s.yaml")
    assert result.script is not None
    warnings = [d for d in result.diagnostics if d.severity == "warning"]
    assert len(warnings) == 1  # once, at the language, naming the keys
    assert (warnings[0].position.line, warnings[0].position.column) == (3, 11)
    named = re.search(r"sets them: (.*) \(see", warnings[0].message)
    assert "'sv'" in warnings[0].message and named is not None
    assert named.group(1).split(", ") == [key.name for key in KEYS if key.name not in ("press", "countdown")]
    texts = [event.text for event in compile_timeline(result.script, lambda text: 100).events]
    assert texts == ["T", "Tryck nu.", "Två.", "Ett.", "Release."]  # numbers in Swedish, from num2words


def test_no_warning_once_every_key_is_set() -> None:
    english = load_phrasebook("en").templates
    lines = "".join(f"  {key.name}: {yaml.safe_dump(english[key.name], width=1000).splitlines()[0]}\n" for key in KEYS)
    source = f"voiceguide: 1\ntitle: T\nlanguage: sv\nphrases:\n{lines}steps: [Hej.]\n"
    result = parse_script(source, "s.yaml")
    assert result.script is not None and result.diagnostics == []


def _phrases_in(text: str) -> dict[str, str]:
    data = yaml.safe_load(text)
    assert isinstance(data, dict) and list(data) == ["phrases"]
    phrases: dict[str, str] = data["phrases"]
    return phrases


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_printed_phrasebook_pastes_into_a_script(language: str) -> None:
    printed = phrasebook_yaml(language)
    phrases = _phrases_in(printed)
    assert phrases == dict(load_phrasebook(language).templates)
    lines = printed.splitlines()
    for key in KEYS:  # each key with the comment that says when it is spoken, just above it
        index = next(i for i, line in enumerate(lines) if line.startswith(f"  {key.name}:"))
        assert lines[index - 1] == f"  # {key.when}"
    source = f"voiceguide: 1\ntitle: T\nlanguage: {language}\n{printed}steps: [Hi.]\n"
    result = parse_script(source, "s.yaml")
    assert result.script is not None and result.diagnostics == []
    assert dict(result.script.phrases) == phrases


def test_cli_phrases_prints_yaml_and_refuses_a_bad_tag() -> None:
    result = run_cli("phrases", "fr")
    assert result.exit_status == 0, result.stderr
    assert _phrases_in(result.stdout)["press"] == "Appuyez maintenant"
    assert _phrases_in(run_cli("phrases").stdout)["press"] == "Press now"
    bad = run_cli("phrases", "de_DE")
    assert bad.exit_status == 2 and bad.stdout == ""
    assert "de_DE" in bad.stderr and "hint:" in bad.stderr


ENGLISH_ANSWERS = {
    "Paused.", "Next step.", "Restarting this step.", "Previous step.", "Stopping.", "This is the last step.",
    "This is the first step. Starting it again.", "Already paused.", "Already playing.", "Resuming.",
    "On to the other side.", "Restarting this side.", "Back to the first side.",
    "Space pause, S status, N next, P back, plus louder, minus softer, Q quit.",
}
"""The fixed answers to keys in English (but the volume's); those on a press's sides name no side: the
announcement that follows does."""


def test_the_english_phrasebook_says_what_the_player_and_screen_say() -> None:
    from voiceguide.play.commands import fixed_feedback
    from voiceguide.timeline.places import KIND_WORDS

    book = load_phrasebook("en")
    words_only = {text for text in fixed_feedback(book)
                  if not text.startswith("Volume") and not text.startswith("Already at")}
    assert words_only == ENGLISH_ANSWERS
    assert [book.say(key) for key in ("volume_full", "volume_lowest")] == [
        "Already at full volume.", "Already at the lowest volume."]
    assert {kind: book.fill(f"place_{kind}") for kind in KIND_WORDS} == KIND_WORDS


@pytest.mark.parametrize(
    ("n", "language", "noun", "expected"),
    [
        (31, "es", "second", "treinta y un"),  # apocope before a masculine noun
        (21, "es", "hour", "veintiuna"),  # feminine
        (41, "fr", "minute", "quarante et une"),
        (22, "pt", "hour", "vinte e duas"),
        (2, "pt", "minute", "dois"),  # masculine: unchanged
        (1, "it", "second", "un"),
        (1, "de", "minute", "eine"),  # for a phrases: override such as "{n} Minute"
        (21, "de", "minute", "einundzwanzig"),
        (1, "de", None, "eins"),  # counting
        (70, "fr-CH", None, "septante"),  # the region's numbers where num2words has them
        (3, "tlh", None, "3"),  # no words for the language: digits, read by its own voice
    ],
)
def test_number_words_take_the_form_the_noun_needs(n: int, language: str, noun: str | None, expected: str) -> None:
    assert number_words(n, language, noun) == expected  # type: ignore[arg-type]
