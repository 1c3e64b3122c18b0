"""The English words a listener may say (``play --listen``), and how a transcript is matched to one."""

from __future__ import annotations

import re
from collections.abc import Iterable

VOICE_COMMANDS: dict[str, str] = {
    "pause": "pause", "continue": "continue", "resume": "continue", "next": "next", "skip": "next",
    "back": "back", "go back": "back", "repeat": "repeat", "time left": "time left", "how long": "time left",
    "louder": "louder", "volume up": "louder", "softer": "softer", "quieter": "softer", "volume down": "softer",
    "help": "help", "stop": "stop",
}
"""What a listener may say (English), and the action each asks for (the recognizer is prompted with these).

The alternatives ("volume down" beside "softer", "go back" beside "back", ...) were chosen by the words
Whisper tiny hears right from seven generated voices (espeak-ng variants at 140-190 words a minute, hibari
at three speeds): "softer", "back" and "resume" are misheard for some voices, the alternatives for none.
``bench_listen`` judges them with eleven other voices."""

SUGGESTED = ("pause", "continue", "next", "go back", "repeat", "time left", "volume up", "volume down", "help",
             "stop")
"""The words ``help`` and ``listen-test`` suggest: one for each action, those heard best."""

HEARD_AS: dict[str, str] = {"software": "softer", "review": "continue"}
"""What Whisper tiny writes for "softer" and "resume" said by some voices (measured as above)."""

ALL_PHRASES = VOICE_COMMANDS | HEARD_AS

_NOT_WORD = re.compile(r"[^\w' ]+")


def normal_phrase(text: str) -> str:
    """A transcript as a phrase to compare: lower case, no punctuation, single spaces."""
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


def said_once(phrase: str, commands: Iterable[str] = ()) -> str:
    """A command said over and over as said once; any other phrase as it is.

    Whisper tiny sometimes writes one command as a list ("louder, louder", "volume down, volume down,
    volume"): a phrase that starts with a command and holds none of its other words is that command.
    """
    words = phrase.split()
    for command in sorted(commands, key=len, reverse=True):
        own = command.split()
        if words[:len(own)] == own and set(words) <= set(own):
            return command
    return phrase


def match_command(transcript: str, commands: dict[str, str] = ALL_PHRASES) -> str | None:
    """The action of a transcript that is exactly one command phrase (perhaps repeated), else None."""
    return commands.get(said_once(normal_phrase(transcript), commands))
