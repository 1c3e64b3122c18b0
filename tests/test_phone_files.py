"""Phone-ready files: tags and embedded chapters read back by ffprobe, Opus, and even loudness.

ffprobe (Debian's ffmpeg, installed by ``./dev test``) reads each format's
title and chapters as a player would; the loudness test renders the shipped
sciatica session once with the real engine and measures every spoken cue.
Without ffprobe or the engine these tests skip, and fail under ``CI=true``.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile
import soxr

from tests.cli_harness import run_cli
from tests.fakes import tone_event
from tests.required import required
from voiceguide.audio import MAX_LOUDNESS_LUFS
from voiceguide.audio.loudness import GainedClips, compacted_mix, file_gain_db, session_loudness
from voiceguide.audio.mixer import Mixer
from voiceguide.audio.resampling import StreamResampler
from voiceguide.audio.sinks import FileSink
from voiceguide.audio.tags import session_tags
from voiceguide.base import SAMPLE_RATE
from voiceguide.dsp.levelling import loudness_lufs
from voiceguide.dsp.limiter import limit_true_peak
from voiceguide.errors import EngineError
from voiceguide.play.render import render_session
from voiceguide.timeline.layout import Chapter, Event, Timeline, file_chapters
from voiceguide.true_peak import true_peak

FORMATS = (".mp3", ".ogg", ".opus", ".flac", ".wav")


@pytest.fixture(scope="module")
def ffprobe() -> str:
    path = shutil.which("ffprobe")
    if path is None:
        required("no ffprobe (Debian package ffmpeg; ./dev test installs it)")
    return path


def _probe(ffprobe: str, path: Path) -> dict[str, Any]:
    """What ffprobe reads from the file; it must read it without a warning (a player would log them too)."""
    done = subprocess.run([ffprobe, "-v", "warning", "-print_format", "json", "-show_format", "-show_streams",
                           "-show_chapters", str(path)], capture_output=True, text=True, check=True)
    # e.g. "237 bytes of comment header remain" from padding in Ogg.  A WAV carries its title twice, by
    # design (RIFF INFO for players that read no ID3, the ID3 chunk for the chapters): FFmpeg says which it keeps.
    warnings = [line for line in done.stderr.splitlines()
                if not (path.suffix == ".wav" and "Discarding ID3 tags because more suitable tags" in line)]
    assert warnings == [], done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _tags(probe: dict[str, Any]) -> dict[str, str]:
    """Format and stream tags, keys lower-cased (Ogg keeps its comments on the stream)."""
    tags: dict[str, str] = {}
    for source in [probe.get("format", {})] + probe.get("streams", []):
        tags.update({key.lower(): value for key, value in source.get("tags", {}).items()})
    return tags


class ToneClips:
    """Every event a 440 Hz sine of its own length, at amplitude 0.3: sharp onsets."""

    def clip(self, event: Event) -> np.ndarray[Any, np.dtype[np.float32]]:
        t = np.arange(event.length)
        return (0.3 * np.sin(2 * np.pi * 440 * t / SAMPLE_RATE)).astype(np.float32)


def _timeline() -> Timeline:
    events = tuple(tone_event(start, SAMPLE_RATE // 2, "beep")
                   for start in (11_025, 100_001, 200_000, 287_654))
    chapters = (Chapter("Settling in", 0), Chapter("Pressing — the point", 99_999), Chapter("Closing", 287_000))
    return Timeline(title="Phone test", description="A test session.\nTwo lines.", sample_rate=SAMPLE_RATE,
                    length=15 * SAMPLE_RATE, events=events, spans=(), chapters=chapters, dropped=())


@pytest.mark.parametrize("extension", FORMATS)
def test_ffprobe_lists_the_title_and_exactly_the_plans_chapters(
    ffprobe: str, tmp_path: Path, extension: str
) -> None:
    timeline = _timeline()
    path = tmp_path / f"session{extension}"
    render_session(timeline, ToneClips(), FileSink(path, SAMPLE_RATE, session_tags(timeline, "en")))
    probe = _probe(ffprobe, path)
    tags = _tags(probe)
    assert tags["title"] == "Phone test"
    assert "voiceguide" in (tags.get("encoder", "") + tags.get("artist", ""))
    assert tags.get("comment") == "A test session. Two lines."
    assert tags.get("language") in ("en", "eng")  # WAV: RIFF INFO's ILNG, which ffprobe shows
    if extension == ".wav":  # and the ID3 chunk's TLAN, which mutagen reads
        from mutagen.wave import WAVE

        assert str(WAVE(path).tags["TLAN"]) == "eng"  # type: ignore[no-untyped-call]
    chapters = [(c["tags"]["title"], float(c["start_time"])) for c in probe["chapters"]]
    assert [title for title, _ in chapters] == [c.title for c in timeline.chapters]
    for (_, seconds), chapter in zip(chapters, timeline.chapters, strict=True):
        assert seconds == pytest.approx(chapter.start / SAMPLE_RATE, abs=0.001)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # tagged before it appeared
    # The audio decodes to the plan's length (ffmpeg applies the encoder delay and padding).
    decoded = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "1", "-"],
                             capture_output=True, check=True).stdout
    rate = int(probe["streams"][0]["sample_rate"])
    assert len(decoded) // 4 == pytest.approx(timeline.length * rate / SAMPLE_RATE, abs=1)


def test_opus_is_written_at_a_speech_bit_rate(tmp_path: Path) -> None:
    # Dense sound (noise) makes a VBR encoder spend what it is allowed: about OPUS_SPEECH_BITRATE
    # (libsndfile's default, before Opus went through PyAV, spent about 56 kb/s on it).
    from voiceguide.audio.file_formats import OPUS_SPEECH_BITRATE

    noise = (0.3 * np.random.default_rng(1).uniform(-1, 1, 10 * SAMPLE_RATE)).astype(np.float32)
    path = tmp_path / "noise.opus"
    sink = FileSink(path, SAMPLE_RATE)
    for start in range(0, noise.size, SAMPLE_RATE):
        sink.write(noise[start : start + SAMPLE_RATE])
    sink.close()
    bits_per_second = path.stat().st_size * 8 / 10
    assert 0.75 * OPUS_SPEECH_BITRATE < bits_per_second < 1.25 * OPUS_SPEECH_BITRATE


def test_stereo_opus_spends_its_rate_on_both_channels_together(tmp_path: Path) -> None:
    # The stereo rate is for both channels together (libsndfile, which wrote Opus before PyAV, set it
    # per channel).
    from voiceguide.audio.file_formats import OPUS_STEREO_BITRATE

    noise = (0.3 * np.random.default_rng(2).uniform(-1, 1, (10 * SAMPLE_RATE, 2))).astype(np.float32)
    path = tmp_path / "noise.opus"
    sink = FileSink(path, SAMPLE_RATE, channels=2)
    for start in range(0, len(noise), SAMPLE_RATE):
        sink.write(noise[start : start + SAMPLE_RATE])
    sink.close()
    assert soundfile.info(path).channels == 2
    bits_per_second = path.stat().st_size * 8 / 10
    assert 0.75 * OPUS_STEREO_BITRATE < bits_per_second < 1.25 * OPUS_STEREO_BITRATE


def test_opus_is_resampled_to_48khz_with_onsets_in_place(tmp_path: Path) -> None:
    timeline = _timeline()
    path = tmp_path / "session.opus"
    render_session(timeline, ToneClips(), FileSink(path, SAMPLE_RATE), block_frames=777)
    data, rate = soundfile.read(path, dtype="float32")
    assert rate == 48_000
    assert len(data) == round(timeline.length * 48_000 / SAMPLE_RATE)
    for event in timeline.events:
        expected = event.start * 48_000 / SAMPLE_RATE
        window = np.abs(data[round(expected) - 2400 : round(expected) + 2400])
        onset = round(expected) - 2400 + int(np.argmax(window > 0.1))
        assert abs(onset - expected) <= 0.001 * 48_000  # within 1 ms, through the codec
    # A real resampler: a 10 kHz tone comes through as 10 kHz, not with images above 11 kHz.
    tone = np.sin(2 * np.pi * 10_000 * np.arange(SAMPLE_RATE) / SAMPLE_RATE).astype(np.float32)
    resampler = StreamResampler(SAMPLE_RATE, 48_000)
    out = np.concatenate([resampler.process(tone[i : i + 1000]) for i in range(0, tone.size, 1000)]
                         + [resampler.flush()])
    spectrum = np.abs(np.fft.rfft(out[4800:-4800] * np.hanning(out.size - 9600)))
    frequencies = np.fft.rfftfreq(out.size - 9600, 1 / 48_000)
    assert spectrum[frequencies > 12_000].max() < 1e-3 * spectrum.max()


def test_the_limiter_holds_true_peaks_and_passes_quiet_sound() -> None:
    rng = np.random.default_rng(1)
    loud = (rng.standard_normal(SAMPLE_RATE) * 0.4).astype(np.float32)
    limited = limit_true_peak(loud, 10 ** (-1 / 20))
    assert true_peak(limited) <= 10 ** (-1 / 20)
    quiet = loud * np.float32(0.05)
    np.testing.assert_array_equal(limit_true_peak(quiet, 10 ** (-1 / 20)), quiet)


def test_compacting_the_silence_does_not_change_the_measured_loudness() -> None:
    events = [tone_event(s, n, "beep")
              for s, n in ((5_000, 3_000), (90_000, 20_000), (300_123, 8_000), (700_000, 40_000))]
    mixer = Mixer(events, ToneClips(), 1.0, length=800_000)
    whole = loudness_lufs(mixer.render(0, 800_000))
    short = loudness_lufs(compacted_mix(mixer, [(e.start, e.end) for e in events]))
    assert short == pytest.approx(whole, abs=0.05)


def test_the_file_gain_brings_a_session_to_the_target(tmp_path: Path) -> None:
    timeline = _timeline()
    measured = session_loudness(timeline.events, ToneClips(), tmp_path)
    assert list(tmp_path.glob("*.loudness"))  # remembered for the next render
    clips = GainedClips(ToneClips(), file_gain_db(-20.0, measured))
    audio = Mixer(timeline.events, clips, 1.0, length=timeline.length).render(0, timeline.length)
    assert loudness_lufs(audio) == pytest.approx(-20.0, abs=0.1)


# -- the real thing: the shipped sciatica session -----------------------------------------


@pytest.fixture(scope="module")
def engine() -> None:
    """The real speech engine is there: skipped without it, a failure under CI=true."""
    from voiceguide.speech.pyttsx3_engine import Pyttsx3Synthesizer

    try:
        Pyttsx3Synthesizer().close()
    except EngineError as error:
        required(f"no speech engine: {error.message}")


@pytest.fixture(scope="module")
def sciatica_render(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    """sciatica rendered once to FLAC with the real engine, and its JSON plan."""
    folder = tmp_path_factory.mktemp("sciatica")
    output = folder / "sciatica.flac"
    run_cli("render", "sciatica", "-o", str(output), "--plain")
    plan = json.loads(run_cli("plan", "sciatica", "--json").stdout)
    yield output, plan


@pytest.mark.engine
def test_every_spoken_cue_of_sciatica_is_equally_loud_and_the_file_meets_the_target(
    sciatica_render: tuple[Path, dict[str, Any]],
) -> None:
    path, plan = sciatica_render
    # float32 holds the file's 16-bit samples exactly (the meters take them as float64 as before), and soxr
    # oversamples float32 four times faster (5 -> 1.3 CPU s for the session's 16 minutes; the same peak).
    audio, rate = soundfile.read(path, dtype="float32")
    assert rate == SAMPLE_RATE
    cues = []
    for event in plan["events"]:
        if event["kind"] != "speech":
            continue
        start = round(event["t"] * rate)
        cue = audio[start : start + round(event["duration"] * rate)]
        cues.append((loudness_lufs(cue, rate), event["text"]))  # under 400 ms: over its own length
    assert len(cues) > 50
    quietest, loudest = min(cues), max(cues)
    assert loudest[0] - quietest[0] <= 2.0, f"{quietest} .. {loudest}"
    assert loudness_lufs(audio, rate) == pytest.approx(-16.0, abs=1.0)
    # Four times oversampled through soxr's HQ filter (BS.1770's own interpolator is a 48-tap FIR): on this
    # render -2.8246 dBTP against VHQ's -2.8259, in 1.0 instead of 2.65 CPU s (2026-12-07).  The largest
    # magnitude from the largest and the smallest sample: no 700-MB array of magnitudes (0.07 against 0.49 s).
    oversampled = soxr.resample(audio, rate, 4 * rate, quality="HQ")
    peak = max(float(oversampled.max()), -float(oversampled.min()))
    assert 20 * math.log10(peak) <= -1.0


SHORT_SESSION = """\
voiceguide: 1
title: Phone check
description: Two short sections.
language: en
steps:
  - section: First part
  - say: Breathe in slowly.
  - pause: 2s
  - section: Second part
  - say: Three.
  - chime: {sound: bell}
"""


@pytest.mark.engine
@pytest.mark.parametrize("extension", [".opus", ".mp3", ".wav"])
def test_a_real_render_is_tagged_with_the_plans_chapters(
    engine: None, ffprobe: str, tmp_path: Path, extension: str
) -> None:
    from voiceguide.cli import parse_options
    from voiceguide.play.prepare import prepare_session

    script = tmp_path / "phone.yaml"
    script.write_text(SHORT_SESSION)
    output = tmp_path / f"phone{extension}"
    result = run_cli("render", str(script), "-o", str(output), "--plain")
    assert result.exit_status == 0, result.stderr
    timeline = prepare_session(parse_options(["plan", str(script)]).session).timeline
    probe = _probe(ffprobe, output)
    assert _tags(probe)["title"] == "Phone check"
    chapters = [(c["tags"]["title"], float(c["start_time"])) for c in probe["chapters"]]
    if extension == ".wav":  # the title in RIFF INFO too, for players that read no ID3 chunk
        data = output.read_bytes()
        assert b"LIST" in data and b"INFO" in data and b"INAM" in data and b"Phone check" in data
    # The first section starts after the title: the file's first chapter is the title, from 0:00.
    assert [title for title, _ in chapters] == ["Phone check", "First part", "Second part"]
    assert chapters[0][1] == 0
    for (_, seconds), chapter in zip(chapters, file_chapters(timeline), strict=True):
        assert seconds == pytest.approx(chapter.start / SAMPLE_RATE, abs=0.001)


def test_loudness_out_of_range_is_a_usage_error() -> None:
    result = run_cli("render", "sciatica", "-o", "never.wav", "--loudness", "0")
    assert result.exit_status == 2 and "--loudness must be between -40 and -12" in result.stderr
    assert not Path("never.wav").exists()


class SpikyClips:
    """A quiet sine with a sharp spike every 100 ms: a crest far above what -1 dBTP allows at -12 LUFS."""

    def clip(self, event: Event) -> np.ndarray[Any, np.dtype[np.float32]]:
        t = np.arange(event.length)
        audio = 0.05 * np.sin(2 * np.pi * 300 * t / SAMPLE_RATE)
        audio[:: SAMPLE_RATE // 10] = 0.9
        return audio.astype(np.float32)


def test_the_loudest_target_limits_each_clip_and_still_meets_the_loudness() -> None:
    timeline = _timeline()
    gain = file_gain_db(MAX_LOUDNESS_LUFS, session_loudness(timeline.events, SpikyClips(), None))
    assert gain > 3  # well past the clips' headroom: the limiter must act
    audio = Mixer(timeline.events, GainedClips(SpikyClips(), gain), 1.0, length=timeline.length).render(
        0, timeline.length)
    assert true_peak(audio) <= 10 ** (-1 / 20)
    assert loudness_lufs(audio) == pytest.approx(MAX_LOUDNESS_LUFS, abs=1.0)


def test_measuring_an_mp3_keeps_the_decoders_messages_off_standard_error(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # libmpg123 writes "error: part2_3_length ... too large" about libsndfile's frames straight to
    # descriptor 2 while the true-peak check decodes the file; a user must see one plain line, not those.
    import soundfile

    from voiceguide.audio.loudness import file_true_peak_dbtp

    path = tmp_path / "noise.mp3"  # broadband sound, as speech is: a pure tone does not provoke the messages
    noise = np.random.default_rng(1).standard_normal(20 * SAMPLE_RATE).astype(np.float32) * 0.3
    soundfile.write(path, noise, SAMPLE_RATE)
    capfd.readouterr()
    assert file_true_peak_dbtp(path) > -20
    assert capfd.readouterr().err == ""
