"""Data-driven parser tests (after tomli's ``tests/test_data.py``).

``tests/data/valid/NAME.yaml`` must parse to the model dumped in ``NAME.json``
beside it; ``tests/data/invalid/NAME.yaml`` must fail with exactly the
``LINE:COL: severity: MESSAGE`` lines of ``NAME.errors``, in order (a valid
one with warnings lists them the same way in ``NAME.warnings``).  To add a
case, write the YAML and the expectation by hand from the spec, never by
copying the program's output unread.
"""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from voiceguide.errors import Position, ScriptError
from voiceguide.script.parse import load_script, parse_script

DATA = Path(__file__).resolve().parent / "data"
VALID = sorted((DATA / "valid").glob("*.yaml"))
INVALID = sorted((DATA / "invalid").glob("*.yaml"))


def model_to_dict(value: Any) -> Any:
    """The model as JSON-ready data: dataclasses as dicts with a ``type``, Fractions as "3/2", positions as "L:C"."""
    if isinstance(value, Position):
        return f"{value.line}:{value.column}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        result: dict[str, Any] = {"type": type(value).__name__}
        for field in dataclasses.fields(value):
            result[field.name] = model_to_dict(getattr(value, field.name))
        return result
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, (tuple, list)):
        return [model_to_dict(item) for item in value]
    return value


def diagnostic_lines(path: Path) -> list[str]:
    result = parse_script(path.read_bytes(), path.name)
    assert result.script is None
    return [f"{d.position.line}:{d.position.column}: {d.severity}: {d.message}" for d in result.diagnostics]


def test_the_data_folders_are_not_empty() -> None:
    assert len(VALID) >= 10
    assert len(INVALID) >= 20


@pytest.mark.parametrize("path", VALID, ids=lambda path: path.stem)
def test_valid_script(path: Path) -> None:
    result = parse_script(path.read_bytes(), path.name)
    warnings = path.with_suffix(".warnings")  # a valid script may expect warnings, never errors
    expected_lines = warnings.read_text(encoding="utf-8").splitlines() if warnings.exists() else []
    assert [f"{d.position.line}:{d.position.column}: {d.severity}: {d.message}"
            for d in result.diagnostics] == expected_lines
    assert result.script is not None
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert model_to_dict(result.script) == expected


@pytest.mark.parametrize("path", VALID, ids=lambda path: path.stem)
def test_valid_script_loads_from_its_file(path: Path) -> None:
    script = load_script(path, display_path="shown.yaml")
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert model_to_dict(script) == expected  # every line and column where the data says
    paths = {position.path for position in positions(script)}
    assert paths == {"shown.yaml"}  # and every position names the file as shown


def positions(value: Any) -> list[Position]:
    """Every ``Position`` in the model, however deep."""
    if isinstance(value, Position):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [p for field in dataclasses.fields(value) for p in positions(getattr(value, field.name))]
    if isinstance(value, (tuple, list)):
        return [p for item in value for p in positions(item)]
    return []


@pytest.mark.parametrize("path", INVALID, ids=lambda path: path.stem)
def test_invalid_script(path: Path) -> None:
    expected = path.with_suffix(".errors").read_text(encoding="utf-8").splitlines()
    assert diagnostic_lines(path) == expected


@pytest.mark.parametrize("path", INVALID, ids=lambda path: path.stem)
def test_invalid_script_raises_script_error_with_the_same_diagnostics(path: Path) -> None:
    with pytest.raises(ScriptError) as caught:
        load_script(path, display_path=path.name)
    assert [d.position.path for d in caught.value.diagnostics] == [path.name] * len(caught.value.diagnostics)
    lines = [f"{d.position.line}:{d.position.column}: {d.severity}: {d.message}" for d in caught.value.diagnostics]
    assert lines == path.with_suffix(".errors").read_text(encoding="utf-8").splitlines()
