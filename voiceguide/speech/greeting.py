"""The speech worker's greeting, remembered: a warm session starts no engine.

The greeting (``_tts_worker``: the engine's versions and voices) is what the
synthesizer needs before it speaks: the voice to choose and the identity that
keys the speech cache.  Starting the worker just to hear it again took 0.1-0.2 s
of every render and play whose speech was all cached.  So the greeting is
remembered in the speech cache's folder beside a fingerprint of the files that
make the engine what it is (the espeak-ng library, its phoneme data and voices,
pyttsx3, the worker's own code, this Python): size, modification time and inode
of each.  While they all match, the greeting is the one the engine would give;
when any differs, or is gone, the worker starts as before and the greeting is
remembered anew.  Only where the worker names those files (espeak-ng on Linux).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from voiceguide.base import write_atomically

GREETING_VERSION = 1
"""Part of the memo's key: bumped when the greeting's fields or their meaning change."""

_WORKER_SOURCES = ("_tts_worker.py", "_tts_engine.py", "_tts_prepared.py")
"""The worker's code (this package): a changed worker may greet differently."""


def _memo_path(cache_dir: Path) -> Path:
    return cache_dir / "pyttsx3.greeting"


def _file_stamp(path: str) -> list[int] | None:
    """(size, modification time in ns, inode) of ``path``, or None if it cannot be read."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ino]


def _context(command: Sequence[str]) -> dict[str, Any]:
    """What else must be the same: the worker command, where it finds its modules and espeak's data, the version."""
    return {"version": GREETING_VERSION, "command": list(command), "path": os.environ.get("PYTHONPATH"),
            "espeak_data": os.environ.get("ESPEAK_DATA_PATH")}


def _stamps(files: Sequence[str]) -> dict[str, list[int] | None]:
    here = Path(__file__).resolve().parent
    every = [*files, *(str(here / name) for name in _WORKER_SOURCES), sys.executable]
    return {path: _file_stamp(path) for path in every}


def remembered_greeting(cache_dir: Path | None, command: Sequence[str]) -> dict[str, Any] | None:
    """The greeting remembered for ``command``, if every file it was made from is unchanged; else None."""
    if cache_dir is None or not sys.platform.startswith("linux"):
        return None
    try:
        memo = json.loads(_memo_path(cache_dir).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(memo, dict) or memo.get("context") != _context(command):
        return None
    files, stamps, greeting = memo.get("files"), memo.get("stamps"), memo.get("greeting")
    if not isinstance(files, list) or not files or not isinstance(greeting, dict) or not greeting.get("ok"):
        return None
    if _stamps([str(path) for path in files]) != stamps:
        return None
    return greeting


def remember_greeting(cache_dir: Path | None, command: Sequence[str], greeting: dict[str, Any]) -> None:
    """Remember ``greeting`` with the stamps of the files it names (``"files"``); nothing if it names none."""
    files = greeting.get("files")
    if cache_dir is None or not sys.platform.startswith("linux") or not isinstance(files, list) or not files:
        return
    stamps = _stamps([str(path) for path in files])
    if any(stamp is None for stamp in stamps.values()):
        return
    memo = {"context": _context(command), "files": files, "stamps": stamps, "greeting": greeting}
    with contextlib.suppress(OSError):  # a cache that cannot be written: the worker starts each time
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(_memo_path(cache_dir), json.dumps(memo).encode())


def forget_greeting(cache_dir: Path | None) -> None:
    """Remove the remembered greeting (it no longer matches the engine)."""
    if cache_dir is not None:
        with contextlib.suppress(OSError):
            _memo_path(cache_dir).unlink()
