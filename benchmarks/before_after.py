"""Before and after, in one run: a pristine copy of an earlier commit, run beside this checkout.

A benchmark that compares with an earlier version extracts that commit with
``git archive`` into a temporary folder and runs it in child processes with
``PYTHONPATH`` pointing there (its speech worker follows, as it finds its package
from its own file), so both versions are measured in the same run, under the same
load, with the same installed libraries.  Needs the git history (a checkout).
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BEFORE_COMMIT = "c6088a0"
"""Where issue 24 (the cold path) started: levelling through pyloudnorm and scipy, an engine started per utterance."""


def pristine_copy(commit: str, folder: Path) -> Path:
    """The tree of ``commit`` extracted into ``folder`` (created); returns it."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit],
                             capture_output=True, check=True).stdout
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def byte_compiled(root: Path) -> Path:
    """``root``'s package byte-compiled, as pip leaves an installed one; returns ``root``.

    With ``PYTHONDONTWRITEBYTECODE`` set (as on the shared machine) nothing is
    cached, and each child would compile every module it imports (~0.2 s).
    """
    import sys

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "voiceguide")], check=True)
    return root


def environment(root: Path, **extra: str) -> dict[str, str]:
    """The environment for a child that imports voiceguide from ``root``."""
    return dict(os.environ, PYTHONPATH=str(root), **extra)


def load() -> str:
    """The load averages now (the machine is shared: figures are only comparable within a run)."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load unknown"
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"
