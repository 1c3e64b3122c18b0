"""Rendering to sinks: file formats, atomic writes, failures, block-size identity."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr

from tests.fakes import FakeClips, busy_events, speech, tone_event
from voiceguide.audio.file_formats import output_format, supported_formats
from voiceguide.audio.mixer import Mixer
from voiceguide.audio.sinks import FileSink, to_pcm16
from voiceguide.base import SAMPLE_RATE, Audio
from voiceguide.errors import OutputError, UsageError
from voiceguide.play.render import render_session
from voiceguide.timeline.layout import Event, Timeline


class MemorySink:
    """A Sink that keeps every block in memory and records how it was finished."""

    def __init__(self, block_frames: int = SAMPLE_RATE) -> None:
        self.blocks: list[Audio] = []
        self.closed = 0
        self.aborted = 0
        self.block_frames = block_frames
        self.position = 0

    def free_frames(self) -> int:
        return sys.maxsize

    def write(self, block: Audio) -> None:
        self.blocks.append(block.copy())
        self.position += len(block)

    def discard(self) -> int:
        return 0

    def close(self) -> None:
        self.closed += 1

    def abort(self) -> None:
        self.aborted += 1

    @property
    def samples(self) -> Audio:
        return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.float32)


def make_timeline(events: list[Event], length: int | None = None) -> Timeline:
    end = max((e.end for e in events), default=0)
    return Timeline(
        title="Test",
        description=None,
        sample_rate=SAMPLE_RATE,
        length=length if length is not None else end + SAMPLE_RATE // 2,
        events=tuple(sorted(events, key=lambda e: e.start)),
        spans=(),
        chapters=(),
        dropped=(),
    )


class FailingClips(FakeClips):
    """Raises ``error`` when asked for the clip of an event at or after ``at_frame``."""

    def __init__(self, at_frame: int, error: BaseException) -> None:
        super().__init__()
        self.at_frame = at_frame
        self.error = error

    def clip(self, event: Event) -> Audio:
        if event.start >= self.at_frame:
            raise self.error
        return super().clip(event)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_render_session_pulls_every_block_and_closes() -> None:
    timeline = make_timeline(busy_events())
    sink = MemorySink()
    seen: list[tuple[int, int]] = []
    render_session(
        timeline, FakeClips(), sink, block_frames=1000, volume=0.7, progress=lambda d, t: seen.append((d, t))
    )
    expected = Mixer(timeline.events, FakeClips(), 0.7, length=timeline.length).render(0, timeline.length)
    np.testing.assert_array_equal(sink.samples, expected)
    assert (sink.closed, sink.aborted) == (1, 0)
    assert seen[0] == (0, timeline.length) and seen[-1] == (timeline.length, timeline.length)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_render_session_aborts_and_reraises_on_failure() -> None:
    sink = MemorySink()
    with pytest.raises(RuntimeError, match="engine died"):
        render_session(make_timeline(busy_events()), FailingClips(40_000, RuntimeError("engine died")), sink)
    assert (sink.closed, sink.aborted) == (0, 1)


@pytest.mark.parametrize("extension", [f.extension for f in supported_formats()])
def test_every_supported_format_round_trips(tmp_path: Path, extension: str) -> None:
    timeline = make_timeline([speech(1000, "a", 20_000), tone_event(30_000, 20_000)], length=3 * SAMPLE_RATE)
    path = tmp_path / f"out{extension}"
    render_session(timeline, FakeClips(amplitude=0.5), FileSink(path, SAMPLE_RATE))
    data, rate = soundfile.read(path, dtype="float32")
    assert rate == (output_format(path).sample_rate or SAMPLE_RATE) and data.ndim == 1
    if rate != SAMPLE_RATE:  # Opus runs at 48 kHz: compare at the session's rate
        data = soxr.resample(data, rate, SAMPLE_RATE)
    expected = Mixer(timeline.events, FakeClips(amplitude=0.5)).render(0, timeline.length)
    if extension in (".wav", ".flac"):
        assert len(data) == timeline.length
        assert np.max(np.abs(data - expected)) <= 1 / 32767
    else:
        # Lossy codecs: the length is kept to within a codec frame, the sound stays put.
        assert abs(len(data) - timeline.length) < 2048
        assert np.abs(data[:900]).max() < 0.05  # silence before the first event
    assert leftovers(tmp_path) == [path.name]


def test_the_four_formats_are_offered_here() -> None:
    assert {f.extension for f in supported_formats()} >= {".wav", ".flac", ".ogg"}
    assert output_format("x.WAV").format == "WAV"
    assert output_format("x.ogg").subtype == "VORBIS"


def test_a_long_ogg_is_written_in_small_pieces(tmp_path: Path) -> None:
    # One write of more than ~95 s crashes libvorbis; the sink must split it.
    path = tmp_path / "long.ogg"
    sink = FileSink(path, SAMPLE_RATE)
    sink.write(np.zeros(120 * SAMPLE_RATE, dtype=np.float32))
    sink.close()
    assert soundfile.info(path).duration == pytest.approx(120, abs=0.1)


@pytest.mark.parametrize("block", [1, 37, 512, 22050, None])
def test_file_and_mixer_blocks_give_identical_samples(tmp_path: Path, block: int | None) -> None:
    # The first 0.6 s of busy events: overlapping speech and tones with the limiter at work (peak 0.96).
    # The mixer's own blocks are test_mixer's test_blocks_of_any_size_give_identical_samples.
    timeline = make_timeline([e for e in busy_events() if e.start < 12_000])
    whole = Mixer(timeline.events, FakeClips(), 0.9).render(0, timeline.length)
    path = tmp_path / "blocks.wav"
    render_session(
        timeline, FakeClips(), FileSink(path, SAMPLE_RATE), volume=0.9, block_frames=block or timeline.length
    )
    got, _ = soundfile.read(path, dtype="int16")
    np.testing.assert_array_equal(got, to_pcm16(whole))


@pytest.mark.parametrize("name", ["mono.wav", "stereo.wav", "stereo.flac"])
def test_silence_written_as_it_is_is_the_silence_of_zeros_written(tmp_path: Path, name: str) -> None:
    channels = 2 if name.startswith("stereo") else 1
    tone = np.sin(np.arange(3000, dtype=np.float32) / 7)[:, None].repeat(channels, axis=1).squeeze() / 2
    silent, written = FileSink(tmp_path / f"a-{name}", SAMPLE_RATE, channels=channels), FileSink(
        tmp_path / f"b-{name}", SAMPLE_RATE, channels=channels)
    for sink in (silent, written):
        sink.write(tone)
    silent.write_silence(5000)
    silent.write_silence(123)
    written.write(np.zeros_like(tone, shape=(5123, channels) if channels > 1 else 5123))
    for sink in (silent, written):
        sink.write(tone)
        sink.close()
    assert silent.frames_written == written.frames_written == 11_123
    assert (tmp_path / f"a-{name}").read_bytes() == (tmp_path / f"b-{name}").read_bytes()


def test_a_failed_render_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "session.wav"
    with pytest.raises(RuntimeError):
        render_session(
            make_timeline(busy_events()), FailingClips(60_000, RuntimeError("boom")), FileSink(path, SAMPLE_RATE)
        )
    assert leftovers(tmp_path) == []


def test_an_interrupted_render_leaves_the_old_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "session.flac"
    path.write_bytes(b"previous render")
    with pytest.raises(KeyboardInterrupt):
        render_session(
            make_timeline(busy_events()), FailingClips(60_000, KeyboardInterrupt()), FileSink(path, SAMPLE_RATE)
        )
    assert leftovers(tmp_path) == ["session.flac"]
    assert path.read_bytes() == b"previous render"


def test_a_successful_render_replaces_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "session.wav"
    path.write_bytes(b"previous render")
    render_session(make_timeline([speech(0, "x", 500)]), FakeClips(), FileSink(path, SAMPLE_RATE))
    assert soundfile.info(path).frames == 500 + SAMPLE_RATE // 2
    assert leftovers(tmp_path) == ["session.wav"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # like any new file, not mkstemp's 0600


def test_unknown_extension_is_a_usage_error_naming_the_formats(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        FileSink(tmp_path / "session.aiff2", SAMPLE_RATE)
    assert "'.aiff2' is not a supported format" in caught.value.message
    assert ".wav" in (caught.value.hint or "") and ".flac" in (caught.value.hint or "")
    with pytest.raises(UsageError) as caught:
        FileSink(tmp_path / "session", SAMPLE_RATE)
    # One plain sentence (not "no extension is not a supported format") and a hint naming the formats.
    said = f"{tmp_path / 'session'} has no extension, so it does not say which audio format to write."
    assert caught.value.message == said
    assert caught.value.hint is not None and " or " in caught.value.hint and ".flac" in caught.value.hint
    assert caught.value.hint.endswith(f"e.g. -o {tmp_path / 'session'}.wav.")
    assert leftovers(tmp_path) == []


def unwritable_folder(tmp_path: Path) -> Path:
    if os.geteuid() == 0:
        return Path("/sys")  # sysfs refuses new files even to root
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


def test_an_unwritable_folder_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as caught:
        FileSink(unwritable_folder(tmp_path) / "session.wav", SAMPLE_RATE)
    assert "no permission to write" in caught.value.message
    assert caught.value.hint


def test_a_missing_folder_or_a_folder_as_target_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist"):
        FileSink(tmp_path / "nowhere" / "session.wav", SAMPLE_RATE)
    (tmp_path / "dir.wav").mkdir()
    with pytest.raises(OutputError, match="it is a folder"):
        FileSink(tmp_path / "dir.wav", SAMPLE_RATE)
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        FileSink(tmp_path / "file" / "session.wav", SAMPLE_RATE)


def test_a_full_disk_is_an_output_error_and_leaves_nothing(tmp_path: Path) -> None:
    # A file size limit makes writes fail the way a full disk does.
    program = textwrap.dedent(
        f"""
        import resource, signal
        import numpy as np
        from voiceguide.errors import OutputError
        from voiceguide.audio.sinks import FileSink
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
        sink = FileSink({str(tmp_path / "big.wav")!r}, 22050)
        try:
            for _ in range(20):
                sink.write(np.zeros(22050, dtype=np.float32))
            sink.close()
        except OutputError as error:
            print(error.message)
            print(error.hint)
        """
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Cannot write" in result.stdout and "part way" in result.stdout
    assert leftovers(tmp_path) == []


def test_closing_twice_or_writing_after_close_is_refused(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "x.wav", SAMPLE_RATE)
    sink.close()
    with pytest.raises(ValueError):
        sink.close()
    with pytest.raises(ValueError):
        sink.write(np.zeros(3, np.float32))
    sink.abort()  # harmless after close
    assert leftovers(tmp_path) == ["x.wav"]


# -- the render and list commands, in-process (no speech engine needed for these) ------------

MINIMAL = Path(__file__).resolve().parent / "data" / "valid" / "minimal.yaml"


def test_cli_render_to_an_unwritable_folder_exits_1_with_one_sentence(tmp_path: Path) -> None:
    from tests.cli_harness import run_cli

    target = unwritable_folder(tmp_path) / "session.wav"
    result = run_cli("render", str(MINIMAL), "-o", str(target))
    assert result.exit_status == 1
    assert (
        result.stderr_lines[0]
        == f"voiceguide: error: Cannot write {target}: no permission to write in {target.parent}."
    )
    assert result.stderr_lines[1].startswith("hint: ")
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_cli_render_checks_every_file_name_before_working(tmp_path: Path) -> None:
    from tests.cli_harness import run_cli

    wav = ["-o", str(tmp_path / "s.wav")]
    wrong = [["-o", str(tmp_path / "s.aiff")], [*wav, "--captions", str(tmp_path / "c.txt")],
             [*wav, "--chapters", str(tmp_path / "c.srt")]]  # fmt: skip
    for extra in wrong:
        result = run_cli("render", str(MINIMAL), *extra)
        assert result.exit_status == 2, result.stderr
        assert result.stderr.startswith("voiceguide: error: Cannot write ")
    assert run_cli("render", "no-such-session", "-o", str(tmp_path / "s.wav")).exit_status == 2
    assert leftovers(tmp_path) == []


def test_cli_list_names_every_shipped_session() -> None:
    from tests.cli_harness import run_cli
    from voiceguide.script.shipped import shipped_scripts

    result = run_cli("list")
    assert result.exit_status == 0, result.stderr
    assert [line.split()[0] for line in result.stdout_lines] == [p.stem for p in shipped_scripts()]
    assert all(" min " in line for line in result.stdout_lines)
    assert any("Sciatica" in line for line in result.stdout_lines)
    names = [line.split()[0] for line in result.stdout_lines]
    assert names.index("sciatica") == names.index("sciatica-de") - 1  # a session, then its translations
    # One length per session: the list's estimate, not a second one in the description.
    assert all(len(re.findall(r"\b(\d+) (?:min|minutes|Minuten)\b", line)) == 1 for line in result.stdout_lines)


def test_pcm16_rounds_to_nearest_and_clips() -> None:
    x = np.array([0.0, 0.5 / 32768, 1.4 / 32768, -1.6 / 32768, 1.0, 2.0, -1.0, -2.0], np.float32)
    assert list(to_pcm16(x)) == [0, 0, 1, -2, 32767, 32767, -32768, -32768]


def test_wav_and_flac_hold_the_same_quantized_samples_as_libsndfiles_flac(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-1, 1, 200_000), np.arange(-40_000, 40_000) / 32768]).astype(np.float32)
    for name in ("ours.wav", "ours.flac"):
        sink = FileSink(tmp_path / name, SAMPLE_RATE)
        sink.write(x)
        sink.close()
        np.testing.assert_array_equal(soundfile.read(tmp_path / name, dtype="int16")[0], to_pcm16(x))
    soundfile.write(tmp_path / "theirs.flac", x, SAMPLE_RATE, subtype="PCM_16")
    np.testing.assert_array_equal(soundfile.read(tmp_path / "theirs.flac", dtype="int16")[0], to_pcm16(x))


def test_progress_bar_redraws_one_line_in_place_and_clears_it() -> None:
    import io

    from voiceguide.play.ui import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(stream, "rendering", SAMPLE_RATE)
    total = 90 * SAMPLE_RATE
    for done in range(0, total + 1, SAMPLE_RATE // 10):
        bar(done, total)
    bar.finish()
    text = stream.getvalue()
    assert text.count("\r") == 101 + 1  # once per whole percent, then the clearing
    assert "\n" not in text
    assert "rendering [" + "#" * 30 + "] 100% of 1.5 min" in text
    assert text.endswith("\r\x1b[K")


def test_a_failed_write_is_explained_where_os_has_no_statvfs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Windows has no os.statvfs (shutil.disk_usage works there, through its own call):
    # the free-space check must still name a full disk, not raise AttributeError.
    import shutil

    from voiceguide.audio.sinks import _write_error

    monkeypatch.delattr(os, "statvfs", raising=False)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9, 0))  # type: ignore[attr-defined]
    error = _write_error(tmp_path / "x.wav", AssertionError())
    assert isinstance(error, OutputError) and "the disk is full" in error.message


@pytest.mark.engine
def test_render_stopped_by_sigterm_leaves_no_partial_or_temporary_files(tmp_path: Path) -> None:
    import signal
    import time

    out, scratch = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    scratch.mkdir()
    env = dict(os.environ, VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"), TMPDIR=str(scratch))
    process = subprocess.Popen([sys.executable, "-m", "voiceguide", "render", str(MINIMAL), "-o", str(out / "s.wav")],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not leftovers(out) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert process.poll() is None, "the render ended before the test could stop it"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert leftovers(out) == []
    assert leftovers(scratch) == []  # the speech worker's folder too


def test_render_refuses_to_write_captions_and_chapters_to_one_file(tmp_path: Path) -> None:
    from tests.cli_harness import run_cli

    same = str(tmp_path / "same.vtt")
    result = run_cli("render", "quick-relief", "-o", str(tmp_path / "out.wav"), "--captions", same, "--chapters", same)
    assert result.exit_status == 2, result.stderr
    assert result.stderr_lines == [f"voiceguide: error: Will not write --chapters to {same}: "
                                   "--captions goes to the same file.",
                                   "hint: give the audio, the captions and the chapters each a file of its own"]
    assert list(tmp_path.iterdir()) == []


def test_a_signal_during_an_import_waits_for_the_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A SIGTERM raised as KeyboardInterrupt inside a lazy import surfaced as the import's RuntimeError
    # (a traceback, exit 1) or ended the process by SIGINT (-2): about 7 renders in 18 stopped at random
    # moments under load.  The handler tells an import's frames apart and asks again after it.
    from voiceguide.play.interrupts import _importing

    (tmp_path / "probe_module_for_interrupts.py").write_text("import sys\nFRAME = sys._getframe()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import probe_module_for_interrupts  # type: ignore[import-not-found]

    assert _importing(probe_module_for_interrupts.FRAME)
    assert not _importing(sys._getframe())
    assert not _importing(None)
