"""The key reader: decoding, cbreak mode through a real pseudo-terminal, and restoring it."""

from __future__ import annotations

import os
import signal
import termios
import time
from collections.abc import Iterator
from typing import IO

import pytest

from voiceguide.play import keyboard
from voiceguide.play.keyboard import KeyReader, decode_keys


def test_decode_plain_keys_space_and_arrows() -> None:
    assert decode_keys(b"n p") == ["n", "space", "p"]
    assert decode_keys(b"\x1b[C\x1b[D\x1bOC") == [keyboard.RIGHT, keyboard.LEFT, keyboard.RIGHT]
    assert decode_keys(b"+-q") == ["+", "-", "q"]


def test_decode_lone_escape_and_skips_other_sequences() -> None:
    assert decode_keys(b"\x1b") == [keyboard.ESCAPE]
    assert decode_keys(b"\x1b[15~n") == ["n"]  # F5, then n
    assert decode_keys(b"\x1bx") == [keyboard.ESCAPE, "x"]


@pytest.fixture
def terminal() -> Iterator[tuple[int, IO[str]]]:
    """A pseudo-terminal: the master fd (the 'keyboard') and the slave as a text stream."""
    master, slave = os.openpty()
    stream = os.fdopen(slave, "r")
    try:
        yield master, stream
    finally:
        stream.close()
        os.close(master)


def test_reader_sets_cbreak_no_echo_and_restores(terminal: tuple[int, IO[str]]) -> None:
    master, stream = terminal
    fd = stream.fileno()
    before = termios.tcgetattr(fd)
    assert before[3] & termios.ECHO and before[3] & termios.ICANON
    with KeyReader(stream) as reader:
        assert reader.interactive
        during = termios.tcgetattr(fd)
        assert not during[3] & termios.ECHO and not during[3] & termios.ICANON
        assert during[3] & termios.ISIG  # Ctrl-C still interrupts
        os.write(master, b"n \x1b[C")
        got = [reader.read(1.0) for _ in range(3)]
        assert got == ["n", "space", "right"]
        assert reader.read(0.05) is None
    assert termios.tcgetattr(fd) == before


def test_lone_escape_is_escape_after_a_short_wait(terminal: tuple[int, IO[str]]) -> None:
    master, stream = terminal
    with KeyReader(stream) as reader:
        os.write(master, b"\x1b")
        assert reader.read(1.0) == keyboard.ESCAPE


def test_restored_when_the_body_raises(terminal: tuple[int, IO[str]]) -> None:
    _, stream = terminal
    before = termios.tcgetattr(stream.fileno())
    with pytest.raises(KeyboardInterrupt), KeyReader(stream):
        raise KeyboardInterrupt
    assert termios.tcgetattr(stream.fileno()) == before


def test_not_a_terminal_reads_no_keys(tmp_path: os.PathLike[str]) -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"q")
    with os.fdopen(read_fd, "r") as pipe, KeyReader(pipe) as reader:
        assert not reader.interactive
        started = time.monotonic()
        assert reader.read(0.05) is None
        assert time.monotonic() - started >= 0.04
    os.close(write_fd)


def test_ctrl_z_gives_the_terminal_back_while_stopped_and_takes_it_again(terminal: tuple[int, IO[str]]) -> None:
    _, stream = terminal
    fd = stream.fileno()
    before = termios.tcgetattr(fd)
    handler = signal.getsignal(signal.SIGTSTP)
    while_stopped: list[list[object]] = []
    with KeyReader(stream, suspend=lambda: while_stopped.append(termios.tcgetattr(fd))):
        os.kill(os.getpid(), signal.SIGTSTP)  # what Ctrl-Z sends
        assert while_stopped == [before]
        assert not termios.tcgetattr(fd)[3] & termios.ECHO  # cbreak again after "fg"
    assert termios.tcgetattr(fd) == before
    assert signal.getsignal(signal.SIGTSTP) == handler
