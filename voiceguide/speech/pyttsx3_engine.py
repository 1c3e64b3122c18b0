"""The real speech engine: pyttsx3, run in a worker process, behind ``speech.Synthesizer``.

pyttsx3 2.99 has bugs that must not reach the user:
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
import shutil
import sys
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from voiceguide.base import SAMPLE_RATE, Audio
from voiceguide.errors import EngineError
from voiceguide.speech.greeting import forget_greeting, remember_greeting, remembered_greeting
from voiceguide.speech.trimming import resample
from voiceguide.speech.voices import VOICES_HINT, VoiceInfo, normal_tag, select_voice
from voiceguide.speech.worker_process import WorkerLost, WorkerProcess, make_worker_directory, worker_command

BATCH_SIZE = 32
"""Utterances per worker round trip: amortizes the pipe and JSON cost, bounds one request's timeout."""


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


def _cleanup(state: dict[str, Any], directory: str) -> None:
    worker = state.pop("worker", None)
    if worker is not None:
        worker.kill()
    shutil.rmtree(directory, ignore_errors=True)


def _start_worker(command: Sequence[str], directory: Path, timeout: float) -> tuple[WorkerProcess, dict[str, Any]]:
    """A running worker and its greeting; ``EngineError`` if the engine is missing or broken."""
    worker = WorkerProcess(command, directory)
    try:
        hello = worker.receive(timeout)
    except WorkerLost as lost:
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
            languages=tuple(normal_tag(str(lang)) for lang in item.get("languages", []) if lang),
            gender=str(item["gender"]) if item.get("gender") else None,
        ))
    return voices


def _greeted_as(hello: dict[str, Any]) -> dict[str, Any]:
    """What in a greeting chooses the voice and keys the cache (not the files it names)."""
    return {key: value for key, value in hello.items() if key != "files"}


def list_voices(*, command: Sequence[str] | None = None, timeout_seconds: float = 30.0) -> list[VoiceInfo]:
    """The engine's voices, in the engine's order; ``EngineError`` if the engine is missing."""
    directory = make_worker_directory()
    try:
        worker, hello = _start_worker(command or worker_command(), directory, timeout_seconds)
        worker.kill()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return _voices_from(hello)


def _samples(answer: dict[str, Any], texts: list[str]) -> list[Audio]:
    """The takes an answer carries (16-bit mono, one after another); ``WorkerLost`` unless each has samples."""
    frames, rate, payload = answer.get("frames"), answer.get("rate"), answer.get("payload", b"")
    if (not isinstance(frames, list) or len(frames) != len(texts) or not isinstance(rate, int) or rate <= 0
            or not all(isinstance(n, int) and n >= 0 for n in frames) or 2 * sum(frames) != len(payload)):
        raise WorkerLost("sent audio that does not match its answer")
    takes = []
    start = 0
    for count, text in zip(frames, texts, strict=True):
        if count == 0:
            raise WorkerLost(f"sent no audio for {text!r}")
        # Exactly what reading the WAV file pyttsx3 would write gives (soundfile: int16 / 32768, exact).
        take: Audio = np.frombuffer(payload, dtype="<i2", count=count, offset=2 * start).astype(np.float32)
        take *= np.float32(1 / 32768)
        takes.append(take if rate == SAMPLE_RATE else resample(take, rate, SAMPLE_RATE))
        start += count
    return takes


class Pyttsx3Synthesizer:
    """pyttsx3 speech as a ``speech.Synthesizer`` (also ``synthesize_many``), via a worker process.

    ``voice``: an engine voice id or part of a voice's name; ``language``: a
    BCP-47 tag; ``rate``: words per minute.  Construction starts the worker and
    selects the voice, so a missing engine or unknown voice fails here, with
    ``EngineError``.  ``timeout_seconds`` bounds each round trip (a request of n
    utterances of c characters in all gets ``timeout_seconds * (1 + n / 4) +
    c / 100``); a worker that exceeds it is killed and restarted once.
    With a ``cache_dir`` whose remembered greeting still matches the engine's
    files (``greeting``), the worker starts only when something must be
    spoken: a session whose speech is all cached starts none.  ``command``
    replaces the worker command (tests use it to simulate a hanging engine).  Thread-safe; call ``close()``
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
        cache_dir: Path | None = None,
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
        self.starts = 0
        """How many workers have been started (0: everything came from the remembered greeting and the cache)."""
        self._cache_dir = cache_dir
        self._remembered: dict[str, Any] | None = remembered_greeting(cache_dir, self._command)
        worker: WorkerProcess | None = None
        if self._remembered is not None:
            hello = self._remembered
        else:
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
        if worker is None:
            return
        with self._lock:
            try:
                self._configure(worker)
            except EngineError:
                self._finalizer()
                raise

    @property
    def sample_rate(self) -> int:
        """Always ``base.SAMPLE_RATE``: files at other rates are resampled here."""
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

    def _start(self) -> tuple[WorkerProcess, dict[str, Any]]:
        if not self._finalizer.alive:
            raise EngineError("The speech engine has been closed.")
        worker, hello = _start_worker(self._command, self._directory, self._start_timeout)
        self._state["worker"] = worker
        self.starts += 1
        if self._remembered is not None and _greeted_as(hello) != _greeted_as(self._remembered):
            # The voice and the cache's keys were chosen from a greeting this engine no longer gives.
            forget_greeting(self._cache_dir)
            self._discard()
            raise EngineError("The speech engine changed while voiceguide was starting.", hint="Run the command again.")
        remember_greeting(self._cache_dir, self._command, hello)
        self._remembered = hello
        return worker, hello

    def _configure(self, worker: WorkerProcess) -> None:
        try:
            answer = worker.request(
                {"op": "configure", "voice": self._voice_id, "rate": self._rate, "dir": str(self._directory)},
                self._start_timeout,
            )
        except WorkerLost as lost:
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

    def _running_worker(self) -> WorkerProcess:
        if not self._finalizer.alive:
            raise EngineError("The speech engine has been closed.")
        worker = self._state.get("worker")
        if worker is None:
            worker, _ = self._start()
            self._configure(worker)
        assert isinstance(worker, WorkerProcess)
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
                    raise WorkerLost(f"failed: {answer.get('detail', 'unknown error')}")
                if "frames" in answer:
                    return _samples(answer, texts)
                return [self._read(path, text) for path, text in zip(paths, texts, strict=True)]
            except WorkerLost as lost:
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
        """The samples of one file the worker wrote; ``WorkerLost`` unless it exists, decodes and has samples."""
        import soundfile

        try:
            samples, file_rate = soundfile.read(str(path), dtype="float32", always_2d=True)
        except (OSError, RuntimeError, soundfile.LibsndfileError) as error:
            raise WorkerLost(f"wrote no readable audio for {text!r} ({error})") from None
        if samples.shape[0] == 0:
            raise WorkerLost(f"wrote an empty audio file for {text!r}")
        mono: Audio = np.ascontiguousarray(samples.mean(axis=1, dtype=np.float32))
        if file_rate != SAMPLE_RATE:
            mono = resample(mono, int(file_rate), SAMPLE_RATE)
        return mono
