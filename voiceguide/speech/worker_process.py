"""The speech worker's process, seen from voiceguide's side: started, spoken to in JSON lines, killed.

The worker itself is ``voiceguide.speech._tts_worker``; it works in a private
folder in the temporary folder, named after the process that owns it, so that
folders left by killed processes can be told apart and removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from voiceguide.base import owned_name, sweep
from voiceguide.errors import EngineError

__all__ = ["WORKER_DIRECTORY_PREFIX", "WorkerLost", "WorkerProcess", "kill_process", "make_worker_directory",
           "temporary_folder", "worker_command"]


class WorkerLost(Exception):
    """The worker did not answer in time, or died; it must be replaced."""


def worker_command() -> list[str]:
    """The command that starts the real speech worker."""
    return [sys.executable, "-m", "voiceguide.speech._tts_worker"]


class WorkerProcess:
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
        self._answers: queue.Queue[tuple[bytes, bytes] | None] = queue.Queue()
        assert self.process.stdout is not None
        reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True,
                                  name="voiceguide-tts-reader")
        reader.start()

    def _read(self, stream: IO[bytes]) -> None:
        """Queue each answer: its JSON line, and the ``bytes`` that follow it when it says it has them."""
        while True:
            line = stream.readline()
            if not line:
                break
            size = _payload_size(line)
            payload = stream.read(size) if size else b""
            if len(payload) < size:
                break  # the worker died in the middle of an answer
            self._answers.put((line, payload))
        self._answers.put(None)

    def receive(self, timeout: float) -> dict[str, Any]:
        """The worker's next answer (its bytes, if any, as ``payload``); ``WorkerLost`` on timeout, death or garbage."""
        try:
            item = self._answers.get(timeout=timeout)
        except queue.Empty:
            raise WorkerLost(f"did not answer within {timeout:g} s") from None
        if item is None:
            self.process.wait(timeout=5)
            tail = self.stderr_tail()
            raise WorkerLost(f"stopped (exit status {self.process.returncode})" + (f": {tail}" if tail else ""))
        line, payload = item
        try:
            answer = json.loads(line)
        except ValueError:
            raise WorkerLost(f"sent something that is not JSON: {line[:80]!r}") from None
        if not isinstance(answer, dict):
            raise WorkerLost(f"sent an unexpected answer: {line[:80]!r}")
        if payload:
            answer["payload"] = payload
        return answer

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request and wait for its answer."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
        except OSError as error:
            raise WorkerLost(f"could not be written to ({error})") from None
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
        kill_process(self.process)
        self._stderr.close()


def _payload_size(line: bytes) -> int:
    """How many bytes follow an answer (its ``"bytes"``); 0 for none, or for a line that is not such an answer."""
    if b'"bytes"' not in line:
        return 0
    try:
        size = json.loads(line).get("bytes", 0)
    except (ValueError, AttributeError):
        return 0
    return size if isinstance(size, int) and size > 0 else 0


def kill_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


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
