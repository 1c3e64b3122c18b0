"""Rendering: the block loop run to the end into a file sink, with no listener; ``render``'s files."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TextIO

from voiceguide.audio.mixer import ClipSource, Mixer
from voiceguide.audio.sinks import Sink
from voiceguide.base import SAMPLE_RATE
from voiceguide.errors import Diagnostic
from voiceguide.play.program import Program
from voiceguide.play.requests import RenderOptions
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


def render_files(options: RenderOptions, progress: TextIO | None,
                 warn: Callable[[list[Diagnostic]], None]) -> Timeline:
    """``render``: the session into ``options.output``, and its captions and chapters beside it.

    Progress bars go to ``progress`` (None: none); ``warn`` gets the dropped
    cues' warnings before the mix starts.  On any failure, ``KeyboardInterrupt``
    included, no output and no temporary file is left behind.
    """
    try:
        return _render_files(options, progress, warn)
    except BaseException:
        from voiceguide.base import discard_unfinished

        # An interrupt can land between a temporary's creation and its owner's hold on it.
        discard_unfinished(os.path.dirname(os.path.abspath(path))
                           for path in (options.output, options.captions, options.chapters) if path)
        raise


def _render_files(options: RenderOptions, progress: TextIO | None,
                  warn: Callable[[list[Diagnostic]], None]) -> Timeline:
    from voiceguide.audio.captions import check_captions_path, check_chapters_path, write_captions, write_chapters
    from voiceguide.audio.loudness import GainedClips, file_gain_db, session_loudness
    from voiceguide.audio.outputs import NamedPath, check_outputs
    from voiceguide.audio.sinks import FileSink, output_format
    from voiceguide.audio.tags import session_tags
    from voiceguide.play.prepare import dropped_cue_warnings, prepare_session
    from voiceguide.play.ui import ProgressBar
    from voiceguide.script.shipped import resolve_script
    from voiceguide.speech.clips import default_cache_dir

    # Wrong names are found before the (possibly long) synthesis, and so is an
    # unwritable output: the sink's temporary file is created first.
    output_format(options.output)
    if options.captions:
        check_captions_path(options.captions)
    if options.chapters:
        check_chapters_path(options.chapters)
    # Before any work: no output may be the script or another output, and each must be writable.
    outputs = (("the audio", options.output), ("--captions", options.captions), ("--chapters", options.chapters))
    check_outputs([NamedPath("the script", str(resolve_script(options.session.script)))],
                  [NamedPath(role, path) for role, path in outputs if path])
    sink = FileSink(options.output, SAMPLE_RATE)
    bar: ProgressBar | None = None
    try:
        speech_bar = None if progress is None else ProgressBar(progress, "preparing speech", SAMPLE_RATE, noun="texts")
        session = prepare_session(options.session, speech_bar)
        timeline = session.timeline
        sink.check_length(timeline.length)
        warn(dropped_cue_warnings(session.script, timeline))
        sink.tags = session_tags(timeline, session.script.language)
        session_lufs = session_loudness(timeline.events, session.clips, default_cache_dir())
        loud = GainedClips(session.clips, file_gain_db(options.loudness, session_lufs))
        if progress is not None:
            bar = ProgressBar(progress, "rendering", timeline.sample_rate)
        render_session(timeline, loud, sink, volume=session.volume, progress=bar)
    except BaseException:
        sink.abort()  # idempotent: render_session may have aborted it already
        raise
    finally:
        if bar is not None:
            bar.finish()
    if options.captions:
        write_captions(timeline, options.captions)
    if options.chapters:
        write_chapters(timeline, options.output, options.chapters)
    return timeline
