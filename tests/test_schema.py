"""The JSON Schema and the validator agree on every shipped and test script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from voiceguide.script import parse
from voiceguide.script.parse import parse_script
from voiceguide.script.schema import json_schema

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
ACCEPTED = sorted((DATA / "valid").glob("*.yaml")) + sorted((REPO / "scripts").glob("*.yaml"))
REJECTED = sorted((DATA / "invalid").glob("*.yaml"))

# Invalid scripts whose only problems a JSON Schema cannot see, and why.
BEYOND_A_SCHEMA = {
    "duplicate-keys": "a key written twice: the YAML loader keeps the last one silently",
    "too-long": "the 24 h session limit is a sum over the steps",
    "repeat-too-long": "the 24 h session limit is a sum over the steps",
    "too-many-events": "the 100,000-event limit is a sum over the steps",
    "too-many-events-session": "the 100,000-event limit is a sum over the steps",
    "billion-laughs": "the limits are products over nested repeats",
    "recursive-alias": "the loaded data is infinitely deep: a schema validator never finishes",
    "text-unspeakable": "a letter or a digit of any script: beyond a portable regular expression",
}

VALIDATOR = jsonschema.Draft202012Validator(json_schema())


def schema_accepts(path: Path) -> bool:
    """Whether the file loads with PyYAML's safe loader and passes the schema (as an editor would check it)."""
    try:
        data: Any = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return False
    return bool(VALIDATOR.is_valid(data))


def validator_accepts(path: Path) -> bool:
    return parse_script(path.read_bytes(), path.name).script is not None


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_schema_names_the_parser_s_keys() -> None:
    schema = json_schema()
    assert tuple(schema["properties"]) == parse.TOP_KEYS
    assert tuple(schema["properties"]["voice"]["properties"]) == parse.VOICE_KEYS
    steps = schema["$defs"]["step"]["anyOf"][1:]
    assert [next(iter(step["required"])) for step in steps] == list(parse.STEP_KINDS)
    for kind, step in zip(parse.STEP_KINDS, steps, strict=True):
        assert tuple(step["properties"]) == parse.STEP_KEYS[kind]
    by_kind = dict(zip(parse.STEP_KINDS, steps, strict=True))
    assert tuple(by_kind["breathe"]["properties"]["breathe"]["properties"]) == parse.BREATHE_KEYS
    assert tuple(by_kind["press"]["properties"]["press"]["properties"]) == parse.PRESS_KEYS
    chime_map = by_kind["chime"]["properties"]["chime"]["anyOf"][1]
    assert tuple(chime_map["properties"]) == parse.CHIME_KEYS


def test_there_is_something_to_compare() -> None:
    assert len(ACCEPTED) >= 10 and len(REJECTED) >= 20


@pytest.mark.parametrize("path", ACCEPTED, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_scripts_the_validator_accepts_pass_the_schema(path: Path) -> None:
    assert validator_accepts(path)
    assert schema_accepts(path), list(VALIDATOR.iter_errors(yaml.safe_load(path.read_bytes())))[:3]


@pytest.mark.parametrize("path", REJECTED, ids=lambda path: path.stem)
def test_scripts_the_validator_rejects_fail_the_schema_where_a_schema_can_tell(path: Path) -> None:
    assert not validator_accepts(path)
    if path.stem in BEYOND_A_SCHEMA:
        if path.stem != "recursive-alias":
            # Keep the list honest: if the schema learns to see the problem, move the file out of the list.
            assert schema_accepts(path), f"the schema now rejects {path.name}: remove it from BEYOND_A_SCHEMA"
        return
    assert not schema_accepts(path)


# One problem each, so that the schema must see that very problem (a file with several could fail for another).
SINGLE_PROBLEMS = [
    "voiceguide: 2",
    "title: ''",
    "title: 5",
    "description: [a]",
    "language: en_GB",
    "voice: {rate: 79}",
    "voice: {rate: 401}",
    "voice: {volume: 1.5}",
    "voice: {volume: -1}",
    "voice: {name: ''}",
    "voice: {speed: 1}",
    "cautions: [3]",
    "cautions: Careful",
    "author: me",
    "steps: []",
    "steps: [42]",
    "steps: ['']",
    "steps: [{sya: hi}]",
    "steps: [{say: hi, chime: 1}]",
    "steps: [{say: hi, pause: 0}]",
    "steps: [{say: hi, label: ''}]",
    "steps: [{pause: 0}]",
    "steps: [{pause: -1}]",
    "steps: [{pause: 5x}]",
    "steps: [{pause: '1m 30'}]",
    "steps: [{pause: 86401}]",
    "steps: [{pause: true}]",
    "steps: [{chime: 0}]",
    "steps: [{chime: {count: 0}}]",
    "steps: [{chime: {sound: bel}}]",
    "steps: [{chime: {sond: bell}}]",
    "steps: [{breathe: {exhale: 4, cycles: 1}}]",
    "steps: [{breathe: {inhale: 4, exhale: 4}}]",
    "steps: [{breathe: {inhale: 4, exhale: 4, cycles: 1, for: 4}}]",
    "steps: [{breathe: {inhale: 0, exhale: 4, cycles: 1}}]",
    "steps: [{breathe: {inhale: 4, exhale: 4, hold: -1, cycles: 1}}]",
    "steps: [{breathe: {inhale: 4, exhale: 4, cycles: 0}}]",
    "steps: [{breathe: {inhale: 4, exhale: 4, cycles: 1, count: 1}}]",
    "steps: [{breathe: {inhale: 4, exhale: 4, cycles: 1, words: {in: x}}}]",
    "steps: [{breathe: {inhale: 4, exhale: '0s', cycles: 1}}]",
    "steps: [{press: {point: x}}]",
    "steps: [{press: {hold: 5, side: up}}]",
    "steps: [{press: {hold: 5, countdown: -1}}]",
    "steps: [{press: {hold: 5, halfway: 1}}]",
    "steps: [{press: {hold: 5, cue_every: 0}}]",
    "steps: [{press: {hold: 5, prepare: -1}}]",
    "steps: [{press: {hold: 5, breathe: {inhale: 4}}}]",
    "steps: [{press: {hold: 5, breathe: {inhale: 4, exhale: 4, cycles: 1}}}]",
    "steps: [{press: {hold: 5, words: {pres: x}}}]",
    "steps: [{press: 5}]",
    "steps: [{repeat: 0, steps: [hi]}]",
    "steps: [{repeat: 2}]",
    "steps: [{repeat: 2, steps: []}]",
    "steps: [{repeat: 2, steps: [hi], announce: 1}]",
    "steps: [{section: ''}]",
    "steps: [{section: s, announce: 'no'}]",
    "steps: [{section: s, steps: [hi]}]",
    f"steps: [{'a' * 1001}]",
    "steps: [{say: hi, label: \"\\e[2J\"}]",
    "title: \"a\\0\"",
]


@pytest.mark.parametrize("change", SINGLE_PROBLEMS)
def test_one_problem_is_seen_by_both(change: str, tmp_path: Path) -> None:
    key = change.split(":")[0]
    base = {"voiceguide": "voiceguide: 1", "title": "title: T", "steps": "steps: [hi]"}
    base[key] = change
    path = tmp_path / "one.yaml"
    path.write_text("\n".join(base.values()) + "\n", encoding="utf-8")
    assert not validator_accepts(path)
    assert not schema_accepts(path)
