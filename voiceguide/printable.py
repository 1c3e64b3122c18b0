"""Text from a script made safe to show: control characters are escaped visibly, never obeyed.

A script's text reaches terminals and files that are read on terminals: the
lines of ``check`` and ``plan``, the screen of ``play``, error messages and
their source lines, captions and cue sheets.  An escape sequence in it could
clear the screen, retitle the window or forge a line of output, so every such
place passes the text through ``printable`` (the one function for this):
ESC, BEL, CR, the other C0 and C1 controls, DEL, and the bidirectional
overrides that reorder what is shown are written as ``\\x1b``-style escapes.
Tab and line feed are kept, unless the text must fit on one line.
"""

from __future__ import annotations

import re

__all__ = ["printable"]

# C0 controls but tab and line feed, DEL, C1 controls (0x9b is a CSI on some
# terminals), line and paragraph separators, and the bidirectional embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\t\n]+")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, one_line: bool = False) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``); ``one_line``: breaks become spaces."""
    if one_line:
        text = _LINE_BREAKS.sub(" ", text)
    if text.isprintable() or _UNSAFE.search(text) is None:
        return text  # the usual case: nothing to escape
    return _UNSAFE.sub(_escape, text)
