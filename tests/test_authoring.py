"""Mistakes a script's author makes, told in plain words with the fix; whole numbers written as 3.0."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.required import required
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
    pytest.param('steps:\n  - say: "He said "hi" to me"\n', "4:10", ["ends early", '\\"'],
                 id="quote-in-double-quotes"),
    pytest.param("steps:\n  - say: Hello\n  there friend\n  - pause: 1\n", "5:3",
                 ["neither a key", "indent it more"], id="text-continued-unindented"),
    pytest.param("steps:\n  - say: [Hello\n  - pause: 1\n", "4:10", ["'[…]'", "put the text in quotes"],
                 id="unclosed-bracket"),
    pytest.param("steps:\n  - breathe: {inhale: 4, exhale: 4, cycles: 2\n", "4:14", ["close it with '}'"],
                 id="unclosed-brace"),
    pytest.param("steps:\n  - say: *nope\n", "4:10", ["'*nope' refers to an anchor '&nope'"], id="undefined-alias"),
    pytest.param("steps:\n  - say: @home\n", "4:10", ["start with '@'", "quotes"], id="reserved-character"),
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


# --------------------------------------------------------------------------
# '#' in text


def _warnings(text: str) -> list[str]:
    return [d.format() for d in parse_script(text.encode(), "s.yaml").diagnostics if d.severity == "warning"]


def test_text_cut_short_by_a_comment_is_warned_with_the_fix() -> None:
    [warning] = _warnings(HEAD + "steps:\n  - Press point #2 firmly\n")
    head, source, caret = warning.splitlines()
    assert head.startswith("s.yaml:4:17: warning: '#2 firmly' is read as a comment, so only 'Press point' is spoken")
    assert 'put the whole text in quotes: "Press point #2 firmly"' in head
    assert source.index("#") == caret.index("^")


@pytest.mark.parametrize("steps", [
    '  - "Press point #2 firmly"\n',  # quoted: the # is text
    "  - say: Relax now  # a comment after a space is a comment\n",
    "  - pause: 2s #long\n",  # a value with a note, not a sentence
    "  - Press point#2 firmly\n",  # no blank before '#': YAML keeps it as text
])
def test_ordinary_comments_and_quoted_hashes_are_not_warned(steps: str) -> None:
    assert _warnings(HEAD + "steps:\n" + steps) == []


# --------------------------------------------------------------------------
# risky patterns


@pytest.mark.parametrize(("step", "name", "words"), [
    ("- breathe: {inhale: 4, hold: 30, exhale: 4, cycles: 2}", "long-breath-hold",
     "a breath hold of 30 s after breathing in is far beyond what beginners tolerate"),
    ("- breathe: {inhale: 4, exhale: 4, rest: 20, cycles: 2}", "long-breath-hold", "20 s after breathing out"),
    ("- press: {point: X, hold: 2m, breathe: {inhale: 4, hold: 16, exhale: 4}}", "long-breath-hold", "16 s"),
    ("- breathe: {inhale: 1, exhale: 1, cycles: 40}", "fast-breathing",
     "30 breaths a minute for 1 min is sustained very fast breathing"),
    ("- breathe: {inhale: 1, exhale: 1.5, for: 5m}", "fast-breathing", "hyperventilation"),
    ("- press: {point: GB30, hold: 10m}", "long-press", "one point pressed for 10 min"),
])
def test_risky_patterns_are_warned_with_the_reason_and_can_be_allowed(step: str, name: str, words: str) -> None:
    text = HEAD + "steps:\n  " + step + "\n"
    result = parse_script(text.encode(), "s.yaml")
    assert result.script is not None  # a warning, not an error
    [warning] = [d.format() for d in result.diagnostics]
    assert warning.startswith("s.yaml:4:5: warning: ") and words in warning
    assert f"add '# check: allow {name}' at the end of this line" in warning
    assert _warnings(text.replace("\n  " + step, f"\n  {step}  # check: allow {name}")) == []
    assert _warnings(f"# check: allow {name}\n" + text) == []  # for the whole file
    assert _warnings(text.replace("\n  " + step, f"\n  {step}  # check: allow something-else")) != []


def test_a_misspelt_allow_name_is_warned_where_it_is_written() -> None:
    step = "- press: {point: GB30, hold: 10m}"
    text = HEAD + "steps:\n  " + step + "  # check: allow long-pres\n"
    result = parse_script(text.encode(), "s.yaml")
    assert result.script is not None
    heads = [d.format(snippet=False) for d in result.diagnostics]
    column = len("  " + step + "  # check: allow ") + 1
    assert heads == [
        "s.yaml:4:5: warning: one point pressed for 10 min is far longer than acupressure guides advise (one to "
        "three minutes a point); long pressure can bruise the skin or numb the area; if you mean it, add "
        "'# check: allow long-press' at the end of this line",
        f"s.yaml:4:{column}: warning: '# check: allow long-pres' allows nothing: no warning has that name; "
        "did you mean 'long-press'? the names are long-breath-hold, fast-breathing, long-press",
    ]
    assert _warnings(HEAD + "# check: allow long-press, fast-breathing\nsteps:\n  - Hello.\n") == []


@pytest.mark.parametrize("step", [
    "- breathe: {inhale: 4, hold: 7, exhale: 8, cycles: 4}",  # 4-7-8
    "- breathe: {inhale: 4, hold: 4, exhale: 4, rest: 4, for: 5m}",  # box breathing
    "- breathe: {inhale: 1, exhale: 1, cycles: 20}",  # fast, but for 40 s only
    "- press: {point: GB30, hold: 3m, side: both}",  # three minutes a side
])
def test_ordinary_practice_is_not_warned(step: str) -> None:
    assert _warnings(HEAD + "steps:\n  " + step + "\n") == []


# --------------------------------------------------------------------------
# voices and languages in check


def _check(tmp_path: Path, text: str) -> tuple[int, str]:
    from tests.cli_harness import run_cli

    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    result = run_cli("check", str(path))
    return result.exit_status, result.stderr


def _fake_voices(monkeypatch: pytest.MonkeyPatch, calls: list[int]) -> None:
    from voiceguide.speech import pyttsx3_engine, voices

    def list_voices(**kwargs: object) -> list[voices.VoiceInfo]:
        calls.append(1)
        return [voices.VoiceInfo("gmw/en", "English (Great Britain)", ("en-gb", "en"), None),
                voices.VoiceInfo("gmw/de", "German", ("de",), None)]

    monkeypatch.setattr(pyttsx3_engine, "list_voices", list_voices)


def test_check_warns_of_an_unknown_voice_and_an_unspoken_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    _fake_voices(monkeypatch, calls)
    status, err = _check(tmp_path, HEAD + "language: tlh\nvoice: {name: zzzz}\nsteps: [Hi]\n")
    assert status == 0 and calls == [1]  # one question to the engine for both
    assert f"{tmp_path / 's.yaml'}:3:11: warning: no installed voice speaks the language 'tlh'" in err
    assert f"{tmp_path / 's.yaml'}:4:15: warning: no installed voice has the id or name 'zzzz'" in err
    assert "run 'voiceguide voices'" in err


def test_check_does_not_start_the_engine_for_a_plain_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    _fake_voices(monkeypatch, calls)
    for extra in ("", "language: en-GB\n", "voice: {rate: 150}\n"):
        status, err = _check(tmp_path, HEAD + extra + "steps: [Hi]\n")
        assert status == 0 and "warning" not in err
    assert calls == []
    status, err = _check(tmp_path, HEAD + "language: de\nvoice: {name: german}\nsteps: [Hallo]\n")
    assert status == 0 and "warning" not in err and calls == [1]


@pytest.mark.engine
def test_check_asks_the_real_engine_about_voices(tmp_path: Path) -> None:
    from voiceguide.errors import EngineError
    from voiceguide.speech.pyttsx3_engine import list_voices

    try:
        list_voices()
    except EngineError as error:
        required(f"no speech engine: {error.message}")
    status, err = _check(tmp_path, HEAD + "language: tlh\nvoice: {name: zzzz}\nsteps: [Hi]\n")
    assert status == 0
    assert "3:11: warning: no installed voice speaks the language 'tlh'" in err
    assert "4:15: warning: no installed voice has the id or name 'zzzz'" in err
