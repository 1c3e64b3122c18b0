"""Daily use through the real command line: settings, help, render's default name, voices, plot, new,
breathe/press --save, completion, and play --resume's refusals (the live plays are in test_daily_live.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from tests.cli_harness import Result, run_cli
from voiceguide.cli.definition import build_parser
from voiceguide.log.record import Record
from voiceguide.log.recorder import file_sha256
from voiceguide.log.store import append_record

TINY = """\
voiceguide: 1
title: Tiny
cautions:
  - Stop if it hurts.
steps:
  - say: Hello.
    pause: 2s
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder with a tiny script, its own settings and log folders, as the current folder."""
    monkeypatch.setenv("VOICEGUIDE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("VOICEGUIDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "tiny.yaml").write_text(TINY)
    yield tmp_path


def _settings(home: Path, text: str) -> None:
    (home / "config" / "config.toml").write_text(text)


def _plan(*args: str) -> dict[str, object]:
    result = run_cli("plan", "tiny.yaml", "--json", *args)
    assert result.exit_status == 0, result.stderr
    plan: dict[str, object] = json.loads(result.stdout)
    return plan


def test_voiceguide_alone_prints_the_short_help(home: Path) -> None:
    result = run_cli()
    assert result.exit_status == 0 and result.stderr == ""
    assert result.stdout.startswith("usage: voiceguide") and "'voiceguide --help'" in result.stdout
    full = run_cli("--help").stdout
    assert len(result.stdout_lines) < len(full.splitlines()) / 2  # short: the common commands, not all
    assert all(len(line) <= 79 for line in result.stdout_lines), result.stdout
    # Every example is a command line that parses as shown (none names a command or option that is gone).
    examples = [line.split("   ")[0].split()[1:] for line in result.stdout_lines if line.startswith("  voiceguide ")]
    assert len(examples) >= 5 and {"play", "breathe", "press", "new", "check"} <= {words[0] for words in examples}
    for words in examples:
        assert build_parser().parse_args(words).command == words[0], words


def test_settings_shows_the_file_and_where_each_value_comes_from(home: Path) -> None:
    _settings(home, "[play]\nrate = 140\n")
    result = run_cli("settings")
    assert result.exit_status == 0
    assert result.stdout_lines[0] == f"# {home / 'config' / 'config.toml'}"
    assert "rate = 140   # [settings file] words per minute (--rate); unset: the script's" in result.stdout_lines


@pytest.mark.parametrize("command", [("settings",), ("plan", "tiny.yaml"), ("play", "tiny.yaml")])
def test_a_bad_setting_stops_the_command_with_one_sentence_naming_the_file(home: Path, command: tuple[str, ...]
                                                                           ) -> None:
    _settings(home, "[play]\nrate = 'slow'\n")
    result = run_cli(*command)
    assert result.exit_status == 1 and "Traceback" not in result.stderr
    assert result.stderr_lines[0] == (f"voiceguide: error: In the settings file {home / 'config' / 'config.toml'}, "
                                      "play.rate must be a whole number of words per minute from 80 to 400, "
                                      "not 'slow'.")


@pytest.mark.engine
def test_the_settings_apply_and_the_command_line_wins(home: Path) -> None:
    plain = _plan()
    _settings(home, "[play]\npace = 2\ncautions = false\nrate = 200\n")
    settled = _plan()
    cues = [event["cue"] for event in settled["events"]]  # type: ignore[attr-defined]
    assert "caution" not in cues and "caution" in [e["cue"] for e in plain["events"]]  # type: ignore[attr-defined]
    assert settled == _plan("--pace", "2", "--no-cautions", "--rate", "200")
    assert _plan("--pace", "1", "--cautions", "--rate", "160") == plain  # the command line wins


@pytest.mark.engine
def test_render_without_o_writes_name_dot_opus_here_or_the_settings_format(home: Path) -> None:
    result = run_cli("render", "tiny.yaml", "--plain")
    assert result.exit_status == 0, result.stderr
    assert result.stdout.startswith("wrote tiny.opus:") and (home / "tiny.opus").stat().st_size > 0
    _settings(home, "[render]\nformat = 'wav'\n")
    assert run_cli("render", str(home / "tiny.yaml"), "--plain").exit_status == 0
    assert (home / "tiny.wav").read_bytes()[:4] == b"RIFF"


@pytest.mark.engine
def test_voices_language_lists_only_the_voices_that_speak_it(home: Path) -> None:
    french = run_cli("voices", "fr")
    assert french.exit_status == 0
    rows = french.stdout_lines[1:]
    assert rows and all("fr" in row.split()[-1] for row in rows)
    assert rows[0].split()[1] == "roa/fr"  # the closest tag first
    assert len(run_cli("voices").stdout_lines) > len(french.stdout_lines)
    nobody = run_cli("voices", "xq")
    assert nobody.exit_status == 1 and nobody.stderr_lines[0] == "voiceguide: error: No installed voice speaks xq."
    assert run_cli("voices", "not a tag").exit_status == 2


@pytest.mark.engine
def test_plan_plot_writes_a_picture_and_refuses_other_names_before_any_work(home: Path) -> None:
    wrong = run_cli("plan", "tiny.yaml", "--plot", "tiny.jpg")
    assert wrong.exit_status == 2 and ".png or .svg" in wrong.stderr
    result = run_cli("plan", "tiny.yaml", "--plot", "tiny.svg")
    assert result.exit_status == 0, result.stderr
    svg = (home / "tiny.svg").read_text()
    assert svg.startswith("<?xml") and "Tiny" in svg and 'id="speech' in svg


def test_new_writes_a_starter_that_checks_and_never_replaces_a_file(home: Path) -> None:
    assert run_cli("new", "mine.yaml", "--language", "de").exit_status == 0
    assert run_cli("check", "mine.yaml").exit_status == 0
    before = (home / "mine.yaml").read_bytes()
    again = run_cli("new", "mine.yaml")
    assert again.exit_status == 1 and "never replaces a file" in again.stderr
    assert (home / "mine.yaml").read_bytes() == before
    assert run_cli("new", "other.yaml", "--language", "ja").exit_status == 2
    missing = run_cli("new", "no-such-folder/mine.yaml")
    assert missing.exit_status == 1 and missing.stderr_lines == [
        f"voiceguide: error: no-such-folder/mine.yaml could not be written: the folder {home / 'no-such-folder'} "
        "does not exist", "hint: create it first, or choose another folder"]
    (home / "sessions").mkdir()
    assert run_cli("new", "sessions").stderr_lines == [
        "voiceguide: error: sessions is a folder, not a file name",
        "hint: name the new script, e.g. sessions/mine.yaml"]


@pytest.mark.parametrize("command", [
    ("breathe", "4-7-8", "--for", "3m"), ("breathe", "sigh", "--cycles", "5", "--language", "fr"),
    ("press", "1m", "--side", "both", "--every", "20s", "--point", "LI4 (Hegu)"),
])
def test_quick_sessions_save_as_scripts_that_check(home: Path, command: tuple[str, ...]) -> None:
    result = run_cli(*command, "--save", "quick.yaml")
    assert result.exit_status == 0, result.stderr
    text = (home / "quick.yaml").read_text()
    assert text.startswith("#") and f"voiceguide {' '.join(command[:2])}" in text.splitlines()[0]
    checked = run_cli("check", "quick.yaml")
    assert checked.exit_status == 0 and checked.stderr == "", checked.stderr


@pytest.mark.parametrize(("command", "words"), [
    (("breathe", "4-x"), "'4-x' is not a breathing pattern"),
    (("breathe", "box", "--for", "3 minutes"), "unknown unit"),
    (("breathe", "box", "--cycles", "0"), "--cycles takes a whole number"),
    (("press", "0s"), "must be more than zero"),
    (("press", "1m", "--countdown", "99"), "--countdown takes"),
    (("breathe", "box", "--language", "ja"), "no quick-session words in 'ja'"),
])
def test_quick_sessions_refuse_bad_options_in_one_sentence(home: Path, command: tuple[str, ...], words: str
                                                           ) -> None:
    result = run_cli(*command)
    assert result.exit_status == 2 and words in result.stderr and "Traceback" not in result.stderr


def _completions(shell_line: str) -> list[str]:
    """What bash completes for ``shell_line``, with voiceguide's own completion script."""
    words = shell_line.split(" ")
    script = (f'source <(voiceguide completion bash); COMP_LINE="{shell_line}"; COMP_POINT=${{#COMP_LINE}}; '
              f'COMP_WORDS=({" ".join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}; '
              '_python_argcomplete voiceguide; printf "%s\\n" "${COMPREPLY[@]}"')
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [line.strip() for line in done.stdout.splitlines()]


def test_completion_scripts_come_from_the_parser() -> None:
    for shell in ("bash", "zsh", "fish"):
        result = run_cli("completion", shell)
        assert result.exit_status == 0 and "voiceguide" in result.stdout and "_ARGCOMPLETE" in result.stdout
    assert _completions("voiceguide bre") == ["breathe"]
    assert "--resume" in _completions("voiceguide play --re")
    assert run_cli("completion", "tcsh").exit_status == 2


def _record(home: Path, **fields: object) -> Record:
    from datetime import datetime

    values: dict[str, object] = dict(
        started_at=datetime.now().astimezone(), session="Tiny", script="tiny.yaml",
        script_sha256=file_sha256(home / "tiny.yaml"), planned_seconds=10.0, played_seconds=5.0, completed=0.5,
        ended="quit", script_path=str(home / "tiny.yaml"), stopped_step="1", stopped_occurrence=1)
    values.update(fields)
    return Record(**values)  # type: ignore[arg-type]


def _refused(result: Result, words: str) -> None:
    assert result.exit_status == 2 and words in result.stderr_lines[0] and "Traceback" not in result.stderr


def test_play_needs_a_script_or_resume_and_resume_refuses_in_one_sentence(home: Path) -> None:
    _refused(run_cli("play"), "play needs a SCRIPT")
    _refused(run_cli("play", "tiny.yaml", "--resume"), "--resume plays the last session logged")
    _refused(run_cli("play", "--resume"), "there is no session in the log to resume")
    append_record(_record(home, ended="done", stopped_step=None, stopped_occurrence=None))
    _refused(run_cli("play", "--resume"), "ran to its end")
    append_record(_record(home, script="voiceguide breathe box --for 3m", script_path=None, script_sha256="0" * 64))
    _refused(run_cli("play", "--resume"), "would not sound the same now")
    append_record(_record(home, script="voiceguide breathe --bad", script_path=None))
    _refused(run_cli("play", "--resume"), "by a command voiceguide cannot read")
    append_record(_record(home))
    (home / "tiny.yaml").write_text(TINY + "  - Goodbye.\n")
    _refused(run_cli("play", "--resume"), "has changed since the last session")


def test_resuming_a_quick_session_makes_its_script_again_with_this_plays_options(home: Path) -> None:
    from voiceguide.cli.core import parse_options
    from voiceguide.cli.options import resumed_quick_options
    from voiceguide.log.recorder import text_sha256
    from voiceguide.quick.build import BreatheRequest, breathe_command, breathe_script
    from voiceguide.quick.patterns import parse_pattern

    request = BreatheRequest(parse_pattern("sigh"), "sigh", cycles=12, count=True, language="it")
    text = breathe_script(request)
    play = parse_options(["play", "--resume", "--plain", "--pace", "1.5"])
    resumed = resumed_quick_options(play, breathe_command(request), text_sha256(text))
    assert resumed.session.text == text and resumed.session.script == "voiceguide breathe sigh --cycles 12 --count " \
        "--language it"
    assert resumed.plain and resumed.session.sound.pace == 1.5 and resumed.resume


def test_resuming_a_shipped_session_keeps_its_name_for_the_next_record(home: Path) -> None:
    from voiceguide.play.resume import resume_target
    from voiceguide.script.shipped import resolve_script

    shipped = _record(home, session="Box breathing", script="breathing", script_path="breathing",
                      script_sha256=file_sha256(resolve_script("breathing")), stopped_step="3")
    assert resume_target([shipped]).script == "breathing"
    assert resume_target([_record(home)]).script == str(home / "tiny.yaml")


def test_resuming_a_script_plays_with_the_options_given_now_and_the_settings(home: Path) -> None:
    # The first play's options are not remembered (docs/daily-use.md): the log keeps the script, its hash and
    # where it stopped; how to play it (pace, voice, cautions, background, device, ...) is this command's.
    from voiceguide.cli.core import parse_options
    from voiceguide.play.resume import resume_options

    append_record(_record(home, stopped_step="1"))
    _settings(home, "[play]\npace = 1.5\ncautions = false\nbackground = 'rain'\n")
    now = parse_options(["play", "--resume", "--rate", "120", "--mono", "--plain", "--note", "again", "--ask-pain"])
    resumed, target = resume_options(now)
    assert resumed.session.script == str(home / "tiny.yaml") and target.point.step == "1"
    sound = resumed.session.sound
    assert (sound.pace, sound.cautions, sound.background, sound.rate, sound.mono) == (Fraction(3, 2), False, "rain",
                                                                                   120, True)
    assert resumed.plain and resumed.note == "again" and resumed.ask_pain and resumed.resume
    # An option given now wins over the settings, as for any play.
    now = parse_options(["play", "--resume", "--pace", "0.5", "--cautions", "--no-background"])
    sound = resume_options(now)[0].session.sound
    assert (sound.pace, sound.cautions, sound.no_background) == (Fraction(1, 2), True, True)


def test_quick_sessions_start_from_a_step_as_play_does_and_refuse_it_with_save(home: Path) -> None:
    from voiceguide.cli.core import parse_options
    from voiceguide.play.prepare import load_session
    from voiceguide.play.program import StartPoint
    from voiceguide.play.session import start_point

    quick = parse_options(["breathe", "4-7-8", "--cycles", "2", "--from", "2"])  # without the introduction
    script = load_session(quick.play.session)
    assert start_point(quick.play, script) == StartPoint("span", 2)  # past the title (0) and the introduction (1)
    assert start_point(parse_options(["press", "1m"]).play, script) is None

    refused = run_cli("press", "1m", "--from", "9", "--no-log")
    assert refused.exit_status == 2 and refused.stderr_lines == [
        "voiceguide: error: --from: the session has no step 9.",
        "hint: '--save FILE' writes the session; 'voiceguide plan FILE' shows every step's number, label and section"]
    refused = run_cli("breathe", "box", "--from-section", "x", "--save", "mine.yaml")
    assert refused.exit_status == 2 and "--save writes the whole session" in refused.stderr_lines[0]
    assert not (home / "mine.yaml").exists()


@pytest.mark.parametrize(("words", "sentence", "hint"), [
    (["play", "tiny.yaml", "--pace", "0"], "--pace must be between 0.1 and 10, not 0",
     "'voiceguide play --help' lists its options"),
    (["press", "1m", "--side", "lef"], "'lef' is not a choice of --side (left, right, both, none)",
     "did you mean 'left'? 'voiceguide press --help' lists its options"),
    (["plya", "tiny.yaml"], "'plya' is not a voiceguide command (check, schema, phrases, plan, render, list, voices, "
     "sounds, play, devices, listen-test, breathe, press, new, settings, completion, log)",
     "did you mean 'play'? 'voiceguide --help' lists every command"),
    (["render"], "'voiceguide render' needs SCRIPT", "'voiceguide render --help' lists its options"),
    (["play", "tiny.yaml", "--from"], "--from needs a value", "'voiceguide play --help' lists its options"),
    (["play", "tiny.yaml", "--pase", "1.5"], "'voiceguide play' has no option --pase",
     "did you mean --pace? 'voiceguide play --help' lists its options"),  # told by the top-level parser
    (["render", "tiny.yaml", "extra"], "'voiceguide render' does not take extra",
     "'voiceguide render --help' lists its options"),
    (["completion", "tcsh\x1b[2J"], "'tcsh\\x1b[2J' is not a choice of SHELL (bash, zsh, fish)",
     "'voiceguide completion --help' lists its options"),
])
def test_a_mistyped_command_line_is_one_sentence_and_a_hint_not_the_whole_usage(
        home: Path, words: list[str], sentence: str, hint: str) -> None:
    result = run_cli(*words)
    assert result.exit_status == 2 and result.stdout == ""
    assert result.stderr_lines == [f"voiceguide: error: {sentence}", f"hint: {hint}"]


def test_without_a_device_the_hint_names_a_render_that_works() -> None:
    import shlex

    from voiceguide.play.live import render_hint

    hint = render_hint("my session.yaml")  # quoted, as a shell needs it
    assert shlex.split(hint.rpartition(": ")[2]) == ["voiceguide", "render", "my session.yaml", "-o", "my session.ogg"]
    hint = render_hint("voiceguide press 5s --side both")  # a quick session has no file: save it first
    assert hint.endswith(": voiceguide press 5s --side both --save mine.yaml, then voiceguide render mine.yaml")
