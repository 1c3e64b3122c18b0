"""Property tests: whatever the input, the parser returns a model or positioned diagnostics, nothing else.

Three sources of input: random YAML documents built from the format's own
vocabulary, valid scripts mutated at the byte level (deleted, inserted and
swapped text, stray bytes that are not UTF-8), and random field values, where
the validator and the JSON Schema must also agree unless the problem is one a
schema cannot see.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.fakes import SEEDS, VALUES, mutated
from voiceguide.base import SAMPLE_RATE
from voiceguide.script.limits import estimate_session, estimated_measure
from voiceguide.script.parse import ParseResult, parse_script
from voiceguide.script.schema import json_schema
from voiceguide.timeline.compiler import compile_timeline

VALIDATOR = jsonschema.Draft202012Validator(json_schema())

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_outcome(result: ParseResult, source: bytes | str) -> None:
    """Either a model and no errors, or no model and positioned errors inside the file."""
    assert isinstance(result, ParseResult)
    if result.script is not None:
        assert result.errors == []
        return
    assert result.errors
    text = source if isinstance(source, str) else source.decode("utf-8", errors="replace")
    line_count = len(text.splitlines())
    for diagnostic in result.diagnostics:
        assert diagnostic.position.path == "p.yaml"
        assert 1 <= diagnostic.position.line <= line_count + 1
        assert diagnostic.position.column >= 1
        assert diagnostic.message and "\n" not in diagnostic.message
        diagnostic.format()  # renders with its snippet


@SETTINGS
@given(VALUES)
def test_random_documents_give_a_model_or_positioned_errors(data: Any) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=None)
    check_outcome(parse_script(text, "p.yaml"), text)


@SETTINGS
@given(mutated())
@example(SEEDS[0][:-5])
def test_mutated_scripts_give_a_model_or_positioned_errors(source: bytes) -> None:
    check_outcome(parse_script(source, "p.yaml"), source)




def mostly(valid: list[Any], invalid: list[Any]) -> st.SearchStrategy[Any]:
    """Valid values most of the time, so that whole scripts are often valid and one bad value decides."""
    return st.sampled_from(valid * 12 + invalid)


DURATIONS = mostly([4, 2.5, "4s", "1m", "1m 30s"], [0, -1, "0s", "25h", "abc", "", "1m 30", True, None, [1]])
ZERO_OK = mostly([0, "0s", 4, "2s"], [-1, "-1s", "x", None])
TEXTS = mostly(["Hi.", "Breathe in slowly."], ["", "  ", 5, True, None, ["a"], "...", "\u200b", "a" * 1001, "a\x1b"])
COUNTS = mostly([1, 3, 10], [0, -1, 2.5, "3", True, None])
FLAGS = mostly([True, False], [1, "no", None])
STEPS = st.one_of(
    TEXTS,
    st.fixed_dictionaries({"say": TEXTS}, optional={"pause": DURATIONS, "label": TEXTS}),
    st.fixed_dictionaries({"pause": DURATIONS}),
    st.fixed_dictionaries({"chime": st.one_of(COUNTS, st.fixed_dictionaries(
        {}, optional={"count": COUNTS, "sound": mostly(["bell", "gong"], ["bel", 1])}))}),
    st.fixed_dictionaries({"breathe": st.fixed_dictionaries(
        {"inhale": DURATIONS, "exhale": DURATIONS},
        optional={"hold": ZERO_OK, "rest": ZERO_OK, "cycles": COUNTS, "for": DURATIONS, "count": FLAGS,
                  "say": TEXTS})}),
    st.fixed_dictionaries({"press": st.fixed_dictionaries(
        {"hold": DURATIONS}, optional={"side": mostly(["left", "both", "none"], ["up", 2]), "prepare": ZERO_OK,
                                       "cue_every": DURATIONS, "halfway": FLAGS, "countdown": COUNTS,
                                       "rest": ZERO_OK, "point": TEXTS,
                                       "breathe": st.fixed_dictionaries({"inhale": DURATIONS, "exhale": DURATIONS},
                                                                        optional={"hold": ZERO_OK})})}),
    st.fixed_dictionaries({"repeat": COUNTS, "steps": st.lists(TEXTS, max_size=2)},
                          optional={"announce": FLAGS}),
    st.fixed_dictionaries({"section": TEXTS}, optional={"announce": FLAGS}),
)
SCRIPTS = st.fixed_dictionaries(
    {"voiceguide": mostly([1], [2, "1"]), "title": TEXTS, "steps": st.lists(STEPS, max_size=4)},
    optional={"language": mostly(["en", "en-GB", "sr-Latn-RS"], ["en_GB", "english", 5]),
              "voice": st.fixed_dictionaries({}, optional={"rate": mostly([80, 160, 400], [79, 401, 160.5, "fast"]),
                                                           "volume": mostly([0, 0.5, 1], [1.5, -1, "loud"])}),
              "cautions": st.lists(TEXTS, max_size=2)},
)

# Problems the validator finds that a JSON Schema cannot express (see voiceguide/schema.py).
BEYOND_A_SCHEMA = ("must be at most the hold", "a session may", "must be at most 24 h", "has nothing to speak")


@SETTINGS
@given(SCRIPTS)
def test_the_validator_and_the_schema_agree_on_random_scripts(data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    result = parse_script(text, "p.yaml")
    check_outcome(result, text)
    schema_ok = VALIDATOR.is_valid(yaml.safe_load(text))
    if schema_ok and result.script is None:
        messages = [d.message for d in result.errors]
        assert all(any(reason in message for reason in BEYOND_A_SCHEMA) for message in messages), messages
    else:
        assert schema_ok == (result.script is not None), list(VALIDATOR.iter_errors(yaml.safe_load(text)))[:2]


@SETTINGS
@given(SCRIPTS)
def test_the_limits_estimator_counts_the_events_the_compiler_plans(data: dict[str, Any]) -> None:
    # The 100,000-event limit is checked on the estimate, before anything is expanded: its count of
    # cues must be the compiler's (every planned cue, those dropped in a collision included).
    result = parse_script(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "p.yaml")
    if result.script is None:
        return
    script = result.script
    timeline = compile_timeline(script, estimated_measure(script.voice.rate, SAMPLE_RATE))
    assert estimate_session(script).events == len(timeline.events) + len(timeline.dropped)
