"""The keys: what each one means, and the one table of key help that every listing follows.

Light on purpose (no numpy, no audio): the command line (``cli/definition.py``) builds ``play --help``
from it at start-up.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

VOLUME_STEP_PERCENT = 10
VOLUME_MIN_PERCENT = 10
"""Volume never goes below this: the feedback saying it must stay audible."""


class Command(enum.Enum):
    """What a key asks the player to do."""

    PAUSE = "pause"  # pause, or resume when paused
    PAUSE_ONLY = "pause only"  # "pause" said aloud: pauses; while paused, only answers "Already paused."
    CONTINUE = "continue"  # "continue" said aloud: resumes; while playing, only answers "Already playing."
    NEXT = "next"
    RESTART = "restart"  # again within RESTART_AGAIN_SECONDS: previous step
    STATUS = "status"
    VOLUME_UP = "volume up"
    VOLUME_DOWN = "volume down"
    HELP = "help"
    QUIT = "quit"
    VOICE_HELP = "voice help"  # "help" said aloud: the spoken commands
    STOP_ASK = "stop?"  # the first "stop" said aloud: asks for a second


KEY_COMMANDS: dict[str, Command] = {
    "space": Command.PAUSE,
    "n": Command.NEXT, "N": Command.NEXT, "right": Command.NEXT,
    "p": Command.RESTART, "P": Command.RESTART, "left": Command.RESTART,
    "s": Command.STATUS, "S": Command.STATUS,
    "+": Command.VOLUME_UP, "=": Command.VOLUME_UP, "up": Command.VOLUME_UP,
    "-": Command.VOLUME_DOWN, "_": Command.VOLUME_DOWN, "down": Command.VOLUME_DOWN,
    "q": Command.QUIT, "Q": Command.QUIT, "escape": Command.QUIT,
    "h": Command.HELP, "H": Command.HELP, "?": Command.HELP,
}
"""Key names as ``keys.KeyReader`` reports them, mapped to commands."""


@dataclass(frozen=True)
class KeyHelp:
    """One row of key help, in the two forms it is shown: in ``--help`` and the README, and in one line.

    The spoken list of keys is the phrasebook's ``keys_help``, in the script's language.
    """

    keys: str
    meaning: str
    short: str
    """For the one-line reminder above the status line; empty: not there."""


KEY_HELP = (
    # In the order a person needs them: pause, status, next, back, louder, softer, quit.
    KeyHelp("space", "pause / resume (resuming says where you are; a hold resumes with the time it had left)",
            "space pause"),
    KeyHelp("s", "say the status: step, point, side, time left in the step and in the session "
                 "(in a hold: its side and time left; again for all)",
            "s status"),
    KeyHelp("n, right arrow", "next step (on the left side of a press on both sides: the right side)",
            "n next"),
    KeyHelp("p, left arrow", "back: restart the current step or side; press again for the one before",
            "p back"),
    KeyHelp("+ / -", "louder / softer", "+/- volume"),
    KeyHelp("q, Escape", "quit", "q quit"),
    KeyHelp("h, ?", "say which keys do what (so does any other key)", "h keys"),
)
"""The keys, the one table that ``--help``, the screen and the README follow (the spoken help keeps its order)."""

KEYS_REMINDER = " · ".join(row.short for row in KEY_HELP if row.short)
"""The one-line reminder of the keys, shown above the status line."""


def keys_table(indent: int = 2) -> str:
    """The keys as aligned lines of text, for ``--help``."""
    width = max(len(row.keys) for row in KEY_HELP) + 3
    return "\n".join(f"{' ' * indent}{row.keys:<{width}}{row.meaning}" for row in KEY_HELP)
