"""The audio libraries' own messages (written straight to descriptor 2) go to a file, not over our output.

PortAudio, ALSA and their plugins write straight to the process's standard
error (file descriptor 2, below Python's ``sys.stderr``): "underrun occurred",
"Expression ... failed".  On a terminal those lines land on top of the
redrawn status line.  While playing, descriptor 2 is pointed at a log file;
``play --verbose`` leaves it alone.  Nothing here prints.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

MESSAGES_FILE_NAME = "play.log"


def messages_path() -> Path:
    """Where the libraries' messages of the last ``play`` are kept (the user's log directory)."""
    import platformdirs

    return Path(platformdirs.user_log_dir("voiceguide")) / MESSAGES_FILE_NAME


@contextlib.contextmanager
def library_messages_to(path: Path) -> Iterator[None]:
    """Point file descriptor 2 at ``path`` (replaced each time) for the block; restored after, whatever happens.

    Python's own ``sys.stderr`` writes to the same descriptor, so error messages
    are printed only after the block, by the command line.  When the log cannot be
    opened the messages stay where they were: a log is not worth failing a session.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        log = open(path, "wb")  # noqa: SIM115 - closed below, after descriptor 2 is restored
    except OSError:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        os.dup2(log.fileno(), 2)
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        log.close()
