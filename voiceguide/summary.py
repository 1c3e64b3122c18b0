"""Floods of diagnostics summarised: the first 20 of a kind, then one line saying how many more.

One breathing step can drop tens of thousands of cues, each a warning; a
generated script can hold as many errors.  Printing them all buries the first
ones (and can fill megabytes of stderr), so after the first ``MAX_OF_A_KIND``
of a kind one line says how many more there are ("… and 59,868 more like
this"), right after the last one shown.  Two diagnostics are of a kind when
their severity and message are the same but for quoted text, numbers and times.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator

from voiceguide.errors import Diagnostic

__all__ = ["MAX_OF_A_KIND", "kind", "summarised"]

MAX_OF_A_KIND = 20
"""How many diagnostics of one kind are shown before the rest are counted."""

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”")
_NUMBER = re.compile(r"[0-9][0-9.,:]*")


def kind(diagnostic: Diagnostic) -> tuple[str, str]:
    """What makes diagnostics alike: the severity and the message without its quoted text and numbers."""
    message = _NUMBER.sub("#", _QUOTED.sub("…", diagnostic.message))
    return diagnostic.severity, message


def summarised(diagnostics: Iterable[Diagnostic], first: int = MAX_OF_A_KIND) -> Iterator[Diagnostic | str]:
    """The diagnostics in order, only the first ``first`` of each kind, the last shown followed by a count line."""
    items = list(diagnostics)
    kinds = [kind(diagnostic) for diagnostic in items]
    totals = Counter(kinds)
    shown: Counter[tuple[str, str]] = Counter()
    for diagnostic, its_kind in zip(items, kinds, strict=True):
        shown[its_kind] += 1
        seen = shown[its_kind]
        if seen <= first:
            yield diagnostic
        if seen == first and totals[its_kind] > first:
            yield f"… and {totals[its_kind] - first:,} more like this"
