"""--pace may not stretch a session past the spec's 24-hour limit (plan, render and play alike)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_harness import run_cli


@pytest.fixture
def twenty_hours(tmp_path: Path) -> Path:
    path = tmp_path / "long.yaml"
    path.write_text("voiceguide: 1\ntitle: Long\nsteps:\n  - pause: 20h\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [["plan"], ["render", "-o", "x.wav"], ["play"]])
def test_a_pace_that_makes_the_session_over_24_hours_is_refused(
    twenty_hours: Path, tmp_path: Path, command: list[str],
) -> None:
    args = [command[0], str(twenty_hours), *[str(tmp_path / a) if a.endswith(".wav") else a for a in command[1:]]]
    result = run_cli(*args, "--pace", "1.5")
    assert result.exit_status == 2
    assert result.stderr_lines == [
        "voiceguide: error: with --pace 1.5 the session would last about 30.0 hours; "
        "a session may last at most 24 hours",
        "hint: choose a smaller --pace"]
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.engine
def test_a_pace_within_the_limit_is_accepted(twenty_hours: Path) -> None:
    result = run_cli("plan", str(twenty_hours), "--pace", "1.1")
    assert result.exit_status == 0, result.stderr
    assert result.stdout_lines[-1].startswith("Total length 22:00:0")
