"""The real pyttsx3 engine behind ``Pyttsx3Synthesizer``: voices, rate, errors, hangs, stray output.

Tests marked ``engine`` drive the real pyttsx3/espeak-ng: skipped with a reason
when it is missing, a failure under ``CI=true``.  A hanging or dying engine is
simulated by a worker script that patches the real worker (``command=``).
"""

from __future__ import annotations

import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.cli_harness import run_cli
from tests.fakes import start_engine
from voiceguide.base import SAMPLE_RATE
from voiceguide.errors import EngineError
from voiceguide.speech.pyttsx3_engine import Pyttsx3Synthesizer, list_voices, missing_engine_error
from voiceguide.speech.voices import VoiceInfo, select_voice

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def engine_synth() -> Iterator[Pyttsx3Synthesizer]:
    """One real synthesizer (en-GB, 160 wpm) shared by a module's tests."""
    synth = start_engine(language="en-GB")
    yield synth
    synth.close()


# -- voice selection (pure) -------------------------------------------------------------

VOICES = [
    VoiceInfo("gmw/en-029", "English (Caribbean)", ("en-029",), "Male"),
    VoiceInfo("gmw/en", "English (Great Britain)", ("en-gb",), "Male"),
    VoiceInfo("gmw/en-gb-scotland", "English (Scotland)", ("en-gb-scotland",), "Male"),
    VoiceInfo("gmw/en-us", "English (America)", ("en-us",), "Male"),
    VoiceInfo("gmw/en-us-nyc", "English (America, New York City)", ("en-us-nyc",), "Male"),
    VoiceInfo("gmw/de", "German", ("de",), "Male"),
    VoiceInfo("roa/pt-br", "Portuguese (Brazil)", ("pt-br",), "Male"),
    VoiceInfo("roa/pt", "Portuguese (Portugal)", ("pt",), "Male"),
]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en-GB", "gmw/en"),
        ("en_gb", "gmw/en"),
        ("en-US", "gmw/en-us"),
        ("en", "gmw/en"),  # no plain "en": the plainest English voice
        ("en-AU", "gmw/en"),  # no Australian voice: any English, plainest first
        ("de-AT", "gmw/de"),  # region unknown: the language itself
        ("pt-BR", "roa/pt-br"),
        ("pt", "roa/pt"),
    ],
)
def test_language_picks_the_closest_voice(language: str, expected: str) -> None:
    chosen = select_voice(VOICES, None, language)
    assert chosen is not None and chosen.id == expected


@pytest.mark.parametrize(
    ("voice", "language", "expected"),
    [
        ("gmw/en-us-nyc", None, "gmw/en-us-nyc"),  # exact id
        ("GMW/DE", None, "gmw/de"),  # id, any case
        ("america", None, "gmw/en-us"),  # part of a name: the shortest such name
        ("English (America, New York City)", None, "gmw/en-us-nyc"),
        ("english", "en-GB", "gmw/en"),  # name narrowed by language
        ("portuguese", "pt-BR", "roa/pt-br"),
    ],
)
def test_voice_by_id_or_name(voice: str, language: str | None, expected: str) -> None:
    chosen = select_voice(VOICES, voice, language)
    assert chosen is not None and chosen.id == expected


def test_no_voice_or_language_means_the_engine_default() -> None:
    assert select_voice(VOICES, None, None) is None


@pytest.mark.parametrize(("voice", "language"), [("no-such-voice", None), (None, "tlh"), (None, "fr-FR")])
def test_no_matching_voice_is_an_error_with_a_hint(voice: str | None, language: str | None) -> None:
    with pytest.raises(EngineError) as caught:
        select_voice(VOICES, voice, language)
    assert caught.value.hint is not None and "voiceguide voices" in caught.value.hint


def test_missing_engine_message_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    error = missing_engine_error("OSError: libespeak-ng.so.1: cannot open shared object file")
    assert error.message == "The speech engine is not available: espeak-ng's library (libespeak-ng1) is not installed."
    assert error.hint == "sudo apt-get install libespeak-ng1"
    assert missing_engine_error("ModuleNotFoundError: No module named 'pyttsx3'").hint == "pip install pyttsx3"


# -- the real engine ---------------------------------------------------------------------


@pytest.mark.engine
def test_real_engine_synthesizes_untrimmed_audio(engine_synth: Pyttsx3Synthesizer) -> None:
    audio = engine_synth.synthesize("Breathe in slowly.")
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert 0.5 * SAMPLE_RATE < audio.size < 3 * SAMPLE_RATE
    assert np.all(np.isfinite(audio)) and np.abs(audio).max() > 0.1
    # espeak's end pause is still there: trimming is the bank's job.
    assert np.abs(audio[-round(0.1 * SAMPLE_RATE):]).max() < 0.01
    assert engine_synth.sample_rate == SAMPLE_RATE


@pytest.mark.engine
def test_real_engine_batches_match_single_calls(engine_synth: Pyttsx3Synthesizer) -> None:
    texts = [f"Hold for {n} seconds." for n in (5, 10, 15, 20)] + ["Release."]
    batch = engine_synth.synthesize_many(texts)
    singles = [engine_synth.synthesize(t) for t in texts]
    # Same text, same voice: the same length give or take espeak's jitter (notes: ±11 ms).
    for a, b in zip(batch, singles, strict=True):
        assert abs(a.size - b.size) < 0.03 * SAMPLE_RATE
    # ... and never another text's audio: the lengths follow the texts.
    assert batch[-1].size < batch[0].size


@pytest.mark.engine
def test_identity_names_engine_voice_and_rate(engine_synth: Pyttsx3Synthesizer) -> None:
    identity = engine_synth.identity()
    assert "pyttsx3" in identity and "gmw/en" in identity and "rate 160" in identity
    assert engine_synth.voice_id == "gmw/en"


@pytest.mark.engine
def test_rate_changes_the_length() -> None:
    text = "Gently press the point and keep breathing."
    with start_engine(rate=110) as slow, start_engine(rate=260) as fast:
        slow_frames = slow.synthesize(text).size
        fast_frames = fast.synthesize(text).size
        assert slow.identity() != fast.identity()
    assert slow_frames > 1.6 * fast_frames


@pytest.mark.engine
def test_voice_selection_reaches_the_engine() -> None:
    with start_engine(language="en-US") as american, start_engine(voice="german") as german:
        assert american.voice_id == "gmw/en-us"
        assert german.voice_id == "gmw/de"
        assert american.identity() != german.identity()
        text = "Forty-five seconds left."
        assert american.synthesize(text).size != german.synthesize(text).size


@pytest.mark.engine
def test_unknown_voice_is_an_engine_error_with_hint() -> None:
    start_engine().close()  # skips when the engine is missing
    with pytest.raises(EngineError, match="no-such-voice") as caught:
        Pyttsx3Synthesizer(voice="no-such-voice")
    assert caught.value.hint is not None and "voiceguide voices" in caught.value.hint
    with pytest.raises(EngineError, match="xx-YY"):
        Pyttsx3Synthesizer(language="xx-YY")


@pytest.mark.engine
def test_list_voices_has_english() -> None:
    start_engine().close()
    voices = list_voices()
    assert len(voices) > 10
    assert any(v.id == "gmw/en" and "en-gb" in v.languages for v in voices)
    assert all(v.name and v.id for v in voices)


@pytest.mark.engine
def test_nothing_reaches_stdout_or_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    with start_engine(language="en-GB") as synth:
        synth.synthesize("Audio saved to nowhere.")
        synth.synthesize_many(["One.", "Two.", "Three."])
    list_voices()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.engine
def test_close_stops_the_worker_and_removes_its_files() -> None:
    synth = start_engine()
    synth.synthesize("Hello.")
    worker = synth._state["worker"]
    directory = synth._directory
    assert worker.process.poll() is None and directory.exists()
    synth.close()
    assert worker.process.poll() is not None
    assert not directory.exists()
    with pytest.raises(EngineError):
        synth.synthesize("Hello again.")


@pytest.mark.engine
def test_cli_voices_lists_ids_names_and_languages() -> None:
    start_engine().close()
    result = run_cli("voices")
    assert result.exit_status == 0, result.stderr
    assert result.stdout_lines[0].split() == ["ENGINE", "ID", "NAME", "LANGUAGES"]
    assert any(line.split()[:2] == ["pyttsx3", "gmw/en"] and line.split()[-1] == "en-gb"
               for line in result.stdout_lines)


# -- a missing engine ---------------------------------------------------------------------


@pytest.fixture
def no_espeak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the worker's ``import pyttsx3`` fail as it does without libespeak-ng1 (a shadowing package)."""
    fake = tmp_path / "shadow" / "pyttsx3"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "raise OSError('libespeak-ng.so.1: cannot open shared object file: No such file or directory')\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(fake.parent))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the message names the Linux package")
def test_missing_engine_is_one_sentence_naming_the_package(no_espeak: None) -> None:
    with pytest.raises(EngineError) as caught:
        Pyttsx3Synthesizer()
    assert caught.value.message == (
        "The speech engine is not available: espeak-ng's library (libespeak-ng1) is not installed."
    )
    assert caught.value.hint == "sudo apt-get install libespeak-ng1"
    with pytest.raises(EngineError, match="libespeak-ng1"):
        list_voices()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the message names the Linux package")
def test_cli_voices_without_engine_exits_1(no_espeak: None) -> None:
    result = run_cli("voices")
    assert result.exit_status == 1
    assert result.stdout == ""
    assert result.stderr_lines == [
        "voiceguide: error: The speech engine is not available: espeak-ng's library (libespeak-ng1) is not installed.",
        "hint: sudo apt-get install libespeak-ng1",
    ]


@pytest.fixture
def broken_espeak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyttsx3 imports (the library is there) but its engine will not initialise."""
    fake = tmp_path / "shadow" / "pyttsx3"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "def init():\n    raise RuntimeError('could not initialize espeak')\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(fake.parent))


def test_an_installed_engine_that_fails_to_start_says_what_failed(broken_espeak: None) -> None:
    with pytest.raises(EngineError) as caught:
        Pyttsx3Synthesizer()
    assert caught.value.message == (
        "The speech engine is installed but could not start: "
        "pyttsx3.init(): RuntimeError: could not initialize espeak."
    )
    assert "not installed" not in caught.value.message


# -- a hung or dying engine ------------------------------------------------------------------

WORKER_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from voiceguide.speech import _tts_worker

    mode, marker = sys.argv[1], sys.argv[2]
    first = not os.path.exists(marker)
    open(marker, "a").close()
    if mode == "silent":
        time.sleep(3600)
    if (mode == "hang-first" and first) or mode == "hang-always":
        _tts_worker.Worker.synth = lambda self, items: time.sleep(3600)
    if mode == "die-first" and first:
        _tts_worker.Worker.synth = lambda self, items: os._exit(3)
    sys.exit(_tts_worker.main())
    """
)


def _worker(tmp_path: Path, mode: str) -> list[str]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER_SCRIPT)
    return [sys.executable, str(script), mode, str(tmp_path / "started-once")]


@pytest.mark.engine
def test_a_hung_engine_is_killed_and_restarted(tmp_path: Path) -> None:
    with start_engine(command=_worker(tmp_path, "hang-first"), timeout_seconds=1.0) as synth:
        hung = synth._state["worker"].process
        started = time.monotonic()
        audio = synth.synthesize("Breathe out.")
        elapsed = time.monotonic() - started
        assert audio.size > 0.3 * SAMPLE_RATE
        assert synth.restarts == 1
        assert hung.poll() is not None, "the hung worker was killed"
        assert elapsed < 10
        assert synth.synthesize("And in.").size > 0  # the new worker carries on
        assert synth.restarts == 1


@pytest.mark.engine
def test_an_engine_that_keeps_hanging_is_an_engine_error(tmp_path: Path) -> None:
    with start_engine(command=_worker(tmp_path, "hang-always"), timeout_seconds=0.5) as synth:
        with pytest.raises(EngineError, match="did not answer"):
            synth.synthesize("Breathe out.")
        assert synth.restarts == 2


@pytest.mark.engine
def test_a_dying_engine_is_restarted(tmp_path: Path) -> None:
    with start_engine(command=_worker(tmp_path, "die-first"), timeout_seconds=5.0) as synth:
        assert synth.synthesize("Breathe out.").size > 0
        assert synth.restarts == 1


@pytest.mark.engine
def test_an_engine_that_never_starts_times_out(tmp_path: Path) -> None:
    start_engine().close()
    started = time.monotonic()
    with pytest.raises(EngineError, match="could not start"):
        Pyttsx3Synthesizer(command=_worker(tmp_path, "silent"), start_timeout_seconds=1.0)
    assert time.monotonic() - started < 5


def test_worker_accepts_the_aiff_that_macos_writes_into_a_wav_name(tmp_path: Path) -> None:
    # pyttsx3's NSSpeech driver writes AIFF whatever the file is called; the
    # worker must see such a file as complete, and a cut-off one as not.
    import soundfile

    from voiceguide.speech import _tts_engine

    path = tmp_path / "utterance-1.wav"
    soundfile.write(str(path), np.full(2205, 0.25, dtype=np.float32), SAMPLE_RATE, format="AIFF", subtype="PCM_16")
    assert _tts_engine.file_is_complete(str(path))
    cut = tmp_path / "utterance-2.wav"
    cut.write_bytes(path.read_bytes()[:-100])
    assert not _tts_engine.file_is_complete(str(cut))


def test_a_child_speaking_for_a_worker_that_is_killed_ends_with_it(tmp_path: Path) -> None:
    # Each utterance is spoken by a child of the worker; if the worker is killed while a child is busy
    # (a hung engine), the child must not live on: the kernel ends it with its parent (prctl), or a thread does.
    import os
    import subprocess

    code = textwrap.dedent(
        """
        import os, sys, time
        from voiceguide.speech import _tts_worker
        pid, pipe = _tts_worker._fork_child(lambda engine: time.sleep(120), engine=object())
        print(pid, flush=True)
        time.sleep(120)
        """
    )
    worker = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert worker.stdout is not None
    child = int(worker.stdout.readline())
    assert _alive(child)
    worker.kill()
    worker.wait()
    deadline = time.monotonic() + 30
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    outlived = _alive(child)
    if outlived:
        os.kill(child, 9)
    assert not outlived, "the child outlived the worker"


def _alive(pid: int) -> bool:
    """True if ``pid`` runs (a zombie waiting for its new parent to reap it counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
