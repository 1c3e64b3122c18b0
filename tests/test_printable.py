"""Terminal safety: script text is shown with its control characters escaped, never obeyed.

The text rules keep control characters out of a valid script's text, but a
message about an invalid one quotes it, and the later stages are guarded too:
check, plan, the play screen, error source lines, captions and cue sheets all
pass script text through ``printable``.  Here the model is built directly, past
the parser, so that each stage is tested on text the parser would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_harness import run_cli
from tests.fakes import fake_measure
from voiceguide.audio.captions import format_chapters_webvtt, format_cue_sheet, format_srt, format_webvtt
from voiceguide.errors import Diagnostic, Position
from voiceguide.play import screen
from voiceguide.play.frame_map import Feedback
from voiceguide.play.status import Status
from voiceguide.printable import printable
from voiceguide.script.model import Say, Script, Section
from voiceguide.timeline.compiler import compile_timeline
from voiceguide.timeline.layout import Timeline
from voiceguide.timeline.plan import format_plan

HERE = Position("hostile.yaml", 1, 1)
# Clear the screen, retitle the window, ring the bell, forge a line, a C1 CSI, reversed text.
HOSTILE = "Calm\x1b[2J\x1b]0;owned\x07 down\rvoiceguide: ok\x9b1m \u202eright"
LIVE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def assert_no_live_controls(text: str) -> None:
    found = LIVE.findall(text)
    assert not found, f"live control characters {found!r} in {text!r}"


def test_printable_escapes_control_characters_visibly() -> None:
    assert printable(HOSTILE) == "Calm\\x1b[2J\\x1b]0;owned\\x07 down\\x0dvoiceguide: ok\\x9b1m \\u202eright"
    assert printable("tab\tand\nline") == "tab\tand\nline"
    assert printable("tab\tand\n\nline", one_line=True) == "tab and line"
    assert printable("Grüße, 日本, 🙂") == "Grüße, 日本, 🙂"


def test_a_diagnostic_escapes_its_message_and_source_line_and_keeps_the_caret_under_the_value() -> None:
    source = "title: \u202eabc\u202c  # reversed"
    diagnostic = Diagnostic(Position("p.yaml", 1, 9), "error", "unknown key '\x1b[2J'", source)
    head, line, caret = diagnostic.format().splitlines()
    assert head == "p.yaml:1:9: error: unknown key '\\x1b[2J'"
    assert line == "    title: \\u202eabc\\u202c  # reversed"
    assert line[len(caret) - 1] == "a"  # column 9 is the 'a' after the override


def test_check_shows_a_hostile_key_and_title_escaped(tmp_path: Path) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text('voiceguide: 1\ntitle: "\u202eCalm"\n"\\e]0;owned\\a": 1\nsteps: [Hi.]\n', encoding="utf-8")
    result = run_cli("check", str(path))
    assert result.exit_status == 2
    assert_no_live_controls(result.stderr)
    assert "unknown key '\\x1b]0;owned\\x07' at the top level" in result.stderr
    path.write_text('voiceguide: 1\ntitle: "\u202eCalm"\nsteps: [Hi.]\n', encoding="utf-8")
    result = run_cli("check", str(path))
    assert result.exit_status == 0
    assert result.stdout.startswith(f'{path}: ok: "\\u202eCalm", 1 step')


@pytest.fixture
def hostile_timeline() -> Timeline:
    script = Script(title=HOSTILE, description=HOSTILE, position=HERE,
                    steps=(Section(HOSTILE, HERE), Say(HOSTILE, HERE)))
    return compile_timeline(script, fake_measure)


def test_plan_text_shows_script_text_escaped(hostile_timeline: Timeline) -> None:
    text = format_plan(hostile_timeline)
    assert_no_live_controls(text)
    assert "Calm\\x1b[2J" in text


@pytest.mark.parametrize("export", [format_webvtt, format_srt, format_chapters_webvtt,
                                    lambda timeline: format_cue_sheet(timeline, "s.wav", "s.cue")])
def test_captions_and_cue_sheets_carry_no_live_control_characters(
    hostile_timeline: Timeline, export: Callable[[Timeline], str],
) -> None:
    text = export(hostile_timeline)
    assert_no_live_controls(text)
    assert "\\x1b" in text


def test_the_play_screen_shows_script_text_escaped(hostile_timeline: Timeline) -> None:
    rate = hostile_timeline.sample_rate
    assert_no_live_controls(screen.header(HOSTILE, 10 * rate, rate, keys=True))
    event = next(event for event in hostile_timeline.events if event.cue == "say")
    assert_no_live_controls(screen.notice_line(event, rate))
    assert_no_live_controls(screen.notice_line(Feedback(HOSTILE), rate))
    status = Status(position=0, length=10 * rate, sample_rate=rate, paused=False, span=None, step_number="1",
                    step_count=1, side=None, speaking=HOSTILE, step_left=rate, hold_left=None,
                    volume_percent=100, finished=False)
    line = screen.status_line(status, width=400)
    assert_no_live_controls(line)
    assert "\\x1b[2J" in line
