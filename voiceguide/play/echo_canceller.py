"""Voiceguide's own sound taken out of the microphone: the bed above all, so commands are heard over it.

The output hands over every block it gives the device (``PlayedSound``: the
whole mix as written, zero-fill included, so its sample count is the device's
clock).  The listener folds it to mono at the microphone's rate and keeps it
(``Reference``).  Nothing is timed by when a callback ran (a microphone block
may arrive a second late under load): both streams are counted in samples, and
the delay from a played sample to the microphone's is found in the signals
themselves (``find_delay``: GCC-PHAT over a few seconds; a bed is wideband
noise, ideal for it), then checked again every ``RECHECK_SECONDS``: a change
(two devices' clocks drift apart) shifts the filter with it; a jump (a device's
underrun) is followed once two sure checks agree on it.  An adaptive filter
(``echo_filter.EchoCanceller``: partitioned frequency-domain NLMS, 240 ms, in a
learning and a subtracted copy) learns the rest of the room's response and
subtracts the echo it predicts; it learns the slower the louder something else
sounds, and what it subtracts changes only for what leaves clearly less.  When what it subtracts is no longer
in the microphone (the delay jumped under a television: ``EchoCanceller.passing``), the microphone is passed as
it is, the delay looked for every ``LOST_RECHECK_SECONDS``, and ``losses`` tells the listener to take its floor
again (the bed is back at full level).

Why the whole mix rather than the bed alone: it is what reaches the speaker, so
no part of the echo is missing from the reference, and the count of samples is
the device's own; the voice's echo is cancelled too (the gate stays for it).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

import numpy as np
import numpy.typing as npt

from voiceguide.audio.resampling import StreamResampler
from voiceguide.play.echo_filter import RATE, SILENT, EchoCanceller

__all__ = ["RATE", "AlignedCanceller", "EchoCanceller", "PlayedSound", "Reference", "find_delay"]

Signal = npt.NDArray[np.float64]

PRE_DELAY = 32
"""Taps kept before the direct path: an estimate a little late, or the resampler's smear, stays causal."""
FIND_SECONDS = 3.0
"""Microphone audio the delay is found in."""
SEARCH_SECONDS = (-1.0, 2.0)
"""Lags searched around the clocks' rough guess (a late callback shifts the guess by up to a second)."""
RECHECK_SECONDS = 2.0
"""How often the delay is found again."""
KEEP_SECONDS = 8.0
"""Reference kept for the search."""
CONFIDENCE = 8.0
"""GCC-PHAT peak over the correlation's rms below which the delay is not trusted (noise alone: about 5)."""
SEARCH_EVERY_SECONDS = 2.0
"""How often the delay is searched for while it is not known."""
NEAR = 400
"""Samples each side of the line's delay searched first (25 ms: a drift of 100 ppm over minutes)."""
NEAR_CONFIDENCE = 5.0
"""``CONFIDENCE`` for the search near the line (a few hundred lags, not tens of thousands: chance peaks lower)."""
LOST_CHECKS = 5
"""Searches near the line that find nothing before the delay is searched for anywhere (a bed made of repeated
stretches matches itself elsewhere: once two such matches agreed, and the bed was subtracted 1.8 s off)."""
TRACK = 8.0
"""Samples the delay found near the line may be off it (drift moves it far less between two checks)."""
RESNAP = 4.0
"""Samples the reference may stray from the line fitted to the delays found before it is moved back (by whole
samples, the filter with it), so that the room's response stays inside the filter."""
AGREE = 2.0
"""Samples two searches anywhere must agree to (drift moves the delay far less between them)."""
FAR_KEPT = 3
"""A delay found anywhere counts once one of the last this many found anywhere agrees with it (a chance peak
between two true ones, under a television, put off a lost delay's return by 5 s)."""
FIT_CHECKS = 6
"""The last this many delays found are fitted with the line."""
LOST_RECHECK_SECONDS = 0.5
"""How often the delay is found again while the echo is lost (``EchoCanceller.passing``: subtracting made the
microphone louder), over the last ``LOST_FIND_SECONDS`` only (most of them after the jump)."""
LOST_FIND_SECONDS = 1.5


def find_delay(reference: Signal, mic: Signal, lowest: int) -> tuple[float, float]:
    """(lag, confidence): ``mic[n]`` holds ``reference[n - lag]`` (GCC-PHAT).  ``reference`` starts ``lowest``
    lags before ``mic`` (it is the longer: the lags searched are ``lowest .. lowest + len(reference) -
    len(mic)``).  Confidence: the peak over the correlation's rms (``CONFIDENCE``)."""
    size = 1 << int(np.ceil(np.log2(reference.size + mic.size)))
    cross = np.fft.rfft(reference, size) * np.conj(np.fft.rfft(mic, size))
    # correlation[k]: reference[n + k] against mic[n], the lag ``lowest + span - k``
    correlation = np.fft.irfft(cross / (np.abs(cross) + 1e-12), size)
    span = reference.size - mic.size
    window = correlation[:span + 1]
    best = int(np.argmax(window))
    rms = float(np.sqrt(np.mean(np.square(window)))) + 1e-12
    peak = float(best)
    if 0 < best < span:  # between samples: a parabola through the peak and its neighbours
        before, at, after = window[best - 1:best + 2]
        curve = before - 2 * at + after
        peak += float(0.5 * (before - after) / curve) if curve < 0 else 0.0
    return lowest + span - peak, float(window[best]) / rms


class PlayedSound:
    """What the output gave the device, block by block, for the listener (filled on PortAudio's thread)."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._blocks: deque[tuple[npt.NDArray[np.float32], float]] = deque()

    def played(self, block: Any, at: float | None = None) -> None:
        """A block as the device got it (frames × channels or frames), handed over ``at`` (monotonic; now
        unless told): a rough time only."""
        self._blocks.append((np.array(block, dtype=np.float32), time.monotonic() if at is None else at))

    def take(self) -> list[tuple[npt.NDArray[np.float32], float]]:
        """The blocks played since the last call, oldest first."""
        taken = []
        while self._blocks:
            taken.append(self._blocks.popleft())
        return taken


HALF = 16
"""Taps each side of a fractional-delay interpolation."""
STEPS = 64
"""Fractional delays are rounded to this many steps per sample."""


def _fractional_taps(fraction: float) -> Signal:
    """The filter that reads a signal ``fraction`` of a sample after each sample (``2 * HALF`` taps)."""
    offsets = np.arange(-HALF + 1, HALF + 1) - fraction
    taps: Signal = np.sinc(offsets) * (0.5 + 0.5 * np.cos(np.pi * offsets / (HALF + 1)))
    return taps


class Reference:
    """The played sound folded to mono at ``RATE``, counted in samples since the output's first block."""

    def __init__(self, played: PlayedSound) -> None:
        self._played = played
        self._resampler: StreamResampler | None = None
        self._samples = np.zeros(0)
        self.first = 0
        """The count of the first sample kept."""
        self.epoch: float | None = None
        """When sample 0 went out, roughly: the earliest of (a block's arrival - its count / rate)."""
        self._lock = threading.Lock()

    @property
    def end(self) -> int:
        """The count after the last sample kept."""
        return self.first + self._samples.size

    def update(self) -> None:
        """Take in what was played since the last call."""
        for block, arrived in self._played.take():
            mono = block if block.ndim == 1 else block.mean(axis=1, dtype=np.float32)
            if self._resampler is None:
                self._resampler = StreamResampler(self._played.sample_rate, RATE)
            guess = arrived - self.end / RATE
            self.epoch = guess if self.epoch is None else min(self.epoch, guess)
            self._samples = np.concatenate([self._samples, self._resampler.process(mono)])
        extra = self._samples.size - round(KEEP_SECONDS * RATE)
        if extra > 0:
            self._samples = self._samples[extra:]
            self.first += extra

    def at(self, position: float, size: int) -> Signal:
        """``size`` samples from the fractional count ``position`` on (a windowed-sinc interpolation)."""
        whole = int(np.floor(position))
        taps = _fractional_taps(position - whole)
        return np.convolve(self.span(whole - HALF + 1, whole + size + HALF), taps[::-1], "valid")

    def span(self, start: int, stop: int) -> Signal:
        """Samples ``start .. stop`` (counts); zeros where nothing was kept (not played yet, or long ago)."""
        out = np.zeros(stop - start)
        low, high = max(start, self.first), min(stop, self.end)
        if high > low:
            out[low - start:high - start] = self._samples[low - self.first:high - self.first]
        return out


class AlignedCanceller:
    """The listener's canceller: microphone frames in, counted; the reference aligned by the delay found in them.

    The delays found are fitted with a line (count → lag): its slope is the two clocks' drift, so the
    reference is read where the microphone's clock says, to a fraction of a sample."""

    def __init__(self, played: PlayedSound, output_latency: float = 0.25) -> None:
        self.reference = Reference(played)
        self.filter = EchoCanceller()
        self.checks: list[tuple[float, float]] = []
        """Every delay found (lag, confidence), the untrusted ones too."""
        self._trusted: list[tuple[int, float]] = []
        self._line: tuple[float, float] | None = None
        self._far: deque[float] = deque(maxlen=FAR_KEPT)
        self._misses = 0
        self._moved_to = 0.0
        """How far off the line the last sure peak near it was (0: none)."""
        self._output_latency = output_latency
        self._count = 0
        self._epoch: float | None = None
        self._recent = np.zeros(round(FIND_SECONDS * RATE))
        self._next_check = self._recent.size

    @property
    def lag(self) -> float | None:
        """The delay in samples from the reference's count to the microphone's, now (None until found)."""
        return None if self._line is None else self._lag_at(self._count)

    def _lag_at(self, count: float) -> float:
        assert self._line is not None
        return self._line[0] + self._line[1] * count

    def heard(self, count: int, arrived: float) -> None:
        """The microphone's first ``count`` samples had arrived by ``arrived`` (monotonic): a rough guess only."""
        guess = arrived - count / RATE
        self._epoch = guess if self._epoch is None else min(self._epoch, guess)

    def clean(self, frame: Signal) -> Signal:
        """The next microphone frame (``BLOCK`` samples) with voiceguide's own sound taken out."""
        self.reference.update()
        self._recent = np.concatenate([self._recent[frame.size:], frame])
        start = self._count
        self._count += frame.size
        if self._count >= self._next_check:
            every = (LOST_RECHECK_SECONDS if self.filter.passing else RECHECK_SECONDS) if self._line else \
                SEARCH_EVERY_SECONDS
            self._next_check = self._count + round(every * RATE)
            self._check()
        out = frame
        if self._line is not None:
            position = start - self._lag_at(start + frame.size / 2) + PRE_DELAY
            was_passing = self.filter.passing
            out = self.filter.process(frame, self.reference.at(position, frame.size))
            if self.filter.passing and not was_passing:  # the echo lost: look for it at once
                self._next_check = self._count
        return out

    @property
    def losses(self) -> int:
        """Times the echo was lost (``EchoCanceller.losses``): the microphone's steady sound rose at once, the
        bed no longer taken out (or much less), and the listener takes its floor again (where it returns, the
        floor follows it down by itself)."""
        return self.filter.losses

    def _check(self) -> None:
        """Find the delay again over the last ``FIND_SECONDS``: near the line, once there is one; anywhere else
        only when two searches in a row agree (a bed made of repeated stretches also matches itself elsewhere:
        one such match outscored the true delay)."""
        lost = self._line is not None and self.filter.passing
        seconds = LOST_FIND_SECONDS if lost else FIND_SECONDS
        middle = self._count - round(seconds * RATE) // 2
        if self._line is not None:
            expected = round(self._lag_at(middle))
            near = self._find(expected - NEAR, expected + NEAR, NEAR_CONFIDENCE, seconds)
            if near is not None and abs(near - self._lag_at(middle)) <= TRACK:
                self._fit(middle, near)
                self._misses, self._moved_to = 0, 0.0
                return
            self._misses += 1
            if near is None or self.checks[-1][1] < CONFIDENCE:
                self._moved_to = 0.0
            elif self._moved(middle, near, lost):
                return
            if self._misses < LOST_CHECKS and not lost:  # a quiet bed, or someone speaking: the line holds
                return
        if self.reference.epoch is None or self._epoch is None:
            return
        guess = round((self.reference.epoch + self._output_latency - self._epoch) * RATE)
        far = self._find(guess + round(SEARCH_SECONDS[0] * RATE), guess + round(SEARCH_SECONDS[1] * RATE),
                         CONFIDENCE, seconds)
        if far is None:
            return
        if any(abs(far - before) <= AGREE for before in self._far):
            jump = 0.0 if self._line is None else far - self._lag_at(middle)
            self._trusted = []  # found (or the delay jumped: the microphone lost samples): a new line
            self._line = None
            self._fit(middle, far)
            self._realign(round(jump), lost)
            self._far.clear()
            self._misses = 0
        else:
            self._far.append(far)

    def _moved(self, middle: int, near: float, lost: bool) -> bool:
        """Whether the delay jumped to ``near`` (samples lost or added: a device's underrun): two sure peaks in a
        row off the line, where each other's drift puts them, or one while the echo is ``lost`` (subtracting made
        the microphone louder: the other proof).  The line moves by the jump, its slope kept.  (A 5-ms jump in
        the live room waited 12 s for the search anywhere, the filter a bed off meanwhile.)"""
        assert self._line is not None
        jump = near - self._lag_at(middle)
        seen, self._moved_to = self._moved_to, jump
        if not lost and (not seen or abs(jump - seen) > AGREE):
            return False
        self._trusted = [(count, lag + jump) for count, lag in self._trusted]
        self._line = (self._line[0] + jump, self._line[1])
        self._fit(middle, near)
        self._realign(round(jump), lost)
        self._misses, self._moved_to = 0, 0.0
        return True

    def _realign(self, by: int, lost: bool) -> None:
        """The delay grew by ``by``, the line with it.  While the echo is ``lost``, the foreground was learnt
        before the jump: right again now, the background takes it; else see ``EchoCanceller.realigned``."""
        if lost:
            self.filter.weights[:] = self.filter.foreground
        else:
            self.filter.realigned(by)

    def _find(self, low: int, high: int, least: float = CONFIDENCE, seconds: float = FIND_SECONDS) -> float | None:
        """The delay between ``low`` and ``high`` in the last ``seconds``; None when not sure of it."""
        recent = self._recent[-round(seconds * RATE):]
        first = self._count - recent.size
        reference = self.reference.span(first - high, self._count - low)
        if float(np.mean(np.square(reference))) < SILENT:
            return None
        lag, confidence = find_delay(reference, recent, low)
        self.checks.append((lag, confidence))
        return lag if confidence >= least else None

    def _fit(self, middle: int, lag: float) -> None:
        """Fit a line through the last ``FIT_CHECKS`` delays found; the reference follows its slope from here,
        on from where it is read now (each delay found is off by a few tenths of a sample, live by a few: moving
        the reference by as much at each check cost the filter 5-20 dB each time).  Once it is ``RESNAP`` off
        the line, it moves by whole samples, and the filter's taps with it: what is subtracted stays the same."""
        self._trusted = [*self._trusted[-(FIT_CHECKS - 1):], (middle, lag)]
        if len(self._trusted) < 2:
            self._line = (lag, 0.0)
            return
        counts, lags = np.array(self._trusted, dtype=np.float64).T
        slope, intercept = np.polyfit(counts - counts[-1], lags, 1)
        fitted = float(intercept + slope * (self._count - counts[-1]))
        now = fitted if self._line is None else self._lag_at(self._count)
        off = round(fitted - now)
        if abs(fitted - now) > RESNAP:
            now += off
            self.filter.shift(off)
        self._line = (now - float(slope) * self._count, float(slope))
