"""A render's two parts, the voice and the bed, made in-process exactly as ``render`` mixes them.

Tests that measure the bed under the words (not only between them), or the voice over the bed while it
speaks, need the parts apart; their sum is the rendered file, up to its 16 bits (each caller checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceguide.audio.loudness import GainedClips
from voiceguide.audio.mixer import Layout, Mixer
from voiceguide.audio.soundstage import soundstage
from voiceguide.play.file_level import FileLevel, levelled_for_file
from voiceguide.play.prepare import prepare_session
from voiceguide.play.program import Program
from voiceguide.play.requests import SessionOptions, SoundOptions
from voiceguide.timeline.layout import Event


@dataclass(frozen=True)
class RenderParts:
    """The voice and the bed, each (frames, 2) float32, with the events and the file's level."""

    voice: np.ndarray  # type: ignore[type-arg]
    bed: np.ndarray  # type: ignore[type-arg]
    events: tuple[Event, ...]
    level: FileLevel


def render_parts(script: Path, target_lufs: float = -16.0) -> RenderParts:
    """``script`` (which has a bed) rendered as ``render`` does, its voice and its bed apart."""
    session = prepare_session(SessionOptions(str(script)))
    level = levelled_for_file(session.timeline, session.clips, soundstage(session.script, SoundOptions(), None),
                              target_lufs, None)
    snapshot = Program.from_timeline(session.timeline).snapshot()
    length = session.timeline.length
    clips = GainedClips(session.clips, level.gain_db, ceiling_dbtp=level.stage.voice_ceiling_dbtp())
    voice = Mixer(snapshot.events, clips, length=length, layout=Layout(channels=2)).render(0, length)
    bed = level.stage.layout(snapshot.events, snapshot.beds, length, True).bed
    assert bed is not None, f"{script} has no bed"
    return RenderParts(voice, bed.render(0, length).T, snapshot.events, level)
