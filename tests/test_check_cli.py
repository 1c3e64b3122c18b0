"""``voiceguide check`` and ``voiceguide schema``, run in-process through the CLI harness."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_harness import run_cli
from voiceguide.script.schema import json_schema

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_valid_script_gets_a_one_line_summary(tmp_path: Path) -> None:
    path = write(tmp_path, "ten.yaml", "voiceguide: 1\ntitle: Ten minutes\nsteps:\n  - pause: 10m\n")
    result = run_cli("check", path)
    assert result.exit_status == 0
    assert result.stdout == f'{path}: ok: "Ten minutes", 1 step, about 10 min\n'
    assert result.stderr == ""


def test_the_summary_counts_the_top_level_steps() -> None:
    path = str(DATA / "valid" / "say.yaml")
    result = run_cli("check", path)
    assert result.exit_status == 0
    assert re.fullmatch(rf'{re.escape(path)}: ok: "Say", 7 steps, about \d+ s\n', result.stdout)


def test_an_invalid_script_prints_every_error_with_its_line_and_a_caret(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "voiceguide: 1\ntitle: Bad\nsteps:\n  - pause: 0\n  - chime: {sound: bel}\n")
    result = run_cli("check", path)
    assert result.exit_status == 2
    assert result.stdout == ""
    assert result.stderr_lines == [
        f"{path}:4:12: error: pause must be more than zero, got 0",
        "      - pause: 0",
        "               ^",
        f"{path}:5:20: error: chime.sound must be one of bell, beep, gong, got 'bel'; did you mean 'bell'?",
        "      - chime: {sound: bel}",
        "                       ^",
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not-utf8", "2:11: error: the file is not UTF-8 text"),
        ("invalid-yaml", "3:8: error: the list '[…]' that starts here does not end where YAML expects"),
        ("empty", "1:1: error: the file is empty"),
        ("two-documents", "4:1: error: the file holds more than one YAML document"),
        ("top-level-list", "1:1: error: the top level must be a mapping"),
        ("python-tag", "2:8: error: the tag '!!python/object/apply:os.system' is not allowed"),
    ],
)
def test_file_problems_are_one_positioned_line_never_a_traceback(name: str, message: str) -> None:
    path = str(DATA / "invalid" / f"{name}.yaml")
    result = run_cli("check", path)
    assert result.exit_status == 2
    assert result.stderr_lines[0].startswith(f"{path}:{message}")
    assert "Traceback" not in result.stderr


def test_several_scripts_are_all_checked_and_any_error_gives_status_2(tmp_path: Path) -> None:
    good = str(DATA / "valid" / "minimal.yaml")
    bad = str(DATA / "invalid" / "version.yaml")
    result = run_cli("check", good, bad, good)
    assert result.exit_status == 2
    assert len(result.stdout_lines) == 2
    for line in result.stdout_lines:
        assert re.fullmatch(rf'{re.escape(good)}: ok: "Minimal", 1 step, about \d s', line)
    assert result.stderr_lines[0] == f"{bad}:1:13: error: voiceguide must be 1 (the only format version), got 2"


def test_all_valid_scripts_give_status_0() -> None:
    paths = [str(path) for path in sorted((DATA / "valid").glob("*.yaml"))]
    result = run_cli("check", *paths)
    assert result.exit_status == 0, result.stderr
    assert len(result.stdout_lines) == len(paths)


def test_a_shipped_session_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = run_cli("check", "sciatica")
    assert result.exit_status == 0, result.stderr
    assert result.stdout.startswith('scripts/sciatica.yaml: ok: "')


def test_an_unknown_name_is_a_usage_error_with_the_shipped_names(tmp_path: Path) -> None:
    result = run_cli("check", "sciatca", str(DATA / "valid" / "minimal.yaml"))
    assert result.exit_status == 2
    assert result.stderr_lines[0] == "voiceguide: error: no script or shipped session named 'sciatca'"
    assert result.stderr_lines[1].startswith("hint: did you mean 'sciatica'?")
    assert len(result.stdout_lines) == 1  # the other script is still checked


def test_a_directory_cannot_be_read(tmp_path: Path) -> None:
    result = run_cli("check", str(tmp_path))
    assert result.exit_status == 2
    assert result.stderr_lines[0] == f"voiceguide: error: cannot read {tmp_path}: it is a directory"


def test_traceback_lets_the_error_through() -> None:
    from voiceguide.errors import UsageError

    with pytest.raises(UsageError):
        run_cli("--traceback", "check", "no-such-session")


def test_a_cue_that_fits_nowhere_is_a_warning_at_the_key_that_would_make_room(tmp_path: Path) -> None:
    # A time-left cue every second: each lasts longer than a second, so most fit nowhere, even moved.
    path = write(tmp_path, "busy.yaml", """\
voiceguide: 1
title: Busy
steps:
  - press:
      hold: 8s
      cue_every: 1s
      breathe: {inhale: 4, exhale: 6}
""")
    result = run_cli("check", path)
    assert result.exit_status == 0  # warnings do not fail the check
    warnings = [line for line in result.stderr_lines if ": warning: " in line]
    assert warnings
    for line in warnings:
        assert line.startswith(f"{path}:6:7: warning: the remaining cue ")
        assert " is dropped: " in line and line.endswith("; change 'cue_every' to make room")
    assert "          cue_every: 1s" in result.stderr_lines  # the source line is shown too
    assert result.stdout.startswith(f'{path}: ok: "Busy", 1 step, about ')


def test_breathing_and_time_left_cues_share_a_minute_without_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "minute.yaml", """\
voiceguide: 1
title: A minute
steps:
  - press:
      hold: 60s
      cue_every: 15s
      countdown: 3
      halfway: true
      breathe: {inhale: 4, exhale: 6}
""")
    result = run_cli("check", path)
    assert result.exit_status == 0 and "warning" not in result.stderr


def test_schema_prints_the_json_schema() -> None:
    result = run_cli("schema")
    assert result.exit_status == 0
    assert json.loads(result.stdout) == json_schema()


def test_check_starts_without_the_audio_and_speech_libraries() -> None:
    code = (
        "import sys\n"
        "from voiceguide.cli import main\n"
        "status = main(['check', 'scripts/sciatica.yaml'])\n"
        "heavy = sorted({name.split('.')[0] for name in sys.modules} & "
        "{'numpy', 'pyttsx3', 'sounddevice', 'soundfile', 'jsonschema'})\n"
        "print(status, heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "0 []"


@pytest.mark.parametrize(("typed", "meant"), [
    ("mine.yml", "mine.yaml"), ("mine", "mine.yaml"), ("my-sesion.yaml", "my-session.yaml")])
def test_a_mistyped_path_is_answered_with_the_script_beside_it(tmp_path: Path, typed: str, meant: str) -> None:
    for name in ("mine.yaml", "my-session.yaml", "other.yaml"):
        (tmp_path / name).write_text((DATA / "valid" / "minimal.yaml").read_text())
    result = run_cli("check", str(tmp_path / typed))
    assert result.exit_status == 2
    assert result.stderr_lines == [f"voiceguide: error: no script or shipped session named '{tmp_path / typed}'",
                                   f"hint: did you mean '{tmp_path / meant}'?"]
    assert run_cli("check", str(tmp_path / "nothing-like-it.yaml")).stderr_lines[1].startswith("hint: shipped sessions")
