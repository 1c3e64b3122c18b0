"""The order the suite's tests are handed out in: the costliest first, from measured costs.

pytest-xdist's workers take the tests in the order of the list (tests/schedule.py).
A test that starts last sets the run's end: a 30-s live play, or the 8 CPU s of
mypy, begun when the other workers have nothing left, keeps the run going alone
for that long.  So the list starts with the live tests (they play in real time
and at most a few play at once), the longest first, then the other modules, the
costliest first, each module's tests together and in their own order (they share
module fixtures).

The costs are measured, not guessed: ``tests/costs.json`` maps a test's id to
its real-time length in seconds (live tests, played alone) or its CPU seconds
(the others, set-up included), for every test that costs half a second or more.
Remake it after a run with ``tests/cpu_times.py``::

    .venv/bin/python -m pytest -p tests.cpu_times --cpu-times=cpu.jsonl
    .venv/bin/python -m tests.cpu_times cpu.jsonl --costs tests/costs.json

A test missing from the file (a new one) costs ``UNKNOWN_LIVE_SECONDS`` if it
is live, so that it still starts early, and nothing otherwise; a stale file only
makes the order less good, never a test wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

COSTS_PATH = Path(__file__).with_name("costs.json")

UNKNOWN_LIVE_SECONDS = 15.0
"""What a live test missing from the costs is taken to last (about the median of the measured ones)."""

MIN_COST_SECONDS = 0.5
"""Tests cheaper than this are left out of the costs file."""

T = TypeVar("T")


def load_costs(path: Path = COSTS_PATH) -> dict[str, float]:
    """The measured costs (none when the file is missing or damaged: the collection order stays)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(key): float(value) for key, value in data.items() if isinstance(value, int | float)}


def costliest_first(items: list[T], *, nodeid: Callable[[T], str], live: Callable[[T], bool],
                    costs: dict[str, float]) -> list[T]:
    """``items`` in the order to hand them out: the live tests, longest first, then the others' modules, the
    costliest first, each module's tests in their collection order.  Ties keep the collection order."""
    played = [item for item in items if live(item)]
    played.sort(key=lambda item: -costs.get(nodeid(item), UNKNOWN_LIVE_SECONDS))
    modules: dict[str, list[T]] = {}
    for item in items:
        if not live(item):
            modules.setdefault(nodeid(item).split("::")[0], []).append(item)
    blocks = sorted(modules.values(), key=lambda block: -sum(costs.get(nodeid(item), 0.0) for item in block))
    return played + [item for block in blocks for item in block]


def costs_from_records(records: list[dict[str, Any]]) -> dict[str, float]:
    """The costs file's content from ``tests/cpu_times.py``'s records: a live test's wall time, another test's CPU
    seconds (own and children's), rounded, for the tests that cost at least ``MIN_COST_SECONDS``."""
    costs: dict[str, float] = {}
    for record in records:
        cost = float(record["wall"] if record["live"] else record["cpu"] + record["children"])
        if cost >= MIN_COST_SECONDS:
            costs[str(record["test"])] = round(cost, 1)
    return dict(sorted(costs.items()))
