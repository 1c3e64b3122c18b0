"""The loudness of a mix with a bed, as BS.1770 measures it, at any voice and bed gain from one measurement.

K-weighting is linear, so a gating block of the mix has the energy
``a²·V + b²·B + 2ab·C``: V the voice's K-weighted energy in the block, B the
bed's, C their cross term, ``a`` and ``b`` the voice's and the bed's gains.
``measure_mix`` finds V, B and C for the session's blocks once; ``MixBlocks``
then gives the integrated loudness (gates and all) at any pair of gains by
arithmetic, so ``render`` can choose the file gain and, in a session of long
silences, how far to lower the bed, without mixing the session again.

Not every block is measured.  Blocks near the voice (``VOICE_CONTEXT_SECONDS``
around each sound, and around the bed's fades) are measured; if they hold
more than ``VOICE_BUDGET_SECONDS`` of sound, a stratified sample of pieces
stands for the rest.  Between them the bed plays alone
and evenly: all of those stretches are measured if they hold at most
``BED_BUDGET_SECONDS``, else each on a window from its middle whose blocks
stand for the stretch's (near the gate's edge a fraction of a LU depends on
how many of the bed's blocks pass: a few seconds of each stretch are not enough).  So a
session of minutes of bed for each word is weighed as it is, which evenly
spread windows of the whole mix could not do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voiceguide.audio.bed import Bed
from voiceguide.audio.mixer import Mixer
from voiceguide.dsp.limiter import db_to_gain
from voiceguide.dsp.lufs import ABSOLUTE_GATE_LUFS, OFFSET_LU, RELATIVE_GATE_LU, k_weighted_stream, tail_frames
from voiceguide.timeline.layout import Event

VOICE_CONTEXT_SECONDS = 2.0
"""Blocks this near a sound (or a bed's fade) are measured: the duck's attack and release, a block, the filter."""

VOICE_BUDGET_SECONDS = 180
"""At most this much of the blocks near the voice is measured (a stratified sample beyond it)."""

BED_BUDGET_SECONDS = 600
"""At most about this much of the stretches of bed alone is measured (the same share of each)."""

BED_WINDOW_SECONDS = 6
"""…but at least this much of each stretch (or all of a shorter one)."""

SAMPLE_PIECE_SECONDS = 4
"""Blocks near the voice, when they must be sampled, are taken in pieces this long."""

PIECE_BLOCKS = 300
"""Runs of blocks are measured at most this many at a time (30 s): memory stays flat."""

Energies = npt.NDArray[np.float64]


@dataclass(frozen=True)
class MixBlocks:
    """The measured gating blocks of a mix: each one's voice, bed and cross energy, and how many it stands for."""

    voice: Energies
    bed: Energies
    cross: Energies
    weight: Energies
    block_frames: int
    near: int
    """The first ``near`` blocks are near the voice; the rest, the bed alone."""

    def loudness(self, voice_gain_db: float, bed_gain_db: float) -> float:
        """The BS.1770 integrated loudness (LUFS) of the mix with the voice and the bed at these gains."""
        a, b = db_to_gain(voice_gain_db), db_to_gain(bed_gain_db)
        energy = a * a * self.voice + b * b * self.bed + 2 * a * b * self.cross
        mean_square = np.maximum(energy, 0.0) / self.block_frames
        with np.errstate(divide="ignore"):
            block_loudness = OFFSET_LU + 10.0 * np.log10(mean_square)
        passed = block_loudness >= ABSOLUTE_GATE_LUFS
        if not passed.any():
            return -math.inf
        relative = OFFSET_LU + 10 * math.log10(_mean(mean_square, self.weight, passed)) + RELATIVE_GATE_LU
        gated = passed & (block_loudness > relative)
        if not gated.any():
            return -math.inf
        return OFFSET_LU + 10 * math.log10(_mean(mean_square, self.weight, gated))


def _mean(values: Energies, weight: Energies, chosen: npt.NDArray[np.bool_]) -> float:
    return float(np.sum(values[chosen] * weight[chosen]) / np.sum(weight[chosen]))


def block_count(frames: int, rate: int, block_seconds: float = 0.4) -> int:
    """How many gating blocks BS.1770 (as pyloudnorm) lays over ``frames`` frames (0 if shorter than a block)."""
    if frames < block_seconds * rate:
        return 0
    return int(np.round((frames / rate - block_seconds) / (block_seconds * 0.25))) + 1


def measure_mix(voice: Mixer, bed: Bed, length: int, events: Sequence[Event], rate: int, *,
                alone: MixBlocks | None = None) -> MixBlocks:
    """The blocks of the mix of ``voice`` (a mixer without a bed) and ``bed`` over ``length`` frames.

    ``alone``: an earlier measurement of the same bed whose blocks of bed alone are taken as they are
    (only the voice changed).
    """
    hop, block = round(0.1 * rate), round(0.4 * rate)
    count = block_count(length, rate)
    near = np.zeros(count, dtype=bool)
    context = round(VOICE_CONTEXT_SECONDS * rate)
    spans = [(e.start, e.start + e.length) for e in events if e.length > 0]
    for span in bed.spans:  # the fades: the bed's level moves there
        spans += [(span.start, span.start + span.fade_in), (span.end - span.fade_out, span.end)]
    for start, end in spans:
        near[max(0, (start - context - block) // hop + 1):min(count, (end + context) // hop + 1)] = True
    runs = _runs(near)
    measured = [_measure_run(voice, bed, first, end, weight, hop, block, rate)
                for first, end, weight in _near_parts([(a, b) for a, b, is_near in runs if is_near], rate / hop)]
    near_count = sum(len(part[0]) for part in measured)
    if alone is not None:
        measured.append((alone.voice[alone.near:], alone.bed[alone.near:], alone.cross[alone.near:],
                         alone.weight[alone.near:]))
    else:
        measured += [_measure_run(None, bed, first, end, weight, hop, block, rate)
                     for first, end, weight in _alone_parts([(a, b) for a, b, is_near in runs if not is_near],
                                                            rate / hop)]
    if not measured:
        empty = np.zeros(0)
        return MixBlocks(empty, empty, empty, empty, block, 0)
    voice_energy, bed_energy, cross, weights = (np.concatenate(column) for column in zip(*measured, strict=True))
    return MixBlocks(voice_energy, bed_energy, cross, weights, block, near_count)


def _near_parts(runs: list[tuple[int, int]], blocks_per_second: float) -> list[tuple[int, int, float]]:
    """(first block, end block, weight) to measure of the runs near the voice: all, or evenly spaced pieces.

    One piece from each of as many equal strata: a session's density changes along it (a sleep
    session's voice thins out towards the end), and every part is measured alike; the piece's place in
    its stratum is random (with a fixed seed), so a breathing pattern's period cannot alias with the
    spacing.
    """
    budget = round(VOICE_BUDGET_SECONDS * blocks_per_second)
    size = round(SAMPLE_PIECE_SECONDS * blocks_per_second)
    pieces = [(a, min(a + size, b)) for a, b in runs for a in range(a, b, size)]
    total = sum(b - a for a, b in pieces)
    if total <= budget:
        return [(a, b, 1.0) for a, b in pieces]
    count = max(1, budget // size)
    jitter = np.random.default_rng(0).random(count)  # one piece from each stratum, at a fixed random place
    chosen = [pieces[int((i + jitter[i]) * len(pieces) / count)] for i in range(count)]
    taken = sum(b - a for a, b in chosen)
    return [(a, b, total / taken) for a, b in chosen]


def _alone_parts(runs: list[tuple[int, int]], blocks_per_second: float) -> list[tuple[int, int, float]]:
    """(first block, end block, weight) to measure of the stretches of bed alone: all, or a share of each."""
    total = sum(b - a for a, b in runs)
    share = min(1.0, BED_BUDGET_SECONDS * blocks_per_second / total) if total else 1.0
    shortest = round(BED_WINDOW_SECONDS * blocks_per_second)
    parts = []
    for a, b in runs:
        window = max(min(shortest, b - a), round(share * (b - a)))
        first = (a + b) // 2 - window // 2
        parts += [(start, end, (b - a) / window) for start, end in _split(first, first + window)]
    return parts


def _runs(flags: npt.NDArray[np.bool_]) -> list[tuple[int, int, bool]]:
    """The runs of equal values in ``flags``: (start, end, value)."""
    if flags.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(flags.astype(np.int8))) + 1
    bounds = [0, *cuts.tolist(), flags.size]
    return [(a, b, bool(flags[a])) for a, b in zip(bounds, bounds[1:], strict=False)]


def _split(first: int, end: int) -> list[tuple[int, int]]:
    return [(a, min(a + PIECE_BLOCKS, end)) for a in range(first, end, PIECE_BLOCKS)]


def _measure_run(voice: Mixer | None, bed: Bed, first: int, end: int, weight: float, hop: int, block: int,
                 rate: int) -> tuple[Energies, Energies, Energies, Energies]:
    """The voice, bed and cross energies of blocks ``first`` to ``end`` (exclusive), each with ``weight``.

    ``voice`` None: the bed plays alone there (no voice to filter).
    """
    tail = tail_frames(rate)
    start, stop = first * hop, (end - 1) * hop + block
    lead = min(tail, start)  # the filter's memory: sound before the run shapes its first blocks
    frames = stop - start + lead
    bedded = np.asarray(bed.render(start - lead, frames), dtype=np.float64)
    voiced = (None if voice is None else
              np.asarray(voice.render(start - lead, frames), dtype=np.float64).reshape(frames, -1).T)
    count = end - first
    quarters = block // hop

    def sums(signal: Energies) -> Energies:
        """Each block's sum: its ``quarters`` hops summed."""
        hops = signal[lead:].reshape(count + quarters - 1, hop).sum(axis=1)
        running: Energies = np.concatenate([[0.0], np.cumsum(hops)])
        block_sums: Energies = running[quarters:] - running[:-quarters]
        return block_sums

    def k_weighted(signal: Energies) -> Energies:  # in 65536-point transforms: the fastest here
        return np.concatenate(list(k_weighted_stream([signal], rate)))

    voice_energy, bed_energy, cross = np.zeros(count), np.zeros(count), np.zeros(count)
    for channel in range(bedded.shape[0]):
        b = k_weighted(bedded[channel])
        bed_energy += sums(b * b)
        if voiced is not None:
            v = k_weighted(voiced[min(channel, voiced.shape[0] - 1)])
            voice_energy += sums(v * v)
            cross += sums(v * b)
    return voice_energy, bed_energy, cross, np.full(count, weight)
