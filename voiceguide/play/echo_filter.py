"""The adaptive filter of the echo canceller: what the room made of the played sound, learnt and subtracted.

A partitioned frequency-domain NLMS filter (``PARTITIONS`` blocks of ``BLOCK``: 240 ms of the room's
response) in two copies, after Valin's design in Speex's ``mdf.c`` ("On adjusting the learning rate in
frequency domain echo cancellation with double-talk", IEEE TASLP 2007):

- The *background* filter learns on every block, at a rate set per frequency by how much of what is left
  is echo it could still learn: the residual echo (the share ``leak`` of its echo estimate that its error
  still moves with) over the error.  When something else sounds (a voice, a television), the error grows
  and the rate falls by as much: no decision to hold, nothing to get stuck.
- The *foreground* filter is what is subtracted.  It takes the background's weights only when they leave
  clearly less (a statistically significant drop of the error, over one block or two smoothed spans), and
  gives its own back when the background has clearly drifted off (it learnt some of a television).
- How much of what the foreground subtracts is in the microphone is followed (``match``): when it is no longer
  there (the delay jumped), subtracting adds as much as it takes, and the microphone is passed as it is
  (``passing``) until it matches again.

The first design held the filter still by a room gain learnt from levels: it learnt that gain falling too
low as the session's voice stopped (the played level smoothed, the microphone's not), held from then on, for
good, and left the bed's echo rising and falling through the television's minute (the live room: a command
after it was cut into one over-long segment with the bed's remains, and went unheard).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Signal = npt.NDArray[np.float64]

RATE = 16000
"""The microphone's rate (``segments.LISTEN_RATE``)."""
BLOCK = 480
"""Samples per filter block: one 30-ms frame of the listener."""
PARTITIONS = 8
"""Filter length in blocks: 240 ms of the room's response."""
COMFORT = 10 ** (-15 / 10)
"""Noise this far (15 dB) under the echo is added to what is left: what a filter leaves of the bed rises and
falls as it learns, and over a silent floor the listener took it for voice."""
SILENT = 1e-7
"""Mean square below which the reference holds no sound (-70 dBFS): nothing to learn from."""
MATCH_SMOOTH = 0.25
"""Smoothing (per block) of what is subtracted against the microphone (``EchoCanceller.match``)."""
LOST_MATCH = 0.5
"""Below this ``match`` subtracting adds more than it takes away (the delay jumped, the room changed): after
``LOST_BLOCKS`` such blocks in a row the microphone is passed as it is, until the match is back over
``FOUND_MATCH`` for as many blocks (the delay found again, or the filter learnt anew)."""
FOUND_MATCH = 0.75
LOST_BLOCKS = 3
EVIDENCE = 0.1
"""A block tells whether the echo is lost only when what is subtracted is at least this share of the
microphone's energy: under a voice or a television 10 dB louder, the match is mostly chance."""
RISE = 4.0
RISE_EVIDENCE = 0.5
"""What is left of the microphone (over its energy, in blocks where what is subtracted is at least
``RISE_EVIDENCE`` of it: the echo, hardly anything else) that rose ``RISE`` times (6 dB) over its usual share
for ``LOST_BLOCKS`` such blocks in a row is a loss too, though subtracting still helps: the delay drifted off
under a television, 13 dB taken out before it and 6 after, and the bed's remains stood out of the listener's
floor as voice, live."""
USUAL_SMOOTH = 0.05
MIN_LEAK = 0.005
"""The least share of the echo estimate assumed left in the error."""
STEP = 0.5
"""The largest rate (NLMS step)."""
LEARN_FIRST = STEP
"""The rate before the filter has learnt enough for its leak to be measured (Speex's)."""
HELD_RATE = 0.02
"""A block learnt at under this rate on average counts as held (``EchoCanceller.held``)."""
COPY_SHARE = 0.5
"""The background's echo estimate must be at least this share of its error's energy for the foreground to
take it: a drop in the error measured over a voice or a television 20 dB louder than the echo is mostly chance
(over a voice, three such copies cost the foreground 15 dB of the bed for a second)."""
SPEC_AVERAGE = BLOCK / RATE
BETA0 = 2 * BLOCK / RATE
BETA_MAX = 0.5 * BLOCK / RATE
"""Smoothing of the spectra and of the leak's correlations (Speex's, per block of 30 ms)."""
TINY = 1e-20


class EchoCanceller:
    """``process(mic, reference)`` → the microphone less the reference's echo (one ``block`` of each, aligned)."""

    def __init__(self, partitions: int = PARTITIONS, block: int = BLOCK, comfort: float = COMFORT) -> None:
        self.block = block
        self._partitions = partitions
        self._comfort = comfort
        bins = block + 1
        self.weights = np.zeros((partitions, bins), complex)
        """The background filter (the one that learns)."""
        self.foreground = np.zeros((partitions, bins), complex)
        """The filter whose echo is subtracted."""
        self._history = np.zeros((partitions, bins), complex)
        self._previous = np.zeros(block)
        self._error_average = np.zeros(bins)
        self._echo_average = np.zeros(bins)
        self._pey = self._pyy = 1e-12
        self._learnt = 0.0
        self._adapted = False
        self._compare = np.zeros(4)  # the two spans' mean error drop and its variance
        self._echo: float | None = None
        self._sums = np.zeros(2)  # smoothed (mic · kept, kept · kept)
        self._run = 0  # blocks in a row that point to the other regime
        self.passing = False
        """Whether the microphone is passed as it is (subtracting made it louder: the echo is lost)."""
        self.losses = 0
        """Times what is left of the echo rose at once: subtracting stopped (``passing``), or left ``RISE`` times
        its usual share."""
        self._shares = np.zeros(2)  # what is left over the microphone, smoothed: now, and as usual
        self._risen = 0
        self._ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(block) + 0.5) / block)
        self._noise = np.random.default_rng(7)
        self.held = 0
        """Blocks learnt from at under ``HELD_RATE``: something else sounded (or nothing was played)."""
        self.copies = 0
        """Times the foreground took the background's weights."""
        self.backtracks = 0
        """Times the background was put back to the foreground (it had learnt something else)."""

    def process(self, mic: Signal, reference: Signal) -> Signal:
        """One block of the microphone with the echo of ``reference`` (the same block, aligned) taken out."""
        both = np.concatenate([self._previous, reference])
        self._previous = both[self.block:]
        self._history[1:] = self._history[:-1]
        self._history[0] = np.fft.rfft(both)
        echo = self._estimate(self.weights)
        kept = self._estimate(self.foreground)
        error, out = mic - echo, mic - kept
        left, learnt = (float(np.dot(x, x)) + TINY for x in (out, error))
        difference = float(np.sum(np.square(kept - echo))) + TINY
        verdict = self._compare_filters(left, learnt, difference)
        if verdict > 0 and float(np.dot(echo, echo)) < COPY_SHARE * learnt:
            verdict = 0  # something else is louder than the echo: the drop may be chance (it was, over a voice)
        if verdict > 0:  # the background leaves clearly less: it becomes the foreground, faded in
            self.foreground[:] = self.weights
            self.copies += 1
            out = mic - (self._ramp * echo + (1 - self._ramp) * kept)
            kept = echo
        elif verdict < 0:  # the background went off: back to the foreground
            self.weights[:] = self.foreground
            self.backtracks += 1
            echo, error = kept, out
        self._follow(mic, kept)
        if self.passing:  # nothing is subtracted until it helps again (the delay found, or learnt anew)
            out, kept = mic.copy(), np.zeros(mic.size)
        played = float(np.mean(np.square(reference)))
        if played > SILENT:
            self._learn(error, echo, played)
        else:
            self.held += 1
        power = float(np.mean(np.square(kept)))
        self._echo = power if self._echo is None else 0.7 * self._echo + 0.3 * power
        if self._comfort > 0:  # a steady floor under what is left
            out = out + np.sqrt(self._echo * self._comfort) * self._noise.standard_normal(out.size)
        return out

    @property
    def match(self) -> float:
        """How much of what the foreground subtracts is in the microphone (smoothed): 1 when it is the echo, 0 when
        the echo moved away from it (then subtracting adds as much as it takes).  A voice or a television over the
        echo leaves it 1 on average, only less sure."""
        return float(self._sums[0] / self._sums[1]) if self._sums[1] > SILENT * self.block else 1.0

    def _follow(self, mic: Signal, kept: Signal) -> None:
        """Pass the microphone as it is from ``LOST_BLOCKS`` blocks in a row under ``LOST_MATCH`` on, subtract
        again from as many over ``FOUND_MATCH`` on."""
        both = np.array([np.dot(mic, kept), np.dot(kept, kept)])
        heard = float(np.dot(mic, mic)) + TINY
        if both[1] < EVIDENCE * heard:
            return
        self._sums += MATCH_SMOOTH * (both - self._sums)
        other = self.match > FOUND_MATCH if self.passing else self.match < LOST_MATCH
        self._run = self._run + 1 if other else 0
        if self._run >= LOST_BLOCKS:
            self.passing, self._run = not self.passing, 0
            self.losses += self.passing
            self._risen = 0
        elif not self.passing and both[1] >= RISE_EVIDENCE * heard:
            self._rise(float(np.sum(np.square(mic - kept))) / heard)

    def _rise(self, share: float) -> None:
        """Count a loss when what is left, over the microphone, stays ``RISE`` times its usual share."""
        if not self._shares[1]:
            self._shares[:] = share
        self._shares += np.array([MATCH_SMOOTH, USUAL_SMOOTH]) * (share - self._shares)
        self._risen = self._risen + 1 if self._shares[0] > RISE * self._shares[1] else 0
        if self._risen >= LOST_BLOCKS:
            self.losses += 1
            self._shares[1], self._risen = self._shares[0], 0

    def realigned(self, by: int) -> None:
        """The reference is read ``by`` samples earlier from now on (the delay grew by as much: a device's
        underrun).  The foreground may have been learnt before the jump (right again now) or after it (off by
        ``by`` now): the background becomes the latter, moved by ``by`` taps, and the two are compared as ever."""
        self.weights[:] = self._moved(self.foreground, by)
        self._compare[:] = 0

    def shift(self, by: int) -> None:
        """The reference is read ``by`` samples earlier from now on, to keep the room's response inside the
        filter (the delay drifted off the line it is read by): both filters move with it, so that what they
        subtract stays the same (moving the reference alone cost 5-12 dB of the bed each time, live)."""
        self.foreground[:] = self._moved(self.foreground, by)
        self.weights[:] = self._moved(self.weights, by)

    def _moved(self, weights: npt.NDArray[np.complex128], by: int) -> npt.NDArray[np.complex128]:
        """``weights`` with every tap ``by`` earlier (later when negative): tap ``i`` becomes tap ``i + by``'s."""
        taps = np.fft.irfft(weights, axis=1)[:, :self.block].reshape(-1)
        moved = np.zeros(taps.size)
        if abs(by) < taps.size:
            moved[max(0, -by):taps.size - max(0, by)] = taps[max(0, by):taps.size + min(0, by)]
        parts = np.concatenate([moved.reshape(self._partitions, self.block),
                                np.zeros((self._partitions, self.block))], axis=1)
        spectra: npt.NDArray[np.complex128] = np.fft.rfft(parts, axis=1)
        return spectra

    def _estimate(self, weights: npt.NDArray[np.complex128]) -> Signal:
        estimate: Signal = np.fft.irfft((weights * self._history).sum(axis=0))[self.block:]
        return estimate

    def _compare_filters(self, left: float, learnt: float, difference: float) -> int:
        """1: the foreground takes the background's weights; -1: the background takes the foreground's; 0.

        ``left``/``learnt``: the foreground's/background's error energy; ``difference``: their echo estimates'
        difference (what the error's drop may be off by).  Speex's test, over this block and two spans."""
        drop = left - learnt
        c = self._compare
        c[0] = 0.6 * c[0] + 0.4 * drop
        c[1] = 0.85 * c[1] + 0.15 * drop
        c[2] = 0.36 * c[2] + 0.16 * left * difference
        c[3] = 0.7225 * c[3] + 0.0225 * left * difference
        if (drop * abs(drop) > left * difference or c[0] * abs(c[0]) > 0.5 * c[2]
                or c[1] * abs(c[1]) > 0.25 * c[3]):
            c[:] = 0
            return 1
        if (-drop * abs(drop) > 4 * left * difference or -c[0] * abs(c[0]) > 4 * c[2]
                or -c[1] * abs(c[1]) > 4 * c[3]):
            c[:] = 0
            return -1
        return 0

    def _learn(self, error: Signal, echo: Signal, played: float) -> None:
        """One step of the background filter, at a rate per frequency: the residual echo over the error."""
        pad = np.zeros(self.block)
        spectrum = np.fft.rfft(np.concatenate([pad, error]))
        errors = np.abs(spectrum) ** 2
        echoes = np.abs(np.fft.rfft(np.concatenate([pad, echo]))) ** 2
        see, syy = float(np.dot(error, error)) + TINY, float(np.dot(echo, echo))
        leak = self._leak(errors, echoes, see, syy)
        if self._adapted:
            residual = np.minimum(leak * echoes, 0.5 * (errors + TINY))
            ratio = (1e-4 * played * self.block + 3 * leak * syy) / see
            ratio = min(max(ratio, float(np.dot(error, echo)) ** 2 / (TINY + see * syy)), 0.5)
            rate = (0.7 * residual + 0.3 * ratio * (errors + TINY)) / (errors + TINY)
            # At least the share of the error its echo estimate makes up: a frequency it has not learnt yet
            # (an estimate too small there to tell its leak) learns as fast as the rest.
            rate = np.maximum(rate, STEP * min(1.0, syy / see))
        else:  # learning from nothing: a fixed rate, less while something louder than the played sound sounds
            first = LEARN_FIRST * min(1.0, played * self.block / see)
            self._learnt += first
            self._adapted = self._learnt > self._partitions and leak > 0.03
            rate = np.full(errors.size, first)
        if float(np.mean(rate)) < HELD_RATE:
            self.held += 1
        power = (np.abs(self._history) ** 2).sum(axis=0)
        update = np.conj(self._history) * (rate * spectrum / (power + 1e-5))
        constrained = np.fft.irfft(update, axis=1)
        constrained[:, self.block:] = 0  # overlap-save: a causal filter of ``block`` taps per partition
        self.weights += np.fft.rfft(constrained, axis=1)

    def _leak(self, errors: Signal, echoes: Signal, see: float, syy: float) -> float:
        """The share of the echo estimate's power still in the error: how the two spectra move together."""
        moved_error, moved_echo = errors - self._error_average, echoes - self._echo_average
        pey, pyy = float(np.dot(moved_error, moved_echo)), float(np.dot(moved_echo, moved_echo))
        self._error_average += SPEC_AVERAGE * (errors - self._error_average)
        self._echo_average += SPEC_AVERAGE * (echoes - self._echo_average)
        pyy = np.sqrt(pyy)
        pey = pey / (pyy + TINY)
        alpha = min(BETA0 * syy, BETA_MAX * see) / see
        self._pey = (1 - alpha) * self._pey + alpha * pey
        self._pyy = max((1 - alpha) * self._pyy + alpha * pyy, 1e-12)
        self._pey = min(max(self._pey, MIN_LEAK * self._pyy), self._pyy)
        return self._pey / self._pyy
