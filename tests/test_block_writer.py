"""The file sink's writer thread: order kept, failures raised in the caller's thread, nothing written after abort."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile

from voiceguide.audio.block_writer import BlockWriter
from voiceguide.audio.sinks import FileSink


def test_items_are_written_in_order_on_another_thread() -> None:
    written: list[int] = []
    threads: set[str] = set()

    def write(item: int) -> None:
        threads.add(threading.current_thread().name)
        written.append(item)

    writer: BlockWriter[int] = BlockWriter(write)
    for item in range(50):
        writer.put(item)
    writer.finish()
    assert written == list(range(50))
    assert threads == {"file writer"}
    with pytest.raises(ValueError):
        writer.put(50)


def test_a_failed_write_is_raised_by_a_later_put_or_by_finish_and_later_items_are_dropped() -> None:
    written: list[int] = []

    def write(item: int) -> None:
        if item == 1:
            raise OSError(28, "No space left on device")
        written.append(item)

    writer: BlockWriter[int] = BlockWriter(write)
    with pytest.raises(OSError, match="No space"):
        for item in range(100):  # one of these puts sees the failure, or else finish does
            writer.put(item)
        writer.finish()
    writer.cancel()  # harmless after a failure
    assert written == [0]


def test_an_aborted_file_sink_stops_its_writer_and_leaves_nothing(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "x.wav", 22050, channels=2)
    for _ in range(5):
        sink.write(np.full((22050, 2), 0.25, dtype=np.float32))
    sink.abort()
    assert list(tmp_path.iterdir()) == []
    assert not any(thread.name == "file writer" for thread in threading.enumerate())


def test_a_closed_file_sink_holds_every_block(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "x.wav", 22050)
    blocks = [np.full(22050, index / 10, dtype=np.float32) for index in range(6)]
    for block in blocks:
        sink.write(block)
    sink.write_silence(100)
    sink.close()
    samples, _ = soundfile.read(tmp_path / "x.wav", dtype="int16")
    expected = np.concatenate([np.rint(np.concatenate(blocks) * 32768).clip(-32768, 32767), np.zeros(100)])
    assert np.array_equal(samples, expected.astype(np.int16))
