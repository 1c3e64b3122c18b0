"""Who may stop a command with SIGINT when it was started with SIGINT ignored (voiceguide.play.interrupts).

The live case, Ctrl-C typed on the terminal of a play started that way, is
tests/test_live.py's test_ctrl_c_stops_a_play_that_was_started_with_sigint_ignored.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from voiceguide.play.interrupts import ctrl_c_waits_for_imports


@pytest.fixture
def sigint_ignored() -> Iterator[None]:
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@pytest.mark.parametrize("live", [False, True])
def test_an_ignored_sigint_stays_ignored_without_a_terminal_that_sends_it(sigint_ignored: None, live: bool) -> None:
    # A background job's SIGINT, ignored by its shell, is not ours to take: a render (not live), or a play
    # whose standard input is no terminal in whose foreground it runs (here: the test's own stdin).
    read, write = os.pipe()
    saved = os.dup(0)
    os.dup2(read, 0)
    try:
        with ctrl_c_waits_for_imports(live=live):
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        os.dup2(saved, 0)
        for fd in (read, write, saved):
            os.close(fd)
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_python_s_own_handler_is_taken_over_and_given_back() -> None:
    assert threading.current_thread() is threading.main_thread()
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with ctrl_c_waits_for_imports(live=False):
            assert signal.getsignal(signal.SIGINT) not in (signal.default_int_handler, signal.SIG_IGN)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)
