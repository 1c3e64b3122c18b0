"""Our BS.1770 meter (voiceguide.dsp.lufs) against pyloudnorm, the reference; the limiter against scipy."""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import numpy.typing as npt
import pytest

from tests.fakes import start_engine
from voiceguide.base import SAMPLE_RATE
from voiceguide.dsp.levelling import level_clip, loudness_lufs
from voiceguide.dsp.limiter import running_mean, running_min
from voiceguide.dsp.lufs import integrated_loudness, k_weighted
from voiceguide.speech.trimming import prepare_clip

AGREEMENT_LU = 0.001
"""We promise 0.1 LU; the two meters compute the same sums, so they agree far closer."""


def reference_lufs(audio: npt.ArrayLike, rate: int = SAMPLE_RATE) -> float:
    """pyloudnorm's integrated loudness, over the clip's own length when it is shorter than a block."""
    import pyloudnorm

    samples = np.asarray(audio, dtype=np.float64)
    block = min(0.4, (samples.shape[0] - 0.5) / rate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(pyloudnorm.Meter(rate, block_size=block).integrated_loudness(samples))


def assert_agree(audio: npt.ArrayLike, rate: int = SAMPLE_RATE, what: str = "") -> None:
    ours, theirs = loudness_lufs(audio, rate), reference_lufs(audio, rate)
    if math.isinf(theirs):
        assert ours == theirs, what
    else:
        assert abs(ours - theirs) <= AGREEMENT_LU, f"{what}: ours {ours:.6f}, pyloudnorm {theirs:.6f} LUFS"


LENGTHS = (2, 300, 8000, 8820, 8821, 9000, 22050, 100_000, 262_000, 900_000)
SIGNALS = [f"{kind} {frames}" for frames in LENGTHS for kind in ("noise", "tone", "bursts")] + [
    "silence", "below the absolute gate"]
"""The names of ``signals()``, in its order (the signals themselves are made when a test first needs them: every
pytest process collects this module, and making them took each 0.2 CPU s)."""


@functools.cache
def signals() -> dict[str, npt.NDArray[np.float32]]:
    """Noise, tones, bursts and silences of many lengths, from 2 samples to 40 s (past one FFT block)."""
    rng = np.random.default_rng(7)
    found = []
    for frames in LENGTHS:
        t = np.arange(frames) / SAMPLE_RATE
        level = 10 ** rng.uniform(-3.5, 0)
        bursts = rng.standard_normal(frames) * (np.sin(2 * np.pi * 1.3 * t) > 0.2) * level
        bursts[: frames // 3] *= 1e-4  # a quiet third, gated out
        found += [
            (f"noise {frames}", (rng.standard_normal(frames) * level).astype(np.float32)),
            (f"tone {frames}", (np.sin(2 * np.pi * rng.uniform(30, 9000) * t) * level).astype(np.float32)),
            (f"bursts {frames}", bursts.astype(np.float32)),
        ]
    found.append(("silence", np.zeros(50_000, dtype=np.float32)))
    found.append(("below the absolute gate", np.full(50_000, 1e-5, dtype=np.float32)))
    assert [name for name, _ in found] == SIGNALS
    return dict(found)


@pytest.mark.parametrize("what", SIGNALS)
def test_meter_agrees_with_pyloudnorm_on_signals(what: str) -> None:
    assert_agree(signals()[what], what=what)


def test_meter_agrees_with_pyloudnorm_at_other_rates() -> None:
    rng = np.random.default_rng(3)
    for rate in (8000, 16000, 44100, 48000):
        audio = rng.standard_normal(rate * 3) * 0.1
        assert_agree(audio, rate, f"noise at {rate} Hz")


def test_meter_agrees_with_pyloudnorm_on_stereo_and_three_channels() -> None:
    # A mix with a bed under the voice and sides panned: the channels' K-weighted powers add (weights 1).
    rng = np.random.default_rng(13)
    frames = 8 * SAMPLE_RATE
    voice = rng.standard_normal(frames) * (np.sin(np.arange(frames) / 3000) > 0) * 0.2
    bed = rng.standard_normal((frames, 2)) * 0.02
    stereo = bed + np.column_stack([voice * 1.4, voice * 0.5])
    assert_agree(stereo, what="stereo")
    assert_agree(np.column_stack([stereo, voice]), what="three channels")
    assert_agree(stereo[:300], what="a short stereo clip")
    with pytest.raises(ValueError, match="channels"):
        integrated_loudness(np.zeros((SAMPLE_RATE, 4)), SAMPLE_RATE)


def test_k_weighting_is_pyloudnorm_filter() -> None:
    import pyloudnorm

    rng = np.random.default_rng(5)
    audio = rng.standard_normal(300_000)  # longer than one FFT block: filtered in pieces
    expected = audio.copy()
    for stage in pyloudnorm.Meter(SAMPLE_RATE)._filters.values():
        expected = stage.apply_filter(expected)
    assert np.abs(k_weighted(audio, SAMPLE_RATE) - expected).max() < 1e-9


def test_meter_refuses_what_pyloudnorm_refuses() -> None:
    with pytest.raises(ValueError, match="shorter than one gating block"):
        integrated_loudness(np.zeros(100), SAMPLE_RATE)


def test_running_min_and_mean_are_scipys_nearest_filters() -> None:
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    rng = np.random.default_rng(11)
    for frames in (1, 2, 7, 110, 221, 222, 5000):
        for half in (1, 2, 5, 110):
            values = rng.random(frames)
            assert np.array_equal(running_min(values, half), minimum_filter1d(values, 2 * half + 1, mode="nearest"))
            assert np.allclose(running_mean(values, half), uniform_filter1d(values, 2 * half + 1, mode="nearest"),
                               rtol=0, atol=1e-12)


@pytest.mark.engine
def test_meter_agrees_with_pyloudnorm_on_speech() -> None:
    """Real espeak-ng speech, as made, levelled, and at file gains: the clips the meter is used on."""
    texts = ["Three.", "Hold.", "Breathe in slowly through your nose.", "Forty-five seconds left.",
             "Press firmly on the point between your thumb and finger, and keep breathing.",
             "Let your shoulders drop, and notice where the body meets the floor."]
    synth = start_engine(language="en-GB")
    try:
        raws = synth.synthesize_many(texts)
    finally:
        synth.close()
    print(f"measuring {len(texts)} real clips, raw, trimmed, levelled and at three gains")
    for text, raw in zip(texts, raws, strict=True):
        clip = prepare_clip(raw, SAMPLE_RATE, text)
        levelled = level_clip(clip)
        for what, audio in (("raw", raw), ("trimmed", clip), ("levelled", levelled),
                            ("-30 dB", levelled * 0.0316), ("+6 dB", levelled * 2.0), ("-60 dB", levelled * 1e-3)):
            assert_agree(audio, what=f"{text!r} {what}")


def test_stream_meter_agrees_with_pyloudnorm_in_any_pieces() -> None:
    from voiceguide.dsp.lufs import stream_loudness

    rng = np.random.default_rng(13)
    for frames in (9000, 65_536, 400_000):
        audio = rng.standard_normal(frames) * 0.1 * (np.sin(np.arange(frames) / 3000) > 0)
        pieces = np.split(audio, np.sort(rng.integers(0, frames, 9)))
        ours = stream_loudness(pieces, frames, SAMPLE_RATE)
        assert abs(ours - reference_lufs(audio)) <= AGREEMENT_LU, f"{frames} frames in {len(pieces)} pieces"


def test_the_limiter_curve_made_around_the_peaks_is_the_whole_curve() -> None:
    # Levelling makes the limiter's curve only near the samples it lowers (stretches, joined end to end);
    # it must be the curve made over the whole clip: the same values there, and 1 everywhere else.
    from voiceguide.dsp.limiter import limiter_curve, limiter_gain
    from voiceguide.dsp.lufs import CurvedLoudness

    rng = np.random.default_rng(5)
    for frames in (50, 400, 3000, 40000):
        envelope = (np.abs(rng.standard_normal(frames)) ** 3 * 0.1).astype(np.float32)
        envelope[0] = envelope[-1] = 1.5  # peaks at both edges, where the whole curve repeats its end values
        for gain in (0.5, 1.0, 2.0, 8.0):
            whole = limiter_gain(envelope * np.float32(gain), 0.6, SAMPLE_RATE)
            index, curve = limiter_curve(envelope, gain, 0.6, SAMPLE_RATE)
            assert np.all(np.diff(index) > 0)
            assert np.allclose(curve, whole[index], rtol=0, atol=1e-12)
            rest = np.ones(frames, dtype=bool)
            rest[index] = False
            assert np.allclose(whole[rest], 1.0, rtol=0, atol=1e-12)
            assert whole.min() < 1.0  # the edge peaks are always limited: the test cannot pass empty-handed
            if frames >= 20000:  # at least one gating block
                weighted = k_weighted(envelope, SAMPLE_RATE)
                meter = CurvedLoudness(weighted, SAMPLE_RATE)
                from voiceguide.dsp.lufs import weighted_loudness

                expected = weighted_loudness(weighted * (gain * whole), SAMPLE_RATE)
                assert meter.estimate(gain, index, curve) == pytest.approx(expected, abs=1e-9)


def test_the_final_check_limits_a_take_whose_peak_near_the_curve_is_over() -> None:
    # The check oversamples only around the curve; a peak there over the ceiling must send the take
    # through the limiter, and a take within it must come back untouched.
    from voiceguide.dsp.levelling import _checked
    from voiceguide.dsp.limiter import db_to_gain
    from voiceguide.dsp.peaks import PeakEnvelope
    from voiceguide.true_peak import true_peak

    rng = np.random.default_rng(3)
    take = (rng.standard_normal(20000) * 0.05).astype(np.float32)
    take[10000] = 0.9
    ceiling = db_to_gain(-3.0)
    index = np.arange(9900, 10100)
    factor = np.ones(take.size)  # a gain of 1, and a curve of 1 that has not held the peak
    limited = _checked(take, PeakEnvelope(take, SAMPLE_RATE), (index, factor), ceiling, SAMPLE_RATE)
    assert not np.array_equal(limited, take) and true_peak(limited) <= ceiling
    quiet = take * np.float32(0.5)
    assert _checked(quiet, PeakEnvelope(quiet, SAMPLE_RATE), (index, factor), ceiling, SAMPLE_RATE) is quiet


def test_the_envelope_made_exact_where_it_matters_is_the_whole_192_khz_envelope() -> None:
    # Levelling oversamples to 192 kHz only the samples a gain brings near the target, through soxr's own taps;
    # those values must be peak_envelope's, and every sample the whole envelope puts near the target must be
    # among them, on the signals least kind to a coarse grid (white noise, a tone near half the rate, clicks).
    from voiceguide.dsp.limiter import peak_envelope
    from voiceguide.dsp.peaks import PeakEnvelope, exact_envelope

    rng = np.random.default_rng(9)
    t = np.arange(30000) / SAMPLE_RATE
    signals = {"noise": rng.standard_normal(t.size) * 0.1, "10 kHz": np.sin(2 * np.pi * 10000 * t + 0.3) * 0.5,
               "clicks": np.where(rng.random(t.size) < 0.01, 0.8, 0.0)}
    for what, signal in signals.items():
        audio = signal.astype(np.float32)
        whole = peak_envelope(audio, SAMPLE_RATE)
        where = np.sort(rng.choice(audio.size, 500, replace=False))
        assert np.abs(exact_envelope(audio, where, SAMPLE_RATE) - whole[where]).max() <= 1e-5 * whole.max(), what
        envelope = PeakEnvelope(audio, SAMPLE_RATE)
        for gain in (1.0, 2.0, 4.0):
            target = float(whole.max()) * gain / 1.5  # the loudest peaks 3.5 dB over the target
            values = envelope.at(gain, target).copy()
            hot = whole * gain > target
            assert hot.any() and envelope.exact[hot].all(), what
            assert np.abs(values[hot] - whole[hot]).max() <= 1e-5 * whole.max(), what
            assert not (values[~envelope.exact] * gain > target).any(), what
