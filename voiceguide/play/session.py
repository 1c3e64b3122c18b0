"""The live session loop: keys in, blocks out, the screen kept up to date, until the session ends or is quit."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from voiceguide.play.keymap import KEY_COMMANDS, Command
from voiceguide.play.player import Player
from voiceguide.play.ui import LiveDisplay
from voiceguide.play.voice import VoiceCommands

KEY_WAIT_SECONDS = 0.02
"""How long each turn of the loop waits for a key: short against the ~0.5 s the stream holds."""


class KeySource(Protocol):
    """Where keys come from (``keys.KeyReader``)."""

    def read(self, timeout: float) -> str | None:
        """The next key's name, or None when none came within ``timeout`` seconds."""
        ...


class Prefetcher(Protocol):
    """What ``prefetch_in_order`` needs of a speech bank (``speech.clips.SpeechBank``)."""

    def prefetch(self, texts: Sequence[str]) -> None:
        """Make sure every text has a clip."""
        ...


def run_live(player: Player, keys: KeySource, display: LiveDisplay, voice: VoiceCommands | None = None) -> None:
    """Play until the player is done: each key's (and spoken) command, then blocks, then the screen."""
    while not player.done:
        key = keys.read(KEY_WAIT_SECONDS)
        # A key that means nothing gets the spoken list of keys.
        command = KEY_COMMANDS.get(key, Command.HELP) if key is not None else None
        if command is not None:
            player.handle(command)
        spoken = voice.take(player.paused) if voice is not None else None
        if spoken is not None:
            player.handle(spoken)
        player.pump()
        display.update(player.poll(), player.status)
    display.last(player.status)


FIRST_SESSION_TEXTS = 2
"""Session texts synthesized before the key answers: what plays while the rest is made."""


def prefetch_order(session_texts: Sequence[str], answers: Sequence[str]) -> list[str]:
    """The order to synthesize in: the session's first texts, then the key answers, then the rest.

    The answers come early so that a key pressed in the first seconds is answered at once,
    not after the engine has made every sentence of the session.
    """
    first = list(session_texts[:FIRST_SESSION_TEXTS])
    return [*first, *(text for text in answers if text not in first), *session_texts[FIRST_SESSION_TEXTS:]]


def prefetch_in_order(bank: Prefetcher, texts: Sequence[str], stop: threading.Event) -> None:
    """Synthesize ``texts`` in order of first use, in growing batches (runs on a thread), until ``stop`` is set.

    The first batches are small so the first cues are ready at once; later ones
    are large, which is faster per text.  A failure is left for the compiler
    thread to meet and report when it needs that text.
    """
    size = 1
    done = 0
    try:
        while done < len(texts) and not stop.is_set():
            bank.prefetch(texts[done:done + size])
            done += size
            size = min(size * 2, 8)
    except Exception:  # noqa: BLE001 - reported by the compiler thread, which needs the same clip
        return
