"""Rendering: the block loop run to the end into a file sink, with no listener; ``render``'s files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from voiceguide.audio.mixer import ClipSource, Mixer
from voiceguide.base import SAMPLE_RATE, one_heap_for_all_threads
from voiceguide.errors import Diagnostic
from voiceguide.play.program import Program, Snapshot
from voiceguide.play.requests import RenderOptions
from voiceguide.play.transport import Transport
from voiceguide.timeline.layout import Timeline

if TYPE_CHECKING:
    from voiceguide.audio.sinks import FileSink, Sink
    from voiceguide.audio.soundstage import Soundstage
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


def levelled_for_file(timeline: Timeline, clips: ClipSource, stage: Soundstage, target_lufs: float,
                      cache_dir: Path | None) -> tuple[float, Soundstage]:
    """The file gain (dB) that brings the whole mix to ``target_lufs``, and the stage at that gain.

    Without a bed the voice's islands are measured (``loudness.session_loudness``);
    with one the whole mix is, bed and voice at their planned levels.  Each clip's
    true-peak ceiling is then ``stage.voice_ceiling_dbtp()`` (room for the bed and the pan).
    """
    from voiceguide.audio.loudness import GainedClips, file_gain_db, mix_loudness, session_key, session_loudness

    voice_lufs = session_loudness(timeline.events, clips, cache_dir)
    if not stage.has_bed:
        gain = file_gain_db(target_lufs, voice_lufs)
        return gain, stage.with_gain(gain)
    snapshot = Program.from_timeline(timeline).snapshot()
    key = "\0".join([session_key(timeline.events, clips), repr(stage.choice), repr(timeline.beds),
                     repr(stage.script.background), str(stage.channels), "mix-2"])
    # The voice goes at most VOICE_OVER_TARGET_LU over the target: a bed in a session of long silences
    # weighs in BS.1770's gate, and meeting the target then would squash the voice.
    most = file_gain_db(target_lufs + VOICE_OVER_TARGET_LU, voice_lufs)
    gain, staged = 0.0, stage
    loud: ClipSource = clips
    # Loud targets limit the voice's peaks, which takes a little loudness: measure again and correct.
    for attempt in range(MIX_LEVEL_PASSES):
        measured = mix_loudness(stage_renderer(loud, staged)(snapshot), f"{key}\0{attempt}\0{gain!r}", cache_dir)
        corrected = min(gain + file_gain_db(target_lufs, measured), most)
        if attempt and abs(corrected - gain) < MIX_LEVEL_TOLERANCE_LU:
            break
        gain = corrected
        staged = stage.with_gain(gain)
        loud = GainedClips(clips, gain, ceiling_dbtp=staged.voice_ceiling_dbtp())
    return gain, staged

MIX_LEVEL_PASSES = 3
"""At most this many measurements of a mix with a bed (the first sets the gain, the others correct it)."""

MIX_LEVEL_TOLERANCE_LU = 0.2

VOICE_OVER_TARGET_LU = 3.0
"""With a bed, the voice's own loudness stays within this of ``--loudness`` (the whole file may then be quieter)."""


def render_session(
    timeline: Timeline,
    clips: ClipSource,
    sink: Sink,
    *,
    block_frames: int = SAMPLE_RATE,
    volume: float = 1.0,
    progress: Progress | None = None,
    stage: Soundstage | None = None,
) -> None:
    """Write the whole session to ``sink`` and close it; on any failure abort the sink and re-raise.

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


PEAK_PASSES = 3
"""Renders of a lossy file at most: the first, and up to two more limited lower if it decodes over -1 dBTP."""
PEAK_STEP_DB = 0.6
"""How much further below its overshoot a render after the first is limited."""


class PeakOver(Exception):
    """A finished file that decodes with a true peak over the ceiling (refused before it is moved into place)."""

    def __init__(self, peak_dbtp: float) -> None:
        super().__init__(f"true peak {peak_dbtp:.2f} dBTP")
        self.peak_dbtp = peak_dbtp


def _mix(session: PreparedSession, sink: FileSink, clips: ClipSource, progress: TextIO | None, *,
         check_peak: bool, stage: Soundstage | None = None) -> None:
    """Render ``session`` into ``sink``; with ``check_peak``, a lossy file that decodes over -1 dBTP is refused.

    Lossy encoders (Vorbis, Opus, MP3) add their own overshoot to the peaks
    they are given: measured at ``--loudness -12``, +1.8, +1.4 and +0.3 dB.
    """
    from voiceguide.audio.loudness import file_true_peak_dbtp
    from voiceguide.audio.sinks import LOSSY_SUBTYPES
    from voiceguide.audio.tags import session_tags
    from voiceguide.dsp.levelling import CEILING_DBTP, METER_MARGIN_DB
    from voiceguide.play.ui import ProgressBar

    timeline = session.timeline
    sink.tags = session_tags(timeline, session.script.language)
    if check_peak and sink.format.subtype in LOSSY_SUBTYPES:

        def refuse_overshoot(path: Path) -> None:
            peak = file_true_peak_dbtp(path)
            if peak > CEILING_DBTP - METER_MARGIN_DB:  # the margin other meters need (levelling)
                raise PeakOver(peak + METER_MARGIN_DB)

        sink.before_commit = refuse_overshoot
    bar = None if progress is None else ProgressBar(progress, "rendering", timeline.sample_rate)
    try:
        render_session(timeline, clips, sink, volume=session.volume, progress=bar, stage=stage)
    finally:
        if bar is not None:
            bar.finish()


def _render_files(options: RenderOptions, progress: TextIO | None,
                  warn: Callable[[list[Diagnostic]], None]) -> Timeline:
    from voiceguide.audio.captions import check_captions_path, check_chapters_path, write_captions, write_chapters
    from voiceguide.audio.loudness import GainedClips
    from voiceguide.audio.outputs import NamedPath, check_outputs
    from voiceguide.audio.sinks import FileSink, output_format
    from voiceguide.audio.soundstage import soundstage
    from voiceguide.dsp.levelling import CEILING_DBTP, HEADROOM_DB
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
        sink.set_channels(stage.channels)
        gain_db, stage = levelled_for_file(timeline, session.clips, stage, options.loudness, default_cache_dir())
        ceiling_dbtp = stage.voice_ceiling_dbtp()  # room for a bed and the pan
        for attempt in range(PEAK_PASSES):
            try:
                _mix(session, sink, GainedClips(session.clips, gain_db, ceiling_dbtp=ceiling_dbtp), progress,
                     check_peak=attempt < PEAK_PASSES - 1, stage=stage)
                break
            except PeakOver as over:  # a lossy encoder's overshoot: again, limited that much lower
                given = min(ceiling_dbtp, CEILING_DBTP - HEADROOM_DB + gain_db)  # the peaks the encoder got
                ceiling_dbtp = given - (over.peak_dbtp - CEILING_DBTP) - PEAK_STEP_DB
                sink = FileSink(options.output, SAMPLE_RATE, channels=stage.channels)
    except BaseException:
        sink.abort()  # idempotent: render_session may have aborted it already
        raise
    if options.captions:
        write_captions(timeline, options.captions)
    if options.chapters:
        write_chapters(timeline, options.output, options.chapters)
    return timeline
