"""Live audio output: one long-lived sounddevice (PortAudio) stream fed from a queue of blocks.

The only module that uses ``sounddevice`` (``play`` imports it on a thread at its start, so that
PortAudio starts while the session's modules load).  After python-sounddevice's
``examples/play_long_file.py``: the PortAudio callback only copies a ready block
into the device buffer, zero-fills when none is ready, and returns; everything
else (mixing, keys, speech) happens on the caller's thread.

Time is the count of frames the callback has consumed (``LiveOutput.position``),
never the wall clock, so what the player believes is playing is what the device
was handed.  PortAudio failures become ``AudioDeviceError`` here.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from time import monotonic as _monotonic
from types import ModuleType, TracebackType
from typing import Any

import numpy as np

from voiceguide.base import SAMPLE_RATE, Audio
from voiceguide.errors import AudioDeviceError

BLOCK_FRAMES = 1024
"""Frames per callback and per queued block (~46 ms at 22050 Hz)."""

LEAD_IN_FRAMES = 2 * BLOCK_FRAMES
"""Silence played before the first written block (~0.09 s): PulseAudio drops the first block a stream
plays.  Measured with a burst in every block, each of its own height, recorded from a null sink's
monitor (load 9-11 on 2 cores): with no lead-in the first block was lost in 14 launches of 14, with
one or two blocks of lead-in none was (16 launches).  (It was 13 blocks, 0.6 s, then 4, when the
stream started before any sound was ready.)"""

QUEUE_FRAMES = 12 * BLOCK_FRAMES
"""How far ahead of the device the writer keeps the queue (~0.56 s): enough to ride
out a busy machine, short enough that ``discard`` is the only thing keys need."""

OUTPUT_LATENCY_SECONDS = 0.25
"""The device buffer PortAudio is asked for.  Its default ("high", 0.09 s through
PulseAudio's ALSA plugin) is shorter than the stalls a busy machine gives the
callback thread (measured: 0.2 s, and 0.27 s apart once; a live test heard a
chime 54 ms late after one): the server fills such a gap with silence, shifting
every later cue.  Keys wait no longer than this for it: ``discard`` empties the
queue, and only the device's buffer still plays."""

STALL_SECONDS = 5.0
"""A running stream whose callback has not been called for this long has stopped taking sound
(a suspended or vanished device keeps the stream "active"): far longer than PulseAudio's start-up stall."""

NO_DEVICE_MESSAGE = "No audio output device was found."


def render_hint(script: str | None = None) -> str:
    """The hint shown with a missing device: the fix, and ``render`` as the alternative."""
    fix = "connect speakers or headphones (or start PulseAudio)"
    if script is None:  # `devices` names no session: do not invent one
        return f"{fix}; 'voiceguide render SCRIPT -o FILE.ogg' writes a session to a file instead"
    import shlex

    if script.startswith(("voiceguide breathe ", "voiceguide press ")):  # a quick session: named by its command
        return (f"{fix}, or save the session as a script and write that to a file: {script} --save mine.yaml, "
                "then voiceguide render mine.yaml")
    stem = script.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "session"
    command = f"voiceguide render {shlex.quote(script)} -o {shlex.quote(stem + '.ogg')}"
    return f"{fix}, or write the session to a file: {command}"


@dataclass(frozen=True)
class Device:
    """One output device as ``voiceguide devices`` lists it."""

    index: int
    name: str
    host_api: str
    channels: int
    default_sample_rate: float
    is_default: bool


class NoOutputDevice(AudioDeviceError):
    """There is no audio output device at all."""

    def __init__(self, script: str | None = None) -> None:
        super().__init__(NO_DEVICE_MESSAGE, hint=render_hint(script))


def import_sounddevice() -> ModuleType:
    """Import sounddevice, turning a missing PortAudio library into AudioDeviceError."""
    try:
        import sounddevice
    except OSError as error:  # "PortAudio library not found"
        raise AudioDeviceError(
            f"The PortAudio library could not be loaded ({error}).",
            hint="install PortAudio (Debian/Ubuntu: apt install libportaudio2), "
                 "or write the session to a file with 'voiceguide render'",
        ) from error
    module: ModuleType = sounddevice
    return module


@contextlib.contextmanager
def _portaudio(failure: str, hint: str | None = None) -> Iterator[None]:
    """The one place PortAudio's errors become ``AudioDeviceError``: "<failure>: <PortAudio's reason>."""
    sd = import_sounddevice()
    try:
        yield
    except sd.PortAudioError as error:
        raise AudioDeviceError(f"{failure}: {_describe(error)}.", hint=hint) from error


def list_devices() -> list[Device]:
    """Every device that can play sound, the default marked; empty when there is none."""
    sd = import_sounddevice()
    with _portaudio("The audio devices could not be listed"):
        devices: Any = sd.query_devices()
        host_apis: Any = sd.query_hostapis()
        default_out = sd.default.device[1]
    found = []
    for index, info in enumerate(devices):
        channels = int(info["max_output_channels"])
        if channels <= 0:
            continue
        found.append(Device(
            index=index,
            name=str(info["name"]),
            host_api=str(host_apis[int(info["hostapi"])]["name"]),
            channels=channels,
            default_sample_rate=float(info["default_samplerate"]),
            is_default=index == default_out,
        ))
    return found


def _resolve_device(sd: ModuleType, device: str | None) -> int | None:
    """The PortAudio index for ``--device`` (an index or part of a name); None for the default."""
    outputs = list_devices()
    if not outputs:
        raise NoOutputDevice()
    if device is None:
        if not any(d.is_default for d in outputs):
            # PortAudio has no default output but some device exists: take the first.
            return outputs[0].index
        return None
    if device.strip().isdigit():
        index = int(device)
        if any(d.index == index for d in outputs):
            return index
        raise AudioDeviceError(f"There is no output device number {index}.",
                               hint="run 'voiceguide devices' to list them")
    matches = [d for d in outputs if device.lower() in d.name.lower()]
    exact = [d for d in matches if d.name.lower() == device.lower()]
    if exact:
        return exact[0].index
    if len(matches) == 1:
        return matches[0].index
    if not matches:
        raise AudioDeviceError(f"No output device is named like {device!r}.",
                               hint="run 'voiceguide devices' to list them")
    names = ", ".join(repr(d.name) for d in matches)
    raise AudioDeviceError(f"{device!r} matches several output devices: {names}.",
                           hint="give the device's number from 'voiceguide devices'")


class LiveOutput:
    """A PortAudio output stream that plays written blocks, in order, gaplessly.

    The stream is opened at once (a missing or busy device fails before any
    sound) but started only when the queue is first full (or on ``drain``),
    primed by the callback: the first sound then goes out behind the lead-in
    alone, not behind the device buffer's worth of silence a running stream
    holds (``OUTPUT_LATENCY_SECONDS``; a click queued on a running stream was
    heard 0.33 s later, five launches at a load of 4-6).  Nor does the stream
    start on an underrun.

    Threads: ``write``, ``discard``, ``free_frames`` and ``close`` are called from
    one controlling thread; the PortAudio callback runs on its own thread and only
    pops blocks (and hands each, as given to the device, to ``on_played``).  ``position`` counts the written
    frames the callback has consumed (lead-in and underrun zero-fill not included).
    """

    def __init__(self, *, device: str | None = None, sample_rate: int = SAMPLE_RATE,
                 block_frames: int = BLOCK_FRAMES, lead_in_frames: int = LEAD_IN_FRAMES,
                 queue_frames: int = QUEUE_FRAMES,
                 on_sound: Callable[[float, float], None] | None = None, channels: int = 1,
                 on_played: Callable[[Audio], None] | None = None) -> None:
        self._sd = import_sounddevice()
        self._on_played = on_played
        self.channels = channels
        self._sample_rate = sample_rate
        self._on_sound = on_sound
        self._block_frames = block_frames
        self._queue_frames = queue_frames
        self._lock = threading.Lock()
        self._queue: deque[tuple[Audio, bool, bool | None]] = deque()
        # (block, counted in position, holds our voice: None = look at the samples)
        self._queued_frames = 0
        self._consumed = 0
        self._stream: Any = None
        self.started = False
        """True once the stream has been started (the queue first full, or ``drain``)."""
        silence = np.zeros(block_frames if channels == 1 else (block_frames, channels), dtype=np.float32)
        for _ in range(-(-lead_in_frames // block_frames)):
            self._queue.append((silence, False, False))
        index = _resolve_device(self._sd, device)
        self._last_callback = time.monotonic()
        try:
            with _portaudio("The audio device could not be opened", hint=render_hint()):
                self._stream = self._sd.OutputStream(
                    samplerate=sample_rate, blocksize=block_frames, device=index,
                    channels=channels, dtype="float32", callback=self._callback, latency=OUTPUT_LATENCY_SECONDS,
                    prime_output_buffers_using_stream_callback=True,
                )
        except AudioDeviceError:
            self._close_quietly()
            raise

    # -- the PortAudio thread ------------------------------------------------------

    def _callback(self, outdata: Any, frames: int, time: Any, status: Any) -> None:
        # Runs on PortAudio's thread: copy one ready block or zero-fill, nothing else
        # (but for telling a listener when this block will be heard, if it holds sound).
        now = self._last_callback = _monotonic()  # (the parameter ``time`` hides the module here)
        out = outdata[:, 0] if self.channels == 1 else outdata
        filled = 0
        voiced = False
        with self._lock:
            while filled < frames and self._queue:
                block, counted, marked = self._queue[0]
                voiced = voiced or (marked if marked is not None else bool(block[:frames - filled].any()))
                take = min(frames - filled, len(block))
                out[filled:filled + take] = block[:take]
                filled += take
                if take == len(block):
                    self._queue.popleft()
                else:  # only when a device ignores blocksize: keep the rest for next time
                    self._queue[0] = (block[take:], counted, marked)
                if counted:
                    self._consumed += take
                    self._queued_frames -= take
            if filled < frames:
                out[filled:] = 0.0
        if self._on_played is not None:  # every block the device gets, zero-fill too: the listener's reference
            self._on_played(out)
        if self._on_sound is not None and filled and voiced:
            heard = now + max(0.0, float(time.outputBufferDacTime - time.currentTime))
            self._on_sound(heard, heard + frames / self._sample_rate)

    # -- the controlling thread ----------------------------------------------------

    @property
    def sample_rate(self) -> int:
        """Frames per second."""
        return self._sample_rate

    @property
    def block_frames(self) -> int:
        """Frames per block that ``write`` expects."""
        return self._block_frames

    @property
    def position(self) -> int:
        """Written frames the device has consumed so far."""
        with self._lock:
            return self._consumed

    def free_frames(self) -> int:
        """How many frames ``write`` can take now without running ahead of the queue target."""
        self._check()
        with self._lock:
            return max(0, self._queue_frames - self._queued_frames)

    def write_marked(self, block: Audio, voiced: bool) -> None:
        """``write``, saying whether the block holds our voice (a bed under it is not: a listener hears over it)."""
        self._check()
        data = np.ascontiguousarray(block, dtype=np.float32)
        with self._lock:
            self._queue.append((data, True, voiced))
            self._queued_frames += len(data)
        self._start_when_full()

    def write(self, block: Audio) -> None:
        """Queue a block (the caller keeps within ``free_frames``; this never blocks)."""
        self._check()
        data = np.ascontiguousarray(block, dtype=np.float32)
        with self._lock:
            self._queue.append((data, True, None))
            self._queued_frames += len(data)
        self._start_when_full()

    def _start_when_full(self) -> None:
        if not self.started and self._queued_frames + self._block_frames > self._queue_frames:
            self.start()

    def start(self) -> None:
        """Start the stream, if not yet started: it plays the lead-in, then what is queued."""
        if self.started or self._stream is None:
            return
        self.started = True
        self._last_callback = time.monotonic()
        with _portaudio("The audio device could not be started", hint=render_hint()):
            self._stream.start()

    def discard(self) -> int:
        """Drop every written block not yet consumed; returns how many frames were dropped."""
        with self._lock:
            kept = deque(item for item in self._queue if not item[1])
            dropped = self._queued_frames
            self._queue = kept
            self._queued_frames = 0
            return dropped

    def pending_frames(self) -> int:
        """Written frames not yet consumed."""
        with self._lock:
            return self._queued_frames

    def drain(self) -> None:
        """Wait until the callback has consumed everything written."""
        if self.pending_frames() > 0:
            self.start()
        while self._stream is not None and self.pending_frames() > 0:
            self._check()
            time.sleep(self._block_frames / self._sample_rate / 2)

    def close(self) -> None:
        """Play out what was written, then stop the stream."""
        if self._stream is None:
            return
        try:
            with _portaudio("The audio device failed"):
                self.drain()
                self._play_out()
                self._stream.stop()
        finally:
            self._close_quietly()

    def _play_out(self) -> None:
        """Run on, on silence, while the device buffer plays what the callback last handed it.

        PortAudio's stop returns without playing out the device buffer through
        PulseAudio: the last ``OUTPUT_LATENCY_SECONDS`` (~5 blocks) of a session,
        its closing chime's tail, were cut (``tests/test_live.py``).
        """
        if not self.started or self._stream is None:
            return
        latency = float(self._stream.latency)  # what the device buffer really holds, in seconds
        until = time.monotonic() + min(2 * OUTPUT_LATENCY_SECONDS, latency) + self._block_frames / self._sample_rate
        while time.monotonic() < until:
            self._check()
            time.sleep(self._block_frames / self._sample_rate / 2)

    def abort(self) -> None:
        """Stop at once, dropping whatever is queued (Ctrl-C)."""
        if self._stream is None:
            return
        try:
            with contextlib.suppress(self._sd.PortAudioError):
                self._stream.abort()
        finally:
            self._close_quietly()

    def _close_quietly(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(self._sd.PortAudioError):
                stream.close()

    def _check(self) -> None:
        stream = self._stream
        if stream is None:
            raise AudioDeviceError("The audio stream is closed.")
        with _portaudio("The audio device failed", hint=render_hint()):
            active, stopped = stream.active, stream.stopped
        if not active and not stopped:
            raise AudioDeviceError("The audio device stopped playing.", hint=render_hint())
        if active and time.monotonic() - self._last_callback > STALL_SECONDS:
            raise AudioDeviceError(f"The audio device stopped taking sound: nothing was played for "
                                   f"{STALL_SECONDS:g} seconds.", hint=render_hint())

    def __enter__(self) -> LiveOutput:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _describe(error: BaseException) -> str:
    text = str(error.args[0]) if error.args else str(error)
    return text.rstrip(".")
