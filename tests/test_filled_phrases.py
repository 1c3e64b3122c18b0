"""Every phrase is bounded once filled in: a template that repeats its placeholders cannot multiply.

Each template is under 1,000 characters, but ``{a}`` a hundred times in
``time_and``, which fills the time of ``time_left``, grows with each level.
The fill measures the result before it builds it; ``check`` fills every phrase
with the longest values it usually gets and points at the override that grows;
the spoken status and resume answers stay bounded whatever a step's name.
Hypothesis writes overrides: never a traceback, bounded time and memory.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli_harness import run_cli
from voiceguide.phrases import KEYS, KEYS_BY_NAME, MAX_FILLED_CHARS, PhraseTooLong, load_phrasebook, placeholders
from voiceguide.phrases.numbers import number_words
from voiceguide.play.status import Status, bounded_answer, status_text
from voiceguide.script.parse import parse_script

REPEATED = "{a} {b} " * 60


def script(phrases: dict[str, str], *, language: str = "en") -> str:
    lines = [f"voiceguide: 1\ntitle: Calm\nlanguage: {language}\nphrases:"]
    lines += [f"  {key}: {value!r}".replace("'", '"') if "'" not in value else f"  {key}: {value!r}"
              for key, value in phrases.items()]
    lines.append("steps:\n  - press: {hold: 2m, cue_every: 30s}\n")
    return "\n".join(lines)


def test_a_fill_past_the_bound_is_refused_before_it_is_built() -> None:
    book = load_phrasebook("en", {"time_and": REPEATED})
    with pytest.raises(PhraseTooLong) as caught:
        book.time_left(3599)
    assert caught.value.key == "time_and" and caught.value.chars > MAX_FILLED_CHARS
    assert len(load_phrasebook("en").time_left(86_399)) < 100


def test_check_points_at_the_override_that_grows(tmp_path: Path) -> None:
    path = tmp_path / "grow.yaml"
    path.write_text(script({"inhale": "Breathe in.", "time_and": REPEATED}))
    started = time.monotonic()
    result = run_cli("check", str(path))
    print(f"check of a multiplying override: {time.monotonic() - started:.2f} s")
    assert result.exit_status == 2
    assert result.stderr_lines[0].startswith(f"{path}:6:13: error: phrases.time_and is ")
    assert result.stderr_lines[0].endswith("characters once its placeholders are filled in; a phrase may be at most "
                                           "2,000 (a placeholder repeated multiplies it)")


def test_an_override_of_the_spoken_status_that_repeats_time_is_refused() -> None:
    result = parse_script(script({"status_step_left": "{time} " * 120}), "s.yaml")
    assert result.script is None
    assert [d.format(snippet=False) for d in result.diagnostics][0].startswith(
        "s.yaml:5:21: error: phrases.status_step_left is ")


def test_the_spoken_status_stays_bounded_whatever_the_names() -> None:
    book = load_phrasebook("en", {"status_point": "{point} {point}"})
    answer = bounded_answer(lambda b: b.say("status_point", point="p" * 1000), book)
    assert answer == "Point " + "p" * 1000 + "."  # the language's own phrase, not the override that grew
    assert len(bounded_answer(lambda b: "word " * 2000, book)) <= MAX_FILLED_CHARS


def test_status_text_of_a_real_status_is_unchanged() -> None:
    status = Status(position=0, length=22050 * 65, sample_rate=22050, paused=False, span=None, step_number=1,
                    step_count=1, side=None, speaking=None, step_left=22050 * 5, hold_left=None, volume_percent=100,
                    finished=False)
    assert status_text(status) == ("The end. Five seconds left in this step. "
                                   "One minute five seconds left in the session.")


@pytest.mark.parametrize(("language", "n"), [("am", 1100), ("kz", 10**40), ("tr", 10**30), ("cy", 10**40)])
def test_a_number_a_language_cannot_say_is_spoken_as_digits(language: str, n: int) -> None:
    assert number_words(n, language) == str(n)


# -- properties -----------------------------------------------------------------------------

_KEY_NAMES = [key.name for key in KEYS]


@st.composite
def override(draw: st.DrawFn) -> tuple[str, str]:
    """A valid override: a key and a template using its placeholders, each any number of times."""
    key = draw(st.sampled_from(_KEY_NAMES))
    spec = KEYS_BY_NAME[key]
    names = sorted(spec.placeholders | spec.optional)
    pieces = [f"{{{name}}}" for name in spec.placeholders]
    if names:
        pieces += [f"{{{name}}}" for name in draw(st.lists(st.sampled_from(names), max_size=300))]
    pieces += draw(st.lists(st.text(alphabet="abc ,.", min_size=1, max_size=5), max_size=5))
    template = " ".join(draw(st.permutations(pieces))) or "x"
    assert placeholders(template) >= spec.placeholders
    return key, template[:999]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=st.lists(override(), max_size=4), language=st.sampled_from(["en", "de", "am", "sw"]))
def test_any_overrides_are_checked_in_bounded_time_and_memory(overrides: list[tuple[str, str]],
                                                              language: str) -> None:
    text = script(dict(overrides), language=language)
    tracemalloc.start()
    try:
        result = parse_script(text, "p.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    problems = [d for d in result.diagnostics if d.severity == "error"]
    assert result.script is not None or problems
    # Bounded memory, and so bounded work: no fill is built past its limit (a multiplying one took 17 GB).
    assert peak < 50 * 2**20, f"{peak / 2**20:.0f} MB"
    if result.script is not None:  # what check accepts, a session speaks in bounded phrases
        book = load_phrasebook(language, dict(result.script.phrases))
        assert len(book.time_left(86_399)) <= MAX_FILLED_CHARS
