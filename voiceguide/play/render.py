"""Rendering: the block loop run to the end into a file sink, with no listener."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from voiceguide.audio.mixer import ClipSource, Mixer
from voiceguide.audio.sinks import Sink
from voiceguide.base import SAMPLE_RATE
from voiceguide.play.program import Program
from voiceguide.play.transport import Transport
from voiceguide.timeline.compiler import Event, Timeline

Progress = Callable[[int, int], None]
"""Called after each block with (frames done, frames in total)."""


def render_session(
    timeline: Timeline,
    clips: ClipSource,
    sink: Sink,
    *,
    block_frames: int = SAMPLE_RATE,
    volume: float = 1.0,
    progress: Progress | None = None,
) -> None:
    """Write the whole session to ``sink`` and close it; on any failure abort the sink and re-raise.

    "Any failure" includes ``KeyboardInterrupt``: an interrupted render leaves nothing behind.
    """

    def make_renderer(events: Sequence[Event], length: int) -> Mixer:
        return Mixer(events, clips, length=length)

    total_frames = timeline.length
    try:
        transport = Transport(Program.from_timeline(timeline), make_renderer, sink, volume=volume,
                              sample_rate=timeline.sample_rate, block_frames=block_frames)
        if progress is not None:
            progress(sink.position, total_frames)
        while not transport.done:
            transport.pump(max_blocks=1)
            if progress is not None:
                progress(sink.position, total_frames)
        sink.close()
    except BaseException:
        sink.abort()
        raise
