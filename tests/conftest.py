"""Suite-wide set-up and shared fixtures.

The speech cache is private to each test run.

Tests must not read clips a developer's earlier runs left in
``~/.cache/voiceguide`` (a stale or damaged cache would change what they
measure), nor fill it.  One cache for the whole run, shared by pytest-xdist's
workers, keeps real synthesis shared between tests (a clip is made once, not
once per worker; entries are written atomically, and the same text always
gives the same bytes, so two workers making one clip at once agree); tests
that need an empty cache set their own ``VOICEGUIDE_CACHE_DIR``.
Subprocesses inherit the variable.

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
from typing import Any

import pytest

from tests.live_cli import LiveCli
from tests.order import costliest_first, load_costs
from tests.pulse import PulseServer, start_pulse
from tests.schedule import LIVE_COUNT_VARIABLE, LiveApart, write_plan

_run_cache: str | None = None
_run_home: str | None = None


RUN_CACHE_VARIABLE = "VOICEGUIDE_TEST_RUN_CACHE"
"""Set by the run's first process: pytest-xdist's workers, started after it, share its speech cache."""

RUN_CACHE_MAX_MB = "4096"
"""The run's cache holds every shipped session's speech with both engines (about 450 MB): under the default
200 MB cap it evicted clips that later tests synthesized again.  Tests of the cap set their own."""


def pytest_configure(config: pytest.Config) -> None:
    global _run_cache, _run_home
    shared = os.environ.get(RUN_CACHE_VARIABLE) if os.environ.get("PYTEST_XDIST_WORKER") else None
    if shared:  # a worker: the controller made the cache and removes it at the end
        os.environ["VOICEGUIDE_CACHE_DIR"] = shared
    else:
        _run_cache = tempfile.mkdtemp(prefix="voiceguide-test-cache-")
        os.environ["VOICEGUIDE_CACHE_DIR"] = os.environ[RUN_CACHE_VARIABLE] = _run_cache
    os.environ["VOICEGUIDE_CACHE_MAX_MB"] = RUN_CACHE_MAX_MB
    _run_home = tempfile.mkdtemp(prefix="voiceguide-test-home-")
    if not shared:
        os.environ[LIVE_COUNT_VARIABLE] = os.path.join(_run_home, "live-tests")
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


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    """A private PulseAudio server with a speaker and a microphone that also hears it (the room's echo)."""
    with start_pulse(tmp_path_factory.mktemp("pulse-room"), microphone=True, echo=True) as server:
        yield server


@pytest.fixture(scope="module")
def live_module(pulse_server: PulseServer, tmp_path_factory: pytest.TempPathFactory,
                request: pytest.FixtureRequest) -> LiveCli:
    """The test module's ``SESSION`` in a folder with its own log and settings, played into the module's
    PulseAudio server (tests/live_cli.py)."""
    name = request.module.__name__.rpartition(".")[2]
    return LiveCli.make(pulse_server, tmp_path_factory.mktemp(name), request.module.SESSION)


@pytest.fixture
def live_cli(live_module: LiveCli) -> Iterator[LiveCli]:
    """``live_module`` for one test: the pseudo-terminals it starts are closed after it."""
    yield live_module
    live_module.close_terminals()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The costliest first (tests/order.py, from measured costs): the live tests, the longest first (they play
    # in real time, up to a minute, and mostly wait), then the other modules, the costliest first.  Six
    # workers (pyproject, on 2 cores: the plays leave the CPU idle) take tests in this order, a live test
    # with a quick one from the list's tail in reserve (tests/schedule.py), so the long ones start early and
    # the short ones fill the gaps, instead of a long test starting last and the run waiting for it.
    def live(item: pytest.Item) -> bool:
        return item.get_closest_marker("live") is not None

    items[:] = costliest_first(items, nodeid=lambda item: item.nodeid, live=live, costs=load_costs())
    count_file = os.environ.get(LIVE_COUNT_VARIABLE) if os.environ.get("PYTEST_XDIST_WORKER") else None
    if count_file:  # for the scheduler (tests/schedule.py): every worker collects, and writes, the same
        played = sum(1 for item in items if live(item))
        write_plan(count_file, played, _together(items, played))


def _together(items: list[pytest.Item], played: int) -> list[list[int]]:
    """For each module, the indexes of its tests past the live ones that use a module fixture (at least two)."""
    modules: dict[str, list[int]] = {}
    for index, item in enumerate(items[played:], start=played):
        info = getattr(item, "_fixtureinfo", None)
        definitions = getattr(info, "name2fixturedefs", {})
        if any(defs and defs[-1].scope == "module" for defs in definitions.values()):
            modules.setdefault(item.nodeid.split("::")[0], []).append(index)
    return [group for group in modules.values() if len(group) > 1]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist load`` with no live test waiting behind another on one worker (tests/schedule.py)."""
    if config.getvalue("dist") != "load":
        return None
    return LiveApart(config, log)


SHOWN_MARKERS = ("live", "engine")
"""Tests that run real audio or the real engine for seconds each: shown by name while they run."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    # A live test plays a session in real time (up to ~40 s) and would look hung as
    # one silent dot: report these, and only these, as `pytest -v` does (name, then result).
    shown = any(item.get_closest_marker(name) for name in SHOWN_MARKERS)
    verbose = item.config.option.verbose
    if not shown or verbose > 0:
        yield
        return
    item.config.option.verbose = 1
    try:
        yield
    finally:
        if nextitem is not None:  # the last item's line is closed by the final [100%] as it is
            item.config.option.verbose = verbose
            reporter = item.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.currentfspath = None  # the next dot starts a new line with its file's name


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # With workers (pytest-xdist), tests are reported when they end, to this process: name the
    # long ones as they finish (the hook above only works where a test runs), so progress shows.
    if report.when != "call" or not hasattr(report, "node"):
        return
    if not any(name in report.keywords for name in SHOWN_MARKERS):
        return
    reporter = _REPORTER.get("terminal")
    if reporter is not None and reporter.config.option.verbose <= 0:
        reporter.ensure_newline()
        reporter.write_line(f"{report.outcome} in {report.duration:.0f} s: {report.nodeid}")


_REPORTER: dict[str, Any] = {}


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _REPORTER["terminal"] = session.config.pluginmanager.get_plugin("terminalreporter")
