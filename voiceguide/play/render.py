"""Rendering: the block loop run to the end into a file sink, with no listener; ``render``'s files."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from voiceguide.audio.mixer import ClipSource, Mixer
from voiceguide.base import SAMPLE_RATE, one_heap_for_all_threads
from voiceguide.errors import Diagnostic
from voiceguide.play.program import Program, Snapshot
from voiceguide.play.requests import RenderOptions
from voiceguide.play.transport import Transport
from voiceguide.timeline.layout import Timeline

if TYPE_CHECKING:
    from voiceguide.audio.loudness import ClipKey
    from voiceguide.audio.sinks import FileSink, Sink
    from voiceguide.audio.soundstage import Soundstage
    from voiceguide.play.peak_check import PeakCheck
    from voiceguide.play.prepare import PreparedSession

Progress = Callable[[int, int], None]
"""Called after each block with (frames done, frames in total)."""


def stage_renderer(clips: ClipSource, stage: Soundstage | None) -> Callable[[Snapshot], Mixer]:
    """The transport's ``make_renderer``: a mixer of what is known, with the stage's channels and bed."""

    def make_renderer(snapshot: Snapshot) -> Mixer:
        layout = (stage.layout(snapshot.events, snapshot.beds, snapshot.ready_until, snapshot.complete)
                  if stage is not None else None)
        return Mixer(snapshot.events, clips, length=snapshot.ready_until, layout=layout, complete=snapshot.complete)

    return make_renderer


def render_session(
    timeline: Timeline,
    clips: ClipSource,
    sink: Sink,
    *,
    block_frames: int | None = None,
    volume: float = 1.0,
    progress: Progress | None = None,
    stage: Soundstage | None = None,
) -> None:
    """Write the whole session to ``sink`` and close it; on any failure abort the sink and re-raise.

    ``block_frames``: the sink's own block size unless given (the samples are the same either way).

    "Any failure" includes ``KeyboardInterrupt``: an interrupted render leaves nothing behind.
    """
    total_frames = timeline.length
    try:
        transport = Transport(Program.from_timeline(timeline), stage_renderer(clips, stage), sink, volume=volume,
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


def _mix(session: PreparedSession, sink: FileSink, clips: ClipSource, progress: TextIO | None, *,
         check: PeakCheck | None = None, stage: Soundstage | None = None) -> None:
    """Render ``session`` into ``sink``; ``check`` measures a lossy file before it is moved into place."""
    from voiceguide.audio.tags import session_tags
    from voiceguide.play.ui import ProgressBar

    timeline = session.timeline
    sink.tags = session_tags(timeline, session.script.language)
    sink.before_commit = check
    bar = None if progress is None else ProgressBar(progress, "rendering", timeline.sample_rate)
    try:
        render_session(timeline, clips, sink, volume=session.volume, progress=bar, stage=stage)
    finally:
        if bar is not None:
            bar.finish()


def _mix_passes(session: PreparedSession, sink: FileSink, stage: Soundstage, gain_db: float,
                progress: TextIO | None) -> PeakCheck | None:
    """Render ``session`` into ``sink`` at ``gain_db``; the last pass's peak check (None for a lossless file).

    A lossy file that decodes over the ceiling is refused and rendered again into a new sink, with the
    clips playing where it was over quieter (``peak_check``), up to ``PEAK_PASSES`` renders in all.
    """
    from voiceguide.audio.loudness import GainedClips
    from voiceguide.audio.sinks import FileSink
    from voiceguide.play.peak_check import PEAK_PASSES, PeakCheck, PeakOver, next_ceiling_dbtp, quieter_clips

    timeline = session.timeline
    ceiling_dbtp = stage.voice_ceiling_dbtp()  # room for a bed and the pan
    quieter: dict[ClipKey, float] = {}
    check = None
    for attempt in range(PEAK_PASSES):
        check = PeakCheck(refuse=attempt < PEAK_PASSES - 1) if PeakCheck.applies_to(sink) else None
        try:
            clips = GainedClips(session.clips, gain_db, ceiling_dbtp=ceiling_dbtp, quieter=quieter)
            _mix(session, sink, clips, progress, check=check, stage=stage)
            break
        except PeakOver as over:  # a lossy encoder's overshoot: again, the clips where it was over quieter
            before = quieter
            quieter = quieter_clips(timeline.events, timeline.sample_rate, over, before)
            if quieter == before:  # no clip there: the voice limited lower leaves the bed more room
                ceiling_dbtp = next_ceiling_dbtp(ceiling_dbtp, gain_db, over)
            del clips  # the refused pass's clips go before the next pass gathers its own
            sink = FileSink(sink.path, SAMPLE_RATE, channels=stage.channels, bed=stage.has_bed)
    return check


def _render_files(options: RenderOptions, progress: TextIO | None,
                  warn: Callable[[list[Diagnostic]], None]) -> Timeline:
    from voiceguide.audio.captions import check_captions_path, check_chapters_path, write_captions, write_chapters
    from voiceguide.audio.file_formats import output_format
    from voiceguide.audio.outputs import NamedPath, check_outputs
    from voiceguide.audio.sinks import FileSink
    from voiceguide.audio.soundstage import soundstage
    from voiceguide.play.file_level import SHORT_WARNING_LU, levelled_for_file, quiet_file_warning
    from voiceguide.play.peak_check import peak_warning
    from voiceguide.play.prepare import dropped_cue_warnings, prepare_session
    from voiceguide.play.ui import ProgressBar
    from voiceguide.script.shipped import resolve_script
    from voiceguide.speech.clip_cache import default_cache_dir

    one_heap_for_all_threads()  # a cold render stays under 100 MB
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
    try:
        speech_bar = None if progress is None else ProgressBar(progress, "preparing speech", SAMPLE_RATE, noun="texts")
        session = prepare_session(options.session, speech_bar)
        timeline = session.timeline
        sink.check_length(timeline.length)
        warn(dropped_cue_warnings(session.script, timeline))
        stage = soundstage(session.script, options.session.sound, default_cache_dir())
        sink.set_channels(stage.channels, bed=stage.has_bed)
        level = levelled_for_file(timeline, session.clips, stage, options.loudness, default_cache_dir())
        gain_db, stage = level.gain_db, level.stage
        if level.short_lu >= SHORT_WARNING_LU:
            warn(quiet_file_warning(session.script, stage, options.loudness, level.short_lu))
        check = _mix_passes(session, sink, stage, gain_db, progress)
        if check is not None and check.over:
            assert check.peak_dbtp is not None
            warn(peak_warning(session.script, options.output, check.peak_dbtp))
    except BaseException:
        sink.abort()  # idempotent: render_session may have aborted it already
        raise
    if options.captions:
        write_captions(timeline, options.captions)
    if options.chapters:
        write_chapters(timeline, options.output, options.chapters)
    return timeline
