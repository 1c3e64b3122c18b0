"""The speech worker: pyttsx3 in its own process, spoken to in JSON lines.

Run as ``python -m voiceguide.speech._tts_worker`` by ``engine_pyttsx3``; not a public
interface.  Keeping pyttsx3 in a child process contains its 2.99 bugs: its
``print`` calls cannot reach the user's terminal,
a hung engine can be killed and replaced, and its process-wide espeak state
cannot leak into the player.

Protocol (one JSON object per line; the worker answers every request in order):

- on start the worker writes ``{"ok": true, "engine": ..., "pyttsx3": ...,
  "library": ..., "voices": [...], "default_voice": ...}``, or
  ``{"ok": false, "error": "missing", "detail": ...}`` and exits;
- ``{"op": "configure", "voice": ID|null, "rate": WPM, "dir": DIR}`` sets the
  voice and rate and warms the engine up; answers ``{"ok": true, "voice": ID}``;
- ``{"op": "synth", "items": [{"text": ..., "path": ...}, ...]}`` writes one
  audio file per item; answers ``{"ok": true}`` once every file is complete;
- end of input: the worker exits.

Failures answer ``{"ok": false, "error": KIND, "detail": TEXT}``.  The stdlib
only (plus pyttsx3) is imported here, so the worker starts in tens of ms.

One fresh engine per utterance: espeak-ng 1.51 keeps state between utterances
in C statics that no API resets (the pitch-flutter index in ``wavegen.c``'s
``AdvanceParameters``, the wave phase, the gain control, the echo buffer, and
libc's ``rand()`` for breathy voices), so the same sentence synthesized twice
in one engine comes out a few samples longer or shorter and with different
samples (measured: "Hold." 17,835-17,844 samples over four takes, four
different checksums).  So this process only imports pyttsx3 and never starts
espeak itself: every utterance is spoken by a child forked from it, which
starts the engine, speaks once and exits.  Every take then starts from the
same state and is byte-identical whatever was spoken before, in this process
or another (about 20-35 ms per utterance, two children at a time).  Elsewhere
than Linux (no ``fork`` on Windows; macOS's speech frameworks are not safe to
fork into) one engine serves every utterance, as before.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import sys
import threading
import time
from typing import IO, Any

# How long to wait for a file that pyttsx3 has not finished writing when
# ``runAndWait`` returns (bug 1 makes the first call in a process return early).
_SETTLE_SECONDS = 5.0
_POLL_SECONDS = 0.001


class WorkerFailure(Exception):
    """A request failed; ``kind`` is sent back to the parent."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def _open_protocol_channel() -> IO[str]:
    """Move the protocol to a private copy of fd 1, and point fd 1 at /dev/null.

    pyttsx3 prints ``Audio saved to ...`` on every file (bug 4); with fd 1 gone to
    /dev/null neither Python prints nor C-level writes can corrupt the protocol.
    """
    protocol_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    return os.fdopen(protocol_fd, "w", encoding="utf-8", buffering=1)


def _wav_is_complete(path: str) -> bool:
    """True if ``path`` is a RIFF/WAVE (or AIFF) file whose sound data is entirely on disk.

    pyttsx3's espeak driver writes the whole file in one go from espeak's
    thread; a file whose header promises more bytes than it holds is still
    being written (or was cut off).
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return False
    if len(data) < 12:
        return False
    # macOS's NSSpeech driver writes AIFF (big-endian chunks, sound in "SSND")
    # whatever the file is called; the parent decodes either.
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        sound, big_endian, header = b"data", False, 0
    elif data[:4] == b"FORM" and data[8:12] in (b"AIFF", b"AIFC"):
        sound, big_endian, header = b"SSND", True, 8  # SSND starts with offset and block size
    else:
        return False
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = data[offset:offset + 4]
        size = int.from_bytes(data[offset + 4:offset + 8], "big" if big_endian else "little")
        if chunk_id == sound:
            return size > header and offset + 8 + size <= len(data)
        offset += 8 + size + (size & 1)
    return False


def _file_is_complete(path: str) -> bool:
    """True if the engine has finished writing ``path`` (WAV checked in full, others non-empty)."""
    if path.lower().endswith(".wav"):
        return _wav_is_complete(path)
    try:
        return os.path.getsize(path) > 0
    except OSError:
        return False


def _wait_for_file(path: str, timeout: float = _SETTLE_SECONDS) -> bool:
    deadline = time.monotonic() + timeout
    while not _file_is_complete(path):
        if time.monotonic() > deadline:
            return False
        time.sleep(_POLL_SECONDS)
    return True


class _FastPollTime:
    """Stands in for the ``time`` module inside pyttsx3's espeak driver.

    The driver's run loop polls with ``time.sleep(0.01)`` while espeak
    synthesizes on its own thread, so every utterance costs at least 10 ms
    though espeak needs ~1-3 ms.  Polling every millisecond keeps the same
    logic and ends the wait as soon as espeak's callback ends the loop.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(min(seconds, _POLL_SECONDS))


def _import_pyttsx3() -> Any:
    """The pyttsx3 module; ``WorkerFailure("missing")`` if it or its library cannot be loaded."""
    try:
        import pyttsx3
    except Exception as error:  # ImportError, or OSError/RuntimeError from the ctypes load
        raise WorkerFailure("missing", f"import pyttsx3: {type(error).__name__}: {error}") from None
    return pyttsx3


class Engine:
    """One pyttsx3 engine, driven strictly one file per ``runAndWait``."""

    def __init__(self) -> None:
        pyttsx3 = _import_pyttsx3()
        try:
            self.engine: Any = pyttsx3.init()
        except Exception as error:  # installed, but it would not start: say what failed
            raise WorkerFailure("init", f"pyttsx3.init(): {type(error).__name__}: {error}") from None
        driver_module = getattr(getattr(self.engine, "proxy", None), "_module", None)
        self.driver_name = str(getattr(driver_module, "__name__", "unknown")).rsplit(".", 1)[-1]
        if self.driver_name == "espeak" and driver_module is not None and hasattr(driver_module, "time"):
            driver_module.time = _FastPollTime()
        self.library_version = self._library_version()
        self.is_playing = self._playing_probe()
        self.warm = False
        self.counter = 0

    def _playing_probe(self) -> Any:
        """espeak's ``IsPlaying`` (None for other drivers)."""
        if self.driver_name != "espeak":
            return None
        try:
            from pyttsx3.drivers import _espeak

            return _espeak.IsPlaying
        except Exception:
            return None

    def _wait_idle(self) -> None:
        """Wait until espeak has really finished the last utterance.

        ``runAndWait`` returns as soon as espeak's callback has ended the loop,
        but espeak can report itself busy a moment longer; pyttsx3 then cancels
        the *next* utterance (its ``stop()`` sees ``IsPlaying()``), which writes
        no file.  Measured: about 1 in 300 utterances without this wait.
        """
        if self.is_playing is None:
            return
        deadline = time.monotonic() + _SETTLE_SECONDS
        while self.is_playing():
            if time.monotonic() > deadline:
                raise WorkerFailure("hung", "espeak stayed busy")
            time.sleep(_POLL_SECONDS / 10)

    def _library_version(self) -> str:
        if self.driver_name != "espeak":
            return ""
        try:
            from pyttsx3.drivers import _espeak

            raw = _espeak.Info(None)
            return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        except Exception:  # the version only refines cache keys; never fatal
            return ""

    def hello(self) -> dict[str, Any]:
        """The greeting: engine, versions and voices."""
        import importlib.metadata

        try:
            version = importlib.metadata.version("pyttsx3")
        except importlib.metadata.PackageNotFoundError:
            version = "unknown"
        voices = []
        for voice in self.engine.getProperty("voices") or []:
            voices.append({
                "id": str(voice.id),
                "name": str(voice.name or voice.id),
                "languages": [_language_text(lang) for lang in (voice.languages or [])],
                "gender": str(voice.gender) if voice.gender else None,
            })
        default_voice = self.engine.getProperty("voice")
        return {
            "ok": True,
            "engine": self.driver_name,
            "pyttsx3": version,
            "library": self.library_version,
            "voices": voices,
            "default_voice": str(default_voice) if default_voice is not None else None,
        }

    def _save(self, text: str, path: str) -> None:
        # Never say(): it shares _save_file with save_to_file (bugs 2, 3).  One
        # save_to_file per runAndWait, each to a fresh file name.
        self._wait_idle()
        self.engine.save_to_file(text, path)
        self.engine.runAndWait()

    def configure(self, voice: str | None, rate: int, directory: str) -> dict[str, Any]:
        """Select voice and rate, then warm the engine up so later calls wait properly."""
        if voice is not None:
            self.engine.setProperty("voice", voice)
        self.engine.setProperty("rate", rate)
        for attempt in range(3):
            first = self._next_path(directory, "warmup")
            self._save("warm up", first)
            # Bug 1: the first runAndWait of a process returns before espeak's
            # callback has run.  Wait for its file, then give the callback time
            # to finish (it ends the run loop last), so it cannot end ours.
            if not _wait_for_file(first):
                raise WorkerFailure("unusable", "the engine wrote no warm-up file")
            time.sleep(0.005)
            second = self._next_path(directory, "warmup")
            self._save("warm up", second)
            complete = _file_is_complete(second)
            for path in (first, second):
                _remove(path)
            if complete:
                break
            if attempt == 2:
                raise WorkerFailure("unusable", "the engine keeps returning before its files are written")
        self.warm = True
        current = self.engine.getProperty("voice")
        if voice is not None and current is not None and str(current).lower() != voice.lower():
            raise WorkerFailure("voice", f"the engine did not accept voice {voice!r} (it kept {current!r})")
        return {"ok": True, "voice": str(current) if current is not None else voice}

    def _next_path(self, directory: str, stem: str) -> str:
        self.counter += 1
        return os.path.join(directory, f"{stem}-{os.getpid()}-{self.counter}.wav")

    def synth(self, items: list[dict[str, str]]) -> dict[str, Any]:
        """Write each item's text to its own path, checking each file before the next."""
        if not self.warm:
            raise WorkerFailure("protocol", "synth before configure")
        for index, item in enumerate(items):
            text, path = item["text"], item["path"]
            _remove(path)
            self._save(text, path)
            if _file_is_complete(path):
                continue
            # A later runAndWait returns after espeak's callback wrote the file;
            # if it did not, wait for the engine to go idle (so no late callback
            # can write into another name) and try once more under a new name.
            self._wait_idle()
            if _file_is_complete(path):
                continue
            retry = self._next_path(os.path.dirname(path) or ".", "retry")
            self._save(text, retry)
            if not _wait_for_file(retry):
                _remove(retry)
                raise WorkerFailure("unusable", f"no complete audio file for item {index} ({text!r})")
            os.replace(retry, path)
        return {"ok": True}


    def speak_once(self, voice: str | None, rate: int, item: dict[str, str]) -> dict[str, Any]:
        """In a fresh engine: select voice and rate, and write one item's file (no warm-up needed)."""
        # pyttsx3's end of loop calls its driver's stop(), which cancels espeak if espeak
        # is busy, and in espeak's asynchronous mode setting the voice or the rate is
        # itself a queued command: a stop() that lands while they are still being applied
        # flushes them, and the text is spoken at the driver's default 200 wpm (measured:
        # about 1 take in 70 with three processes synthesizing at once).  This engine
        # speaks one utterance and is thrown away: there is never anything to stop.
        driver = getattr(getattr(self.engine, "proxy", None), "_driver", None)
        if driver is not None:
            driver.stop = lambda: None
        if voice is not None:
            self.engine.setProperty("voice", voice)
        self.engine.setProperty("rate", rate)
        text, path = item["text"], item["path"]
        _remove(path)
        self._save(text, path)
        # Bug 1: this first runAndWait may return before espeak has written
        # the file; nothing else is spoken in this engine, so waiting is enough.
        if not _wait_for_file(path, _CHILD_SETTLE_SECONDS):
            raise WorkerFailure("unusable", f"no complete audio file for {text!r}")
        return {"ok": True}


_CHILD_SETTLE_SECONDS = 120.0
"""How long a child waits for its one file (the parent's own timeout usually ends it first)."""

PARALLEL_CHILDREN = 2
"""Utterances spoken at the same time, each by its own child (the machines we measured have 2 cores)."""


class Worker:
    """Serves the protocol; on POSIX every engine lives in a child forked for one job (see the module doc)."""

    def __init__(self) -> None:
        _import_pyttsx3()
        self.voice: str | None = None
        self.rate = 200
        from voiceguide.system import fork_is_safe

        self.fresh = fork_is_safe()
        self.shared: Engine | None = None if self.fresh else Engine()
        if self.fresh:
            # Load the driver and libespeak-ng here, once (no thread starts until the
            # engine is initialised): each child then starts in ~10 ms instead of ~60.
            with contextlib.suppress(Exception):  # a child will meet and report the same failure
                import pyttsx3.drivers.espeak  # noqa: F401

    def _engine_job(self, job: Any) -> dict[str, Any]:
        """``job(engine)`` in a fresh child, or in the one shared engine where there is no fork."""
        if self.shared is not None:
            result: dict[str, Any] = job(self.shared)
            return result
        return _run_children([job], 1)[0]

    def hello(self) -> dict[str, Any]:
        """The greeting: engine, versions and voices."""
        return self._engine_job(lambda engine: engine.hello())

    def configure(self, voice: str | None, rate: int, directory: str) -> dict[str, Any]:
        """Check that the voice and rate work (in a fresh engine), and keep them for every utterance."""
        reply = self._engine_job(lambda engine: engine.configure(voice, rate, directory))
        if reply.get("ok"):
            self.voice, self.rate = voice, rate
        return reply

    def synth(self, items: list[dict[str, str]]) -> dict[str, Any]:
        """Write each item's text to its own path; each from a fresh engine where there is fork."""
        if self.shared is not None:
            return self.shared.synth(items)
        voice, rate = self.voice, self.rate
        jobs = [_speak_job(voice, rate, item) for item in items]
        for index, reply in enumerate(_run_children(jobs, PARALLEL_CHILDREN)):
            if not reply.get("ok"):
                detail = reply.get("detail", "unknown error")
                raise WorkerFailure(str(reply.get("error", "unusable")), f"item {index}: {detail}")
        return {"ok": True}


def _speak_job(voice: str | None, rate: int, item: dict[str, str]) -> Any:
    return lambda engine: engine.speak_once(voice, rate, item)


def _run_children(jobs: list[Any], parallel: int) -> list[dict[str, Any]]:
    """Each ``job(Engine())`` run in its own forked child, ``parallel`` at a time; their replies in order."""
    replies: list[dict[str, Any]] = []
    running: collections.deque[tuple[int, int]] = collections.deque()  # (pid, read end of its reply pipe)
    for job in jobs:
        if len(running) >= parallel:
            replies.append(_child_reply(*running.popleft()))
        running.append(_fork_child(job))
    while running:
        replies.append(_child_reply(*running.popleft()))
    return replies


def _fork_child(job: Any) -> tuple[int, int]:
    """Start one child running ``job(Engine())``; its pid and the pipe its JSON reply comes through."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        code = 0
        try:
            threading.Thread(target=_watch_parent, daemon=True, name="parent-watch").start()
            reply = job(Engine())
        except WorkerFailure as failure:
            reply = {"ok": False, "error": failure.kind, "detail": failure.detail}
        except BaseException as error:  # report it: the parent decides
            reply = {"ok": False, "error": "internal", "detail": f"{type(error).__name__}: {error}"}
        try:
            data = json.dumps(reply).encode()
            while data:
                data = data[os.write(write_fd, data):]
        except BaseException:
            code = 1
        os._exit(code)
    os.close(write_fd)
    return pid, read_fd


def _child_reply(pid: int, read_fd: int) -> dict[str, Any]:
    """The reply of a child (read to the end before waiting, so a long reply cannot block it)."""
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    try:
        reply = json.loads(data) if data else None
    except ValueError:
        reply = None
    if isinstance(reply, dict):
        return reply
    if os.WIFSIGNALED(status):
        how = f"was killed by signal {os.WTERMSIG(status)}"
    else:
        how = f"exited with status {os.WEXITSTATUS(status)}"
    return {"ok": False, "error": "crashed", "detail": f"the engine process {how} without an answer"}


def _language_text(language: object) -> str:
    if isinstance(language, bytes):
        return language.decode("utf-8", "replace").lstrip("\x00\x01\x02\x03\x04\x05")
    return str(language)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def _send(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def _watch_parent() -> None:
    """Exit when the parent process is gone (it may have been killed while we were busy)."""
    parent = os.getppid()
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def main() -> int:
    """Serve requests from stdin until it closes."""
    import signal

    # Ctrl-C reaches the whole process group; the parent decides what it means
    # (and stops us), so a keypress cannot kill the worker mid-file.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "getppid") and sys.platform != "win32":
        threading.Thread(target=_watch_parent, daemon=True, name="parent-watch").start()
    channel = _open_protocol_channel()
    try:
        worker = Worker()
    except WorkerFailure as failure:
        _send(channel, {"ok": False, "error": failure.kind, "detail": failure.detail})
        return 1
    try:
        greeting = worker.hello()
    except WorkerFailure as failure:
        greeting = {"ok": False, "error": failure.kind, "detail": failure.detail}
    _send(channel, greeting)
    if not greeting.get("ok"):
        return 1
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            op = request.get("op")
            if op == "configure":
                reply = worker.configure(request.get("voice"), int(request["rate"]), str(request["dir"]))
            elif op == "synth":
                reply = worker.synth(list(request["items"]))
            else:
                raise WorkerFailure("protocol", f"unknown op {op!r}")
        except WorkerFailure as failure:
            reply = {"ok": False, "error": failure.kind, "detail": failure.detail}
        except Exception as error:  # report, and let the parent decide to restart
            reply = {"ok": False, "error": "internal", "detail": f"{type(error).__name__}: {error}"}
        _send(channel, reply)
    return 0


if __name__ == "__main__":
    sys.exit(main())
