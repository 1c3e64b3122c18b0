"""The script format's vocabulary: the keys each mapping takes, the choices, and the nesting bound."""

from __future__ import annotations

from voiceguide.script import texts
from voiceguide.script.model import ChimeSound, Side

STEP_KINDS = ("say", "pause", "chime", "breathe", "press", "repeat", "section", "background")
"""The keys that give a mapping step its kind; each mapping step has exactly one."""

TOP_KEYS = ("voiceguide", "title", "description", "language", "phrases", "voice", "cautions", "pronounce",
            "background", "steps")
VOICE_KEYS = ("name", "rate", "volume")
STEP_KEYS: dict[str, tuple[str, ...]] = {
    # keys beside the kind key in the step's own mapping (``label`` everywhere)
    "say": ("say", "pause", "label"),
    "pause": ("pause", "label"),
    "chime": ("chime", "label"),
    "breathe": ("breathe", "label"),
    "press": ("press", "label"),
    "repeat": ("repeat", "steps", "announce", "label"),
    "section": ("section", "announce", "label"),
    "background": ("background", "label"),
}
CHIME_KEYS = ("count", "sound")
BREATHE_KEYS = ("inhale", "hold", "exhale", "rest", "cycles", "for", "count", "say", "words")
PATTERN_KEYS = ("inhale", "hold", "exhale", "rest")
BREATH_WORD_KEYS = ("inhale", "hold", "exhale", "rest", "short")
"""The keys of a breathe step's ``words``: the cue words, and ``short`` (a mapping of their short forms)."""
PRESS_KEYS = ("point", "where", "side", "hold", "prepare", "say", "cue_every", "halfway",
              "countdown", "breathe", "words", "rest", "pan")
PRESS_WORD_KEYS = ("press", "release")
NESTED_KEYS = {"chime": CHIME_KEYS, "breathe": BREATHE_KEYS, "press": PRESS_KEYS}
"""The keys of each kind's own mapping, to hint when one is written beside the kind instead of under it."""

BACKGROUND_KEYS = ("sound", "level", "duck", "fade")
BACKGROUND_SOUNDS = ("rain", "waves", "stream", "wind", "brown", "pink")
"""The built-in background sounds (``audio.sounds`` makes them; a test keeps the two in step)."""
BACKGROUND_FILE_TYPES = (".wav", ".flac", ".ogg", ".opus", ".mp3")
BACKGROUND_OFF = "off"

SIDES: tuple[Side, ...] = ("left", "right", "both", "none")
CHIME_SOUNDS: tuple[ChimeSound, ...] = ("bell", "beep", "gong")

MAX_NESTING = 64
"""Deepest nesting of ``repeat`` accepted (deeper is surely a mistake, and would exhaust the stack)."""

LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
"""A plausible BCP-47 tag: a 2-3 letter language, then subtags (``en``, ``en-GB``, ``sr-Latn-RS``, ``en-gb-x-rp``).

Match it with ``re.fullmatch``: in Python, ``$`` also matches before a final newline (``"de\\n"``).
"""
TEXT_PATTERN = texts.TEXT_PATTERN
"""Text fields must hold something other than blanks, and no control characters (``texts``)."""
