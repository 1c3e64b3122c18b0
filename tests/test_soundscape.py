"""The soundscape's parts without the speech engine: generated sounds, file loops, the duck, the script keys.

Real samples throughout (the generators and soxr/libsndfile for files); only
the voice is a stand-in (``tests.fakes``) where a test needs speech events.
"""

from __future__ import annotations

import textwrap
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.fakes import FakeClips, speech
from voiceguide.audio.bed import Bed, BedSpan
from voiceguide.audio.bed_file import open_file_bed
from voiceguide.audio.mixer import Layout, Mixer
from voiceguide.audio.sounds import SOUND_NAMES, Generator
from voiceguide.base import SAMPLE_RATE
from voiceguide.errors import Position, ScriptError
from voiceguide.script.model import BackgroundStep, Press
from voiceguide.script.parse import parse_script
from voiceguide.script.vocabulary import BACKGROUND_SOUNDS

RATE = SAMPLE_RATE
POOL_BYTES = 4 << 20


def _db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(samples, dtype=np.float64)) + 1e-20))


def test_the_script_vocabulary_names_every_generated_sound() -> None:
    assert BACKGROUND_SOUNDS == SOUND_NAMES
    assert {"rain", "waves", "stream", "wind", "brown", "pink"} <= set(SOUND_NAMES)


@pytest.mark.parametrize("name", SOUND_NAMES)
def test_a_sound_is_the_same_however_it_is_cut_and_seeked(name: str) -> None:
    sound = Generator(name)
    whole = sound.render(40_000, 3 * RATE, 2)
    pieces = np.concatenate([sound.render(start, 4_099, 2) for start in range(40_000, 40_000 + 3 * RATE, 4_099)],
                            axis=1)[:, :3 * RATE]
    assert np.array_equal(whole, pieces)
    assert np.array_equal(Generator(name).render(40_000, 3 * RATE, 2), whole)  # a fresh generator: same samples
    assert np.array_equal(sound.render(40_000, 3 * RATE, 1)[0], whole[0])  # mono is the first strand


@pytest.mark.parametrize("name", SOUND_NAMES)
def test_a_sound_is_steady_wide_soft_at_the_top_and_never_clicks(name: str) -> None:
    print(f"measuring 60 s of {name}")
    audio = Generator(name).render(10 * RATE, 60 * RATE, 2).astype(np.float64)
    left, right = audio
    # Wide: the two channels are different strands.
    assert abs(float(np.corrcoef(left, right)[0, 1])) < 0.2
    # No hiss that tires: little above 7 kHz (pink noise would put ~15% of its power there).
    spectrum = np.abs(np.fft.rfft(left)) ** 2
    freqs = np.fft.rfftfreq(len(left), 1 / RATE)
    assert spectrum[freqs > 7000].sum() / spectrum.sum() < 0.05
    # Steady over the minute: every 5-s stretch within 3 dB of the others (waves and wind move, slowly).
    levels = [_db(left[i:i + 5 * RATE]) for i in range(0, len(left), 5 * RATE)]
    assert max(levels) - min(levels) < (10.0 if name in ("waves", "wind") else 3.0)
    # No clicks: no sample-to-sample step far beyond the sound's own largest steps in a quiet 10 ms.
    steps = np.abs(np.diff(left))
    typical = np.percentile(steps, 99.9)
    assert steps.max() < 4 * typical


def test_no_stretch_of_a_sound_comes_back_within_five_minutes() -> None:
    sound = Generator("pink")
    probe = sound.render(5 * RATE, RATE, 1)[0].astype(np.float64)
    later = sound.render(7 * RATE, 300 * RATE, 1)[0].astype(np.float64)
    size = 1 << int(np.ceil(np.log2(len(later) + len(probe))))
    correlation = np.fft.irfft(np.fft.rfft(later, size) * np.conj(np.fft.rfft(probe, size)), size)[:len(later)]
    energy = np.concatenate([[0.0], np.cumsum(later**2)])
    window = energy[len(probe):] - energy[:-len(probe)]
    matches = np.abs(correlation[:len(window)]) / (np.linalg.norm(probe) * np.sqrt(window) + 1e-12)
    # The probe's best match anywhere later is far from a copy (a looped stretch correlates at 1).
    assert matches.max() < 0.8, matches.max()


def _noise_file(folder: Path, seconds: float, rate: int = 44_100) -> Path:
    rng = np.random.default_rng(7)
    white = rng.standard_normal((round(seconds * rate), 2))
    kernel = np.exp(-np.arange(40) / 6.0)
    shaped = np.stack([np.convolve(white[:, c], kernel, "same") for c in range(2)], axis=1)
    path = folder / "sea.flac"
    soundfile.write(path, 0.2 * shaped / np.abs(shaped).max(), rate)
    return path


def test_a_file_bed_loops_with_no_level_jump_and_no_click(tmp_path: Path) -> None:
    bed = open_file_bed(_noise_file(tmp_path, 6.0), tmp_path / "cache", Position("s.yaml", 1, 1))
    assert bed.frames == 6 * RATE  # resampled from 44.1 kHz
    seam = bed.period
    audio = bed.render(0, 3 * bed.period, 2).astype(np.float64)
    window = RATE // 20
    levels = [_db(audio[:, i:i + window]) for i in range(0, audio.shape[1] - window, window)]
    typical = float(np.median(levels))
    around = [_db(audio[:, i:i + window]) for i in range(seam - 2 * window, seam + bed.crossfade + window, window)]
    assert max(abs(level - typical) for level in around) < 1.5, (typical, around)
    steps = np.abs(np.diff(audio[0]))
    assert steps[seam - 50:seam + 50].max() < 1.5 * np.percentile(steps, 99.9)
    # Read again from the cache, and cut differently: the same samples.
    again = open_file_bed(tmp_path / "sea.flac", tmp_path / "cache", Position("s.yaml", 1, 1))
    pieces = np.concatenate([again.render(s, 5_000, 2) for s in range(0, 3 * bed.period, 5_000)], axis=1)
    assert np.array_equal(pieces[:, :3 * bed.period], audio.astype(np.float32))


def test_a_missing_or_broken_file_is_a_positioned_error(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="does not exist"):
        open_file_bed(tmp_path / "nothing.ogg", None, Position("s.yaml", 3, 13))
    (tmp_path / "bad.mp3").write_bytes(b"not audio at all" * 100)
    with pytest.raises(ScriptError) as caught:
        open_file_bed(tmp_path / "bad.mp3", None, Position("s.yaml", 3, 13))
    assert caught.value.diagnostics[0].format(snippet=False).startswith("s.yaml:3:13: error: the background file")


def _bed_under(events: list, duck_db: float = 6.0) -> Bed:  # type: ignore[type-arg]
    span = BedSpan(Generator("pink"), 0, 40 * RATE, 2 * RATE, 2 * RATE, 0.05, 10 ** (-duck_db / 20))
    return Bed([span], events, 2)


def test_the_bed_ducks_under_the_voice_smoothly_and_stays_down_between_close_cues() -> None:
    events = [speech(10 * RATE, "a", RATE), speech(11 * RATE + RATE // 2, "b", RATE), speech(25 * RATE, "c", RATE)]
    bed = _bed_under(events).render(0, 40 * RATE)[0].astype(np.float64)
    free = _db(bed[5 * RATE:8 * RATE])
    under = _db(bed[10 * RATE:11 * RATE])
    between = _db(bed[11 * RATE + RATE // 8:11 * RATE + 3 * RATE // 8])  # 0.5 s gap: held down, no pumping
    assert under - free == pytest.approx(-6.0, abs=1.0)
    assert between - free == pytest.approx(-6.0, abs=1.0)
    # Down before the voice starts (it was planned from the timeline), back after it.
    assert _db(bed[10 * RATE - RATE // 10:10 * RATE]) - free < -4.5
    assert abs(_db(bed[14 * RATE:15 * RATE]) - free) < 1.0
    # Fades at both ends.
    assert _db(bed[:RATE // 10]) < free - 15 and _db(bed[-RATE // 10:]) < free - 15


def test_a_bed_or_a_side_makes_the_mix_stereo_and_pans_side_cues() -> None:
    left = speech(RATE, "left", RATE)
    left = type(left)(**{**left.__dict__, "side": "left"})
    centred = speech(3 * RATE, "centre", RATE)
    mixer = Mixer([left, centred], FakeClips(), layout=Layout(channels=2))
    audio = mixer.render(0, 5 * RATE).astype(np.float64)
    assert audio.shape == (5 * RATE, 2)
    side = audio[RATE:2 * RATE]
    assert _db(side[:, 0]) - _db(side[:, 1]) == pytest.approx(9.8, abs=0.5)  # clearly, but not only one ear
    middle = audio[3 * RATE:4 * RATE]
    assert np.array_equal(middle[:, 0], middle[:, 1])
    # Constant power: the panned and centred clips are as loud (BS.1770 sums the channels' powers).
    mono = Mixer([left, centred], FakeClips()).render(0, 5 * RATE).astype(np.float64)
    assert 10 * np.log10(np.sum(side**2)) == pytest.approx(10 * np.log10(np.sum(mono[RATE:2 * RATE] ** 2)), abs=0.01)


def test_the_script_takes_backgrounds_pan_and_off() -> None:
    source = textwrap.dedent("""\
        voiceguide: 1
        title: Beds
        background: {sound: rain, level: -24dB, duck: 8 dB, fade: 2s}
        steps:
          - Hello.
          - background: waves
          - press: {hold: 10, side: left, pan: false}
          - background: off
          - background: {sound: sea.ogg}
        """)
    result = parse_script(source, "beds.yaml")
    script = result.script
    assert script is not None, [d.format() for d in result.diagnostics]
    assert script.background is not None
    assert (script.background.sound, script.background.level_db, script.background.duck_db,
            script.background.fade) == ("rain", -24.0, 8.0, Fraction(2))
    steps = script.steps
    assert isinstance(steps[1], BackgroundStep) and steps[1].background is not None
    assert steps[1].background.sound == "waves" and steps[1].background.builtin
    assert isinstance(steps[2], Press) and steps[2].pan is False
    assert isinstance(steps[3], BackgroundStep) and steps[3].background is None
    assert isinstance(steps[4], BackgroundStep) and steps[4].background is not None
    assert not steps[4].background.builtin


@pytest.mark.parametrize(("value", "message"), [
    ("rian", "3:13: error: background: 'rian' is neither a built-in sound"),
    ("{sound: rain, level: 5dB}", "3:34: error: background.level must be between -60dB and 0dB"),
    ("{sound: rain, duck: loud}", "3:33: error: background.duck must be decibels such as -20dB"),
    ("off", "3:13: error: background at the top level must be a sound"),
    ("{level: -10dB}", "3:13: error: missing required key 'sound' in background"),
])
def test_a_wrong_background_is_a_positioned_error(value: str, message: str) -> None:
    source = f"voiceguide: 1\ntitle: Beds\nbackground: {value}\nsteps:\n  - Hello.\n"
    result = parse_script(source, "beds.yaml")
    assert result.script is None
    assert any(d.format(snippet=False).startswith(f"beds.yaml:{message}") for d in result.diagnostics), [
        d.format(snippet=False) for d in result.diagnostics]


def test_a_bed_under_a_session_still_compiling_plays_only_final_frames_and_the_title_before_the_rest() -> None:
    # A live player with a cold cache plays what is laid out while later steps are still being made:
    # every frame it may play then (``final_frames``) must be the frame of the whole session's mix,
    # whatever the later steps bring (a cue within the duck's hold, a change, the end's fade).
    from tests.fakes import fake_measure
    from voiceguide.audio.soundstage import BackgroundChoice, Soundstage
    from voiceguide.timeline.compiler import iter_timeline
    from voiceguide.timeline.least_length import least_length

    source = textwrap.dedent("""\
        voiceguide: 1
        title: An early bed
        cautions: [Stop if it hurts.]
        background: {sound: brown, fade: 3s}
        steps:
          - say: One.
            pause: 0.2s
          - say: Two, said close after.
          - pause: 2s
          - background: off
          - say: Three.
          - background: {sound: brown, fade: 1s}
          - say: Four.
            pause: 0.1s
          - pause: 20s  # the least length: far past what the test lays out, as in a real session's start
        """)
    parsed = parse_script(source, "early.yaml")
    script = parsed.script
    assert script is not None, [d.format() for d in parsed.diagnostics]
    plans = list(iter_timeline(script, fake_measure))
    events = [event for plan in plans for event in plan.events]
    beds = [plan.bed for plan in plans if plan.bed is not None]
    length = max(max(plan.span.end for plan in plans), *(event.end for event in events))
    least = least_length(script)
    assert 0 < least < length
    stage = Soundstage(script, BackgroundChoice(), cache_dir=None, least_length=least)
    clips = FakeClips()
    whole = Mixer(events, clips, length=length, layout=stage.layout(events, beds, length, True))
    expected = whole.render(0, length)
    finals = []
    for count in range(1, len(plans)):
        known = [event for plan in plans[:count] for event in plan.events]
        known_beds = [plan.bed for plan in plans[:count] if plan.bed is not None]
        laid_out = max(plan.span.end for plan in plans[:count])
        mixer = Mixer(known, clips, length=laid_out, layout=stage.layout(known, known_beds, laid_out, False),
                      complete=False)
        finals.append(mixer.final_frames)
        assert np.array_equal(mixer.render(0, mixer.final_frames), expected[:mixer.final_frames]), count
        assert not any(event.start < mixer.final_frames < event.end for event in known)  # a wait never cuts a word
    title = plans[0].events[0]
    assert finals[0] >= title.end  # the title can be said while the cautions are still being made
    assert finals == sorted(finals)
    # Without the least length the end's fade (3 s) could be anywhere: the title would wait for the rest.
    unbounded = Soundstage(script, BackgroundChoice(), cache_dir=None)
    first = plans[0]
    bed = unbounded.layout(first.events, [], first.span.end, False).bed
    assert bed is not None and bed.final_frames(first.span.end) == 0


def test_a_bed_prepared_on_a_thread_while_the_mix_is_laid_out_is_made_and_measured_once_and_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The live player prepares the bed on a thread while the engine starts; the first layout may come
    # meanwhile, and must wait for it rather than measure the sound again or read half-made pools.
    import threading

    from voiceguide.audio.soundstage import BackgroundChoice, Soundstage

    parsed = parse_script("voiceguide: 1\ntitle: Prepared\nbackground: brown\nsteps:\n  - Hello.\n", "bed.yaml")
    assert parsed.script is not None
    from voiceguide.audio import loudness

    measured = []
    measure = loudness.loudness_of
    monkeypatch.setattr(loudness, "loudness_of", lambda *args: measured.append(1) or measure(*args))
    events = [speech(RATE, "Hello.", RATE)]
    ahead = Soundstage(parsed.script, BackgroundChoice(), cache_dir=tmp_path / "ahead")
    ahead.prepare()
    assert len(list((tmp_path / "ahead").glob("bed-brown-*.calibration"))) == 1 and len(measured) == 1
    stage = Soundstage(parsed.script, BackgroundChoice(), cache_dir=tmp_path / "both")
    preparing = threading.Thread(target=stage.prepare)
    preparing.start()
    layout = stage.layout(events, [], 3 * RATE, True)
    preparing.join()
    assert len(measured) == 2  # once for each stage
    fresh = Soundstage(parsed.script, BackgroundChoice(), cache_dir=None).layout(events, [], 3 * RATE, True)
    assert layout.bed is not None and fresh.bed is not None
    assert np.array_equal(layout.bed.render(0, 3 * RATE), fresh.bed.render(0, 3 * RATE))


@pytest.mark.parametrize("name", ["rain", "waves"])  # one steady strand; a steady and a moving one
def test_a_sounds_pools_kept_in_the_cache_give_the_same_samples_and_a_damaged_file_is_made_again(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from voiceguide.audio import sounds

    expected = Generator(name).render(12_345, 3 * RATE, 2)
    first = Generator(name, cache_dir=tmp_path)
    assert np.array_equal(first.render(12_345, 3 * RATE, 2), expected)
    kept = list(tmp_path.glob(f"bed-{name}-pools-*.npz"))
    assert len(kept) == 1
    made = sounds._pool

    def not_made_again(*args: object) -> object:
        raise AssertionError("the pools were made again")

    monkeypatch.setattr(sounds, "_pool", not_made_again)
    again = Generator(name, cache_dir=tmp_path)
    assert np.array_equal(again.render(12_345, 3 * RATE, 2), expected)
    assert again.peak_bound(2) == first.peak_bound(2)
    kept[0].write_bytes(kept[0].read_bytes()[:1000])  # cut short: made again, and kept whole again
    monkeypatch.setattr(sounds, "_pool", made)
    assert np.array_equal(Generator(name, cache_dir=tmp_path).render(12_345, 3 * RATE, 2), expected)
    assert kept[0].stat().st_size > POOL_BYTES


def test_the_mix_meter_gives_the_mixes_loudness_at_any_voice_and_bed_gain() -> None:
    # Sparse: three cues in 90 s, so whether the bed's blocks pass BS.1770's gate depends on the gains.
    from voiceguide.audio.mix_meter import measure_mix
    from voiceguide.dsp.lufs import integrated_loudness

    length = 90 * RATE
    events = [speech(3 * RATE, "a", 2 * RATE), speech(40 * RATE, "b", 3 * RATE), speech(80 * RATE, "c", RATE)]
    clips = FakeClips(0.3)
    bed = Bed([BedSpan(Generator("rain"), 0, length, 4 * RATE, 4 * RATE, 0.02, 0.5)], events, 2)
    voice = Mixer(events, clips, length=length, layout=Layout(channels=2))
    blocks = measure_mix(voice, bed, length, events, RATE)
    voiced = voice.render(0, length).astype(np.float64)
    bedded = bed.render(0, length).T.astype(np.float64)
    seen = []
    for voice_db, bed_db in [(0.0, 0.0), (0.0, 12.0), (-6.0, 6.0), (3.0, -10.0), (0.0, -30.0)]:
        mixed = voiced * 10 ** (voice_db / 20) + bedded * 10 ** (bed_db / 20)
        seen.append(integrated_loudness(mixed, RATE))
        assert blocks.loudness(voice_db, bed_db) == pytest.approx(seen[-1], abs=0.01), (voice_db, bed_db)
    # From a bed the gate leaves out (the voice alone is measured) to one that is most of the file.
    assert seen[-1] - seen[0] > 3.0 and seen[1] - seen[0] > 3.0


def test_rain_drops_are_heard_forwards_as_drops_damped_after_their_attack() -> None:
    # A drop is a fast attack and a 3-9 ms decay; played backwards it swells and stops dead (a "ramped"
    # sound, which ears tell from a damped one at these decays). Measured at the drops' pitch: around each
    # clear peak of the band's envelope, more energy must follow the peak than lead to it, for most peaks.
    from scipy.signal import butter, find_peaks, hilbert, sosfiltfilt

    audio = Generator("rain").render(0, 20 * RATE, 1)[0].astype(np.float64)
    envelope = np.abs(hilbert(sosfiltfilt(butter(4, [1800, 4500], "bandpass", fs=RATE, output="sos"), audio)))
    width = round(0.006 * RATE)
    peaks, _ = find_peaks(envelope, height=4 * np.median(envelope), distance=2 * width)
    peaks = peaks[(peaks > width) & (peaks < len(envelope) - width)]
    leading = np.array([envelope[p - width:p].sum() for p in peaks])
    following = np.array([envelope[p + 1:p + 1 + width].sum() for p in peaks])
    ramped = float((leading > following).mean())
    assert len(peaks) > 100 and ramped < 0.4, (len(peaks), ramped)  # half the drops played backwards: 0.45
