"""Global options of the command line."""

from __future__ import annotations

import pytest

from tests.cli_harness import run_cli
from voiceguide.errors import UsageError
from voiceguide.script.shipped import shipped_scripts


@pytest.mark.parametrize("args", [
    ["--traceback", "check", "no-such-session"],
    ["check", "no-such-session", "--traceback"],
])
def test_traceback_is_accepted_before_or_after_the_command(args: list[str]) -> None:
    with pytest.raises(UsageError, match="no script or shipped session named 'no-such-session'"):
        run_cli(*args)


def test_without_traceback_an_error_is_one_sentence_and_a_hint() -> None:
    result = run_cli("check", "no-such-session")
    assert result.exit_status == 2
    assert result.stderr_lines == [
        "voiceguide: error: no script or shipped session named 'no-such-session'",
        f"hint: shipped sessions: {', '.join(path.stem for path in shipped_scripts())} (see 'voiceguide list')"]
    assert "quick-relief, sciatica" in result.stderr_lines[1]


@pytest.mark.parametrize(("value", "message"), [
    ("-1", "--pace must be between 0.1 and 10, not -1"),
    ("0", "--pace must be between 0.1 and 10, not 0"),
    ("fast", "--pace takes a number such as 1.5, not 'fast'"),
    ("--1", "--pace takes a number such as 1.5, not '--1'"),
])
def test_a_negative_pace_is_out_of_range_not_a_non_number(value: str, message: str) -> None:
    result = run_cli("plan", "quick-relief", f"--pace={value}")
    assert result.exit_status == 2
    assert message in result.stderr


def test_every_argument_of_every_command_says_what_it_is() -> None:
    import argparse

    from voiceguide.cli.definition import build_parser

    sub = next(action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction))
    silent = [f"{name} {action.metavar or action.dest}" for name, command in sub.choices.items()
              for action in command._actions if not action.help]
    assert silent == []
