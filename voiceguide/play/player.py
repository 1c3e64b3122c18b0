"""The live player: a transport into the live stream, with key commands and a status to show.

The caller loops: ``handle`` each key's command, ``pump`` to keep the output
fed, ``poll`` for what started sounding, until ``done``.  The audio comes from
``transport.Transport`` (the same block loop that renders files); the keys
from ``commands.CommandHandler``; where the listener is from ``status``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from voiceguide.base import SAMPLE_RATE
from voiceguide.phrases import Phrasebook
from voiceguide.play.commands import CommandHandler, Speak
from voiceguide.play.frame_map import ADVANCING, SPOKEN, Notice
from voiceguide.play.keymap import Command
from voiceguide.play.program import Program
from voiceguide.play.program_view import MakeRenderer
from voiceguide.play.status import Status, status_at
from voiceguide.play.transport import Transport

if TYPE_CHECKING:  # (sinks loads the file libraries: a live session needs only the protocol)
    from voiceguide.audio.sinks import Sink


class Player:
    """Plays a ``Program`` into a ``Sink`` (the live stream) and applies key commands; single-threaded."""

    def __init__(self, program: Program, make_renderer: MakeRenderer, output: Sink, speak: Speak, *,
                 start_frame: int = 0, volume: float = 1.0, sample_rate: int = SAMPLE_RATE,
                 phrases: Phrasebook | None = None) -> None:
        self._output = output
        self.start_frame = start_frame
        """Where playing began (``--from``): the part of the session planned is from here to the end."""
        self.transport = Transport(program, make_renderer, output, start_frame=start_frame, volume=volume,
                                   sample_rate=sample_rate)
        self._commands = CommandHandler(self.transport, speak, phrases)  # answers in the script's language

    @property
    def paused(self) -> bool:
        """True while paused."""
        return self.transport.paused

    @property
    def volume_percent(self) -> int:
        """The current volume, 0-100."""
        return self.transport.volume_percent

    @property
    def wait_frames(self) -> int:
        """Frames of silence written because speech for the next step was not ready yet."""
        return self.transport.wait_frames

    @property
    def done(self) -> bool:
        """True once everything to be played has been written and consumed."""
        return self.transport.done

    def position(self) -> int:
        """The session frame the output has reached."""
        return self.transport.heard_frame()

    def handle(self, command: Command) -> None:
        """Apply a command now: the unplayed queue is discarded and rewritten."""
        self._commands.handle(command, self._output.position)

    def pump(self) -> None:
        """Write blocks until the output's queue is full (or everything is written)."""
        self.transport.pump()

    def poll(self) -> list[Notice]:
        """Cues and feedback that started sounding since the last call, in order."""
        return self.transport.poll()

    def status(self) -> Status:
        """Where the listener is now; ``speaking`` is what sounds: a cue, feedback, or None in silence."""
        self.transport.refresh()
        status = self.status_at(self.transport.heard_frame())
        kind, feedback_text = self.transport.sounding()
        if kind in SPOKEN:
            return dataclasses.replace(status, speaking=feedback_text)
        if kind not in ADVANCING:
            return dataclasses.replace(status, speaking=None)  # silence: paused, waiting, or after the end
        return status

    def status_at(self, frame: int) -> Status:
        """The status at session ``frame``."""
        return status_at(self.transport.snapshot, frame, self.transport.play_state())
