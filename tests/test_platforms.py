"""The operating-system adapters (keys, file locks, fork), each platform's branch exercised by simulation on Linux."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from types import SimpleNamespace
from typing import IO, Any

import pytest

from voiceguide.play.keyboard import KeyReader
from voiceguide.system import fork_is_safe
from voiceguide.system.file_locks import exclusive_lock, lock_kind
from voiceguide.system.terminal_keys import NO_KEY_READER, WindowsConsole, open_backend


class FakeMsvcrt:
    """Windows' console module: the keys ``typed`` come out of ``getwch``; ``locking`` calls are kept."""

    LK_LOCK = 1
    LK_UNLCK = 0

    def __init__(self, typed: str = "") -> None:
        self.typed = list(typed)
        self.locks: list[tuple[int, int]] = []

    def kbhit(self) -> bool:
        return bool(self.typed)

    def getwch(self) -> str:
        return self.typed.pop(0)

    def locking(self, fd: int, mode: int, size: int) -> None:
        assert os.lseek(fd, 0, os.SEEK_CUR) == 0  # the lock is on the first byte
        self.locks.append((mode, size))


@pytest.fixture
def terminal() -> Iterator[IO[str]]:
    """A pseudo-terminal's slave side, as a text stream (a real terminal for ``isatty``)."""
    master, slave = os.openpty()
    stream = os.fdopen(slave, "r")
    try:
        yield stream
    finally:
        stream.close()
        os.close(master)


def test_every_module_imports_without_termios_fcntl_or_fork() -> None:
    # As on Windows: no termios, fcntl, os.fork; and nothing of voiceguide imported yet.
    code = """
import importlib, os, pkgutil, sys
for name in ("termios", "fcntl", "tty", "pty", "resource", "grp", "pwd"):
    sys.modules[name] = None
del os.fork
import voiceguide
failed = []
for module in pkgutil.walk_packages(voiceguide.__path__, "voiceguide."):
    if module.name.endswith("__main__"):
        continue
    try:
        importlib.import_module(module.name)
    except ImportError as error:
        failed.append(f"{module.name}: {error}")
print("\\n".join(failed) or "all imported")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.stdout.strip() == "all imported", result.stdout + result.stderr


def test_windows_console_reads_keys_arrows_and_enter() -> None:
    console = WindowsConsole(FakeMsvcrt("n \xe0M\x00Kq\r"))  # n, space, right, left, q, Enter
    assert console.read_bytes(0.1) == b"n \x1b[C\x1b[Dq\n"


def test_windows_console_waits_out_its_timeout_without_keys() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    console = WindowsConsole(FakeMsvcrt(), clock=lambda: now[0], sleep=sleep)
    assert console.read_bytes(0.5) is None
    assert now[0] == pytest.approx(0.5)


def test_windows_console_ctrl_c_interrupts() -> None:
    with pytest.raises(KeyboardInterrupt):
        WindowsConsole(FakeMsvcrt("\x03")).read_bytes(0.1)


def test_key_reader_on_windows_decodes_what_the_console_gives(terminal: IO[str]) -> None:
    fake: Any = FakeMsvcrt("p\xe0H")
    with KeyReader(terminal, platform="win32", modules={"msvcrt": fake}) as reader:
        assert reader.interactive and reader.unavailable is None
        assert [reader.read(0.1), reader.read(0.1), reader.read(0.01)] == ["p", "up", None]


@pytest.mark.parametrize(("platform", "missing"), [("linux", "termios"), ("win32", "msvcrt"), ("darwin", "termios")])
def test_no_key_reader_says_so_and_reads_no_keys(terminal: IO[str], platform: str, missing: str) -> None:
    with KeyReader(terminal, platform=platform, modules={missing: None}) as reader:
        assert not reader.interactive
        assert reader.unavailable == NO_KEY_READER
        assert reader.read(0.01) is None


def test_a_pipe_is_no_terminal_and_needs_no_sentence() -> None:
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "r") as pipe:
        assert open_backend(pipe, platform="win32", modules={"msvcrt": None}) == (None, None)
    os.close(write_fd)


def test_file_lock_posix_uses_flock(tmp_path: Any) -> None:
    calls: list[int] = []
    fake: Any = SimpleNamespace(LOCK_EX=2, LOCK_UN=8, flock=lambda fd, op: calls.append(op))
    fd = os.open(tmp_path / "log", os.O_RDWR | os.O_CREAT)
    try:
        with exclusive_lock(fd, platform="linux", module=fake):
            assert calls == [2]
        assert calls == [2, 8]
    finally:
        os.close(fd)


def test_file_lock_windows_locks_the_first_byte_and_keeps_the_offset(tmp_path: Any) -> None:
    fake: Any = FakeMsvcrt()
    fd = os.open(tmp_path / "log", os.O_RDWR | os.O_CREAT)
    try:
        os.write(fd, b"some lines\n")
        with exclusive_lock(fd, platform="win32", module=fake):
            assert fake.locks == [(FakeMsvcrt.LK_LOCK, 1)]
            assert os.lseek(fd, 0, os.SEEK_CUR) == 11
        assert fake.locks[-1] == (FakeMsvcrt.LK_UNLCK, 1)
    finally:
        os.close(fd)


def test_lock_kind_and_fork_by_platform() -> None:
    assert lock_kind("linux") == "fcntl"
    assert lock_kind("win32") is None  # no msvcrt on this Linux machine: appends unlocked
    assert fork_is_safe("linux", has_fork=True)
    assert not fork_is_safe("darwin", has_fork=True)  # macOS's speech frameworks are not fork-safe
    assert not fork_is_safe("win32", has_fork=False)


@pytest.mark.engine
def test_where_fork_is_not_safe_one_shared_engine_speaks_every_utterance(tmp_path: Any) -> None:
    # As on macOS and Windows: the speech worker keeps one engine instead of forking a child per utterance.
    code = f"""
import voiceguide.system as system
system.fork_is_safe = lambda *args, **kwargs: False
from voiceguide.speech._tts_worker import Worker
import soundfile
worker = Worker()
ok = worker.configure(None, 160, {str(tmp_path)!r}).get("ok")
texts = ["Hello there.", "Press now."]
items = [{{"text": text, "path": {str(tmp_path)!r} + f"/{{n}}.wav"}} for n, text in enumerate(texts)]
ok = ok and worker.synth(items).get("ok")
print("RESULT", worker.fresh, worker.shared is not None, ok, [soundfile.info(i["path"]).frames > 2000 for i in items])
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    result = [line for line in done.stdout.splitlines() if line.startswith("RESULT")]
    assert result == ["RESULT False True True [True, True]"], done.stdout + done.stderr
