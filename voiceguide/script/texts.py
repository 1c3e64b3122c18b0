"""The rules every text value of a script follows: bounded, speakable, free of control characters.

A text (``title``, ``say``, ``where``, ``point``, cautions, cue words, section
titles, labels, the description, the voice's name) is at most 1,000
characters, holds something speakable (a letter or a digit of any script: not
only punctuation, blanks, zero-width or combining marks), and no control
character other than line feed and tab.  Longer text is better split into
steps (one ``say`` of 10,000 characters kept the engine busy for 10 s and
557 MB; 21,000 crashed it), text with nothing to speak would be silence found
only at render time, and control characters would reach terminals.
"""

from __future__ import annotations

import re
import unicodedata

from voiceguide.script.durations import short_text

__all__ = ["MAX_TEXT_CHARACTERS", "TEXT_PATTERN", "text_problem"]

MAX_TEXT_CHARACTERS = 1000
"""The longest text value, in characters (Unicode code points)."""

# Every Unicode control character (category Cc) but tab and line feed.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

TEXT_PATTERN = r"^(?=[\s\S]*\S)[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*$"
"""For the JSON Schema (Python and ECMA-262 alike): something other than blanks, and no control character.

Whether there is a letter or a digit a portable regular expression cannot
say (ECMA-262 has no Unicode classes without the ``u`` flag): ``check`` does.
"""


def text_problem(value: str, name: str) -> str | None:
    """Why ``value`` is no valid text for the field ``name``, or None when it is (blank text is the caller's)."""
    control = _CONTROL.search(value)
    if control is not None:
        return (f"{name} contains the control character U+{ord(control.group()):04X}; "
                "text may hold line breaks and tabs, but no other control characters")
    if len(value) > MAX_TEXT_CHARACTERS:
        return (f"{name} is {len(value):,} characters long; a text may be at most "
                f"{MAX_TEXT_CHARACTERS:,} characters (split it into several steps)")
    if not any(character.isalnum() for character in value):
        return f"{name} has nothing to speak: it needs a letter or a digit, got '{_visible(short_text(value))}'"
    return None


def _visible(text: str) -> str:
    """Invisible characters (zero-width, combining marks on their own) shown as ``\\u200b``."""
    return "".join(character if character.isprintable() and not unicodedata.combining(character)
                   else f"\\u{ord(character):04x}" for character in text)
