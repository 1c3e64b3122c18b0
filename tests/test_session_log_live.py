"""The session log with the real player: keys typed into a pseudo-terminal, sound into a null sink.

Three plays of a short session: pain 7 before and 3 after; a question skipped
by silence (shortened to 1.5 s here by ``VOICEGUIDE_PAIN_SILENCE_SECONDS``)
and ten (``t``) after; then ``q`` half way.  The log must then hold exactly
those three records, ``log --csv`` must print them, a ``--no-log`` play must
add nothing, and a player killed with SIGKILL must leave the log readable.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import os
import select
import signal
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pulse import PulseServer

pytestmark = pytest.mark.live

SESSION = """\
voiceguide: 1
title: Log test
steps:
  - say: One.
    pause: 1s
  - say: Two.
    pause: 1.5s
  - say: Three.
"""
QUESTION = "How strong is your pain right now, from zero to ten?"
QUESTION_AFTER = "And now, after the session, how strong is your pain, from zero to ten?"


def _voiceguide(*args: str) -> list[str]:
    return [sys.executable, "-m", "voiceguide", *args]


def _take_terminal() -> None:
    """In the child: a new session whose controlling terminal is standard input (the pty)."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """A command on a pseudo-terminal: type keys, wait for text in its output."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, self.slave = os.openpty()
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
                if not ready:
                    if self.process.poll() is not None:
                        return
                    continue
                data = os.read(self.master, 4096)
            except (OSError, ValueError):
                return
            if not data:
                return
            with self._lock:
                self.text += data.decode(errors="replace")

    def wait_for(self, needle: str, count: int = 1, timeout: float = 60) -> None:
        """Wait until ``needle`` has appeared ``count`` times in the output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.text.count(needle) >= count:
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.01)
        raise AssertionError(f"{needle!r} did not appear {count} time(s); output:\n{self.text}")

    def press(self, key: bytes) -> None:
        os.write(self.master, key)

    def finish(self, timeout: float = 60) -> int:
        status = self.process.wait(timeout=timeout)
        self._reader.join(timeout=2)
        return status

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("session-log")
    (path / "session.yaml").write_text(SESSION)
    return path


@pytest.fixture(scope="module")
def env(pulse_server: PulseServer, workdir: Path) -> dict[str, str]:
    environment = dict(pulse_server.env)
    environment["VOICEGUIDE_DATA_DIR"] = str(workdir / "data")
    environment["VOICEGUIDE_CONFIG_DIR"] = str(workdir / "config")
    environment["VOICEGUIDE_PAIN_SILENCE_SECONDS"] = "1.5"
    environment["PYTHONUNBUFFERED"] = "1"
    return environment


@pytest.fixture(scope="module")
def planned_seconds(env: dict[str, str], workdir: Path) -> float:
    """The session's length from its plan (this also fills the speech cache)."""
    done = subprocess.run(_voiceguide("plan", str(workdir / "session.yaml"), "--json"),
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return float(json.loads(done.stdout)["duration"])


@pytest.fixture
def terminal(env: dict[str, str]) -> Iterator[Terminal]:
    made: list[Terminal] = []

    def make(*args: str) -> Terminal:
        term = Terminal(_voiceguide(*args), env)
        made.append(term)
        return term

    yield make  # type: ignore[misc]
    for term in made:
        term.close()


def _log_csv(env: dict[str, str]) -> list[dict[str, str]]:
    done = subprocess.run(_voiceguide("log", "--csv"), env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "damaged" not in done.stderr
    return list(csv.DictReader(io.StringIO(done.stdout)))


def test_three_plays_leave_exactly_their_records(env: dict[str, str], workdir: Path, planned_seconds: float,
                                                  terminal: object) -> None:
    make = terminal
    script = str(workdir / "session.yaml")
    started = time.monotonic()

    # 1: seven before, three after.
    term = make("play", script, "--plain", "--ask-pain")  # type: ignore[operator]
    term.wait_for(QUESTION)
    term.press(b"7")
    term.wait_for("Pain: 7.")
    term.wait_for("Three.")
    term.wait_for(QUESTION_AFTER)
    term.press(b"3")
    term.wait_for("Pain: 3.")
    assert term.finish() == 0, term.text

    # 2: the first question skipped by silence; ten ('t') after.
    term = make("play", script, "--plain", "--ask-pain")  # type: ignore[operator]
    term.wait_for(QUESTION)
    skipped_from = time.monotonic()
    term.wait_for("Pain: skipped.")
    assert time.monotonic() - skipped_from >= 1.5
    term.wait_for(QUESTION_AFTER)
    term.press(b"t")
    term.wait_for("Pain: 10.")
    assert term.finish() == 0, term.text

    # 3: quit half way (no questions: none were asked for).
    term = make("play", script, "--plain")  # type: ignore[operator]
    term.wait_for("Two.")
    time.sleep(0.3)
    term.press(b"q")
    assert term.finish() == 0, term.text
    assert QUESTION not in term.text and QUESTION_AFTER not in term.text

    # 4: --no-log adds nothing, and neither does the settings file's switch.
    done = subprocess.run(_voiceguide("play", script, "--plain", "--no-log", "--from", "3"), env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    (workdir / "config").mkdir(exist_ok=True)
    (workdir / "config" / "config.toml").write_text("[log]\nenabled = false\n")
    try:
        done = subprocess.run(_voiceguide("play", script, "--plain", "--from", "3"), env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    finally:
        (workdir / "config" / "config.toml").unlink()
    assert done.returncode == 0, done.stderr

    rows = _log_csv(env)
    assert [(r["ended"], r["pain_before"], r["pain_after"]) for r in rows] == [
        ("done", "7", "3"), ("done", "", "10"), ("quit", "", "")]
    digest = hashlib.sha256((workdir / "session.yaml").read_bytes()).hexdigest()
    for row in rows:
        assert row["session"] == "Log test" and row["script"] == script and row["script_sha256"] == digest
        assert abs(float(row["planned_seconds"]) - planned_seconds) < 0.1
    for row in rows[:2]:
        assert abs(float(row["played_seconds"]) - planned_seconds) < 0.2, row
        assert float(row["completed"]) > 0.97
    assert 0.25 < float(rows[2]["completed"]) < 0.8, rows[2]
    print(f"\nfive plays in {time.monotonic() - started:.1f} s; planned {planned_seconds:.2f} s; "
          f"played {[r['played_seconds'] for r in rows]}; completed {[r['completed'] for r in rows]}")


def test_a_player_killed_mid_session_leaves_the_log_readable(env: dict[str, str], workdir: Path,
                                                             planned_seconds: float, terminal: object) -> None:
    before = _log_csv(env)
    term = terminal("play", str(workdir / "session.yaml"), "--plain")  # type: ignore[operator]
    term.wait_for("One.")
    term.process.send_signal(signal.SIGKILL)
    assert term.finish() == -signal.SIGKILL
    assert _log_csv(env) == before  # nothing half-written, nothing lost
