"""Spoken commands into key commands: what "pause", "time left" or "stop" asks the player to do.

The listener's thread ``put``s each recognised action; the live loop ``take``s
them on its own thread.  "pause" only pauses and "continue" only resumes: said
when they change nothing, they are answered ("Already paused.") and change
nothing; "stop" needs a second "stop" within ``STOP_CONFIRM_SECONDS``.  Each
command is answered aloud exactly as its key is.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable

from voiceguide.phrases import DEFAULT_LANGUAGE, Phrasebook, primary_language
from voiceguide.play.command_words import SUGGESTED
from voiceguide.play.keymap import Command

STOP_CONFIRM_SECONDS = 10.0
"""A second "stop" within this time ends the session; later, it asks again."""

ACTION_COMMANDS: dict[str, Command] = {
    "next": Command.NEXT, "back": Command.RESTART, "repeat": Command.RESTART, "time left": Command.STATUS,
    "louder": Command.VOLUME_UP, "softer": Command.VOLUME_DOWN, "help": Command.VOICE_HELP,
    "pause": Command.PAUSE_ONLY, "continue": Command.CONTINUE,
}
"""Actions that map to one command whatever the state (as their keys do)."""


class VoiceCommands:
    """Actions heard on the listener's thread, turned into commands on the live loop's."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._actions: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._clock = clock
        self._stop_asked_at: float | None = None

    def put(self, action: str) -> None:
        """Queue an action (``listen.VOICE_COMMANDS`` values); called from any thread."""
        self._actions.put(action)

    def take(self, paused: bool) -> Command | None:
        """The next queued action as a command; None when none.

        ``paused`` (the player's state) is not needed any more: the player answers "pause" while
        paused itself.
        """
        while True:
            try:
                action = self._actions.get_nowait()
            except queue.Empty:
                return None
            command = self._command(action)
            if command is not None:
                return command

    def _command(self, action: str) -> Command | None:
        if action == "stop":
            now = self._clock()
            asked = self._stop_asked_at
            if asked is not None and now - asked <= STOP_CONFIRM_SECONDS:
                self._stop_asked_at = None
                return Command.QUIT
            self._stop_asked_at = now
            return Command.STOP_ASK
        return ACTION_COMMANDS.get(action)


SPOKEN_COMMANDS = SUGGESTED
"""The command words ``help`` lists (the recognizer's model understands English only)."""


def voice_help(phrases: Phrasebook) -> str:
    """What "help" says: the command words, and that they are English when the session's language is not."""
    commands = ", ".join(SPOKEN_COMMANDS)
    english = primary_language(phrases.language) == DEFAULT_LANGUAGE
    return phrases.say("voice_help" if english else "voice_help_english", commands=commands)
