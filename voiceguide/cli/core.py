"""``main()``: arguments into typed options, the command run, and the one error shell around it.

Every ``VoiceguideError`` becomes a plain message and its exit status; a
traceback is shown only with ``--traceback``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import typing
from collections.abc import Sequence
from typing import Any, TextIO

from voiceguide.cli import interrupted
from voiceguide.cli.definition import build_parser
from voiceguide.cli.guarded_stdout import GuardedStdout, StdoutError
from voiceguide.cli.printing import print_error
from voiceguide.errors import ExitStatus, VoiceguideError

SHORT_HELP = """\
usage: voiceguide COMMAND [OPTIONS]

Voice-guided breathing and acupressure sessions, followed by ear.

  voiceguide play sciatica     play a session aloud ('voiceguide list': all)
  voiceguide play --resume     go on from the step where the last one stopped
  voiceguide breathe 4-7-8     three minutes of paced breathing, no file needed
  voiceguide press 1m          one pressure hold with a countdown
  voiceguide new mine.yaml     write a starter script to make your own
  voiceguide check mine.yaml   check a script, every problem with its line
  voiceguide render sciatica   write the session to an audio file

More: 'voiceguide --help' (every command), 'voiceguide COMMAND --help'.
"""
"""What 'voiceguide' alone prints: the commands most used, and where the rest are."""


def parse_options(argv: Sequence[str] | None = None) -> Any:
    """The typed options of a command line (``RenderOptions`` for ``render ...``, etc.); argparse stays here."""
    args = build_parser().parse_args(argv)
    return args.options(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    from voiceguide.streams import ensure_standard_streams

    ensure_standard_streams()  # a closed stdout: one sentence, not AttributeError; closed stderr: quiet
    # A full disk on stdout: one sentence and exit 1, never a traceback (GuardedStdout).  A pipe closed by
    # its reader (``plan --json | head``) ends the command quietly, as other command-line tools do.
    guarded = GuardedStdout(sys.stdout)
    try:
        with contextlib.redirect_stdout(typing.cast(TextIO, guarded)):
            try:
                status = _run(argv)
            except SystemExit:  # argparse's --help, --version and usage errors
                guarded.flush()
                raise
            guarded.flush()
            return status
    except StdoutError as error:
        guarded.abandon()
        if error.closed_pipe:
            return ExitStatus.OK
        print_error(error)
        return error.exit_status
    except KeyboardInterrupt:  # before the command began (while the parser is built, say)
        if "--traceback" in (sys.argv[1:] if argv is None else argv):
            raise
        return interrupted(argv)


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # a shell asking for completions ('voiceguide completion')
        import argcomplete

        argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    if args.command is None:  # 'voiceguide' alone: the short help
        print(SHORT_HELP, end="")
        return ExitStatus.OK
    try:
        options = args.options(args)  # may read the settings file, whose errors are one sentence too
        status: int = args.func(options)
        return status
    except StdoutError:
        raise  # main() also takes back what reached a file
    except VoiceguideError as error:
        if args.traceback:
            raise
        print_error(error)
        return error.exit_status
    except KeyboardInterrupt:
        if args.traceback:
            raise
        return interrupted(argv)
    except BrokenPipeError:
        return ExitStatus.OK
