"""One pyttsx3 engine inside the speech worker, driven one file per ``runAndWait``, and its files checked.

Part of the worker process (``_tts_worker``): the standard library only, plus
pyttsx3, so that the worker starts in tens of milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

__all__ = ["CHILD_SETTLE_SECONDS", "Engine", "WorkerFailure", "file_is_complete", "import_pyttsx3", "language_text",
           "remove", "wait_for_file"]

CHILD_SETTLE_SECONDS = 120.0
"""How long a child waits for its one file (the parent's own timeout usually ends it first)."""

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


def file_is_complete(path: str) -> bool:
    """True if the engine has finished writing ``path`` (WAV checked in full, others non-empty)."""
    if path.lower().endswith(".wav"):
        return _wav_is_complete(path)
    try:
        return os.path.getsize(path) > 0
    except OSError:
        return False


def wait_for_file(path: str, timeout: float = _SETTLE_SECONDS) -> bool:
    deadline = time.monotonic() + timeout
    while not file_is_complete(path):
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


def import_pyttsx3() -> Any:
    """The pyttsx3 module; ``WorkerFailure("missing")`` if it or its library cannot be loaded."""
    try:
        import pyttsx3
    except Exception as error:  # ImportError, or OSError/RuntimeError from the ctypes load
        raise WorkerFailure("missing", f"import pyttsx3: {type(error).__name__}: {error}") from None
    return pyttsx3


class Engine:
    """One pyttsx3 engine, driven strictly one file per ``runAndWait``."""

    def __init__(self) -> None:
        pyttsx3 = import_pyttsx3()
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
                "languages": [language_text(lang) for lang in (voice.languages or [])],
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
            "files": self._engine_files(),
        }

    def _engine_files(self) -> list[str]:
        """The files that make this engine what it is, for a remembered greeting (``greeting``); [] if unknown.

        espeak-ng on Linux: the library as loaded (``/proc/self/maps``), its phoneme
        data and voices (the data folder it reports), and pyttsx3.
        """
        if self.driver_name != "espeak" or not os.path.exists("/proc/self/maps"):
            return []
        try:
            import ctypes

            import pyttsx3
            from pyttsx3.drivers import _espeak

            with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
                libraries = {parts[5].strip() for parts in (line.split(maxsplit=5) for line in maps)
                             if len(parts) == 6 and "espeak" in os.path.basename(parts[5].strip())}
            data_path = ctypes.c_char_p()
            info = ctypes.CFUNCTYPE(ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p))(("espeak_Info", _espeak.dll))
            info(ctypes.byref(data_path))
            folder = os.fsdecode(data_path.value or b"")
        except Exception:  # only a start-up shortcut is lost
            return []
        data = [os.path.join(folder, name) for name in ("phondata", "phontab", "phonindex", "intonations", "voices",
                                                        "lang")]
        if not libraries or not folder or not all(os.path.exists(path) for path in data):
            return []
        return sorted(libraries) + data + [str(pyttsx3.__file__)]

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
            if not wait_for_file(first):
                raise WorkerFailure("unusable", "the engine wrote no warm-up file")
            time.sleep(0.005)
            second = self._next_path(directory, "warmup")
            self._save("warm up", second)
            complete = file_is_complete(second)
            for path in (first, second):
                remove(path)
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
            remove(path)
            self._save(text, path)
            if file_is_complete(path):
                continue
            # A later runAndWait returns after espeak's callback wrote the file;
            # if it did not, wait for the engine to go idle (so no late callback
            # can write into another name) and try once more under a new name.
            self._wait_idle()
            if file_is_complete(path):
                continue
            retry = self._next_path(os.path.dirname(path) or ".", "retry")
            self._save(text, retry)
            if not wait_for_file(retry):
                remove(retry)
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
        remove(path)
        self._save(text, path)
        # Bug 1: this first runAndWait may return before espeak has written
        # the file; nothing else is spoken in this engine, so waiting is enough.
        if not wait_for_file(path, CHILD_SETTLE_SECONDS):
            raise WorkerFailure("unusable", f"no complete audio file for {text!r}")
        return {"ok": True}


def language_text(language: object) -> str:
    """A voice's language as text (some drivers give bytes, prefixed with a priority byte)."""
    if isinstance(language, bytes):
        return language.decode("utf-8", "replace").lstrip("\x00\x01\x02\x03\x04\x05")
    return str(language)


def remove(path: str) -> None:
    """Remove ``path`` if it is there."""
    with contextlib.suppress(OSError):
        os.remove(path)
