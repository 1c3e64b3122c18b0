"""The speech cache: capped in size (least recently used go first), every read bounded, every entry proven.

A cache entry that is a FIFO, a link to a device or a huge sparse file is a
damaged entry (made again), never a hang or a MemoryError; an entry copied
onto another text's name is never played for that text.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.fakes import CountingSynthesizer, FakeSynthesizer
from voiceguide.base import Audio
from voiceguide.speech.clips import SpeechBank


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.clip") if not p.name.startswith("."))


def _clip_within(bank: SpeechBank, text: str, seconds: float = 5.0) -> Audio:
    """``bank.clip(text)`` on a thread, failing the test (not hanging it) if it takes longer than ``seconds``."""
    result: list[Audio] = []
    thread = threading.Thread(target=lambda: result.append(bank.clip(text)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"reading the cache entry for {text!r} hung or failed"
    return result[0]


def test_the_cap_removes_the_least_recently_used_entries(tmp_path: Path) -> None:
    texts = ["One.", "Two.", "Six.", "Ten."]  # one length each, so one entry size
    bank = SpeechBank(FakeSynthesizer(), tmp_path)
    for text in texts:
        bank.clip(text)
    size = max(p.stat().st_size for p in _entries(tmp_path))
    # Last used long ago, in this order: One (oldest) ... Four; then One is read again.
    for age, text in enumerate(reversed(texts)):
        path = bank.cache_path(text)
        assert path is not None
        os.utime(path, (1_000_000 - age * 1000, 1_000_000 - age * 1000))
    assert {p.stat().st_size for p in _entries(tmp_path)} == {size}
    cap = 36 * size // 10
    reader = SpeechBank(CountingSynthesizer(FakeSynthesizer()), tmp_path, max_disk_bytes=cap)
    reader.clip("One.")  # a read is a use
    reader.clip("Sum.")  # five entries: over the cap, trimmed to 90 % of it, least recently used first
    left = {path.name for path in _entries(tmp_path)}
    expected = {p.name for text in ("One.", "Ten.", "Sum.") if (p := reader.cache_path(text)) is not None}
    assert left == expected, "Two and Six were the least recently used"
    assert sum(p.stat().st_size for p in _entries(tmp_path)) <= cap


def test_the_cap_counts_remembered_levels_and_loudness_too(tmp_path: Path) -> None:
    from voiceguide.speech.clip_cache import trim_cache

    for index, suffix in enumerate((".clip", ".level", ".loudness", ".clip")):
        path = tmp_path / f"entry{index}{suffix}"
        path.write_bytes(b"x" * 1000)
        os.utime(path, (1_000_000 + index, 1_000_000 + index))
    (tmp_path / "notes.txt").write_bytes(b"x" * 5000)  # not ours: never counted, never removed
    assert trim_cache(tmp_path, 2500) == 2000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry2.loudness", "entry3.clip", "notes.txt"]


def test_the_cap_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from voiceguide.speech.clip_cache import DEFAULT_CACHE_MAX_BYTES, cache_max_bytes

    monkeypatch.delenv("VOICEGUIDE_CACHE_MAX_MB", raising=False)
    assert cache_max_bytes() == DEFAULT_CACHE_MAX_BYTES == 200 * 1024 * 1024
    monkeypatch.setenv("VOICEGUIDE_CACHE_MAX_MB", "5")
    assert cache_max_bytes() == 5 * 1024 * 1024
    monkeypatch.setenv("VOICEGUIDE_CACHE_MAX_MB", "lots")
    assert cache_max_bytes() == DEFAULT_CACHE_MAX_BYTES
    monkeypatch.setenv("VOICEGUIDE_CACHE_MAX_MB", "0")
    bank = SpeechBank(FakeSynthesizer(), tmp_path / "cache")
    bank.clip("Hold.")
    assert not (tmp_path / "cache").exists()


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _link_to_a_device(path: Path) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


def _huge_sparse_file(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(40 * 1024**3)  # 40 GB that take no space


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX file types")
@pytest.mark.parametrize("damage", [_fifo, _link_to_a_device, _huge_sparse_file])
def test_an_entry_that_is_not_a_plain_file_of_sane_size_is_made_again(tmp_path: Path, damage: object) -> None:
    original = SpeechBank(FakeSynthesizer(), tmp_path).clip("Release.")
    (entry,) = _entries(tmp_path)
    assert callable(damage)
    damage(entry)
    synth = FakeSynthesizer()
    again = _clip_within(SpeechBank(synth, tmp_path), "Release.")
    assert synth.calls == ["Release."]
    assert np.array_equal(again, original)
    assert entry.is_file() and not entry.is_symlink() and entry.stat().st_size < 1024**2


def test_an_entry_must_prove_it_belongs_to_its_text(tmp_path: Path) -> None:
    bank = SpeechBank(FakeSynthesizer(), tmp_path)
    one = bank.clip("One.")
    two_path = bank.cache_path("Two, and more words.")
    one_path = bank.cache_path("One.")
    assert one_path is not None and two_path is not None
    shutil.copyfile(one_path, two_path)  # a whole, checksummed entry under another text's name
    synth = FakeSynthesizer()
    two = SpeechBank(synth, tmp_path).clip("Two, and more words.")
    assert synth.calls == ["Two, and more words."]
    assert two.size != one.size
