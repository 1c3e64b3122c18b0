"""One exception family for everything voiceguide reports to a person.

Library modules raise these; only the command line (``voiceguide/cli/``) prints
them and exits, with the status each error carries (``ExitStatus``).  Foreign
failures (PyYAML, pyttsx3, PortAudio, libsndfile) are translated into these
types at the adapter that met them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

from voiceguide.printable import printable

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Position:
    """A place in a script: the file as the user named it, 1-based line and column."""

    path: str
    line: int
    column: int


SNIPPET_CHARACTERS = 120
"""The most of a source line shown under a message (longer lines are cut around the caret)."""


@dataclass(frozen=True)
class Diagnostic:
    """One positioned problem in a script, rendered as ``FILE:LINE:COL: error: MESSAGE``."""

    position: Position
    severity: Severity
    message: str
    source_line: str | None = None

    def format(self, *, snippet: bool = True) -> str:
        """The compiler-style line, optionally followed by the source line and a caret."""
        pos = self.position
        # Messages quote the script, and the source line is the script: never print its control characters live.
        head = printable(f"{pos.path}:{pos.line}:{pos.column}: {self.severity}: {self.message}", one_line=True)
        if not snippet or self.source_line is None:
            return head
        line = self.source_line.rstrip("\n").expandtabs(1)
        column = max(pos.column, 1) - 1
        if len(line) > SNIPPET_CHARACTERS:  # a window around the caret, not a line of a megabyte
            start = max(0, min(column - SNIPPET_CHARACTERS // 4, len(line) - SNIPPET_CHARACTERS))
            end = start + SNIPPET_CHARACTERS
            line = ("…" if start else "") + line[start:end] + ("…" if end < len(line) else "")
            column = column - start + (1 if start else 0)
        caret = " " * len(printable(line[:column], one_line=True)) + "^"
        return f"{head}\n    {printable(line, one_line=True)}\n    {caret}"


class ExitStatus(enum.IntEnum):
    """Exit statuses, as the spec's command table defines them."""

    OK = 0
    FAILURE = 1
    INVALID = 2
    INTERRUPTED = 130


class VoiceguideError(Exception):
    """Base of every error voiceguide reports: one plain sentence and an optional hint."""

    exit_status = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ScriptError(VoiceguideError):
    """A script is invalid; carries every diagnostic found in one run (exit status 2)."""

    exit_status = 2

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        errors = [d for d in diagnostics if d.severity == "error"]
        first = errors[0].format(snippet=False) if errors else "invalid script"
        super().__init__(first)
        self.diagnostics = list(diagnostics)


class EngineError(VoiceguideError):
    """The text-to-speech engine is missing, hung, or produced unusable audio.

    ``text``: the text it failed on, when the failure is that text's (so the
    script's step that holds it can be named).
    """

    def __init__(self, message: str, hint: str | None = None, *, text: str | None = None) -> None:
        super().__init__(message, hint)
        self.text = text


class AudioDeviceError(VoiceguideError):
    """No usable audio output device, or the device failed while playing."""


class OutputError(VoiceguideError):
    """An output file could not be written."""


class UsageError(VoiceguideError):
    """A command-line option or session name is wrong (exit status 2)."""

    exit_status = 2
