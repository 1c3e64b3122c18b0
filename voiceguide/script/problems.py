"""Reporting a problem at a YAML node, once, and the ``Bad`` signal a reader raises after reporting."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from typing import Any

from voiceguide.errors import Diagnostic
from voiceguide.script.loader import Document

Node = Any  # yaml.nodes.Node; PyYAML ships no type hints


class Bad(Exception):
    """Raised by a reader after it has reported the problem; the field is left out."""


class Reporter:
    """Collects the diagnostics of one document, each (position, message) once."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.diagnostics: list[Diagnostic] = []
        self._reported: set[tuple[int, int, str]] = set()

    def error(self, node: Node, message: str) -> None:
        """Report a problem at a node (once, however often an alias repeats it)."""
        mark = node.start_mark
        key = (mark.line, mark.column, message)
        if key not in self._reported:
            self._reported.add(key)
            self.diagnostics.append(self.document.diagnostic(node, message))

    def bad(self, node: Node, message: str) -> Bad:
        """Report, and return the exception a reader raises to leave the field out."""
        self.error(node, message)
        return Bad()


def did_you_mean(word: str, choices: Collection[str]) -> str | None:
    """The choice closest to a misspelt word, or None."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close and word.lower() in choices:
        return word.lower()
    return close[0] if close else None


def one_of(choices: Sequence[str]) -> str:
    """Choices as a list in a message."""
    return ", ".join(choices)
