"""The command line: the one composition root, and the only place that prints or exits.

After httpie: ``core`` holds ``main()`` and the one error shell, ``options`` the
typed options, ``argtypes`` the argument types, ``definition`` the parser, and
one module per group of commands (``script_commands``, ``session_commands``,
``live_commands``, ``log_commands``).  A command parses, calls one public
function of a stage, and prints.

This module stays light (it imports nothing at its top): ``main`` takes over
Ctrl-C before the command line's imports begin, so that Ctrl-C during
start-up ends in one line, never a traceback from inside an import.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing (and re) here would widen the window before main()
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

__all__ = ["main", "parse_options"]


LIVE_COMMANDS = frozenset({"play", "breathe", "press"})
"""Commands that Ctrl-C stops as 'q' does, at any moment (exit 0), as ``play --help`` says."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    from voiceguide.play.interrupts import ctrl_c_waits_for_imports

    with ctrl_c_waits_for_imports(live=_command(argv) in LIVE_COMMANDS):
        try:
            from voiceguide.cli import core
        except KeyboardInterrupt:  # between two imports, before any command ran
            return interrupted(argv)
        return core.main(argv)


def interrupted(argv: Sequence[str] | None) -> int:
    """Say how a ``KeyboardInterrupt`` ended the command and return its exit status.

    Ctrl-C (SIGINT) during a live command, even while it starts, is the listener quitting: "stopped",
    exit 0.  Otherwise (SIGTERM, SIGHUP, or another command) "interrupted", exit 130.
    """
    import sys

    from voiceguide.errors import ExitStatus
    from voiceguide.play.interrupts import ctrl_c_pressed

    if _command(argv) in LIVE_COMMANDS and ctrl_c_pressed():
        print("voiceguide: stopped", file=sys.stderr)
        return ExitStatus.OK
    print("voiceguide: interrupted", file=sys.stderr)
    return ExitStatus.INTERRUPTED


def _command(argv: Sequence[str] | None) -> str | None:
    """The command word of a command line (``play``), if any."""
    import sys

    words = sys.argv[1:] if argv is None else list(argv)
    return next((word for word in words if not word.startswith("-")), None)


def parse_options(argv: Sequence[str] | None = None) -> Any:
    """The typed options of a command line (``core.parse_options``)."""
    from voiceguide.cli.core import parse_options as parse

    return parse(argv)
