"""Parser rules that the data folders do not show on their own: sharing, merges, positions, I/O."""

from __future__ import annotations

import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

from voiceguide.errors import Position, ScriptError, VoiceguideError
from voiceguide.script.model import Breathe, Chime, Pause, Press, Repeat, Say, Script, Section
from voiceguide.script.parse import MAX_NESTING, STEP_KINDS, load_script, parse_script


def parse(text: str) -> Script:
    result = parse_script(textwrap.dedent(text), "t.yaml")
    assert result.diagnostics == []
    assert result.script is not None
    return result.script


def errors(text: str | bytes) -> list[str]:
    source = textwrap.dedent(text) if isinstance(text, str) else text
    result = parse_script(source, "t.yaml")
    assert result.script is None
    assert result.errors == result.diagnostics  # the parser itself only reports errors
    return [f"{d.position.line}:{d.position.column}: {d.message}" for d in result.diagnostics]


HEAD = "voiceguide: 1\ntitle: T\n"


def test_an_aliased_step_is_one_shared_object() -> None:
    script = parse(HEAD + "x-s: &s {say: Hi., pause: 1s}\nsteps: [*s, *s, {repeat: 2, steps: [*s]}]\n")
    first, second, repeat = script.steps
    assert first is second
    assert isinstance(repeat, Repeat)
    assert repeat.steps[0] is first


def test_an_aliased_step_list_is_one_shared_tuple() -> None:
    script = parse(HEAD + "x-l: &l [a, b]\nsteps: [{repeat: 2, steps: *l}, {repeat: 3, steps: *l}]\n")
    one, two = script.steps
    assert isinstance(one, Repeat) and isinstance(two, Repeat)
    assert one.steps is two.steps


def test_merge_keys_own_keys_win_and_lists_merge() -> None:
    script = parse(HEAD + textwrap.dedent("""\
        x-p: &p {point: GB30, hold: 30s, side: left}
        x-b: &b {breathe: {inhale: 4, exhale: 4}}
        steps:
          - press: {<<: *p, hold: 45s}
          - press: {<<: [*p, *b], side: right}
        """))
    first, second = script.steps
    assert isinstance(first, Press) and isinstance(second, Press)
    assert (first.point, first.hold, first.side) == ("GB30", Fraction(45), "left")
    assert (second.hold, second.side) == (Fraction(30), "right")
    assert second.breathe is not None and second.breathe.inhale == 4


def test_a_bad_key_in_a_merged_block_is_reported_once_at_the_block() -> None:
    assert errors(HEAD + textwrap.dedent("""\
        x-p: &p {hold: 30s, sied: left}
        steps:
          - press: {<<: *p}
          - press: {<<: *p, side: right}
        """)) == ["3:21: unknown key 'sied' in press; did you mean 'side'?"]


def test_x_keys_are_ignored_only_at_the_top_level() -> None:
    parse(HEAD + "x-anything: {goes: [here, !!str 1]}\nsteps: [Hi.]\n")
    assert errors(HEAD + "steps:\n  - {say: Hi., x-note: 1}\n") == [
        "4:16: unknown key 'x-note' in say step (allowed: say, pause, label)"
    ]
    assert errors(HEAD + "voice: {x-speed: 2}\nsteps: [Hi.]\n") == [
        "3:9: unknown key 'x-speed' in voice (allowed: name, rate, volume)"
    ]


def test_a_bare_string_is_a_say_step_with_the_default_pause() -> None:
    (step,) = parse(HEAD + "steps: [Just words.]\n").steps
    assert step == Say(text="Just words.", position=Position("t.yaml", 3, 9), pause=Fraction(1, 2))


def test_say_with_pause_is_one_say_step_and_pause_alone_is_a_pause() -> None:
    say, pause = parse(HEAD + "steps:\n  - say: Hi.\n    pause: 3s\n  - pause: 3s\n").steps
    assert say == Say("Hi.", Position("t.yaml", 4, 5), pause=Fraction(3))
    assert pause == Pause(Fraction(3), Position("t.yaml", 6, 5))


@pytest.mark.parametrize(
    ("step", "kind"),
    [
        ("{say: Hi.}", Say),
        ("{pause: 1s}", Pause),
        ("{chime: 1}", Chime),
        ("{breathe: {inhale: 1, exhale: 1, cycles: 1}}", Breathe),
        ("{press: {hold: 5s}}", Press),
        ("{repeat: 1, steps: [Hi.]}", Repeat),
        ("{section: Part}", Section),
    ],
)
def test_every_mapping_step_takes_a_label(step: str, kind: type) -> None:
    (parsed,) = parse(HEAD + f"steps: [{step[:-1]}, label: my label}}]\n").steps
    assert isinstance(parsed, kind)
    assert parsed.label == "my label"


def test_the_step_kinds_are_the_spec_s() -> None:
    assert STEP_KINDS == ("say", "pause", "chime", "breathe", "press", "repeat", "section", "background")


def test_defaults_of_the_spec() -> None:
    chime, breathe, press, repeat, section = parse(HEAD + textwrap.dedent("""\
        steps:
          - chime: 2
          - breathe: {inhale: 4, exhale: 4, cycles: 1}
          - press: {hold: 10s}
          - repeat: 2
            steps: [Hi.]
          - section: Part
        """)).steps
    assert isinstance(chime, Chime) and chime.sound == "bell"
    assert isinstance(breathe, Breathe)
    assert (breathe.pattern.hold, breathe.pattern.rest, breathe.count, breathe.say) == (0, 0, False, None)
    # Words the script leaves out come from the phrasebook (None here).
    assert (breathe.words.inhale, breathe.words.hold, breathe.words.exhale, breathe.words.rest) == (
        None, None, None, None)
    assert isinstance(press, Press)
    assert (press.side, press.prepare, press.rest, press.halfway, press.countdown) == ("none", 3, 5, False, 0)
    assert (press.cue_every, press.breathe, press.words.press, press.words.release) == (
        None, None, None, None)
    assert isinstance(repeat, Repeat) and repeat.announce is False
    assert isinstance(section, Section) and section.announce is True


def test_top_level_defaults() -> None:
    script = parse(HEAD + "steps: [Hi.]\n")
    assert (script.version, script.description, script.language, script.cautions) == (1, None, None, ())
    assert (script.voice.name, script.voice.rate, script.voice.volume) == (None, 160, 1.0)


def test_yaml_1_1_values_are_read_as_the_safe_loader_reads_them() -> None:
    (press,) = parse(HEAD + "steps:\n  - press: {hold: 1:30, countdown: 0x3, halfway: on}\n").steps
    assert isinstance(press, Press)
    assert (press.hold, press.countdown, press.halfway) == (Fraction(90), 3, True)


def test_text_and_bytes_give_the_same_result() -> None:
    text = HEAD + "steps: [Grüße, {pause: 2.5}]\n"
    assert parse_script(text, "t.yaml") == parse_script(text.encode("utf-8"), "t.yaml")


def test_columns_count_characters_not_bytes() -> None:
    assert errors(HEAD + 'steps:\n  - {say: "ééé", pause: x}\n') == [
        "4:25: say.pause must be a duration such as 90, 2.5, '90s', '1m30s' or '250ms', got 'x'"
    ]
    assert errors((HEAD + "steps: [é\xff]\n").encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff")) == [
        "3:10: the file is not UTF-8 text (byte 0xff cannot be decoded); save it as UTF-8"
    ]


def test_an_explicit_tag_that_does_not_fit_is_a_positioned_error() -> None:
    assert errors(HEAD + "steps:\n  - chime: !!int abc\n  - !!timestamp soon\n") == [
        "4:12: chime: 'abc' cannot be read as !!int",
        "5:5: a step must be text to speak or a mapping with one of the keys say, pause, chime, breathe, press, "
        "repeat, section, background, got soon (a date); put it in quotes to speak it",
    ]


def test_a_step_that_contains_itself_is_refused() -> None:
    assert errors(HEAD + "steps:\n  - &s {repeat: 2, steps: [*s]}\n") == [
        "4:5: this step contains itself (through an alias): it would never end"
    ]


def nested_repeats(depth: int) -> str:
    text = "Hi."
    for _ in range(depth):
        text = f"{{repeat: 1, steps: [{text}]}}"
    return HEAD + f"steps: [{text}]\n"


def test_repeats_nest_up_to_the_limit() -> None:
    assert parse_script(nested_repeats(MAX_NESTING), "t.yaml").script is not None
    messages = [d.message for d in parse_script(nested_repeats(MAX_NESTING + 1), "t.yaml").diagnostics]
    assert messages == [f"repeat is nested more than {MAX_NESTING} deep"]


def test_diagnostics_come_in_file_order_with_their_source_line() -> None:
    result = parse_script(HEAD + "steps:\n  - pause: 0\n  - chime: 0\nvoice: {rate: 1}\n", "t.yaml")
    assert [(d.position.line, d.position.column) for d in result.diagnostics] == [(4, 12), (5, 12), (6, 15)]
    assert result.diagnostics[0].source_line == "  - pause: 0"
    assert result.diagnostics[0].format().splitlines()[1:] == ["      - pause: 0", "               ^"]


def test_every_problem_of_a_file_is_reported_in_one_run() -> None:
    found = errors("""\
        voiceguide: 3
        title: ""
        steps:
          - pause: -1
          - press: {hold: 5s, side: up}
          - repeat: 0
            steps: [{chime: 0}]
        """)
    assert found == [
        "1:13: voiceguide must be 1 (the only format version), got 3",
        "2:8: title must not be empty",
        "4:12: pause must not be negative, got -1",
        "5:29: press.side must be one of left, right, both, none, got 'up'",
        "6:13: repeat must be at least 1, got 0",
        "7:21: chime must be at least 1, got 0",
    ]


def test_load_script_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + "steps: [Hi.]\n", encoding="utf-8")
    assert load_script(path).position == Position(str(path), 1, 1)
    assert load_script(path, display_path="nice.yaml").position.path == "nice.yaml"


def test_load_script_raises_script_error_with_every_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + "steps: [{pause: 0}, {chime: 0}]\n", encoding="utf-8")
    with pytest.raises(ScriptError) as caught:
        load_script(path, display_path="s.yaml")
    assert len(caught.value.diagnostics) == 2
    assert caught.value.exit_status == 2


def test_an_unreadable_file_is_a_plain_error_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(VoiceguideError) as caught:
        load_script(tmp_path / "missing.yaml", display_path="missing.yaml")
    assert not isinstance(caught.value, ScriptError)
    assert caught.value.message == "cannot read missing.yaml: No such file or directory"
    assert caught.value.hint
    with pytest.raises(VoiceguideError, match="it is a directory"):
        load_script(tmp_path)
