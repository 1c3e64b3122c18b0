"""Outputs never replace inputs, are all checked before any work, and fail cleanly.

Render's outputs (audio, ``--captions``, ``--chapters``) may not be the script
or each other, also through symbolic and hard links, and each must be
writable before synthesis starts.  Standard output that fails (a full disk, a
closed pipe) is one sentence and exit 1.  The real synthesized length is held
to 24 h, and a WAV file is never written past its header's 4 GiB.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pytest

from tests.cli_harness import run_cli
from tests.fakes import FakeSynthesizer
from voiceguide.audio import sinks
from voiceguide.audio.sinks import FileSink
from voiceguide.base import SAMPLE_RATE
from voiceguide.errors import OutputError, ScriptError
from voiceguide.speech import engines

REPO = Path(__file__).resolve().parent.parent
MINIMAL = "voiceguide: 1\ntitle: Minimal\nsteps:\n  - Hello.\n"


def _script(folder: Path, name: str = "s.yaml") -> Path:
    path = folder / name
    path.write_text(MINIMAL)
    return path


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _no_synthesis(*args: object, **kwargs: object) -> NoReturn:
    raise AssertionError("the speech engine was started: the work began before the outputs were checked")


# -- item 5: an output is never the script, nor another output -----------------------------


@pytest.mark.parametrize("option", ["-o", "--captions", "--chapters"])
@pytest.mark.parametrize("link", ["same name", "symbolic link", "hard link"])
def test_an_output_that_is_the_script_is_refused_before_any_work(tmp_path: Path, option: str, link: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    extension = {"-o": ".wav", "--captions": ".vtt", "--chapters": ".cue"}[option]
    script = _script(tmp_path, f"s{extension}")  # a script may have any name, even an audio one
    target = tmp_path / f"out{extension}"
    if link == "same name":
        target = script
    elif link == "symbolic link":
        target.symlink_to(script)
    else:
        os.link(script, target)
    before = _files(tmp_path)
    args = ["render", str(script), "-o", str(tmp_path / "audio.wav")] if option != "-o" else ["render", str(script)]
    monkeypatch.setattr(engines, "open_synthesizer", _no_synthesis)
    result = run_cli(*args, option, str(target))
    assert result.exit_status == 2, result.stderr
    assert result.stderr_lines == [
        f"voiceguide: error: Will not write {'the audio' if option == '-o' else option} to {target}: "
        "that is the script itself.",
        "hint: name another file for the output; an output never replaces the script",
    ]
    assert script.read_text() == MINIMAL
    assert _files(tmp_path) == before


@pytest.mark.parametrize("link", ["symbolic link", "hard link"])
def test_two_outputs_that_are_one_file_through_a_link_are_refused(tmp_path: Path, link: str) -> None:
    script = _script(tmp_path)
    captions = tmp_path / "c.vtt"
    captions.write_text("WEBVTT\n")
    chapters = tmp_path / "ch.vtt"
    if link == "symbolic link":
        chapters.symlink_to(captions)
    else:
        os.link(captions, chapters)
    result = run_cli("render", str(script), "-o", str(tmp_path / "a.wav"), "--captions", str(captions),
                     "--chapters", str(chapters))
    assert result.exit_status == 2, result.stderr
    assert result.stderr_lines[0] == (f"voiceguide: error: Will not write --chapters to {chapters}: "
                                      f"--captions goes to the same file ({captions}).")
    assert captions.read_text() == "WEBVTT\n"
    assert "a.wav" not in _files(tmp_path)


# -- item 6: every output is checked for writing before synthesis ----------------------------


@pytest.mark.parametrize("option", ["--captions", "--chapters"])
def test_an_unwritable_captions_or_chapters_path_fails_before_the_audio_is_written(tmp_path: Path,
                                                                                  option: str) -> None:
    script = _script(tmp_path)
    name = "c.vtt" if option == "--captions" else "c.cue"
    missing = tmp_path / "no-such-folder" / name
    result = run_cli("render", str(script), "-o", str(tmp_path / "a.wav"), option, str(missing))
    assert result.exit_status == 1, result.stderr
    assert result.stderr_lines[0] == (f"voiceguide: error: Cannot write {missing}: "
                                      f"the folder {missing.parent} does not exist.")
    assert _files(tmp_path) == ["s.yaml"], "no audio, no temporary file: nothing was rendered"


def test_captions_naming_a_folder_fail_before_the_audio_is_written(tmp_path: Path) -> None:
    script = _script(tmp_path)
    (tmp_path / "c.vtt").mkdir()
    result = run_cli("render", str(script), "-o", str(tmp_path / "a.wav"), "--captions", str(tmp_path / "c.vtt"))
    assert result.exit_status == 1
    assert result.stderr_lines[0] == f"voiceguide: error: Cannot write {tmp_path / 'c.vtt'}: it is a folder."
    assert _files(tmp_path) == ["c.vtt", "s.yaml"]


# -- item 7: standard output -------------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [("schema",), ("check", "scripts/breathing.yaml"), ("--help",)])
def test_stdout_on_a_full_disk_is_one_line_and_exit_1(args: tuple[str, ...]) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "voiceguide", *args], cwd=REPO, stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "voiceguide: error: Cannot write to standard output: the disk is full (or the file is at its size limit).",
    ]


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))


def test_stdout_cut_off_by_a_full_disk_leaves_no_partial_file(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    with open(out, "w") as handle:
        result = subprocess.run([sys.executable, "-m", "voiceguide", "schema"], cwd=REPO, stdout=handle,
                                stderr=subprocess.PIPE, text=True, timeout=60, preexec_fn=_limit_file_size)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert out.read_bytes() == b"", "a cut-off schema must not be left looking like one"


def _into_a_closed_pipe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read: the first write fails with EPIPE
    try:
        return subprocess.run([sys.executable, "-m", "voiceguide", *args], cwd=REPO, stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120, env=env)
    finally:
        os.close(write_end)


def test_stdout_into_a_closed_pipe_ends_quietly() -> None:
    # As other command-line tools: the reader chose to stop ('| head'), so nothing is said.
    result = _into_a_closed_pipe("check", "scripts/breathing.yaml")
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.engine
def test_plan_json_into_head_ends_quietly(tmp_path: Path) -> None:
    env = dict(os.environ, VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"))
    result = _into_a_closed_pipe("plan", "--json", "tests/data/valid/minimal.yaml", env=env)
    assert (result.returncode, result.stderr) == (0, "")


# -- item 3: the real length is held to 24 h; a WAV never overflows -----------------------------

LONG_WORD_SCRIPT = """\
voiceguide: 1
title: Long word
steps:
  - repeat: 2000
    steps:
      - say: {word}
"""


@pytest.mark.engine
def test_a_session_whose_real_speech_passes_24_h_is_refused_before_any_audio(tmp_path: Path) -> None:
    # "Mississippi" x 90 is one word to the estimate (0.4 s) but ~50 s spoken: 2,000 times is ~28 h.
    # In this process, with the run's speech cache: the 50-s word is synthesized once in the run (the live play
    # test below says it too), and the commands' answers are what is tested, not their processes.
    script = tmp_path / "long.yaml"
    script.write_text(LONG_WORD_SCRIPT.format(word="Mississippi" * 90))
    checked = run_cli("check", str(script))
    assert checked.exit_status == 0, "the estimate cannot see it: that is why render must hold the real length"
    out = tmp_path / "out"
    out.mkdir()
    for args in (["render", str(script), "-o", str(out / "long.wav")], ["plan", str(script)]):
        result = run_cli(*args)
        assert result.exit_status == 2, result.stderr
        first = result.stderr.splitlines()[0]
        assert first.startswith(f"{script}:1:1: error: with its speech synthesized the session would last 2")
        assert first.endswith("a session may last at most 24 h (some text takes longer to say than its words "
                              "suggest)")
        assert result.stdout == ""
    assert _files(out) == [], "no audio and no temporary file"


@pytest.mark.live
@pytest.mark.engine
def test_play_stops_with_the_same_error_once_its_layout_passes_24_h(tmp_path: Path, pulse_server: Any) -> None:
    script = tmp_path / "long.yaml"
    script.write_text(LONG_WORD_SCRIPT.format(word="Mississippi" * 90))
    env = dict(pulse_server.env)  # the run's speech cache: the word is synthesized once in the run
    result = subprocess.run([sys.executable, "-m", "voiceguide", "play", "--plain", str(script)], cwd=REPO,
                            env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert f"{script}:1:1: error: with its speech synthesized the session would last more than 24 h" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_lazy_layout_stops_as_soon_as_it_passes_24_h() -> None:
    # What play uses: the layout on its background thread ends with the error.
    from voiceguide.script.parse import parse_script
    from voiceguide.timeline.compiler import iter_timeline
    from voiceguide.timeline.length_limit import held_to_limit

    source = LONG_WORD_SCRIPT.format(word="Mississippi" * 90).encode()
    script = parse_script(source, "long.yaml").script
    assert script is not None
    ends = []
    with pytest.raises(ScriptError) as caught:
        for plan in held_to_limit(script, iter_timeline(script, lambda text: 50 * SAMPLE_RATE), SAMPLE_RATE):
            ends.append(plan.span.end)
    assert "would last more than 24 h" in caught.value.diagnostics[0].message
    # Every step that fits is handed on, and none that would end past the limit.
    assert 24 * 3600 * SAMPLE_RATE - 60 * SAMPLE_RATE < ends[-1] <= 24 * 3600 * SAMPLE_RATE
    # play's program compiles on a thread and hands the error to the player's thread.
    from voiceguide.play.program import Program

    program = Program(script.title, held_to_limit(script, iter_timeline(script, lambda text: 50 * SAMPLE_RATE),
                                                  SAMPLE_RATE))
    with pytest.raises(ScriptError, match="would last more than 24 h "):
        program.wait(lambda snapshot: False, timeout=30)


def test_a_lazy_layout_passes_steps_without_sound() -> None:
    # A pause (or a silent section) lays out no event: its end is its span's.
    from voiceguide.script.parse import parse_script
    from voiceguide.timeline.compiler import iter_timeline
    from voiceguide.timeline.length_limit import held_to_limit

    source = b"voiceguide: 1\ntitle: Quiet\nsteps:\n  - pause: 3s\n  - section: End\n    announce: false\n  - Done.\n"
    script = parse_script(source, "quiet.yaml").script
    assert script is not None
    plans = list(held_to_limit(script, iter_timeline(script, lambda text: SAMPLE_RATE), SAMPLE_RATE))
    assert any(not plan.events for plan in plans)  # the pause: laid out, and passed on
    assert plans[-1].events[0].text == "Done."


def test_a_wav_file_is_never_written_past_what_its_header_can_hold(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sinks, "WAV_MAX_BYTES", 2 * SAMPLE_RATE * 3)  # a "4 GiB" of 3 s, for the test
    sink = FileSink(tmp_path / "x.wav", SAMPLE_RATE)
    with pytest.raises(OutputError) as caught:
        sink.check_length(4 * SAMPLE_RATE)
    assert caught.value.message == (f"Cannot write {tmp_path / 'x.wav'}: 0.0 h of audio is more than a WAV file "
                                    "can hold (about 0.0 h).")
    assert _files(tmp_path) == []
    sink = FileSink(tmp_path / "y.wav", SAMPLE_RATE)
    sink.write(np.zeros(2 * SAMPLE_RATE, dtype=np.float32))
    with pytest.raises(OutputError):
        sink.write(np.zeros(2 * SAMPLE_RATE, dtype=np.float32))
    assert _files(tmp_path) == []
    flac = FileSink(tmp_path / "z.flac", SAMPLE_RATE)
    flac.check_length(10**12)  # FLAC has no such limit
    flac.abort()


def test_a_24_hour_session_fits_in_a_wav_file() -> None:
    assert 24 * 3600 * SAMPLE_RATE <= sinks.WAV_MAX_BYTES // 2


# -- item 8: what a killed process left is swept on the next run --------------------------------


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_part_files_of_dead_renders_are_swept_and_only_those(tmp_path: Path) -> None:
    dead, alive = _dead_pid(), os.getppid()
    planted = {
        f".s.wav.vg-{dead}-0123abcd.part": False,  # ours, owner gone: swept
        f".other.flac.vg-{dead}-89abcdef.part": False,  # another target in the same folder: swept too
        f".s.wav.vg-{alive}-0123abcd.part": True,  # owner alive: kept
        ".s.wav.0123abcd.part": True,  # no owner in the name (not ours to judge): kept
        f"s.wav.vg-{dead}-0123abcd.part": True,  # not hidden: not our name
        f".s.wav.vg-{dead}-0123abcd.part.keep": True,
    }
    for name in planted:
        (tmp_path / name).write_bytes(b"x")
    FileSink(tmp_path / "s.wav", SAMPLE_RATE).abort()
    assert _files(tmp_path) == sorted(name for name, kept in planted.items() if kept)


def test_worker_folders_of_dead_processes_are_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from voiceguide.speech.worker_process import make_worker_directory

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead, alive = _dead_pid(), os.getppid()
    for pid in (dead, alive):
        folder = tmp_path / f"voiceguide-tts-{pid}-0123abcd"
        folder.mkdir()
        (folder / "utterance-1.wav").write_bytes(b"RIFF")
    (tmp_path / "voiceguide-tts-xyz").mkdir()  # the old unowned name: not ours to judge
    mine = make_worker_directory()
    assert _files(tmp_path) == sorted([f"voiceguide-tts-{alive}-0123abcd", "voiceguide-tts-xyz", mine.name])
    assert mine.name.startswith(f"voiceguide-tts-{os.getpid()}-")


def test_the_temporary_folder_is_found_without_writing_a_probe_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # tempfile.gettempdir() creates and deletes a randomly named file on its first call: a render
    # killed in between left that file in the folder, where no later run could tell it was ours.
    import tempfile

    from voiceguide.speech.worker_process import make_worker_directory

    def probe(*args: object) -> str:
        raise AssertionError("tempfile's probe ran")

    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setattr(tempfile, "_get_default_tempdir", probe)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    mine = make_worker_directory()
    assert _files(tmp_path) == [mine.name]


def test_cache_temporary_files_of_dead_processes_are_swept(tmp_path: Path) -> None:
    from voiceguide.speech.clips import SpeechBank

    dead, alive = _dead_pid(), os.getppid()
    name = "0" * 64 + ".clip"
    for pid in (dead, alive):
        (tmp_path / f".{name}.vg-{pid}-0123abcd.part").write_bytes(b"half an entry")
    SpeechBank(FakeSynthesizer(), tmp_path).clip("Hold.")
    names = _files(tmp_path)
    assert f".{name}.vg-{dead}-0123abcd.part" not in names
    assert f".{name}.vg-{alive}-0123abcd.part" in names
    assert len([n for n in names if n.endswith(".clip") and not n.startswith(".")]) == 1


@pytest.mark.engine
def _wait_for_orphaned_workers(scratch: Path, timeout: float = 20) -> None:
    """Wait until no speech worker started with ``TMPDIR=scratch`` is left (a busy machine slows their exit)."""
    needle = f"TMPDIR={scratch}".encode()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = []
        for proc in Path("/proc").iterdir():
            try:
                if needle in (proc / "environ").read_bytes().split(b"\0"):
                    alive.append(proc.name)
            except OSError:  # not a process, gone, or not ours to read
                continue
        if not alive:
            return
        time.sleep(0.05)
    raise AssertionError(f"speech workers still running after {timeout} s: {alive}")


def test_a_render_killed_outright_leaves_litter_that_the_next_run_sweeps(tmp_path: Path) -> None:
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    scratch.mkdir()
    script = _script(tmp_path)
    env = dict(os.environ, VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"), TMPDIR=str(scratch))
    command = [sys.executable, "-m", "voiceguide", "render", str(script), "-o", str(out / "s.wav")]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not (_files(out) and _files(scratch)) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert process.poll() is None, "the render ended before the test could kill it"
    process.kill()  # SIGKILL: nothing runs, nothing is cleaned
    process.wait()
    assert [name for name in _files(out) if name.endswith(".part")], "kill -9 leaves the .part file"
    # The worker's folder may be left too, or already removed by the orphaned worker itself: either way,
    # nothing may be left after the next run.
    _wait_for_orphaned_workers(scratch)  # they notice their parent is gone and exit
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert _files(out) == ["s.wav"]
    assert _files(scratch) == []


def test_owned_names_carry_the_pid() -> None:
    from voiceguide.base import owned_name

    assert owned_name(".tmp-", ".clip").startswith(f".tmp-{os.getpid()}-")
