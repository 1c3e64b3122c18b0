"""Mistakes a script's author makes, told in plain words with the fix; whole numbers written as 3.0."""

from __future__ import annotations

import pytest

from voiceguide.script.model import Breathe, Chime, Repeat
from voiceguide.script.parse import parse_script

HEAD = "voiceguide: 1\ntitle: Test\n"


def _diagnostics(text: str) -> list[str]:
    return [d.format() for d in parse_script(text.encode(), "s.yaml").diagnostics]


@pytest.mark.parametrize(("body", "where", "words"), [
    pytest.param("steps:\n  - say: Hello\n     pause: 2s\n", "5:6",
                 ["wrong indentation", "'pause' is indented more than 'say' on line 4", "column 5"],
                 id="key-indented-too-deep"),
    pytest.param("steps:\n  - say: Hello\n - pause: 2s\n", "5:2",
                 ["wrong indentation", "starts at column 2", "same column"], id="item-indented-too-little"),
    pytest.param("steps:\n  - say: Note: sit comfortably\n", "4:14",
                 ["colon followed by a space", 'put the text in quotes, as in - say: "Note: sit comfortably"'],
                 id="colon-in-a-sentence"),
    pytest.param("steps:\n  - Note: sit comfortably\n", "4:5",
                 ["reads as a key 'Note'", 'put it in quotes: - "Note: sit comfortably"'], id="colon-in-a-bare-step"),
    pytest.param("steps:\n  - Hello\n", None, [], id="a-plain-bare-step-is-fine"),
    pytest.param("title: Sciatica: relief for the back\nsteps: [Hi]\n", "2:16",
                 ['put the text in quotes, as in title: "Sciatica: relief for the back"'], id="colon-in-a-title"),
    pytest.param("steps:\n  say: Hello\n", "4:3",
                 ["steps must be a list of steps, got a mapping", "starting with '- '"], id="steps-not-a-list"),
    pytest.param('steps:\n  - say: "Hello there\n  - pause: 2s\n', "4:10",
                 ['the quote " that starts this text is never closed', 'end the text with "'], id="unclosed-quote"),
    pytest.param('steps:\n  - say: "Hello there\n  - say: "Second"\n', "4:10",
                 ["never closed"], id="unclosed-quote-before-another"),
    pytest.param("steps:\n  - say: 'It's here'\n", "4:10",
                 ["ends early", "write an apostrophe twice"], id="apostrophe-in-single-quotes"),
    pytest.param("steps:\n\t- say: Hello\n", "4:1", ["tab", "only spaces"], id="tab"),
])
def test_yaml_mistakes_are_told_in_plain_words_with_the_fix(body: str, where: str | None, words: list[str]) -> None:
    text = ("voiceguide: 1\n" if body.startswith("title:") else HEAD) + body
    diagnostics = _diagnostics(text)
    if where is None:
        assert diagnostics == []
        return
    assert diagnostics, "expected an error"
    first = diagnostics[0]
    head, source, caret = first.splitlines()
    assert head.startswith(f"s.yaml:{where}: error: ")
    assert "invalid YAML" not in head and "did not find expected" not in head and "not allowed in this" not in head
    for word in words:
        assert word in head
    line = int(where.split(":")[0])
    assert source.strip() == text.splitlines()[line - 1].strip() and caret.strip() == "^"


def test_a_float_that_is_exactly_whole_is_that_whole_number() -> None:
    text = HEAD + ("steps:\n  - breathe: {inhale: 2, exhale: 2, cycles: 3.0}\n  - chime: 2.0\n"
                   "  - repeat: 2.0\n    steps: [Hi]\n")
    result = parse_script(text.encode(), "s.yaml")
    assert result.script is not None, [d.format() for d in result.diagnostics]
    breathe, chime, repeat = result.script.steps
    assert isinstance(breathe, Breathe) and breathe.cycles == 3 and type(breathe.cycles) is int
    assert isinstance(chime, Chime) and chime.count == 2
    assert isinstance(repeat, Repeat) and repeat.times == 2


@pytest.mark.parametrize("value", ["2.5", ".inf", ".nan", "3.0000000000000001"])
def test_a_float_that_is_not_whole_is_still_refused(value: str) -> None:
    text = HEAD + f"steps:\n  - breathe: {{inhale: 2, exhale: 2, cycles: {value}}}\n"
    [error] = [d for d in _diagnostics(text) if ": error: " in d]
    assert f"breathe.cycles must be a whole number (at least 1), got {value}" in error
