"""A thread that writes a file's blocks while the next ones are mixed (``sinks.FileSink``).

Quantizing a block (numpy) and handing it to libsndfile (cffi) both release the
GIL, so on a machine with two cores the block loop mixes the next block while
this thread writes the last.  The queue is short: memory stays flat, and the
loop never runs more than a few blocks ahead of the file.

A failure on the thread is kept and raised in the caller's thread by the next
``put`` or by ``finish``, where the sink turns it into its usual error; blocks
put after it are dropped unwritten.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")

QUEUE_BLOCKS = 2
"""Blocks waiting for the thread at most (a 2-s stereo block of floats is 353 kB)."""


class _Stop:
    """Put last: the thread ends once everything before it is written."""


class BlockWriter(Generic[Item]):
    """Calls ``write(item)`` for each ``put`` item, in order, on a thread of its own."""

    def __init__(self, write: Callable[[Item], None], *, depth: int = QUEUE_BLOCKS, name: str = "file writer") -> None:
        self._write = write
        self._queue: queue.Queue[Item | _Stop] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._ended = False
        # A daemon: an interpreter leaving on an uncaught error is never held up by a writer nobody stopped.
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if isinstance(item, _Stop):
                return
            if self._error is None:
                try:
                    self._write(item)
                except BaseException as error:  # noqa: BLE001  # raised in the caller's thread (raise_failure)
                    self._error = error

    def raise_failure(self) -> None:
        """Raise what the thread's last write raised, if anything did."""
        error = self._error
        if error is not None:
            raise error

    def put(self, item: Item) -> None:
        """Queue ``item`` (waiting while the queue is full); first raise an earlier write's failure."""
        if self._ended:
            raise ValueError("the block writer has ended")
        self.raise_failure()
        self._queue.put(item)

    def finish(self) -> None:
        """Wait until everything put is written, end the thread, and raise a failure if a write failed."""
        self._end()
        self.raise_failure()

    def cancel(self) -> None:
        """Drop what is still queued, wait for the write under way, and end the thread; never raises."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._end()

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._queue.put(_Stop())
        self._thread.join()
