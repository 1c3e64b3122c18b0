"""Temporary files and folders named after the process that owns them, and sweeping up after dead ones.

A process killed outright (``kill -9``, a power cut) cannot remove its
temporary files: a render's hidden ``.part`` beside the output, the speech
worker's folder, a half-written cache entry.  Each carries its owner's process
id in its name (``<prefix><pid>-<random><suffix>``), and the next run that
looks in the same place removes those whose owner is gone.  Only names that
match our own pattern exactly are touched, and only when no process with that
id exists; a process id reused by another program just leaves the file for a
later run.  Windows has no harmless "does this process exist" probe in the
standard library (``os.kill`` terminates there), so nothing is swept on Windows.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import sys
from pathlib import Path


def owned_name(prefix: str, suffix: str) -> str:
    """A fresh name that carries this process's id: ``<prefix><pid>-<8 hex digits><suffix>``."""
    return f"{prefix}{os.getpid()}-{secrets.token_hex(4)}{suffix}"


def owner_is_gone(pid: int) -> bool:
    """True only if no process with id ``pid`` exists (never for ourselves, never on Windows)."""
    if sys.platform == "win32" or pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: it exists, as another user's
        return False
    return False


def sweep(folder: Path, prefix: str, suffix: str, *, folders: bool = False, any_stem: bool = False) -> int:
    """Remove the files (or, with ``folders``, directory trees) in ``folder`` left by dead owners; how many.

    Names are those of ``owned_name(prefix, suffix)``; with ``any_stem`` the
    prefix may follow a hidden name's stem and a dot (``.session.wav.vg-123-...``,
    for ``.part`` files named after their target).
    """
    stem = r"\..*\." if any_stem else ""
    pattern = re.compile(stem + re.escape(prefix) + r"(\d{1,10})-[0-9a-f]{8}" + re.escape(suffix) + r"\Z",
                         re.DOTALL)
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None or not owner_is_gone(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            if folders and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
                removed += 1
            elif not folders and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed += 1
    return removed
