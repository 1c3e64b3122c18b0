"""Suite-wide set-up and shared fixtures.

The speech cache is private to each test run.

Tests must not read clips a developer's earlier runs left in
``~/.cache/voiceguide`` (a stale or damaged cache would change what they
measure), nor fill it.  One cache for the whole run keeps real synthesis
shared between tests; tests that need an empty cache set their own
``VOICEGUIDE_CACHE_DIR``.  Subprocesses inherit the variable.

Likewise the session log and the settings file: every ``play`` a test runs
logs into a folder of the run (``VOICEGUIDE_DATA_DIR``), never the
developer's own log, and no developer's settings change what a test sees
(``VOICEGUIDE_CONFIG_DIR``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from tests.pulse import PulseServer, start_pulse

_run_cache: str | None = None
_run_home: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _run_cache, _run_home
    _run_cache = tempfile.mkdtemp(prefix="voiceguide-test-cache-")
    os.environ["VOICEGUIDE_CACHE_DIR"] = _run_cache
    _run_home = tempfile.mkdtemp(prefix="voiceguide-test-home-")
    os.environ["VOICEGUIDE_DATA_DIR"] = os.path.join(_run_home, "data")
    os.environ["VOICEGUIDE_CONFIG_DIR"] = os.path.join(_run_home, "config")


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in (_run_cache, _run_home):
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def pulse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    """A private PulseAudio server with a null sink, shared by a test module."""
    with start_pulse(tmp_path_factory.mktemp("pulse")) as server:
        yield server
