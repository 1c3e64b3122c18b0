"""Rendering: pull a session's mixer blocks into a sink, start to end."""

from __future__ import annotations

from collections.abc import Callable

from voiceguide.audio.mixer import ClipSource, Mixer
from voiceguide.audio.sinks import Sink
from voiceguide.base import SAMPLE_RATE
from voiceguide.timeline.compiler import Timeline

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
    mixer = Mixer(timeline.events, clips, volume, length=timeline.length)
    total = timeline.length
    done = 0
    try:
        if progress is not None:
            progress(done, total)
        for block in mixer.blocks(block_frames):
            sink.write(block)
            done += len(block)
            if progress is not None:
                progress(done, total)
        sink.close()
    except BaseException:
        sink.abort()
        raise
