"""What a command asks of the play stage: the session, how it should sound, and where it goes.

Plain frozen dataclasses with no heavy imports: the command line builds them
from its arguments (``voiceguide/cli/options.py``) and hands them to
``prepare``, ``render`` and ``session``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from voiceguide.audio import DEFAULT_LOUDNESS_LUFS
from voiceguide.speech import DEFAULT_ENGINE


@dataclass(frozen=True)
class SoundOptions:
    """Options that change the sound or timing, shared by play, render and plan."""

    voice: str | None = None
    rate: int | None = None
    volume: float | None = None
    pace: Fraction = Fraction(1)
    cautions: bool = True
    engine: str = DEFAULT_ENGINE
    background: str | None = None
    """``--background SOUND`` (a built-in sound or a file), else the settings' sound, else None: the script's."""
    no_background: bool = False
    """``--no-background`` (or ``background = false`` in the settings)."""
    mono: bool = False


@dataclass(frozen=True)
class SessionOptions:
    """A session to lay out: the script as named on the command line, and how it should sound."""

    script: str
    sound: SoundOptions = SoundOptions()
    text: str | None = None
    """The script's text for a session with no file (``breathe``, ``press``); ``script`` then names it."""


@dataclass(frozen=True)
class RenderOptions:
    """``render``: the session, the audio file, and the optional captions and chapters files."""

    session: SessionOptions
    output: str
    captions: str | None = None
    chapters: str | None = None
    loudness: float = DEFAULT_LOUDNESS_LUFS
    plain: bool = False


@dataclass(frozen=True)
class PlayOptions:
    """``play``: the session, where to start, the device, and how to show progress."""

    session: SessionOptions
    from_step: str | None = None
    from_section: str | None = None
    device: str | None = None
    plain: bool = False
    verbose: bool = False
    traceback: bool = False
    ask_pain: bool = False
    log: bool = True
    listen: bool = False
    mic: str | None = None
    resume: bool = False
    """Continue the last logged session from the step where it stopped (``script`` is then filled in)."""
    note: str | None = None
    """Kept with the session's record in the log."""
