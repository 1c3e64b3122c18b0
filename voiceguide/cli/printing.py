"""How errors and diagnostics reach a person: on standard error, one plain sentence, never obeyed."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from voiceguide.errors import Diagnostic, ScriptError, VoiceguideError


def print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    """Print diagnostics to stderr, a flood of one kind summarised after the first 20."""
    from voiceguide.summary import summarised

    for item in summarised(diagnostics):
        print(item if isinstance(item, str) else item.format(), file=sys.stderr)


def print_error(error: VoiceguideError) -> None:
    """An error's sentence and hint (a script's: its diagnostics) on stderr."""
    if isinstance(error, ScriptError):
        print_diagnostics(error.diagnostics)
        return
    from voiceguide.printable import printable

    # Messages may quote a script's text or a command-line argument: shown, never obeyed.
    print(f"voiceguide: error: {printable(error.message, one_line=True)}", file=sys.stderr)
    if error.hint:
        print(f"hint: {printable(error.hint, one_line=True)}", file=sys.stderr)
