"""What voice commands listen with, checked before any sound, and ``listen-test``'s listening."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping

from voiceguide.base import SAMPLE_RATE
from voiceguide.play.echo_canceller import PlayedSound
from voiceguide.play.listen import Heard, Listener, SoundGate, check_microphone, listening_vad
from voiceguide.play.recognizer import WhisperRecognizer

__all__ = ["CANCEL_ECHO_VARIABLE", "Hearing", "cancels_echo", "listen_for"]

CANCEL_ECHO_VARIABLE = "VOICEGUIDE_CANCEL_ECHO"
"""Set to 0 to leave the player's own sound (its bed) in the microphone; it is taken out otherwise.

Over a bed it brings recognition to within 2 points of a quiet room, 6 points over the bed as heard
(bench_listen --only-beds); live, after 40 s of television over `waves`, a command said once was heard in 30
runs of 32 with it and 32 of 32 without (docs/voice-commands.md: a delay that jumps or drifts off is followed,
the microphone passed as it is meanwhile, and the listener takes its floor again)."""


def cancels_echo(environment: Mapping[str, str] | None = None) -> bool:
    """Whether the player's own sound is taken out of the microphone: unless ``CANCEL_ECHO_VARIABLE`` is 0."""
    return (os.environ if environment is None else environment).get(CANCEL_ECHO_VARIABLE) != "0"


class Hearing:
    """What ``play --listen`` listens with: recognizer, voice detector, the gate for our own sound, the mic."""

    def __init__(self, mic: str | None) -> None:
        # What to install is said before what to connect.
        self.recognizer = WhisperRecognizer()
        self.vad = listening_vad()
        check_microphone(mic)
        self.gate = SoundGate()
        self.played = PlayedSound(SAMPLE_RATE) if cancels_echo() else None
        """What the output gives the device, for the listener to take out of the microphone (None: it is not)."""
        self.mic = mic

    def listener(self, on_heard: Callable[[Heard], None],
                 on_level: Callable[[float], None] | None = None) -> Listener:
        """Start listening: ``on_heard`` gets each utterance, ``on_level`` the microphone's level in dBFS."""
        return Listener(self.recognizer, self.vad, self.gate, on_heard, device=self.mic, on_level=on_level,
                        played=self.played)


def listen_for(hearing: Hearing, seconds: float | None, on_heard: Callable[[Heard], None],
               on_level: Callable[[float], None]) -> None:
    """Listen for ``seconds`` (None: until Ctrl-C), reporting what is heard and the level."""
    listener = hearing.listener(on_heard, on_level)
    deadline = time.monotonic() + (seconds if seconds is not None else math.inf)
    try:
        while time.monotonic() < deadline:
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
