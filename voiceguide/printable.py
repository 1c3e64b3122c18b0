"""Any text or name made safe to show: control characters are escaped visibly, never obeyed.

A script's text, a file's name and a log record reach terminals and files
that are read on terminals: the lines of ``check`` and ``plan``, the screen of
``play``, error messages and their source lines, ``wrote …`` lines, the log's
tables, captions and cue sheets.  An escape sequence in them could clear the
screen, retitle the window or forge a line of output, so every such place
passes the text through ``printable`` (the one function for this): ESC, BEL,
CR, the other C0 and C1 controls, DEL, and the bidirectional overrides that
reorder what is shown are written as ``\\x1b``-style escapes.  Tab and line
feed are kept, unless the text must fit on one line.

Names may also be bytes that are not UTF-8 (``os.fsdecode`` turns each such
byte into a lone surrogate, which no terminal can print): ``printable`` shows
each as the byte it stands for (``\\xff``).  ``shown_path`` does all this for a
path, and ``max_chars`` cuts a long text (a title of megabytes) with ``…``.
"""

from __future__ import annotations

import os
import re

__all__ = ["printable", "shown_path"]

# C0 controls but tab and line feed, DEL, C1 controls (0x9b is a CSI on some
# terminals), line and paragraph separators, the bidirectional embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069), and lone surrogates
# (undecodable bytes of a file name, or broken text).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"[\t\n]+")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for the byte code - 0xDC00
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, one_line: bool = False, max_chars: int | None = None) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``).

    ``one_line``: breaks become spaces; ``max_chars``: a longer text is cut, ending in ``…``.
    """
    if max_chars is not None and len(text) > max_chars:
        text = text[:max(0, max_chars - 1)] + "…"
    if text.isprintable():
        return text  # the usual case: no break, control, separator, override or surrogate
    if one_line:
        text = _LINE_BREAKS.sub(" ", text)
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


def shown_path(path: str | bytes | os.PathLike[str] | os.PathLike[bytes], *, max_chars: int | None = None) -> str:
    """A path as a person should see it on one line: undecodable bytes and controls escaped, never raw."""
    name = os.fsdecode(path)
    return printable(name, one_line=True, max_chars=max_chars)
