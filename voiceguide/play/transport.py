"""The one block loop: pulls a program's mixer blocks into a sink, for a file and for the speakers alike.

``Transport.pump`` writes blocks while the sink has room: a file sink always
has room (``render`` is the transport running to the end with no listener),
the live stream has room for about half a second ahead of the device.  Either
way the blocks are the mixer's, cut the same way, so what a file holds and
what the speakers play are the same samples by construction.

The sink's position (written frames it has consumed) is the only clock: the
``FrameMap`` maps it back to a session frame.  Editing the future (a key) is
``rewind`` (drop the unplayed queue, set the cursor back to the exact session
frame reached) followed by new blocks: no session frame is lost or repeated.

An answer during a hold keeps the hold's time (``say(..., keep_time_until=)``):
it is mixed over the session, whose frames go on under it, up to the next
sound of the session; if the answer is longer, the session waits for the rest
("owed" frames), and as many frames of the hold's silence are skipped before
its release.  The frame map records both, so the clock stays the sink's.

A bed goes on while the session stands still (paused, answering, waiting for
speech): ``bed_track.BedTrack`` keeps its course beside the frame map, and a
rewind takes both back to the same output frame.  Only the bed differs from
the render, and only until it has crossfaded back into the session's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

from voiceguide.audio.mixer import CENTRE_GAIN
from voiceguide.base import SAMPLE_RATE, Audio
from voiceguide.play.bed_track import BedTrack
from voiceguide.play.frame_map import SPOKEN, FrameMap, Notice, SegmentKind
from voiceguide.play.program import Program, Snapshot
from voiceguide.play.program_view import BedRenderer, FeedbackQueue, MakeRenderer, ProgramView, summed_layers
from voiceguide.play.status import PlayState, next_sound, sound_at, speech_end

if TYPE_CHECKING:  # (sinks loads the file libraries: a live session needs only the protocol)
    from voiceguide.audio.sinks import Sink

FEEDBACK_GAP_SECONDS = 0.3
"""Silence after every spoken feedback, before the session goes on."""


class Transport:
    """Writes a ``Program`` into a ``Sink`` block by block from a cursor, and maps the sink's clock back.

    Single-threaded.  The state a listener changes (``paused``, ``volume``, the
    cursor through ``jump``, ``stop``) is set between ``rewind`` and ``say``.
    """

    def __init__(self, program: Program, make_renderer: MakeRenderer, sink: Sink, *,
                 start_frame: int = 0, volume: float = 1.0, sample_rate: int = SAMPLE_RATE,
                 block_frames: int | None = None) -> None:
        self._sink = sink
        self.channels: int = getattr(sink, "channels", 1)
        self.sample_rate = sample_rate
        self._block_frames = block_frames if block_frames is not None else sink.block_frames
        self._view = ProgramView(program, make_renderer, sample_rate=sample_rate, volume=volume,
                                 out_frame=sink.position)
        self._volume = volume
        self._cursor_frame = start_frame
        self._frames = FrameMap(sink.position)
        self._bed = BedTrack(self._bed_depth, self._bed_fade, written=sink.position, sample_rate=sample_rate)
        """The bed across pauses and answers (``bed_track``): the frame map's twin for the sound under them."""
        self._polled_out = sink.position
        self._feedback = FeedbackQueue()
        self.paused = False
        self._block_voiced = False
        self.stopping = False
        """True once told to stop: the queued feedback is the last thing written."""
        self.ended = False
        """True once the last frame to be written has been written."""
        self.wait_frames = 0
        """Frames of silence written because speech for the next step was not ready yet."""
        self.begun = False
        """True once a block has been written.  Before that, nothing is written while the first frames are not
        ready (a cold start): no silence queued ahead of the first sound, which plays at the start frame."""
        self.heard_session_frames = 0
        """Frames of session audio the sink has played, as far as ``poll`` has looked (for the session log)."""
        self.skipped_frames = 0
        """Frames of a hold's silence skipped to give back the time an answer held the session up."""
        self._owed = 0
        self._owed_until = 0
        """The session frame (a hold's release) after which owed frames are no longer skipped."""

    # -- state a listener changes ------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        """The session as the transport last took it in."""
        return self._view.snapshot

    @property
    def cursor_frame(self) -> int:
        """The session frame the next written block starts from."""
        return self._cursor_frame

    @property
    def volume(self) -> float:
        """Gain from 0 to 1 of the session and of the feedback."""
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        self._volume = value
        self._view.set_volume(value)

    @property
    def volume_percent(self) -> int:
        """The volume in percent, as it is spoken."""
        return max(0, min(100, round(self._volume * 100)))

    def jump(self, frame: int) -> None:
        """Write from session ``frame`` next."""
        self._cursor_frame = frame

    def rewind(self) -> None:
        """Drop the sink's unplayed queue; the cursor goes back to the first unplayed session frame."""
        dropped_frames = self._sink.discard()
        resume_frame, owed_dropped = self._frames.truncate(self._frames.written_frames - dropped_frames)
        self._bed.truncate(self._frames.written_frames)
        self._owed = max(0, self._owed - owed_dropped)
        if resume_frame is not None:
            self._cursor_frame = resume_frame
        self._feedback.clear()
        self.ended = False

    def say(self, clip: Audio, text: str, *, after_sentence: bool, keep_time_until: int | None = None) -> None:
        """Queue ``clip`` (saying ``text``) and a short gap; ``after_sentence``: once the one sounding ends;
        ``keep_time_until`` (a hold's release frame): said over the session, the hold's clock running."""
        gap = np.zeros(round(FEEDBACK_GAP_SECONDS * self.sample_rate), dtype=np.float32)
        audio = np.concatenate([np.asarray(clip, dtype=np.float32) * np.float32(self._volume), gap])
        if self.channels > 1:  # centred, as the session's own centred cues
            audio = np.repeat((audio * np.float32(CENTRE_GAIN))[:, None], self.channels, axis=1)
        start_frame = speech_end(self.snapshot, self._cursor_frame) if after_sentence and not self.paused else None
        over = keep_time_until is not None and not self.paused
        if over and keep_time_until is not None:
            self._owed_until = keep_time_until
        self._feedback.set(audio, text, start_frame, over=over)

    def owe(self, frames: int) -> None:
        """Count ``frames`` (a sentence said again in a hold) as owed: skipped from the hold's later silence."""
        self._owed += max(0, frames)

    def forgive(self) -> None:
        """Owe nothing (the listener moved to another step or side: its holds keep their whole time)."""
        self._owed = 0

    # -- the clock ---------------------------------------------------------------

    @property
    def done(self) -> bool:
        """True once everything to be played has been written and consumed."""
        return self.ended and self._sink.position >= self._frames.written_frames

    def heard_frame(self) -> int:
        """The session frame the sink has reached."""
        return self._frames.session_frame_at(self._sink.position, self._cursor_frame)

    def sounding(self) -> tuple[SegmentKind | None, str | None]:
        """What the sink is playing now (None: nothing written there), and the feedback's sentence."""
        now = self._sink.position
        segment = self._frames.segment_at(now)
        if segment is None:
            return None, None
        return segment.kind, self._frames.feedback_text_at(now) if segment.kind in SPOKEN else None

    def play_state(self) -> PlayState:
        """What a ``Status`` needs from the transport."""
        return PlayState(paused=self.paused, volume_percent=self.volume_percent, finished=self.done,
                         sample_rate=self.sample_rate, stopped=self.stopping)

    def poll(self) -> list[Notice]:
        """Cues and feedback that started sounding since the last call, in order."""
        now = self._sink.position
        if now <= self._polled_out:
            return []
        notices = list(self._frames.notices(self.snapshot, self._polled_out, now))
        self.heard_session_frames += self._frames.session_frames_in(self._polled_out, now)
        self._polled_out = now
        self._frames.forget_played(now)
        self._bed.forget_played(now)
        return notices

    # -- writing -----------------------------------------------------------------

    def pump(self, max_blocks: int | None = None) -> None:
        """Write blocks while the sink has room (at most ``max_blocks``), until everything is written."""
        self.refresh()
        written = 0
        while not self.ended and self._sink.free_frames() >= self._block_frames:
            self._block_voiced = False
            if not self._silence_written():
                block = self._next_block()
                if not len(block):
                    break
                write_marked = getattr(self._sink, "write_marked", None)
                if write_marked is not None:  # the live stream tells a listener which blocks hold our voice
                    write_marked(block, self._block_voiced)
                else:
                    self._sink.write(block)
            self.begun = True
            written += 1
            if max_blocks is not None and written >= max_blocks:
                return

    def refresh(self, *, force: bool = False, latest: bool = False) -> None:
        """Take in newly compiled steps (``latest``: whatever the cost)."""
        self._view.refresh(self._cursor_frame, self._sink.position, force=force, latest=latest)

    def _next_block(self) -> Audio:
        """One block: feedback, session audio or silence; shorter only at the very end."""
        whole = self._whole_session_block()
        if whole is not None:
            return whole
        shape = (self._block_frames, self.channels) if self.channels > 1 else self._block_frames
        block = np.zeros(shape, dtype=np.float32)
        filled = 0
        while filled < self._block_frames and not self.ended:
            taken = self._fill(block[filled:])
            filled += taken
            if taken == 0:
                break
        return block[:filled] if self.ended or not (filled or self.begun) else block

    def _whole(self) -> bool:
        """True when the next whole block is session audio (most are)."""
        return not (self._feedback.pending or self._owed or self.stopping or self.paused or self._view.renderer is None
                    or self._cursor_frame + self._block_frames > self._view.ready_frames)

    def _silence_written(self) -> bool:
        """Whether the next block (no sound, no bed) went to a sink that writes silence as it is (a file's zeros)."""
        renderer, frames, cursor = self._view.renderer, self._block_frames, self._cursor_frame
        write_silence, voiced = getattr(self._sink, "write_silence", None), getattr(renderer, "voiced", None)
        if write_silence is None or voiced is None or not self._whole() or getattr(renderer, "has_bed", True) or \
                voiced(cursor, frames):
            return False
        write_silence(frames)
        self._frames.add("session", frames, cursor)
        self._cursor_frame += frames
        return True

    def _whole_session_block(self) -> Audio | None:
        """The renderer's own block when a whole block is session audio, else None (``_fill`` without a copy)."""
        view, frames = self._view, self._block_frames
        if not self._whole():
            return None
        block = self._session(self._cursor_frame, frames)  # the bed coming back after a pause, ducked, ...
        shape = (frames, self.channels) if self.channels > 1 else (frames,)
        if block.shape != shape or block.dtype != np.float32:  # e.g. a mono mix into a stereo sink
            shaped = np.zeros(shape, dtype=np.float32)
            shaped[:] = block
            block = shaped
        voiced = getattr(view.renderer, "voiced", None)
        self._block_voiced = True if voiced is None else voiced(self._cursor_frame, frames)
        self._frames.add("session", frames, self._cursor_frame)
        self._cursor_frame += frames
        return block

    def _fill(self, out: Audio) -> int:
        """Write into ``out`` from the cursor; returns the frames that advance the block (0: stop filling)."""
        need = len(out)
        if self._feedback.ready(self._cursor_frame):
            if self._feedback.over:
                return self._fill_over(out)
            piece, text = self._feedback.take(need)
            out[:len(piece)] = self._standing(len(piece), piece)
            self._frames.add("feedback", len(piece), self._cursor_frame, text)
            self._block_voiced = True
            return len(piece)
        if self._owed and not self._feedback.pending and not self.paused:
            self._give_back_owed()
        if self.stopping:
            if self._bed.silent or self._bed_renderer() is None:
                self.ended = True
                return 0
            out[:need] = self._standing(need)  # the bed fading out after "Stopping."
            self._frames.add("pause", need, self._cursor_frame)
            return need
        if self.paused:
            out[:need] = self._standing(need)
            self._frames.add("pause", need, self._cursor_frame)
            return need
        view = self._view
        assert view.renderer is not None
        limit = view.ready_frames
        if self._feedback.start_frame is not None:
            limit = min(limit, self._feedback.start_frame)
        if self._cursor_frame < limit:
            take = min(need, limit - self._cursor_frame)
            out[:take] = self._session(self._cursor_frame, take)
            voiced = getattr(view.renderer, "voiced", None)
            self._block_voiced |= True if voiced is None else voiced(self._cursor_frame, take)
            self._frames.add("session", take, self._cursor_frame)
            self._cursor_frame += take
            return take
        if view.complete and self._cursor_frame >= view.ready_frames:
            self.ended = True
            return 0
        self.refresh(force=True)
        if view.ready_frames > self._cursor_frame or view.complete:
            return self._fill(out)
        if not self.begun and len(out) == self._block_frames:
            return 0  # nothing written yet: the first block waits for the first frames
        # The next step's speech is still being synthesized: wait (over the bed, if there is one).
        out[:need] = self._standing(need)
        self._frames.add("wait", need, self._cursor_frame)
        self.wait_frames += need
        return need

    def _fill_over(self, out: Audio) -> int:
        """Feedback said over the session up to its next sound; past that, the session waits (owed frames)."""
        view = self._view
        cursor = self._cursor_frame
        quiet_until = min(view.ready_frames, self._owed_until)
        upcoming = next_sound(self.snapshot, cursor)
        if upcoming is not None:
            quiet_until = min(quiet_until, upcoming)
        if cursor < quiet_until and view.renderer is not None:
            piece, text = self._feedback.take(min(len(out), quiet_until - cursor))
            out[:len(piece)] = self._session(cursor, len(piece), voiced=True) + piece
            self._block_voiced = True
            self._frames.add("overlay", len(piece), cursor, text)
            self._cursor_frame += len(piece)
            return len(piece)
        piece, text = self._feedback.take(len(out))
        out[:len(piece)] = self._standing(len(piece), piece)
        self._block_voiced = True
        self._frames.add("feedback", len(piece), cursor, text, owed=True)
        self._owed += len(piece)
        return len(piece)

    def _give_back_owed(self) -> None:
        """Skip silence of the hold, up to its next sound, for the frames an answer held it up."""
        cursor = self._cursor_frame
        if cursor >= self._owed_until:
            self._owed = 0  # the hold is over: nothing later is shortened
            return
        if sound_at(self.snapshot, cursor):
            return
        upcoming = next_sound(self.snapshot, cursor)
        quiet_until = min(self._owed_until, self._view.ready_frames)
        if upcoming is not None:
            quiet_until = min(quiet_until, upcoming)
        skip = max(0, min(self._owed, quiet_until - cursor))
        self._cursor_frame += skip
        self._owed -= skip
        self.skipped_frames += skip

    # -- the bed under a standing session ----------------------------------------

    def _bed_renderer(self) -> BedRenderer | None:
        """The renderer, when it has a bed to go on under a pause (``mixer.Mixer``)."""
        renderer = self._view.renderer
        return cast(BedRenderer, renderer) if getattr(renderer, "has_bed", False) else None

    def _bed_depth(self, frame: int) -> float:
        renderer = self._bed_renderer()
        return renderer.bed_depth(frame) if renderer is not None else 0.0

    def _bed_fade(self, frame: int) -> int:
        renderer = self._bed_renderer()
        return renderer.bed_fade(frame) if renderer is not None else 0

    def _session(self, start: int, frames: int, *, voiced: bool = False) -> Audio:
        """The session's samples from ``start``, its bed coming back after a pause or a jump (``voiced``: ducked
        under an answer said over them)."""
        renderer = self._view.renderer
        assert renderer is not None
        with_bed = self._bed_renderer()
        gain, depth, layers = self._bed.session(start, frames, voiced=voiced, layers=with_bed is not None)
        if with_bed is None or (gain is None and depth is None and not layers):
            return renderer.render(start, frames)
        return with_bed.render(start, frames, bed_gain=gain, bed_depth=depth,
                               under=summed_layers(with_bed, layers, frames))

    def _standing(self, frames: int, over: Audio | None = None) -> Audio:
        """``frames`` with the session standing still: the bed flowing on under ``over`` (spoken feedback)."""
        with_bed = self._bed_renderer()
        layers = self._bed.standing(self._cursor_frame, frames, paused=self.paused, voiced=over is not None,
                                    stopping=self.stopping, layers=with_bed is not None)
        planar = summed_layers(with_bed, layers, frames) if with_bed is not None else None
        if with_bed is None or planar is None:
            if over is not None:
                return over
            shape = (frames, self.channels) if self.channels > 1 else frames
            return np.zeros(shape, dtype=np.float32)
        return with_bed.finish(planar, over)
