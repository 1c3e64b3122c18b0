"""Suite-wide set-up and shared fixtures.

The speech cache is private to each test run.

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
from collections.abc import Iterator

import pytest

from tests.pulse import PulseServer, start_pulse

_run_cache: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _run_cache
    _run_cache = tempfile.mkdtemp(prefix="voiceguide-test-cache-")
    os.environ["VOICEGUIDE_CACHE_DIR"] = _run_cache


def pytest_unconfigure(config: pytest.Config) -> None:
    if _run_cache is not None:
        shutil.rmtree(_run_cache, ignore_errors=True)


@pytest.fixture(scope="module")
def pulse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    """A private PulseAudio server with a null sink, shared by a test module."""
    with start_pulse(tmp_path_factory.mktemp("pulse")) as server:
        yield server
