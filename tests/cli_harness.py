"""Run the command line in-process and capture what it prints (after httpie's ``tests/utils``).

``run_cli("check", "x.yaml")`` calls ``voiceguide.cli.main`` with stdout and
stderr redirected into strings, and returns the exit status with both texts.
No pytest fixture is needed, so any test (or a hypothesis strategy) can use it.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

from voiceguide.cli import main

__all__ = ["Result", "run_cli"]


@dataclass(frozen=True)
class Result:
    """What one run of the command line did."""

    exit_status: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        """The lines printed to stderr."""
        return self.stderr.splitlines()

    @property
    def stdout_lines(self) -> list[str]:
        """The lines printed to stdout."""
        return self.stdout.splitlines()


def run_cli(*args: str) -> Result:
    """Run ``voiceguide ARGS...`` in this process; argparse errors (SystemExit) become the exit status too."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            status = main(list(args))
        except SystemExit as exit_:  # argparse: --help, --version, usage errors
            code = exit_.code
            status = code if isinstance(code, int) else (0 if code is None else 1)
    return Result(int(status), stdout.getvalue(), stderr.getvalue())
