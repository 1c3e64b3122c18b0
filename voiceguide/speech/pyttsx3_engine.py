"""The real speech engine: pyttsx3, run in a worker process, behind ``speech.Synthesizer``.

pyttsx3 2.99 has bugs that must not reach the user (see the team's notes):
it prints to stdout on every file, its first ``runAndWait`` returns early, a
``say`` can overwrite a saved file, and on some platforms it hangs.  So the
engine lives in a child process (``voiceguide.speech._tts_worker``) that talks JSON
lines over pipes: its stdout never reaches the terminal, every file it writes
is checked here (exists, decodes, has samples), and a worker that does not
answer within the timeout is killed and replaced once before giving up with
``EngineError``.  Foreign failures become ``EngineError`` at this boundary.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from voiceguide.base import SAMPLE_RATE, Audio, owned_name, sweep
from voiceguide.errors import EngineError
from voiceguide.phrases import LANGUAGE_NAMES, primary_language
from voiceguide.speech.clips import resample

VOICES_HINT = "run 'voiceguide voices' to see the installed voices"
BATCH_SIZE = 32
"""Utterances per worker round trip: amortizes the pipe and JSON cost, bounds one request's timeout."""


@dataclass(frozen=True)
class VoiceInfo:
    """One of the engine's voices: ``id`` selects it; ``languages`` are lower-case BCP-47 tags."""

    id: str
    name: str
    languages: tuple[str, ...]
    gender: str | None


class _WorkerLost(Exception):
    """The worker did not answer in time, or died; it must be replaced."""


_LIBRARY_ABSENT = ("cannot open shared object", "not found", "No such file", "Library not loaded",
                   "could not find", "cannot find", "No module named")
"""Signs in a failed import that a library is absent, rather than present but broken."""

_INIT_HINT = ("reinstall the engine: sudo apt-get install --reinstall libespeak-ng1 espeak-ng-data"
              if sys.platform.startswith("linux") else None)


def missing_engine_error(detail: str = "") -> EngineError:
    """The one-sentence error for an engine that cannot start, naming what to install."""
    if "No module named 'pyttsx3'" in detail:
        return EngineError("The speech engine is not available: the Python package pyttsx3 is not installed.",
                           hint="pip install pyttsx3")
    library_absent = any(sign in detail for sign in _LIBRARY_ABSENT)
    if detail and not library_absent:
        return EngineError(f"The speech engine is installed but could not start: {detail.rstrip('.')}.",
                           hint=_INIT_HINT)
    if sys.platform.startswith("linux"):
        return EngineError(
            "The speech engine is not available: espeak-ng's library (libespeak-ng1) is not installed.",
            hint="sudo apt-get install libespeak-ng1",
        )
    if sys.platform == "darwin":
        return EngineError("The speech engine is not available: pyttsx3 could not start macOS speech "
                           "(it needs the pyobjc package).", hint="pip install pyobjc")
    if sys.platform == "win32":
        return EngineError("The speech engine is not available: pyttsx3 could not start Windows SAPI5 "
                           "(it needs the comtypes and pywin32 packages).", hint="pip install comtypes pywin32")
    return EngineError(f"The speech engine is not available: pyttsx3 could not start ({detail}).")


def worker_command() -> list[str]:
    """The command that starts the real speech worker."""
    return [sys.executable, "-m", "voiceguide.speech._tts_worker"]


class _Worker:
    """One running worker process and the thread that reads its answers."""

    def __init__(self, command: Sequence[str], directory: Path) -> None:
        env = dict(os.environ)
        # The worker imports voiceguide: make that work from a source checkout too.
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self._stderr_path = directory / f"worker-{id(self)}.log"
        self._stderr = open(self._stderr_path, "wb")  # noqa: SIM115 - closed in kill()
        try:
            self.process = subprocess.Popen(
                list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                env=env, cwd=str(directory),
            )
        except OSError as error:
            self._stderr.close()
            raise EngineError(f"The speech worker could not be started: {error}.") from None
        self._answers: queue.Queue[bytes | None] = queue.Queue()
        assert self.process.stdout is not None
        reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True,
                                  name="voiceguide-tts-reader")
        reader.start()

    def _read(self, stream: IO[bytes]) -> None:
        for line in stream:
            self._answers.put(line)
        self._answers.put(None)

    def receive(self, timeout: float) -> dict[str, Any]:
        """The worker's next answer; raises ``_WorkerLost`` on timeout, death or garbage."""
        try:
            line = self._answers.get(timeout=timeout)
        except queue.Empty:
            raise _WorkerLost(f"did not answer within {timeout:g} s") from None
        if line is None:
            self.process.wait(timeout=5)
            tail = self.stderr_tail()
            raise _WorkerLost(f"stopped (exit status {self.process.returncode})" + (f": {tail}" if tail else ""))
        try:
            answer = json.loads(line)
        except ValueError:
            raise _WorkerLost(f"sent something that is not JSON: {line[:80]!r}") from None
        if not isinstance(answer, dict):
            raise _WorkerLost(f"sent an unexpected answer: {line[:80]!r}")
        return answer

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request and wait for its answer."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
        except OSError as error:
            raise _WorkerLost(f"could not be written to ({error})") from None
        return self.receive(timeout)

    def stderr_tail(self) -> str:
        """The last line the worker wrote to its stderr (for error messages)."""
        try:
            self._stderr.flush()
            lines = self._stderr_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1] if lines else ""

    def kill(self) -> None:
        """Stop the worker now (it holds no state worth saving)."""
        _kill(self.process)
        self._stderr.close()


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def _cleanup(state: dict[str, Any], directory: str) -> None:
    worker = state.pop("worker", None)
    if worker is not None:
        worker.kill()
    shutil.rmtree(directory, ignore_errors=True)


WORKER_DIRECTORY_PREFIX = "voiceguide-tts-"


def temporary_folder() -> Path:
    """The user's temporary folder, found without writing to it.

    ``tempfile.gettempdir()`` proves a folder writable by creating and deleting a file there
    the first time it is called; a process killed between the two leaves that file behind,
    with a random name nobody can claim.  The folder named by ``TMPDIR``, ``TEMP`` or ``TMP``
    (the order ``tempfile`` uses) is taken as it is: ``make_worker_directory`` reports a
    folder it cannot write to.
    """
    if tempfile.tempdir:
        return Path(tempfile.tempdir)
    for variable in ("TMPDIR", "TEMP", "TMP"):
        folder = os.environ.get(variable)
        if folder and os.path.isdir(folder):
            return Path(folder)
    return Path(tempfile.gettempdir())


def make_worker_directory() -> Path:
    """A new private folder for the worker's files, in the temporary folder, named after this process.

    Folders that workers of killed processes left there are removed first (``base.sweep``).
    """
    parent = temporary_folder()
    sweep(parent, WORKER_DIRECTORY_PREFIX, "", folders=True)
    for _ in range(100):
        directory = parent / owned_name(WORKER_DIRECTORY_PREFIX, "")
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            continue
        except OSError as error:
            raise EngineError(f"The speech engine has no folder to work in: cannot create {directory} "
                              f"({error.strerror or error}).", hint="check the TMPDIR folder") from None
        return directory
    raise EngineError(f"The speech engine has no folder to work in: no free name in {parent}.")


def _start_worker(command: Sequence[str], directory: Path, timeout: float) -> tuple[_Worker, dict[str, Any]]:
    """A running worker and its greeting; ``EngineError`` if the engine is missing or broken."""
    worker = _Worker(command, directory)
    try:
        hello = worker.receive(timeout)
    except _WorkerLost as lost:
        tail = worker.stderr_tail()
        worker.kill()
        if "No module named 'voiceguide" in tail:
            raise EngineError(f"The speech worker could not start: {tail}.") from None
        raise EngineError(f"The speech engine could not start: the worker {lost}.") from None
    if not hello.get("ok"):
        worker.kill()
        if hello.get("error") in ("missing", "init"):
            raise missing_engine_error(str(hello.get("detail", "")))
        raise EngineError(f"The speech engine could not start: {hello.get('detail', 'unknown error')}.")
    return worker, hello


def _voices_from(hello: dict[str, Any]) -> list[VoiceInfo]:
    voices = []
    for item in hello.get("voices", []):
        voices.append(VoiceInfo(
            id=str(item["id"]),
            name=str(item.get("name") or item["id"]),
            languages=tuple(_normal_tag(str(lang)) for lang in item.get("languages", []) if lang),
            gender=str(item["gender"]) if item.get("gender") else None,
        ))
    return voices


def list_voices(*, command: Sequence[str] | None = None, timeout_seconds: float = 30.0) -> list[VoiceInfo]:
    """The engine's voices, in the engine's order; ``EngineError`` if the engine is missing."""
    directory = make_worker_directory()
    try:
        worker, hello = _start_worker(command or worker_command(), directory, timeout_seconds)
        worker.kill()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return _voices_from(hello)


def _normal_tag(tag: str) -> str:
    return tag.strip().replace("_", "-").lower()


def _language_rank(voice_language: str, tag: str) -> int | None:
    """How well a voice language serves a requested tag: 0 best, None not at all."""
    primary = tag.split("-", 1)[0]
    if voice_language == tag:
        return 0
    if voice_language == primary:
        return 1
    if voice_language.startswith(tag + "-"):
        return 2
    if voice_language.split("-", 1)[0] == primary:
        return 3
    return None


def _best_for_language(voices: Sequence[VoiceInfo], language: str) -> list[VoiceInfo]:
    """Voices that speak ``language``, best first (closest tag, then the plainest voice)."""
    tag = _normal_tag(language)
    scored: list[tuple[int, int, int, str, VoiceInfo]] = []
    for voice in voices:
        ranks = [(r, len(lang)) for lang in voice.languages if (r := _language_rank(lang, tag)) is not None]
        if ranks:
            rank, length = min(ranks)
            scored.append((rank, length, len(voice.id), voice.id, voice))
    scored.sort(key=lambda item: item[:4])
    return [item[4] for item in scored]


def voices_speaking(voices: Sequence[VoiceInfo], language: str) -> list[VoiceInfo]:
    """The voices that speak ``language`` (``fr`` also finds ``fr-be``), closest tag first (``voices fr``)."""
    return _best_for_language(voices, language)


def _language_label(language: str) -> str:
    name = LANGUAGE_NAMES.get(primary_language(language))
    return f"{name} ({language})" if name else repr(language)


def install_voice_hint(language: str) -> str:
    """What to install so that a voice speaks ``language``, for this platform."""
    label = _language_label(language)
    if sys.platform == "darwin":
        how = (f"add a {label} voice in System Settings > Accessibility > Spoken Content > "
               f"System Voice > Manage Voices")
    elif sys.platform == "win32":
        how = f"add the speech pack for {label} in Settings > Time & language > Language & region"
    else:
        how = (f"install a voice that speaks {label}: espeak-ng's voice data covers about a hundred languages "
               f"(Debian/Ubuntu: sudo apt-get install espeak-ng-data)")
    return f"{how}; then {VOICES_HINT}"


def _speaks(voice: VoiceInfo, language: str) -> bool:
    """True when the voice speaks ``language`` (a voice that names no language is given the benefit of the doubt)."""
    tag = _normal_tag(language)
    return not voice.languages or any(_language_rank(lang, tag) is not None for lang in voice.languages)


def select_voice(voices: Sequence[VoiceInfo], voice: str | None, language: str | None) -> VoiceInfo | None:
    """The voice to use: ``voice`` is an exact id or a case-insensitive part of a name;
    ``language`` a BCP-47 tag (``en-GB`` prefers ``en-gb``, then ``en``).  None: the engine's default.

    A voice that does not speak ``language`` is never chosen: text is not read in
    another language's voice.  Raises ``EngineError`` with a hint (run ``voiceguide
    voices``, or what to install) when nothing matches.
    """
    if voice is not None:
        chosen = _named_voice(voices, voice, language)
        if language is not None and not _speaks(chosen, language):
            raise EngineError(
                f"The voice {chosen.id!r} ({chosen.name}) does not speak {_language_label(language)}, "
                f"the script's language.",
                hint=f"choose a voice that speaks it, or leave the voice out; {VOICES_HINT}")
        return chosen
    if language is not None:
        speaking = _best_for_language(voices, language)
        if not speaking:
            raise EngineError(f"No installed voice speaks the language {_language_label(language)}.",
                              hint=install_voice_hint(language))
        return speaking[0]
    return None


def _named_voice(voices: Sequence[VoiceInfo], voice: str, language: str | None) -> VoiceInfo:
    """The voice with id ``voice``, or whose name contains it (narrowed by ``language``)."""
    exact = [v for v in voices if v.id == voice] or [v for v in voices if v.id.lower() == voice.lower()]
    if exact:
        return exact[0]
    key = voice.casefold()
    named = [v for v in voices if key in v.name.casefold()]
    if not named:
        raise EngineError(f"No installed voice has the id or name {voice!r}.", hint=VOICES_HINT)
    exact_name = [v for v in named if v.name.casefold() == key]
    if exact_name:
        return exact_name[0]
    if language is not None:
        speaking = _best_for_language(named, language)
        if speaking:
            return speaking[0]
    # The shortest name is the plainest voice that contains the words asked for.
    return min(named, key=lambda v: len(v.name))


class Pyttsx3Synthesizer:
    """pyttsx3 speech as a ``speech.Synthesizer`` (also ``synthesize_many``), via a worker process.

    ``voice``: an engine voice id or part of a voice's name; ``language``: a
    BCP-47 tag; ``rate``: words per minute.  Construction starts the worker and
    selects the voice, so a missing engine or unknown voice fails here, with
    ``EngineError``.  ``timeout_seconds`` bounds each round trip (a request of n
    utterances of c characters in all gets ``timeout_seconds * (1 + n / 4) +
    c / 100``); a worker that exceeds it
    is killed and restarted once.  ``command`` replaces the worker command
    (tests use it to simulate a hanging engine).  Thread-safe; call ``close()``
    (or use ``with``) to stop the worker early, otherwise it stops when the
    synthesizer is garbage-collected or the program exits.
    """

    def __init__(
        self,
        voice: str | None = None,
        language: str | None = None,
        rate: int = 160,
        *,
        timeout_seconds: float = 10.0,
        start_timeout_seconds: float = 30.0,
        command: Sequence[str] | None = None,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be a positive number of words per minute, not {rate}")
        self._rate = rate
        self._timeout = timeout_seconds
        self._start_timeout = start_timeout_seconds
        self._command = list(command) if command is not None else worker_command()
        self._lock = threading.Lock()
        self._directory = make_worker_directory()
        self._state: dict[str, Any] = {"worker": None}
        self._finalizer = weakref.finalize(self, _cleanup, self._state, str(self._directory))
        self._counter = 0
        self.restarts = 0
        """How many times a hung or dead worker has been replaced (for tests and diagnostics)."""
        with self._lock:
            worker, hello = self._start()
        self.voices: tuple[VoiceInfo, ...] = tuple(_voices_from(hello))
        """The engine's voices."""
        try:
            chosen = select_voice(self.voices, voice, language)
        except EngineError:
            self.close()
            raise
        default_voice = hello.get("default_voice")
        self._voice_id: str | None = chosen.id if chosen is not None else (
            str(default_voice) if default_voice else None)
        self._identity = (
            f"pyttsx3 {hello.get('pyttsx3')}; driver {hello.get('engine')} {hello.get('library')}; "
            f"voice {self._voice_id}; rate {rate}"
        )
        with self._lock:
            try:
                self._configure(worker)
            except EngineError:
                self._finalizer()
                raise

    @property
    def sample_rate(self) -> int:
        """Always ``timeline.SAMPLE_RATE``: files at other rates are resampled here."""
        return SAMPLE_RATE

    @property
    def voice_id(self) -> str | None:
        """The engine id of the voice in use."""
        return self._voice_id

    def identity(self) -> str:
        """Engine, pyttsx3 and library versions, voice id and rate: everything that changes the sound."""
        return self._identity

    def synthesize(self, text: str) -> Audio:
        """The spoken text, untrimmed, as float32 mono at ``sample_rate``."""
        return self.synthesize_many([text])[0]

    def synthesize_many(self, texts: Sequence[str]) -> list[Audio]:
        """Each text spoken, in order; several per worker round trip."""
        for text in texts:
            if not text.strip():
                raise ValueError("cannot synthesize empty text")
        out: list[Audio] = []
        with self._lock:
            for start in range(0, len(texts), BATCH_SIZE):
                out.extend(self._synthesize_batch(list(texts[start:start + BATCH_SIZE])))
        return out

    def close(self) -> None:
        """Stop the worker and remove its temporary files."""
        self._finalizer()

    def __enter__(self) -> Pyttsx3Synthesizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the worker -----------------------------------------------------------

    def _start(self) -> tuple[_Worker, dict[str, Any]]:
        if not self._finalizer.alive:
            raise EngineError("The speech engine has been closed.")
        worker, hello = _start_worker(self._command, self._directory, self._start_timeout)
        self._state["worker"] = worker
        return worker, hello

    def _configure(self, worker: _Worker) -> None:
        try:
            answer = worker.request(
                {"op": "configure", "voice": self._voice_id, "rate": self._rate, "dir": str(self._directory)},
                self._start_timeout,
            )
        except _WorkerLost as lost:
            self._discard()
            raise EngineError(f"The speech engine could not start: the worker {lost}.") from None
        if not answer.get("ok"):
            self._discard()
            if answer.get("error") == "voice":
                raise EngineError(f"The speech engine could not use voice {self._voice_id!r}.", hint=VOICES_HINT)
            raise EngineError(f"The speech engine could not start: {answer.get('detail', 'unknown error')}.")

    def _discard(self) -> None:
        worker = self._state.get("worker")
        self._state["worker"] = None
        if worker is not None:
            worker.kill()

    def _running_worker(self) -> _Worker:
        if not self._finalizer.alive:
            raise EngineError("The speech engine has been closed.")
        worker = self._state.get("worker")
        if worker is None:
            worker, _ = self._start()
            self._configure(worker)
        assert isinstance(worker, _Worker)
        return worker

    def _synthesize_batch(self, texts: list[str]) -> list[Audio]:
        problem = ""
        for _attempt in range(2):
            worker = self._running_worker()
            paths = []
            for _ in texts:
                self._counter += 1
                paths.append(self._directory / f"utterance-{self._counter}.wav")
            # pyttsx3's buffer grows quadratically with a text's length: allow for long texts too.
            timeout = self._timeout * (1 + len(texts) / 4) + 0.01 * sum(len(t) for t in texts)
            try:
                answer = worker.request(
                    {"op": "synth", "items": [{"text": t, "path": str(p)} for t, p in zip(texts, paths, strict=True)]},
                    timeout,
                )
                if not answer.get("ok"):
                    raise _WorkerLost(f"failed: {answer.get('detail', 'unknown error')}")
                return [self._read(path, text) for path, text in zip(paths, texts, strict=True)]
            except _WorkerLost as lost:
                problem = str(lost)
                self._discard()
                self.restarts += 1
            finally:
                for path in paths:
                    with contextlib.suppress(OSError):
                        path.unlink()
        raise EngineError(f"The speech engine failed twice in a row: the worker {problem}.")

    @staticmethod
    def _read(path: Path, text: str) -> Audio:
        """The samples of one file the worker wrote; ``_WorkerLost`` unless it exists, decodes and has samples."""
        import soundfile

        try:
            samples, file_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
        except (OSError, RuntimeError, soundfile.LibsndfileError) as error:
            raise _WorkerLost(f"wrote no readable audio for {text!r} ({error})") from None
        if samples.shape[0] == 0:
            raise _WorkerLost(f"wrote an empty audio file for {text!r}")
        mono: Audio = np.ascontiguousarray(samples.mean(axis=1, dtype=np.float32))
        if file_rate != SAMPLE_RATE:
            mono = resample(mono, int(file_rate), SAMPLE_RATE)
        return mono
