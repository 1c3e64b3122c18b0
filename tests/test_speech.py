"""SpeechBank: checks, trimming, normalization, the disk cache, threads; and real espeak clips."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.fakes import CountingSynthesizer, FakeSynthesizer, start_engine
from tests.onsets import detect_onsets
from voiceguide.base import SAMPLE_RATE, Audio
from voiceguide.dsp.levelling import (
    CEILING_DBTP,
    HEADROOM_DB,
    LEVEL_TOLERANCE_LU,
    REFERENCE_LUFS,
    loudness_lufs,
)
from voiceguide.errors import EngineError
from voiceguide.speech.clip_cache import default_cache_dir
from voiceguide.speech.clips import SpeechBank
from voiceguide.speech.trimming import TRIM_THRESHOLD_DB, prepare_clip, resample
from voiceguide.true_peak import true_peak


class ConstantSynthesizer:
    """Returns the same samples for every text (to feed the bank bad audio)."""

    def __init__(self, samples: Audio, sample_rate: int = SAMPLE_RATE) -> None:
        self.samples = samples
        self._sample_rate = sample_rate
        self.calls: list[str] = []

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    def identity(self) -> str:
        return "constant"

    def synthesize(self, text: str) -> Audio:
        self.calls.append(text)
        return self.samples


class SlowSynthesizer(FakeSynthesizer):
    """A fake that takes a while, so that threads overlap; thread-safe call log."""

    def __init__(self, delay_seconds: float = 0.01) -> None:
        super().__init__()
        self.delay_seconds = delay_seconds
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0

    def synthesize(self, text: str) -> Audio:
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        time.sleep(self.delay_seconds)
        try:
            return super().synthesize(text)
        finally:
            with self.lock:
                self.active -= 1


class BatchFake(FakeSynthesizer):
    """A fake with ``synthesize_many``, recording each batch."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    def synthesize_many(self, texts: Sequence[str]) -> list[Audio]:
        self.batches.append(list(texts))
        return [super(BatchFake, self).synthesize(t) for t in texts]


class FailingSynthesizer(FakeSynthesizer):
    """Fails the first ``failures`` calls."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def synthesize(self, text: str) -> Audio:
        if self.failures > 0:
            self.failures -= 1
            time.sleep(0.02)
            raise EngineError("engine broke")
        return super().synthesize(text)


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.clip"))


# -- checks, trimming, normalization -------------------------------------------


def test_clip_is_trimmed_normalized_float32_and_read_only(tmp_path: Path) -> None:
    synth = FakeSynthesizer()
    clip = SpeechBank(synth, tmp_path).clip("Breathe in.")
    assert clip.dtype == np.float32 and clip.ndim == 1
    # The fake's voice is a sine from phase 0: the clip is its voiced part, give or take a sample.
    assert abs(clip.size - synth.voiced_frames("Breathe in.")) <= 3
    # Levelled, not peak-normalized: every clip at the reference loudness, under the peak ceiling.
    assert loudness_lufs(clip) == pytest.approx(REFERENCE_LUFS, abs=LEVEL_TOLERANCE_LU)
    assert true_peak(clip) <= 10 ** ((CEILING_DBTP - HEADROOM_DB) / 20)
    assert clip[0] == 0.0 and abs(clip[-1]) < 1e-3
    assert not clip.flags.writeable


def test_measure_is_the_clip_length(tmp_path: Path) -> None:
    bank = SpeechBank(FakeSynthesizer(), tmp_path)
    assert bank.measure("Hold.") == bank.clip("Hold.").size


def test_fades_keep_edges_click_free() -> None:
    # Loud from the first sample to the last: trimming cannot help, the fades must.
    t = np.arange(SAMPLE_RATE // 2) / SAMPLE_RATE
    loud = (0.9 * np.sign(np.sin(2 * np.pi * 200 * t + 0.3))).astype(np.float32)
    clip = prepare_clip(loud, SAMPLE_RATE, "x")
    assert clip[0] == 0.0
    assert np.abs(np.diff(clip[:12])).max() < 0.25
    assert np.abs(np.diff(clip[-45:])).max() < 0.1


@pytest.mark.parametrize(
    ("samples", "words"),
    [
        (np.zeros(0, np.float32), "no audio"),
        (np.full(1000, np.nan, np.float32), "invalid samples"),
        (np.zeros(22050, np.float32), "only silence"),
        (np.full(22050, 1e-6, np.float32), "only silence"),
    ],
)
def test_unusable_audio_is_an_engine_error(tmp_path: Path, samples: Audio, words: str) -> None:
    bank = SpeechBank(ConstantSynthesizer(samples), tmp_path)
    with pytest.raises(EngineError, match=words):
        bank.clip("Hello.")
    assert _entries(tmp_path) == []


def test_other_sample_rates_are_resampled(tmp_path: Path) -> None:
    synth = FakeSynthesizer(sample_rate=16000)
    clip = SpeechBank(synth, tmp_path).clip("Exhale slowly.")
    expected = synth.voiced_frames("Exhale slowly.") * SAMPLE_RATE / 16000
    # The fake's edges are abrupt, so band-limited resampling rings a little around them.
    assert abs(clip.size - expected) <= round(0.001 * SAMPLE_RATE)


def test_resample_keeps_pitch_and_length() -> None:
    t = np.arange(16000) / 16000
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    out = resample(tone, 16000, SAMPLE_RATE)
    assert out.size == SAMPLE_RATE
    spectrum = np.abs(np.fft.rfft(out))
    assert np.argmax(spectrum) * SAMPLE_RATE / out.size == pytest.approx(440, abs=1)


# -- once per process, once on disk -------------------------------------------


def test_each_text_is_synthesized_once_per_process(tmp_path: Path) -> None:
    synth = FakeSynthesizer()
    bank = SpeechBank(synth, None)
    for _ in range(3):
        bank.clip("Inhale.")
        bank.measure("Inhale.")
    bank.prefetch(["Inhale.", "Exhale.", "Inhale."])
    assert synth.calls == ["Inhale.", "Exhale."]


def test_second_bank_reads_the_disk_cache(tmp_path: Path) -> None:
    first = SpeechBank(FakeSynthesizer(), tmp_path)
    clips = [first.clip(t) for t in ("One.", "Two.")]
    counting = CountingSynthesizer(FakeSynthesizer())
    second = SpeechBank(counting, tmp_path)
    for text, clip in zip(("One.", "Two."), clips, strict=True):
        assert np.array_equal(second.clip(text), clip)
    assert counting.calls == []
    assert len(_entries(tmp_path)) == 2
    assert not list(tmp_path.glob(".*.part")), "temporary files must be renamed or removed"


def test_cache_key_includes_the_synthesizer_identity(tmp_path: Path) -> None:
    SpeechBank(FakeSynthesizer(name="a"), tmp_path).clip("Hold.")
    other = FakeSynthesizer(name="b")
    SpeechBank(other, tmp_path).clip("Hold.")
    assert other.calls == ["Hold."]
    assert len(_entries(tmp_path)) == 2


def _damage_truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _damage_flip_a_sample(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-7] ^= 0x40
    path.write_bytes(bytes(data))


def _damage_garbage(path: Path) -> None:
    path.write_bytes(os.urandom(200))


def _damage_empty(path: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize("damage", [_damage_truncate, _damage_flip_a_sample, _damage_garbage, _damage_empty])
def test_a_damaged_entry_is_synthesized_again_never_played(tmp_path: Path, damage: object) -> None:
    original = SpeechBank(FakeSynthesizer(), tmp_path).clip("Release.")
    (entry,) = _entries(tmp_path)
    assert callable(damage)
    damage(entry)
    synth = FakeSynthesizer()
    again = SpeechBank(synth, tmp_path).clip("Release.")
    assert synth.calls == ["Release."]
    assert np.array_equal(again, original)
    # ... and the entry was rewritten whole: a third bank reads it.
    third = FakeSynthesizer()
    assert np.array_equal(SpeechBank(third, tmp_path).clip("Release."), original)
    assert third.calls == []


def test_an_unwritable_cache_degrades_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    synth = FakeSynthesizer()
    bank = SpeechBank(synth, blocker / "clips")
    assert bank.clip("Hold.").size > 0
    bank.clip("Hold.")
    assert synth.calls == ["Hold."]  # kept in memory
    other = FakeSynthesizer()
    assert SpeechBank(other, blocker / "clips").clip("Hold.").size > 0
    assert other.calls == ["Hold."]  # and nothing on disk


def test_memory_only_bank_never_evicts(tmp_path: Path) -> None:
    synth = FakeSynthesizer()
    bank = SpeechBank(synth, None, memory_frames=10)
    for text in ("a", "b", "a", "b"):
        bank.clip(text)
    assert synth.calls == ["a", "b"]


def test_evicted_clips_come_back_from_disk(tmp_path: Path) -> None:
    synth = FakeSynthesizer()
    bank = SpeechBank(synth, tmp_path, memory_frames=10)
    first = bank.clip("a")
    bank.clip("b")
    assert np.array_equal(bank.clip("a"), first)
    assert synth.calls == ["a", "b"]


def test_lengths_outlive_the_clips_memory_lets_go(tmp_path: Path) -> None:
    # Laying out a session measures every text; a clip memory has let go is not read back for that.
    synth = FakeSynthesizer()
    bank = SpeechBank(synth, tmp_path, memory_frames=10)
    length = bank.clip("a").size
    bank.clip("b")
    for entry in _entries(tmp_path):
        entry.unlink()  # a read from disk now would find nothing and synthesize again
    assert bank.measure("a") == length
    assert synth.calls == ["a", "b"]


def test_default_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VOICEGUIDE_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path / "clips"
    monkeypatch.delenv("VOICEGUIDE_CACHE_DIR")
    assert default_cache_dir().name == "clips"
    assert "voiceguide" in str(default_cache_dir())


# -- prefetch and threads ---------------------------------------------------------


def test_prefetch_synthesizes_missing_texts_in_order(tmp_path: Path) -> None:
    SpeechBank(FakeSynthesizer(), tmp_path).clip("cached")
    synth = FakeSynthesizer()
    bank = SpeechBank(synth, tmp_path)
    bank.prefetch(["c", "a", "cached", "b", "a"])
    assert synth.calls == ["c", "a", "b"]


def test_prefetch_batches_through_synthesize_many(tmp_path: Path) -> None:
    synth = BatchFake()
    bank = SpeechBank(synth, tmp_path)
    texts = [f"text {i}" for i in range(20)]
    bank.prefetch(texts, batch=8)
    # At most 8 at a time, 4 first (nothing is levelled beside it) and last (nothing is spoken beside it).
    assert synth.batches == [texts[0:4], texts[4:12], texts[12:16], texts[16:20]]
    assert [bank.measure(t) for t in texts] == [SpeechBank(FakeSynthesizer(), None).measure(t) for t in texts]


def test_threads_share_clips_and_never_synthesize_twice(tmp_path: Path) -> None:
    synth = SlowSynthesizer()
    bank = SpeechBank(synth, tmp_path)
    texts = [f"cue {i}" for i in range(12)]
    results: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def reader(index: int) -> None:
        try:
            results[index] = [bank.measure(t) for t in (texts if index % 2 else texts[::-1])]
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=bank.prefetch, args=(texts,))]
    threads += [threading.Thread(target=reader, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(synth.calls) == sorted(texts)
    assert synth.max_active == 1, "calls into the synthesizer are serialized"
    expected = [FakeSynthesizer().voiced_frames(t) for t in texts]
    for index, lengths in results.items():
        got = lengths if index % 2 else lengths[::-1]
        assert all(abs(a - b) <= 3 for a, b in zip(got, expected, strict=True))


def test_a_failure_reaches_every_waiter_and_is_not_cached(tmp_path: Path) -> None:
    synth = FailingSynthesizer(failures=1)
    bank = SpeechBank(synth, tmp_path)
    outcomes: list[str] = []

    def ask() -> None:
        try:
            bank.clip("Hold.")
            outcomes.append("ok")
        except EngineError:
            outcomes.append("error")

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert "error" in outcomes
    assert bank.clip("Hold.").size > 0  # tried again, not remembered as failed


# -- real speech ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine_synth() -> Iterator[object]:
    """One real synthesizer (en-GB, 160 wpm) for this module (skips/fails like test_engine)."""
    synth = start_engine(language="en-GB")
    yield synth
    synth.close()


PHRASES = [
    "Settle into a comfortable position.",
    "Hold.",
    "Halfway.",
    "Forty-five seconds left.",
    "Three",
    "Thirty",
    "Feel the ground beneath you.",
    "Slowly breathe out.",
    "Hum softly.",
    "Press firmly on the point.",
]


@pytest.mark.engine
def test_real_clips_start_on_the_voice_and_end_with_it(engine_synth: object, tmp_path: Path) -> None:
    from voiceguide.speech.pyttsx3_engine import Pyttsx3Synthesizer

    assert isinstance(engine_synth, Pyttsx3Synthesizer)
    bank = SpeechBank(engine_synth, tmp_path)
    bank.prefetch(PHRASES)
    lead = SAMPLE_RATE // 2
    for text in PHRASES:
        raw = engine_synth.synthesize(text)
        clip = bank.clip(text)
        threshold = np.abs(clip).max() * 10 ** (TRIM_THRESHOLD_DB / 20)
        # The engine pads ~240 ms of silence at the end; the clip has none.
        assert clip.size < raw.size - round(0.2 * SAMPLE_RATE), text
        loud = np.flatnonzero(np.abs(clip) > threshold)
        assert clip.size - loud[-1] <= 50, f"{text!r}: trailing silence left"
        # The tests' onset detector, on the clip after silence, finds the voice at its first sample.
        padded = np.concatenate([np.zeros(lead, np.float32), clip, np.zeros(lead, np.float32)])
        onsets = detect_onsets(padded, SAMPLE_RATE)
        assert abs(onsets[0] - lead) <= round(0.003 * SAMPLE_RATE), f"{text!r}: onset {onsets[0] - lead} frames off"
        assert loudness_lufs(clip) == pytest.approx(REFERENCE_LUFS, abs=LEVEL_TOLERANCE_LU), text


@pytest.mark.engine
def test_real_engine_second_bank_hits_the_disk_cache(engine_synth: object, tmp_path: Path) -> None:
    from voiceguide.speech.pyttsx3_engine import Pyttsx3Synthesizer

    assert isinstance(engine_synth, Pyttsx3Synthesizer)
    first = SpeechBank(engine_synth, tmp_path)
    clips = [first.clip(t) for t in PHRASES[:3]]
    counting = CountingSynthesizer(engine_synth)
    second = SpeechBank(counting, tmp_path)
    for text, clip in zip(PHRASES[:3], clips, strict=True):
        assert np.array_equal(second.clip(text), clip)
    assert counting.calls == []
    # Damage one entry: it is made again by the engine, not played.
    entry = second.cache_path(PHRASES[0])
    assert entry is not None
    _damage_flip_a_sample(entry)
    third_counting = CountingSynthesizer(engine_synth)
    again = SpeechBank(third_counting, tmp_path).clip(PHRASES[0])
    assert third_counting.calls == [PHRASES[0]]
    # Every take comes from a fresh engine, so the take made again is the same clip, sample for sample.
    assert np.array_equal(again, clips[0])


def test_the_first_take_on_disk_wins_so_memory_always_matches_the_disk(tmp_path: Path) -> None:
    # Two players synthesize the same text at once; the one that stores second must
    # adopt the first one's take, or a clip read back from disk later would not have
    # the length its timeline was laid out with.
    first = SpeechBank(FakeSynthesizer(), tmp_path)

    class RacingSynthesizer(FakeSynthesizer):
        def synthesize(self, text: str) -> Audio:
            first.clip(text)  # the other process finishes while we are still synthesizing
            longer = super().synthesize(text + " and a bit")
            return longer

    second = SpeechBank(RacingSynthesizer(), tmp_path)
    assert second.clip("Breathe in.").size == first.clip("Breathe in.").size
    assert np.array_equal(second.clip("Breathe in."), first.clip("Breathe in."))
    reread = SpeechBank(FakeSynthesizer(), tmp_path)
    assert np.array_equal(reread.clip("Breathe in."), first.clip("Breathe in."))
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_preload_loads_everything_levelling_a_clip_needs() -> None:
    # play loads these in the background as it starts, so the first answer in new words is not held up
    # by the imports; a new lazy import in levelling must be added to preload too.
    code = (
        "import sys, numpy as np\n"
        "from voiceguide.dsp import levelling\n"
        "levelling.preload()\n"
        "before = set(sys.modules)\n"
        "t = np.arange(22050) / 22050\n"
        "levelling.level_clip((np.sin(2 * np.pi * 220 * t) * 0.99).astype(np.float32))\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"levelling imported after preload: {done.stdout.strip()}"


def test_levelling_and_measuring_load_neither_scipy_nor_pyloudnorm() -> None:
    # A cold render levels every clip and measures the session: importing scipy for that cost ~1 s and
    # 75 MB.  pyloudnorm stays the reference in the tests (test_lufs.py), not in the process that renders.
    code = (
        "import sys, numpy as np\n"
        "from voiceguide.dsp import levelling\n"
        "t = np.arange(30000) / 22050\n"
        "levelled = levelling.level_clip((np.sin(2 * np.pi * 220 * t) * 0.99).astype(np.float32))\n"
        "levelling.loudness_lufs(np.tile(levelled, 40))\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'scipy', 'pyloudnorm'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"loaded by levelling: {done.stdout.strip()}"
