"""Daily-use commands: ``breathe`` and ``press`` (quick sessions), ``new``, ``settings``, ``completion``.

Stages are imported inside each command, so that start-up loads only what the command needs.
"""

from __future__ import annotations

import sys

from voiceguide.cli.live_commands import cmd_play
from voiceguide.cli.options import NewOptions, QuickOptions
from voiceguide.errors import ExitStatus


def _quick(options: QuickOptions) -> int:
    """Play the quick session as ``play`` would, or write it to ``--save FILE``."""
    if options.save is None:
        return cmd_play(options.play)
    from voiceguide.quick.starter import write_new_script

    text = options.play.session.text or ""
    write_new_script(options.save, text)
    print(f"wrote {options.save}: play it with 'voiceguide play {options.save}'")
    return ExitStatus.OK


def cmd_breathe(options: QuickOptions) -> int:
    """``breathe PATTERN``: a breathing session without a file."""
    return _quick(options)


def cmd_press(options: QuickOptions) -> int:
    """``press DURATION``: a pressure-hold session without a file."""
    return _quick(options)


def cmd_new(options: NewOptions) -> int:
    """``new FILE``: a commented starter script, never over an existing file."""
    from voiceguide.quick.starter import starter_text, write_new_script

    write_new_script(options.file, starter_text(options.language))
    print(f"wrote {options.file}: change it, then 'voiceguide check {options.file}' and "
          f"'voiceguide play {options.file}'")
    return ExitStatus.OK


def cmd_settings(options: None) -> int:
    """``settings``: what is in effect, as TOML, each value with where it comes from."""
    from voiceguide.settings import format_settings, load_settings

    sys.stdout.write(format_settings(load_settings()))
    return ExitStatus.OK


def cmd_completion(shell: str) -> int:
    """``completion SHELL``: a script that asks voiceguide's own parser for completions (argcomplete)."""
    from argcomplete.shell_integration import shellcode

    sys.stdout.write(shellcode(["voiceguide"], shell=shell))
    return ExitStatus.OK
