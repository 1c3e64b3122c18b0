"""Key commands: how each command speaks and edits the transport's future.

Every command is answered, also one that changes nothing ("Already paused.",
"Already at full volume.", "This is the last step.").  Space pauses
("Paused.") and on resume says where you are and what is left or next
("Resuming. Neck point, left side, 12 seconds left.") before saying again,
from its start, the sentence the pause cut; ``n`` says "Next step." and jumps
to the next step's start (on the left side of a press on both sides: "On to
the other side.", and the announcement there names the side); ``p`` says
"Restarting this step." (pressed again within two seconds: "Previous step.";
on a press's right side "Restarting this side." / "Back to the first side.");
``q`` says "Stopping." and ends.

An answer that changes nothing in the session (``s``, ``+``/``-``, ``h``, an
"already" answer) cuts the sentence sounding, which is then said again from
its start, the session waiting meanwhile; during a hold it waits instead for
the sentence to end and is said over the hold, whose clock keeps running
(``Transport.say(keep_time_until=)``): the person is pressing while listening.
``s`` during a hold says only the side and the hold's time left; pressed again
within ``STATUS_AGAIN_SECONDS``, the full status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from voiceguide.base import Audio
from voiceguide.phrases import Phrasebook, load_phrasebook
from voiceguide.play.keymap import VOLUME_MIN_PERCENT, VOLUME_STEP_PERCENT, Command
from voiceguide.play.status import (
    Status,
    hold_status_text,
    nav_stops,
    resume_text,
    speech_at,
    speech_end,
    speech_start,
    status_at,
    status_text,
    stop_index,
)
from voiceguide.play.transport import Transport
from voiceguide.play.voice import voice_help

RESTART_AGAIN_SECONDS = 2.0
"""A second ``p`` within this time goes to the previous step instead of restarting this one."""

HOLD_WAIT_SECONDS = 1.5
"""An answer in a hold waits for the sentence sounding to end if it ends within this time; else it cuts it."""

STATUS_AGAIN_SECONDS = 6.0
"""A second ``s`` during a hold within this time (from the first) says the full status."""

Speak = Callable[[str], Audio]
"""Synthesizes feedback text: a trimmed clip at the session's sample rate (``SpeechBank.clip``)."""

Then = Literal["again", "on", "aside"]
"""What follows an answer: ``again``: the sentence it cut, from its start; ``on``: the session from the
cursor the change set; ``aside``: the answer changed nothing in the session (during a hold: said over it)."""

Change = Callable[[], Then]
"""A state change made once the queue is rewound; returns what follows the answer."""


def fixed_feedback(phrases: Phrasebook | None = None) -> tuple[str, ...]:
    """Feedback sentences that do not depend on the position: worth synthesizing ahead."""
    book = phrases if phrases is not None else load_phrasebook()
    keys = ("paused", "next_step", "restart_step", "previous_step", "stopping", "last_step", "first_step",
            "next_side", "restart_right_side", "back_to_left_side", "keys_help", "already_paused",
            "already_playing", "volume_full", "volume_lowest", "resuming_short")
    volumes = range(VOLUME_MIN_PERCENT, 101, VOLUME_STEP_PERCENT)
    return (*(book.say(key) for key in keys), *(book.say("volume", n=percent) for percent in volumes))


def _aside() -> Then:
    return "aside"


class CommandHandler:
    """Turns each command into spoken feedback (in the phrasebook's words) and an exact edit of the future."""

    def __init__(self, transport: Transport, speak: Speak, phrases: Phrasebook | None = None) -> None:
        self._transport = transport
        self._speak = speak
        self._phrases = phrases if phrases is not None else load_phrasebook()
        self._last_restart: tuple[int, int] | None = None
        """(output frame, step index) of the last ``p``: a second one soon after goes a step back."""
        self._last_hold_status: int | None = None
        """The output frame of the last short status in a hold: a second ``s`` soon after says it all."""

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
        then = change()
        release = self._release_ahead() if then == "aside" and not transport.paused else None
        if release is not None:
            # During a hold: after the sentence sounding (cut, when it would keep the answer waiting
            # long: the time it is said again is given back too), over the hold, its clock running.
            cursor = transport.cursor_frame
            start = speech_start(transport.snapshot, cursor)
            cut = start is not None and self._answer_start(cursor) == cursor
            if cut and start is not None:
                transport.owe(cursor - start)
                transport.jump(start)
            transport.say(clip, text, after_sentence=not cut, keep_time_until=release)
        else:
            if then != "on":
                # Answer at once, cutting the sentence sounding, then say that sentence again
                # from its start (the session waits meanwhile).
                self._back_to_sentence_start()
            transport.say(clip, text, after_sentence=False)
        transport.pump()

    def _answer_start(self, frame: int) -> int:
        """Where an answer in a hold starts: at the end of the sentence sounding at ``frame``, unless that is
        more than ``HOLD_WAIT_SECONDS`` away (then at ``frame``, cutting it)."""
        end = speech_end(self._transport.snapshot, frame)
        if end is None or end - frame > HOLD_WAIT_SECONDS * self._transport.sample_rate:
            return frame
        return end

    def _release_ahead(self) -> int | None:
        """The session frame of the release of the hold the cursor is in, if it is in one."""
        transport = self._transport
        status = status_at(transport.snapshot, transport.cursor_frame, transport.play_state())
        return None if status.hold_left is None else transport.cursor_frame + status.hold_left

    def _back_to_sentence_start(self) -> None:
        transport = self._transport
        start = speech_start(transport.snapshot, transport.cursor_frame)
        if start is not None:
            transport.jump(start)

    def _decide(self, command: Command, frame: int, out_frame: int) -> tuple[str, Change]:
        """The feedback to speak, and the change to make once the queue is rewound."""
        book = self._phrases
        paused = self._transport.paused
        if command is Command.PAUSE or (command is Command.PAUSE_ONLY and not paused) or (
                command is Command.CONTINUE and paused):
            return self._decide_pause(frame)
        if command is Command.PAUSE_ONLY:
            return book.say("already_paused"), _aside
        if command is Command.CONTINUE:
            return book.say("already_playing"), _aside
        if command is Command.NEXT:
            return self._decide_next(frame)
        if command is Command.RESTART:
            return self._decide_restart(frame, out_frame)
        if command is Command.STATUS:
            return self._decide_status(frame, out_frame), _aside
        if command is Command.HELP:
            return book.say("keys_help"), _aside
        if command is Command.VOICE_HELP:
            return voice_help(book), _aside
        if command is Command.STOP_ASK:
            return book.say("voice_stop_confirm", stop="stop"), _aside
        if command in (Command.VOLUME_UP, Command.VOLUME_DOWN):
            return self._decide_volume(command)
        return book.say("stopping"), self._stop

    def _decide_status(self, frame: int, out_frame: int) -> str:
        """During a hold, the side and the hold's time left; asked again soon, or elsewhere, the full status."""
        status = self._status_at(frame)
        if status.hold_left is not None and not status.paused:
            status = self._status_at(self._answer_start(frame))  # the time left when it is said
        last = self._last_hold_status
        again = last is not None and out_frame - last < STATUS_AGAIN_SECONDS * self._transport.sample_rate
        if status.hold_left is None or status.paused or again:
            self._last_hold_status = None
            return status_text(status, self._phrases)
        self._last_hold_status = out_frame
        return hold_status_text(status, self._phrases)

    def _status_at(self, frame: int) -> Status:
        return status_at(self._transport.snapshot, frame, self._transport.play_state())

    def _decide_pause(self, frame: int) -> tuple[str, Change]:
        transport = self._transport
        paused = not transport.paused

        def change() -> Then:
            transport.paused = paused
            return "on" if paused else "again"  # resuming says the sentence the pause cut again, from its start
        if paused:
            return self._phrases.say("paused"), change
        cut = speech_at(transport.snapshot, frame)
        if cut is not None and cut.cue == "announce" and cut.side is not None:
            # The announcement said again names the side and the point: the answer does not.
            return self._phrases.say("resuming_short"), change
        return resume_text(self._status_at(frame), self._phrases), change

    def _decide_volume(self, command: Command) -> tuple[str, Change]:
        transport = self._transport
        step = VOLUME_STEP_PERCENT if command is Command.VOLUME_UP else -VOLUME_STEP_PERCENT
        # The floor stops '-' going lower; it never makes a quieter --volume louder.
        floor = min(VOLUME_MIN_PERCENT, transport.volume_percent)
        percent = max(floor, min(100, transport.volume_percent + step))
        if percent == transport.volume_percent:
            return self._phrases.say("volume_full" if step > 0 else "volume_lowest"), _aside

        def change() -> Then:
            transport.volume = percent / 100
            return "aside"
        return self._phrases.say("volume", n=percent), change

    def _stop(self) -> Then:
        self._transport.stopping = True
        self._transport.paused = False
        return "on"

    def _decide_next(self, frame: int) -> tuple[str, Change]:
        transport = self._transport
        stops = nav_stops(transport.snapshot)
        index = stop_index(stops, frame)
        target = stops[index].end if index is not None else frame
        if transport.snapshot.complete and target >= transport.snapshot.ready_until:
            return self._phrases.say("last_step"), _aside
        to_right = index is not None and stops[index].side == "left"

        def change() -> Then:
            transport.jump(target)
            transport.forgive()
            transport.paused = False
            return "on"
        # The right side's announcement names the side: the answer does not.
        return self._phrases.say("next_side" if to_right else "next_step"), change

    def _decide_restart(self, frame: int, out_frame: int) -> tuple[str, Change]:
        transport = self._transport
        stops = nav_stops(transport.snapshot)
        index = stop_index(stops, frame)
        if index is None:
            index = max(0, len(stops) - 1)
        last = self._last_restart
        # "Again" only while still in the step the last press went to (not after a skip),
        # and only when there is a step before it.
        soon = last is not None and out_frame - last[0] < RESTART_AGAIN_SECONDS * transport.sample_rate
        again = soon and last is not None and last[1] == index and index > 0
        target = max(0, last[1] - 1) if again and last is not None else index

        def change() -> Then:
            self._last_restart = (out_frame, target)
            transport.forgive()
            transport.paused = False
            if stops:
                transport.jump(stops[target].start)
            return "on"
        side = stops[target].side if stops else None
        if soon and index == 0 and last is not None and last[1] == 0:
            text = self._phrases.say("first_step")  # "back" at the start: restarts it, and says why
        elif again:
            back = side == "left" and stops[index].side == "right"
            text = self._phrases.say("back_to_left_side" if back else "previous_step")
        else:
            text = self._phrases.say("restart_right_side" if side == "right" else "restart_step")
        return text, change
