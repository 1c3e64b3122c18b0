"""Key commands: how each command speaks and edits the transport's future.

Every answer starts at once.  Space pauses ("Paused.") and on resume says where
you are ("Resuming. Left side, GB30, 12 seconds left.") before saying again,
from its start, the sentence the pause cut; ``n`` says "Next step." and jumps
to the next step's start (on the left side of a press on both sides: "Right
side." and its right side); ``p`` says "Restarting this step." (pressed again
within two seconds: "Previous step."; on a press's right side "Restarting the
right side." / "Back to the left side."); ``s`` speaks the status, ``+``/``-``
the new volume and ``h`` the keys, cutting the sentence sounding, which is then
said again from its start, the session waiting meanwhile (a hold keeps its
remaining time); ``q`` says "Stopping." and ends.
"""

from __future__ import annotations

from collections.abc import Callable

from voiceguide.base import Audio
from voiceguide.phrases import Phrasebook, load_phrasebook
from voiceguide.play.keymap import VOLUME_MIN_PERCENT, VOLUME_STEP_PERCENT, Command
from voiceguide.play.status import (
    Status,
    nav_stops,
    resume_text,
    speech_start,
    status_at,
    status_text,
    stop_index,
)
from voiceguide.play.transport import Transport
from voiceguide.play.voice import voice_help

RESTART_AGAIN_SECONDS = 2.0
"""A second ``p`` within this time goes to the previous step instead of restarting this one."""

Speak = Callable[[str], Audio]
"""Synthesizes feedback text: a trimmed clip at the session's sample rate (``SpeechBank.clip``)."""

Change = Callable[[], bool]
"""A state change made once the queue is rewound; True when its feedback waits for the sentence sounding."""


def fixed_feedback(phrases: Phrasebook | None = None) -> tuple[str, ...]:
    """Feedback sentences that do not depend on the position: worth synthesizing ahead."""
    book = phrases if phrases is not None else load_phrasebook()
    keys = ("paused", "next_step", "restart_step", "previous_step", "stopping", "last_step", "right_side",
            "restart_right_side", "back_to_left_side", "keys_help")
    volumes = range(VOLUME_MIN_PERCENT, 101, VOLUME_STEP_PERCENT)
    return (*(book.say(key) for key in keys), *(book.say("volume", n=percent) for percent in volumes))


class CommandHandler:
    """Turns each command into spoken feedback (in the phrasebook's words) and an exact edit of the future."""

    def __init__(self, transport: Transport, speak: Speak, phrases: Phrasebook | None = None) -> None:
        self._transport = transport
        self._speak = speak
        self._phrases = phrases if phrases is not None else load_phrasebook()
        self._last_restart: tuple[int, int] | None = None
        """(output frame, step index) of the last ``p``: a second one soon after goes a step back."""

    def handle(self, command: Command, out_frame: int) -> None:
        """Apply ``command``, pressed with the sink at ``out_frame``: the unplayed queue is rewritten."""
        transport = self._transport
        if transport.stopping:
            return
        transport.refresh(latest=True)
        # Synthesize the feedback before discarding the queue: the queued audio keeps the
        # device fed meanwhile.  Discarding first would starve it (an underrun: silence the
        # position cannot see, shifting every later cue).
        text, change = self._decide(command, transport.heard_frame(), out_frame)
        clip = self._speak(text)
        transport.rewind()
        if change():
            # Answer at once, cutting the sentence sounding, then say that sentence again
            # from its start (the session waits meanwhile, so a hold keeps its time).
            self._back_to_sentence_start()
        transport.say(clip, text, after_sentence=False)
        transport.pump()

    def _back_to_sentence_start(self) -> None:
        transport = self._transport
        start = speech_start(transport.snapshot, transport.cursor_frame)
        if start is not None:
            transport.jump(start)

    def _decide(self, command: Command, frame: int, out_frame: int) -> tuple[str, Change]:
        """The feedback to speak, and the change to make once the queue is rewound."""
        if command is Command.PAUSE:
            return self._decide_pause(frame)
        if command is Command.NEXT:
            return self._decide_next(frame)
        if command is Command.RESTART:
            return self._decide_restart(frame, out_frame)
        if command is Command.STATUS:
            return status_text(self._status_at(frame), self._phrases), lambda: True
        if command is Command.HELP:
            return self._phrases.say("keys_help"), lambda: True
        if command is Command.VOICE_HELP:
            return voice_help(self._phrases), lambda: True
        if command is Command.STOP_ASK:
            return self._phrases.say("voice_stop_confirm", stop="stop"), lambda: True
        if command in (Command.VOLUME_UP, Command.VOLUME_DOWN):
            return self._decide_volume(command)
        return self._phrases.say("stopping"), self._stop

    def _status_at(self, frame: int) -> Status:
        return status_at(self._transport.snapshot, frame, self._transport.play_state())

    def _decide_pause(self, frame: int) -> tuple[str, Change]:
        transport = self._transport
        paused = not transport.paused

        def change() -> bool:
            transport.paused = paused
            return not paused  # resuming says the sentence the pause cut again, from its start
        return (self._phrases.say("paused") if paused else resume_text(self._status_at(frame), self._phrases)), change

    def _decide_volume(self, command: Command) -> tuple[str, Change]:
        transport = self._transport
        step = VOLUME_STEP_PERCENT if command is Command.VOLUME_UP else -VOLUME_STEP_PERCENT
        # The floor stops '-' going lower; it never makes a quieter --volume louder.
        floor = min(VOLUME_MIN_PERCENT, transport.volume_percent)
        percent = max(floor, min(100, transport.volume_percent + step))

        def change() -> bool:
            transport.volume = percent / 100
            return True
        return self._phrases.say("volume", n=percent), change

    def _stop(self) -> bool:
        self._transport.stopping = True
        self._transport.paused = False
        return False

    def _decide_next(self, frame: int) -> tuple[str, Change]:
        transport = self._transport
        stops = nav_stops(transport.snapshot)
        index = stop_index(stops, frame)
        target = stops[index].end if index is not None else frame
        if transport.snapshot.complete and target >= transport.snapshot.ready_until:
            return self._phrases.say("last_step"), lambda: True
        to_right = index is not None and stops[index].side == "left"

        def change() -> bool:
            transport.jump(target)
            transport.paused = False
            return False
        return self._phrases.say("right_side" if to_right else "next_step"), change

    def _decide_restart(self, frame: int, out_frame: int) -> tuple[str, Change]:
        transport = self._transport
        stops = nav_stops(transport.snapshot)
        index = stop_index(stops, frame)
        if index is None:
            index = max(0, len(stops) - 1)
        last = self._last_restart
        # "Again" only while still in the step the last press went to (not after a skip),
        # and only when there is a step before it.
        again = (last is not None and out_frame - last[0] < RESTART_AGAIN_SECONDS * transport.sample_rate
                 and last[1] == index and index > 0)
        target = max(0, last[1] - 1) if again and last is not None else index

        def change() -> bool:
            self._last_restart = (out_frame, target)
            transport.paused = False
            if stops:
                transport.jump(stops[target].start)
            return False
        side = stops[target].side if stops else None
        if again:
            back = side == "left" and stops[index].side == "right"
            text = self._phrases.say("back_to_left_side" if back else "previous_step")
        else:
            text = self._phrases.say("restart_right_side" if side == "right" else "restart_step")
        return text, change
