"""Suite-wide set-up: the speech cache is private to each test run.

Tests must not read clips a developer's earlier runs left in
``~/.cache/voiceguide`` (a stale or damaged cache would change what they
measure), nor fill it.  One cache for the whole run keeps real synthesis
shared between tests; tests that need an empty cache set their own
``VOICEGUIDE_CACHE_DIR``.  Subprocesses inherit the variable.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_run_cache: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _run_cache
    _run_cache = tempfile.mkdtemp(prefix="voiceguide-test-cache-")
    os.environ["VOICEGUIDE_CACHE_DIR"] = _run_cache


def pytest_unconfigure(config: pytest.Config) -> None:
    if _run_cache is not None:
        shutil.rmtree(_run_cache, ignore_errors=True)
