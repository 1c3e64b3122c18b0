"""One batch of speech synthesized on a thread of its own, so the speech bank can level the last one meanwhile;
and the sizes of those batches."""

from __future__ import annotations

import threading
from collections.abc import Callable

from voiceguide.base import Audio


class Synthesis:
    """``make(texts)`` running on a thread of its own; ``result()`` waits for it and returns or raises what it did."""

    def __init__(self, make: Callable[[list[str]], list[Audio]], texts: list[str]) -> None:
        self._make = make
        self._texts = texts
        self._audio: list[Audio] | None = None
        self._error: BaseException | None = None
        # A daemon, as the prefetching thread that starts it: it only waits on the engine's process.
        self._thread = threading.Thread(target=self._run, name="voiceguide-synthesis", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._audio = self._make(self._texts)
        except BaseException as error:  # handed to the thread that waits for the result
            self._error = error

    def result(self) -> list[Audio]:
        """The audio, once made (raises what making it raised)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._audio is not None
        return self._audio


def batches(count: int, batch: int, least: int = 4) -> list[tuple[int, int]]:
    """``[start, stop)`` of each batch of ``count`` texts: up to ``batch`` at a time, fewer at both ends.

    The engine speaks a batch while the last one is levelled; the first batch is spoken with nothing to
    level beside it, and the last levelled with nothing to speak, so those two are small: ``least``, then
    doubling up to ``batch``, and halving again over the last ones.
    """
    sizes: list[int] = []
    size, left = least, count
    while left > 0:
        size = min(size, batch)
        # Halve towards the end, so that the last batch is small too.
        while size > least and left < 2 * size:
            size //= 2
        sizes.append(min(size, left))
        left -= sizes[-1]
        size *= 2
    edges = [0]
    for size in sizes:
        edges.append(edges[-1] + size)
    return list(zip(edges, edges[1:], strict=False))
