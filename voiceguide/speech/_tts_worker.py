"""The speech worker: pyttsx3 in its own process, spoken to in JSON lines.

Run as ``python -m voiceguide.speech._tts_worker`` by ``pyttsx3_engine``; not a public
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
- ``{"op": "synth", "items": [{"text": ..., "path": ...}, ...]}`` speaks every
  item; answers ``{"ok": true, "rate": HZ, "frames": [N, ...], "bytes": B}``
  followed by B bytes: each item's N samples in turn, 16-bit little-endian mono
  (where utterances are forked from a prepared engine); or ``{"ok": true}`` once
  one audio file per item is complete at its path (elsewhere);
- end of input: the worker exits.

Failures answer ``{"ok": false, "error": KIND, "detail": TEXT}``.  The stdlib
only (plus pyttsx3) is imported here, so the worker starts in tens of ms.

One fresh engine per utterance: espeak-ng 1.51 keeps state between utterances
in C statics that no API resets (the pitch-flutter index in ``wavegen.c``'s
``AdvanceParameters``, the wave phase, the gain control, the echo buffer, and
libc's ``rand()`` for breathy voices), so the same sentence synthesized twice
in one engine comes out a few samples longer or shorter and with different
samples (measured: "Hold." 17,835-17,844 samples over four takes, four
different checksums; 100 texts spoken in turn by one prepared engine: 1 take
of 100 the same as a fresh engine's).  So this process never speaks itself:
every utterance is spoken by a child forked from it, which speaks once, sends
its samples back and exits (the kernel ends it if this process goes first).
Every take then starts from the same state and is byte-identical whatever was
spoken before, in this process or another (two children at a time).  The children fork from an engine this
process prepares once as it starts (``_tts_prepared``: espeak started in its
synchronous mode, voice and rate set here, nothing spoken), so none of them
loads the phoneme data or the voice again, and starting needs one quick child
(the greeting) instead of two that each start espeak.  Elsewhere
than Linux (no ``fork`` on Windows; macOS's speech frameworks are not safe to
fork into) one engine serves every utterance.
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

from voiceguide.speech._tts_engine import Engine, WorkerFailure, import_pyttsx3
from voiceguide.speech._tts_prepared import PreparedEngine, prepared_engine


def _open_protocol_channel() -> IO[bytes]:
    """Move the protocol to a private copy of fd 1, and point fd 1 at /dev/null.

    pyttsx3 prints ``Audio saved to ...`` on every file (bug 4); with fd 1 gone to
    /dev/null neither Python prints nor C-level writes can corrupt the protocol.
    """
    protocol_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    return os.fdopen(protocol_fd, "wb")


PARALLEL_CHILDREN = 2
"""Utterances spoken at the same time, each by its own child (the machines we measured have 2 cores)."""


class Worker:
    """Serves the protocol; on POSIX every engine lives in a child forked for one job (see the module doc)."""

    def __init__(self) -> None:
        import_pyttsx3()
        self.voice: str | None = None
        self.rate = 200
        from voiceguide.system import fork_is_safe

        self.fresh = fork_is_safe()
        self.shared: Engine | None = None if self.fresh else Engine()
        # The engine every utterance is forked from, configured here, with no child.
        self.prepared: PreparedEngine | None = prepared_engine() if self.fresh else None
        self.configured = False
        if self.fresh and self.prepared is None:
            # Load the driver and libespeak-ng here, once (no thread starts until the
            # engine is initialised): each child then starts in ~10 ms instead of ~60.
            with contextlib.suppress(Exception):  # a child will meet and report the same failure
                import pyttsx3.drivers.espeak  # noqa: F401

    def _engine_job(self, job: Any) -> dict[str, Any]:
        """``job(engine)`` in the one shared engine where there is no fork, else in a fresh child."""
        if self.shared is not None:
            result: dict[str, Any] = job(self.shared)
            return result
        return _run_children([job], 1, self.prepared)[0]

    def hello(self) -> dict[str, Any]:
        """The greeting: engine, versions and voices (listed in a child: the prepared engine never lists them)."""
        return self._engine_job(lambda engine: engine.hello())

    def configure(self, voice: str | None, rate: int, directory: str) -> dict[str, Any]:
        """Check that the voice and rate work, and keep them for every utterance."""
        if self.prepared is not None:
            if self.configured:
                raise WorkerFailure("protocol", "configure comes once")
            reply = self.prepared.configure_prepared(voice, rate)
            self.configured = True
        else:
            reply = self._engine_job(lambda engine: engine.configure(voice, rate, directory))
        if reply.get("ok"):
            self.voice, self.rate = voice, rate
        return reply

    def synth(self, items: list[dict[str, str]]) -> dict[str, Any]:
        """Write each item's text to its own path; each from a fresh engine where there is fork."""
        if self.shared is not None:
            return self.shared.synth(items)
        if self.prepared is not None:
            if not self.configured:
                raise WorkerFailure("protocol", "synth before configure")
            jobs = [_speak_to_memory_job(item["text"]) for item in items]
        else:
            jobs = [_speak_job(self.voice, self.rate, item) for item in items]
        replies = _run_children(jobs, PARALLEL_CHILDREN, self.prepared)
        for index, reply in enumerate(replies):
            if not reply.get("ok"):
                detail = reply.get("detail", "unknown error")
                raise WorkerFailure(str(reply.get("error", "unusable")), f"item {index}: {detail}")
        if self.prepared is None:
            return {"ok": True}
        payloads = [reply.pop("payload", b"") for reply in replies]
        return {"ok": True, "rate": self.prepared.sample_rate, "frames": [len(p) // 2 for p in payloads],
                "payload": b"".join(payloads)}


def _speak_job(voice: str | None, rate: int, item: dict[str, str]) -> Any:
    return lambda engine: engine.speak_once(voice, rate, item)


def _speak_to_memory_job(text: str) -> Any:
    return lambda engine: engine.speak_to_memory(text)


def _run_children(jobs: list[Any], parallel: int, engine: Engine | None = None) -> list[dict[str, Any]]:
    """Each ``job(engine or Engine())`` run in its own forked child, ``parallel`` at a time; their replies in order."""
    replies: list[dict[str, Any]] = []
    running: collections.deque[tuple[int, int]] = collections.deque()  # (pid, read end of its reply pipe)
    for job in jobs:
        if len(running) >= parallel:
            replies.append(_child_reply(*running.popleft()))
        running.append(_fork_child(job, engine))
    while running:
        replies.append(_child_reply(*running.popleft()))
    return replies


def _fork_child(job: Any, engine: Engine | None = None) -> tuple[int, int]:
    """Start one child running ``job(engine or Engine())``; its pid and the pipe its JSON reply comes through."""
    _find_prctl()
    parent = os.getpid()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        code = 0
        try:
            _end_with_parent(parent)
            reply = job(engine if engine is not None else Engine())
        except WorkerFailure as failure:
            reply = {"ok": False, "error": failure.kind, "detail": failure.detail}
        except BaseException as error:  # report it: the parent decides
            reply = {"ok": False, "error": "internal", "detail": f"{type(error).__name__}: {error}"}
        try:
            payload = reply.pop("payload", b"")
            _write_all(write_fd, json.dumps(reply).encode() + b"\n")
            _write_all(write_fd, payload)
        except BaseException:
            code = 1
        os._exit(code)
    os.close(write_fd)
    return pid, read_fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _child_reply(pid: int, read_fd: int) -> dict[str, Any]:
    """The reply of a child (read to the end before waiting, so a long reply cannot block it).

    A JSON line, then the bytes of its ``payload`` if it has one (the samples of a take).
    """
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    line, _, payload = data.partition(b"\n")
    try:
        reply = json.loads(line) if line else None
    except ValueError:
        reply = None
    if isinstance(reply, dict):
        if payload:
            reply["payload"] = payload
        return reply
    if os.WIFSIGNALED(status):
        how = f"was killed by signal {os.WTERMSIG(status)}"
    else:
        how = f"exited with status {os.WEXITSTATUS(status)}"
    return {"ok": False, "error": "crashed", "detail": f"the engine process {how} without an answer"}


def _send(channel: IO[bytes], message: dict[str, Any]) -> None:
    """One answer: its JSON line, with ``"bytes": N`` and then N bytes if it carries a ``payload``."""
    payload = message.pop("payload", None)
    if payload is not None:
        message["bytes"] = len(payload)
    channel.write(json.dumps(message).encode() + b"\n")
    if payload:
        channel.write(payload)
    channel.flush()


_PRCTL: Any = None
"""libc's ``prctl``, found before any child is forked (so a child never loads a library); False where there is none."""


def _find_prctl() -> Any:
    global _PRCTL  # noqa: PLW0603 - found once per process
    if _PRCTL is None:
        _PRCTL = False
        if sys.platform.startswith("linux"):
            with contextlib.suppress(OSError, AttributeError):
                import ctypes

                _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
    return _PRCTL


_PR_SET_PDEATHSIG = 1


def _end_with_parent(parent: int) -> None:
    """In a child: end when the worker does (it may be killed while we are busy).

    On Linux the kernel sends the child SIGKILL when its parent ends (one system call; strictly, when the
    thread that forked it ends: the worker forks from its main thread only); elsewhere, or if that fails,
    a thread checks every second.
    """
    prctl = _PRCTL
    if prctl and prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0) == 0:  # 9: SIGKILL
        if os.getppid() != parent:  # the parent ended before we asked
            os._exit(0)
        return
    threading.Thread(target=_watch_parent, daemon=True, name="parent-watch").start()


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
