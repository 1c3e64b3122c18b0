"""The parser's quick way for plainly valid steps must agree with its detailed way exactly.

``parse.py`` builds most steps through quick readers and falls back to the
detailed readers at the first doubt.  Here the quick way is switched off and
both ways must give the same model (positions included) and the same
diagnostics, for every file we have and for mutated ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given

from tests.test_properties import SETTINGS, mutated
from voiceguide.script import parse
from voiceguide.script.parse import ParseResult, parse_script

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted([*ROOT.glob("tests/data/**/*.yaml"), *ROOT.glob("scripts/*.yaml")])


def detailed_only(source: bytes | str) -> ParseResult:
    """Parse with the quick way refused for every step."""

    def refuse(self: object, node: object, depth: int) -> object:
        raise parse._NotQuick

    original = parse._Parser._quick_step
    parse._Parser._quick_step = refuse  # type: ignore[assignment,method-assign]
    try:
        return parse_script(source, "p.yaml")
    finally:
        parse._Parser._quick_step = original  # type: ignore[method-assign]


def assert_same(source: bytes | str) -> None:
    quick, detailed = parse_script(source, "p.yaml"), detailed_only(source)
    assert quick.diagnostics == detailed.diagnostics
    assert quick.script == detailed.script


def test_the_quick_way_is_taken_for_plain_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[object] = []
    original = parse._Parser._quick_step

    def spy(self: parse._Parser, node: object, depth: int) -> object:
        step = original(self, node, depth)  # type: ignore[arg-type]
        taken.append(step)
        return step

    monkeypatch.setattr(parse._Parser, "_quick_step", spy)
    parse_script((ROOT / "scripts" / "sciatica.yaml").read_bytes(), "p.yaml")
    assert len(taken) > 10  # otherwise this file would compare the detailed way with itself


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_quick_and_detailed_ways_agree_on_every_file(path: Path) -> None:
    assert_same(path.read_bytes())


@SETTINGS
@given(mutated())
def test_quick_and_detailed_ways_agree_on_mutated_files(source: bytes) -> None:
    assert_same(source)
