"""A whole session at a chosen loudness: levelled tones, and the file gain with its peak-safe limiter.

Every speech clip is already levelled to ``levelling.REFERENCE_LUFS`` (in the
speech bank) and every tone is levelled to it here.  A session reads a little
quieter than its clips (0.9-1.7 LU in the shipped sessions: BS.1770's blocks at
the edges of cues are partly silent, a 300 ms word fills 3/4 of a block), so
the session's own loudness is measured (``session_loudness``) and a file at
``--loudness L`` is the session with a gain of ``L`` minus that on every clip.
Clips keep ``HEADROOM_DB`` below the true-peak ceiling; a gain above that
levels each distinct clip again, at its loudness plus the gain, under the
ceiling (``levelling.level_clip``: limiting that hard takes loudness too).

The gain and the limiter act on clips, not on the mixed blocks: the mixer stays
stateless, and a frame's samples never depend on how the session is cut into
blocks.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceguide.audio.mixer import ClipSource, Mixer
from voiceguide.base import SAMPLE_RATE, Audio, write_atomically
from voiceguide.dsp.levelling import (
    CEILING_DBTP,
    HEADROOM_DB,
    REFERENCE_LUFS,
    cached_level,
    level_clip,
    loudness_lufs,
)
from voiceguide.dsp.limiter import db_to_gain
from voiceguide.dsp.lufs import stream_loudness
from voiceguide.timeline.layout import Event


def levelled_tones(cache_dir: Path | None) -> Callable[[str], Audio]:
    """A ``tone`` function for ``SessionClips`` whose tones are as loud as the speech (BS.1770)."""
    from voiceguide.audio.tones import tone

    made: dict[str, Audio] = {}

    def levelled(sound: str) -> Audio:
        audio = made.get(sound)
        if audio is None:
            audio = made[sound] = cached_level(tone(sound), cache_dir, SAMPLE_RATE)
        return audio

    return levelled


HOP_FRAMES = round(0.1 * SAMPLE_RATE)
"""BS.1770's gating blocks start every 100 ms."""

BLOCK_FRAMES = 4 * HOP_FRAMES
"""BS.1770's gating block: 400 ms."""

MEASURE_MAX_SECONDS = 120
"""At most this much sound is measured: a long session's islands are sampled, so memory stays flat.

Every clip is levelled to the same loudness, so a session's loudness hardly
changes along it; two minutes of its islands, drawn at random (with a fixed
seed: the same session always gets the same gain), measure it to about a
tenth of an LU (the benchmark's 1-hour session: -17.39 sampled, -17.26 whole,
which took 17 s and 2.3 GB) and keep the meter's working memory to ~60 MB.
"""

MEASURE_VERSION = 4
"""Part of the key of a remembered session loudness; bumped when measuring changes."""


def _islands(events: Sequence[Event], clips: ClipSource) -> list[tuple[int, int]]:
    """The session's sounding spans ``(start, end)``, merged where less than a block apart."""
    spans = sorted((e.start, e.start + min(e.length, len(clips.clip(e)))) for e in events if e.length > 0)
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1] + BLOCK_FRAMES:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def sampled_islands(islands: Sequence[tuple[int, int]],
                    max_frames: int = MEASURE_MAX_SECONDS * SAMPLE_RATE) -> list[tuple[int, int]]:
    """All ``islands`` if they fit in ``max_frames`` (with a block of silence each), else a random sample that does."""
    sizes = [end - start + BLOCK_FRAMES for start, end in islands]
    if sum(sizes) <= max_frames:
        return list(islands)
    chosen: list[int] = []
    total = 0
    for index in np.random.default_rng(0).permutation(len(islands)):
        if total >= max_frames:
            break
        chosen.append(int(index))
        total += sizes[index]
    return [islands[index] for index in sorted(chosen)]


def compacted_mix(mixer: Mixer, islands: Sequence[tuple[int, int]]) -> Audio:
    """The session with its long silences shortened, for measuring: same gated blocks, less to filter.

    Every block BS.1770 gates in touches sound; silence between two islands is
    cut to at least one block plus the same remainder modulo the 100 ms hop, so
    each island meets the blocks at the same offsets as in the whole session,
    and no block spans two islands that it did not span before.  (Blocks of
    pure silence are below the absolute gate and count for nothing.)
    """
    return np.concatenate(list(compacted_pieces(mixer, islands)))


def compacted_pieces(mixer: Mixer, islands: Sequence[tuple[int, int]]) -> Iterator[Audio]:
    """``compacted_mix`` in pieces: each shortened silence, then each island, as it is mixed."""
    position = 0
    for start, end in islands:
        yield np.zeros(_compacted_gap(start - position), dtype=np.float32)
        for offset in range(start, end, ISLAND_PIECE_FRAMES):
            yield mixer.render(offset, min(ISLAND_PIECE_FRAMES, end - offset))
        position = end
    yield np.zeros(BLOCK_FRAMES, dtype=np.float32)


def compacted_length(islands: Sequence[tuple[int, int]]) -> int:
    """The length in frames of ``compacted_mix`` over ``islands``."""
    position, total = 0, BLOCK_FRAMES
    for start, end in islands:
        total += _compacted_gap(start - position) + end - start
        position = end
    return total


def _compacted_gap(gap: int) -> int:
    """A silence between islands, shortened to a block plus its remainder modulo the hop (see ``compacted_mix``)."""
    return BLOCK_FRAMES + (gap - BLOCK_FRAMES) % HOP_FRAMES if gap > BLOCK_FRAMES + HOP_FRAMES else gap


ISLAND_PIECE_FRAMES = 10 * SAMPLE_RATE
"""Islands are mixed for measuring at most this much at a time."""


def _session_key(events: Sequence[Event], clips: ClipSource) -> str:
    """A digest of everything the session's loudness depends on: each sound, its clip and its place."""
    digests: dict[tuple[str, str | None, str | None], bytes] = {}
    known = getattr(clips, "digest", None)  # the speech cache's own digests: no clip read to key the session
    outer = hashlib.sha256(b"%d\0%r\0" % (MEASURE_VERSION, REFERENCE_LUFS))
    for event in sorted(events, key=lambda e: (e.start, e.kind, e.text or "", e.sound or "")):
        key = (event.kind, event.text, event.sound)
        digest = digests.get(key)
        if digest is None:
            digest = known(event) if known is not None else None
            if digest is None:
                digest = hashlib.sha256(np.ascontiguousarray(clips.clip(event), dtype="<f4").tobytes()).digest()
            digests[key] = digest
        outer.update(b"%d %d " % (event.start, event.length) + digest)
    return outer.hexdigest()


def session_loudness(events: Sequence[Event], clips: ClipSource, cache_dir: Path | None) -> float:
    """The BS.1770 integrated loudness (LUFS) of the mix of ``events`` at volume 1.

    Measured once (``lufs.stream_loudness``) on ``compacted_mix``, piece by piece, and remembered in
    ``cache_dir`` (keyed by every clip's samples and place), so rendering the
    same session again costs no measurement.
    """
    key = _session_key(events, clips)
    path = cache_dir / f"{key}.loudness" if cache_dir is not None else None
    if path is not None:
        try:
            return float(path.read_text(encoding="ascii"))
        except (OSError, ValueError):
            pass
    mixer = Mixer(events, clips, 1.0)
    islands = sampled_islands(_islands(events, clips))
    # Measured as it is mixed, never held whole (a cold render stays under 100 MB).
    loudness = stream_loudness(compacted_pieces(mixer, islands), compacted_length(islands), SAMPLE_RATE)
    if path is not None and math.isfinite(loudness):
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, repr(loudness).encode("ascii"))
    return loudness


def loudness_of(planar: Audio, sample_rate: int = SAMPLE_RATE) -> float:
    """BS.1770 integrated loudness (LUFS) of ``(channels, frames)`` samples: the channels' powers summed."""
    samples = np.ascontiguousarray(np.asarray(planar, dtype=np.float64).T)
    return loudness_lufs(samples[:, 0] if samples.shape[1] == 1 else samples, sample_rate)


def session_key(events: Sequence[Event], clips: ClipSource) -> str:
    """A digest of each sound of the session, its clip and its place (for remembering measurements)."""
    return _session_key(events, clips)


def file_gain_db(target_lufs: float, session_lufs: float) -> float:
    """The gain (dB) that brings a session measured at ``session_lufs`` to ``target_lufs`` (0 for silence)."""
    return target_lufs - session_lufs if math.isfinite(session_lufs) else 0.0


GAINED_CACHE_FRAMES = 20 * SAMPLE_RATE
"""Gained clips kept by ``GainedClips`` (20 s, 1.8 MB): the clips playing now, each gained once.

The clips under it are cached again below (``SessionClips``, a minute; the speech bank, two): at a
minute here too a render held the same clips three times (a 17-min ``.opus`` peaked 4 MB higher)."""

ClipKey = tuple[str, str | None, str | None]
"""What makes two events the same clip: kind, text and sound."""


def clip_key(event: Event) -> ClipKey:
    """The clip ``event`` plays: every event with this key sounds the same."""
    return (event.kind, event.text, event.sound)


class GainedClips:
    """A ``ClipSource`` whose clips are ``gain_db`` louder, each held to ``ceiling_dbtp`` (``CEILING_DBTP``).

    Keeps the gained clips in memory (bounded by ``max_cached_frames``), so a
    clip is scaled and limited once per render, not once per block.
    """

    def __init__(self, clips: ClipSource, gain_db: float, *, max_cached_frames: int = GAINED_CACHE_FRAMES,
                 ceiling_dbtp: float = CEILING_DBTP, quieter: Mapping[ClipKey, float] | None = None) -> None:
        self._clips = clips
        self._quieter = dict(quieter or {})
        self._gain_db = gain_db
        self._gain = np.float32(db_to_gain(gain_db))
        self._ceiling_dbtp = ceiling_dbtp
        # Levelled clips keep CEILING_DBTP up to a gain of HEADROOM_DB; a lower ceiling leaves less.
        self._limit = gain_db > HEADROOM_DB - (CEILING_DBTP - ceiling_dbtp)
        self._max_cached_frames = max_cached_frames
        self._cache: OrderedDict[ClipKey, Audio] = OrderedDict()
        self._cached_frames = 0

    def clip(self, event: Event) -> Audio:
        """The event's clip with the file gain applied."""
        key = clip_key(event)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        raw = np.asarray(self._clips.clip(event), dtype=np.float32)
        if self._limit:
            # Limiting this hard takes loudness too: level the clip again, at its
            # own loudness plus the gain, so the file still meets its target.
            audio = level_clip(raw, SAMPLE_RATE, target_lufs=loudness_lufs(raw, SAMPLE_RATE) + self._gain_db,
                               ceiling_dbtp=self._ceiling_dbtp)
        else:
            audio = raw * self._gain
        if key in self._quieter:  # a clip a lossy encoder took over the ceiling, in the pass before (render)
            audio = audio * np.float32(db_to_gain(-self._quieter[key]))
        audio.flags.writeable = False
        self._cache[key] = audio
        self._cached_frames += audio.size
        while self._cached_frames > self._max_cached_frames and len(self._cache) > 1:
            _, evicted = self._cache.popitem(last=False)
            self._cached_frames -= evicted.size
        return audio


PEAK_CHECK_BLOCK_FRAMES = 1 << 13
"""Frames decoded and metered at once by ``file_peaks`` (at 22,050 Hz 0.37 s: where a file is over, to a clip).

Oversampled to 192 kHz a block of 65,536 stereo frames was 4.7 MB twice over (the resampled block and its
magnitudes): a render's peak memory rose ~10-16 MB in the check.  At 8,192 the same true peak, 16 MB less
and 20 % less CPU (sciatica-de as ``.ogg``: 3.2 s against 4.1 s; docs/performance.md, "Render memory")."""


@dataclass(frozen=True)
class FilePeaks:
    """A decoded file's true peak, and where it reads over a level (``file_peaks``)."""

    peak_dbtp: float
    over: tuple[tuple[float, float], ...] = ()
    """(start, end) seconds, in order and apart, that hold every moment measured over the level asked."""


def file_true_peak_dbtp(path: str | os.PathLike[str]) -> float:
    """The true peak (dBTP, BS.1770-4) of an audio file as a player decodes it, read in blocks."""
    return file_peaks(path, math.inf).peak_dbtp


def file_peaks(path: str | os.PathLike[str], over_dbtp: float) -> FilePeaks:
    """The true peak of an audio file as a player decodes it, and the stretches that read over ``over_dbtp``.

    Each stretch is the blocks (``PEAK_CHECK_BLOCK_FRAMES``) measured over, widened by a block before
    (the resampler hands back a block's last moments with the next one).
    """
    import soundfile

    from voiceguide.audio.opus_file import is_ogg_opus, opus_blocks
    from voiceguide.audio.resampling import OPUS_RATE
    from voiceguide.system.library_messages import library_messages_to
    from voiceguide.true_peak import TruePeakMeter

    over = db_to_gain(over_dbtp) if math.isfinite(over_dbtp) else math.inf
    spans: list[tuple[float, float]] = []

    def measure(meter: TruePeakMeter, blocks: Iterator[Audio]) -> float:
        position = 0
        for block in blocks:
            if meter.feed(block) > over:
                start = max(0, position - PEAK_CHECK_BLOCK_FRAMES) / meter.sample_rate
                end = (position + len(block)) / meter.sample_rate
                if spans and spans[-1][1] >= start:
                    start = spans.pop()[0]
                spans.append((start, end))
            position += len(block)
        return meter.finish()

    # libmpg123 reports its own opinion of libsndfile's MP3 frames on descriptor 2 ("part2_3_length too
    # large"); ffmpeg and phones decode the same frames cleanly, so those lines are not the user's business.
    if is_ogg_opus(path):  # FFmpeg's decoder, as ffmpeg's meter reads it, and faster (opus_file)
        peak = measure(TruePeakMeter(OPUS_RATE), opus_blocks(path, PEAK_CHECK_BLOCK_FRAMES))
    else:
        with library_messages_to(Path(os.devnull)), soundfile.SoundFile(os.fsencode(path)) as file:
            peak = measure(TruePeakMeter(file.samplerate),
                           file.blocks(blocksize=PEAK_CHECK_BLOCK_FRAMES, dtype="float32", always_2d=True))
    return FilePeaks(20 * math.log10(peak) if peak > 0 else -math.inf, tuple(spans))
