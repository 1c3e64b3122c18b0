"""The shared pieces in base.py: time formatting, the atomic file writer, the frame-bounded cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from voiceguide.base import SAMPLE_RATE, AtomicFile, FrameCache, clock, write_atomically


def test_clock_rounds_as_asked_and_shows_hours() -> None:
    just_over = 61 * SAMPLE_RATE + 1
    assert clock(just_over, rounding="up") == "1:02"
    assert clock(just_over, rounding="down") == "1:01"
    assert clock(just_over) == "1:01"
    assert clock(SAMPLE_RATE // 2) == "0:01"  # half rounds up
    assert clock(3 * 3600 * SAMPLE_RATE + 5 * SAMPLE_RATE, decimals=2) == "3:00:05.00"
    assert clock(-5) == "0:00"


def test_an_atomic_file_appears_only_on_commit_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    file = AtomicFile(target)
    file.temporary.write_text("new")
    assert target.read_text() == "old"
    file.discard()
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    write_atomically(target, b"new")
    assert target.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_an_atomic_write_that_must_not_replace_refuses_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "entry"
    write_atomically(target, b"first", replace=False)
    with pytest.raises(FileExistsError):
        write_atomically(target, b"second", replace=False)
    assert target.read_bytes() == b"first" and [p.name for p in tmp_path.iterdir()] == ["entry"]


def test_the_frame_cache_evicts_the_least_recently_used_beyond_its_bound() -> None:
    cache: FrameCache[np.ndarray] = FrameCache(max_frames=10)
    cache.put("a", np.zeros(4))
    cache.put("b", np.zeros(4))
    assert cache.get("a") is not None  # now "b" is the oldest
    cache.put("c", np.zeros(4))
    assert cache.get("b") is None and cache.get("a") is not None and cache.total_frames == 8
    cache.put("d", np.zeros(40))  # larger than the bound: kept alone
    assert len(cache) == 1 and cache.get("d") is not None
    cache.put("e", np.zeros(40), evict=False)
    assert len(cache) == 2 and cache.total_frames == 80


def test_temporaries_left_by_an_interrupt_are_discarded_on_the_way_out(tmp_path: Path) -> None:
    # An interrupt may land after a temporary exists but before its owner holds it (the output check's probe,
    # a sink half-built): the command line discards every unfinished temporary as the interrupt unwinds.
    from voiceguide.base import AtomicFile, discard_unfinished

    held = AtomicFile(tmp_path / "a.wav")
    orphan = AtomicFile(tmp_path / "b.wav").temporary  # as if its owner never got hold of it
    done = AtomicFile(tmp_path / "c.wav")
    done.commit()
    assert held.temporary.exists() and orphan.exists()
    discard_unfinished()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.wav"]
    held.discard()  # still safe afterwards
    # Not even registered (the interrupt came between its creation and its registration): found by our id.
    unregistered = tmp_path / f".d.wav.vg-{os.getpid()}-0123abcd.part"
    others = tmp_path / f".e.wav.vg-{os.getppid()}-0123abcd.part"  # a living process's: never touched
    unregistered.touch()
    others.touch()
    discard_unfinished([tmp_path])
    assert sorted(p.name for p in tmp_path.iterdir()) == [others.name, "c.wav"]
