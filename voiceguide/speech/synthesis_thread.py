"""One batch of speech synthesized on a thread of its own, so the speech bank can level the last one meanwhile."""

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
