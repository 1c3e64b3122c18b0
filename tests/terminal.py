"""A command on a pseudo-terminal, for tests that type keys into the real player and read its screen."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import subprocess
import termios
import threading
import time


def _take_terminal() -> None:
    """In the child: a new session whose controlling terminal is standard input (the pty), and SIGINT at its
    default, as an interactive shell starts a command in the foreground (a run started from a background
    shell has it ignored, and a child would inherit that)."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Terminal:
    """``voiceguide play`` on a pseudo-terminal: type keys, wait for lines of output."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, self.slave = os.openpty()
        self.attrs_before = termios.tcgetattr(self.slave)
        # The child's own session, with the pty as its controlling terminal: Ctrl-C typed
        # into the master reaches it as SIGINT, as in a real terminal.
        self.process = subprocess.Popen(args, stdin=self.slave, stdout=self.slave, stderr=self.slave,
                                        env=env, preexec_fn=_take_terminal, close_fds=True)
        self.text = ""
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.1)
            except (OSError, ValueError):
                return
            if not ready:
                if self.process.poll() is not None and not select.select([self.master], [], [], 0)[0]:
                    return  # (what it wrote between the select above and its exit is read first)
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.text += data.decode(errors="replace")

    def wait_for(self, needle: str, timeout: float = 60, *, count: int = 1) -> float:
        """Wait until ``needle`` has appeared ``count`` times in the output; returns the time it was seen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.text.count(needle) >= count:
                    return time.monotonic()
            if self.process.poll() is not None:
                break
            time.sleep(0.005)
        raise AssertionError(f"{needle!r} did not appear {count} time(s); output:\n{self.text}")

    def press(self, key: bytes) -> None:
        os.write(self.master, key)

    def finish(self, timeout: float = 90) -> int:
        status = self.process.wait(timeout=timeout)
        self._reader.join(timeout=2)
        return status

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)
        os.close(self.slave)
