"""Stereo Opus keeps the samples it is given: a real render with a bed and side cues, encoded, decoded, compared.

A short session (espeak's speech, a rain bed, cues panned left and right) is
rendered once to FLAC; those very samples are then written through ``FileSink``
to ``.opus`` as ``render`` writes them (4-s blocks, soxr to 48 kHz) and decoded.
Before the Opus route changed (libsndfile's writer: libopus in constrained VBR, 32 kb/s
stereo in its hybrid mode), the decoded file differed from its samples by up to
-3.6 dBFS (an SNR of 8 dB), read 0.6 dB over them and 0.7 LU quieter on ffmpeg's
meter, no two files were the same bytes (a random Ogg serial number), and a full
disk was "stopped accepting data part way" (libsndfile keeps errno to itself).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import soundfile

from tests.cli_harness import run_cli
from tests.fakes import start_engine
from tests.ffmpeg_meter import ebur128
from voiceguide.audio.resampling import StreamResampler
from voiceguide.audio.sinks import FileSink
from voiceguide.base import SAMPLE_RATE

SESSION = """\
voiceguide: 1
title: Opus check
background: rain
steps:
  - say: We begin with a calm breath, and a slow sentence to measure the level by.
  - pause: 5
  - press: {side: left, hold: 4, prepare: 1, rest: 1, point: The shoulder, cue_every: 2}
  - press: {side: right, hold: 4, prepare: 1, rest: 1, point: The shoulder, cue_every: 2}
  - say: Breathe in slowly, and let the shoulders drop as you breathe out.
  - say: That is all for now. Thank you for taking the time.
"""


@pytest.fixture(scope="module")
def lossless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    start_engine().close()  # skips here (fails under CI) without the engine
    folder = tmp_path_factory.mktemp("opus")
    script = folder / "bed.yaml"
    script.write_text(SESSION, encoding="utf-8")
    flac = folder / "bed.flac"
    result = run_cli("render", str(script), "-o", str(flac), "--plain")
    assert result.exit_status == 0, result.stderr
    samples, rate = soundfile.read(flac, dtype="float32", always_2d=True)
    assert rate == SAMPLE_RATE and samples.shape[1] == 2
    yield {"folder": folder, "flac": flac, "samples": samples}


def _write_opus(samples: npt.NDArray[np.float32], path: Path) -> None:
    """``samples`` through the file sink, in the blocks ``render`` writes."""
    sink = FileSink(path, SAMPLE_RATE, channels=2)
    for start in range(0, len(samples), sink.block_frames):
        sink.write(samples[start : start + sink.block_frames])
    sink.close()


def _at_48khz(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    resampler = StreamResampler(SAMPLE_RATE, 48_000, 2)
    out: npt.NDArray[np.float32] = np.concatenate([resampler.process(samples), resampler.flush()])
    return out


@pytest.mark.engine
def test_a_stereo_bed_and_side_cues_decode_as_the_samples_given(lossless: dict[str, Any]) -> None:
    path = lossless["folder"] / "bed.opus"
    _write_opus(lossless["samples"], path)
    given = _at_48khz(lossless["samples"])
    decoded, rate = soundfile.read(path, dtype="float32", always_2d=True)
    assert rate == 48_000 and decoded.shape == given.shape  # pre-skip and end trim: not a frame more or less
    error = decoded - given
    worst = 20 * np.log10(np.abs(error).max())
    snr = 10 * np.log10(np.sum(given**2) / np.sum(error**2))
    lossless_lufs, lossless_peak = ebur128(lossless["flac"])
    opus_lufs, opus_peak = ebur128(path)
    print(f"largest error {worst:.1f} dBFS, SNR {snr:.1f} dB; ffmpeg: FLAC {lossless_lufs} LUFS / {lossless_peak} "
          f"dBTP, Opus {opus_lufs} LUFS / {opus_peak} dBTP")
    assert worst < -12.0  # measured -17.4 (libsndfile's writer: -3.6)
    assert snr > 18.0  # measured 23 dB (libsndfile's writer: 8 dB)
    assert opus_peak <= lossless_peak + 0.5 and opus_peak <= -1.0
    assert opus_lufs == pytest.approx(lossless_lufs, abs=0.3)


@pytest.mark.engine
def test_the_same_samples_give_the_same_opus_bytes(lossless: dict[str, Any]) -> None:
    first, second = lossless["folder"] / "first.opus", lossless["folder"] / "second.opus"
    samples = lossless["samples"][: 10 * SAMPLE_RATE]
    _write_opus(samples, first)
    _write_opus(samples, second)
    assert first.read_bytes() == second.read_bytes()


def test_a_full_disk_while_writing_opus_is_an_output_error_and_leaves_nothing(tmp_path: Path) -> None:
    # A file size limit makes writes fail the way a full disk does; FFmpeg's writes go through Python's
    # file object, so the error keeps its errno (EFBIG), which libsndfile's did not.
    program = textwrap.dedent(
        f"""
        import resource, signal
        import numpy as np
        from voiceguide.errors import OutputError
        from voiceguide.audio.sinks import FileSink
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
        sink = FileSink({str(tmp_path / "big.opus")!r}, 22050, channels=2)
        noise = np.random.default_rng(1).uniform(-0.3, 0.3, (22050, 2)).astype(np.float32)
        try:
            for _ in range(20):
                sink.write(noise)
            sink.close()
        except OutputError as error:
            print(error.message)
        """
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Cannot write") and "the disk is full" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_mono_file_over_a_bed_gets_the_stereo_rate_and_a_voice_alone_the_speech_rate(tmp_path: Path) -> None:
    # At 24 kb/s libopus codes a bed in its hybrid mode: quick-relief --mono decoded over -1 dBTP twice.
    from voiceguide.audio.file_formats import OPUS_SPEECH_BITRATE, OPUS_STEREO_BITRATE

    noise = (0.3 * np.random.default_rng(4).uniform(-1, 1, 10 * SAMPLE_RATE)).astype(np.float32)
    rates = {}
    for bed in (True, False):
        path = tmp_path / f"bed-{bed}.opus"
        sink = FileSink(path, SAMPLE_RATE)
        sink.set_channels(1, bed=bed)
        for start in range(0, noise.size, SAMPLE_RATE):
            sink.write(noise[start : start + SAMPLE_RATE])
        sink.close()
        assert soundfile.info(path).channels == 1
        rates[bed] = path.stat().st_size * 8 / 10
    assert 0.75 * OPUS_STEREO_BITRATE < rates[True] < 1.25 * OPUS_STEREO_BITRATE
    assert 0.75 * OPUS_SPEECH_BITRATE < rates[False] < 1.25 * OPUS_SPEECH_BITRATE


def test_the_peak_check_decodes_opus_as_ffmpeg_does_frame_for_frame_with_libsndfile(tmp_path: Path) -> None:
    # FFmpeg's own decoder (the one its ebur128 meter reads) for the check: the same frames as libopus's in
    # libsndfile, pre-skip and end trim included, so the same true peak.
    from voiceguide.audio.loudness import file_true_peak_dbtp
    from voiceguide.audio.opus_file import is_ogg_opus, opus_blocks
    from voiceguide.true_peak import TruePeakMeter

    rng = np.random.default_rng(5)
    sound = (0.2 * rng.standard_normal((3 * SAMPLE_RATE, 2))).astype(np.float32)
    sound[SAMPLE_RATE : SAMPLE_RATE + 50] = 0.9  # a click to find in the same place
    path = tmp_path / "check.opus"
    _write_opus(sound, path)
    assert is_ogg_opus(path) and not is_ogg_opus(Path(__file__))
    ours = np.concatenate(list(opus_blocks(path, block_frames=4096)))
    theirs, rate = soundfile.read(path, dtype="float32", always_2d=True)
    assert ours.shape == theirs.shape == (3 * 48_000, 2)
    assert np.abs(ours - theirs).max() < 0.05
    meter = TruePeakMeter(rate)
    meter.feed(theirs)
    assert file_true_peak_dbtp(path) == pytest.approx(20 * np.log10(meter.finish()), abs=0.05)
