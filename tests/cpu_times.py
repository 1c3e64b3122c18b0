"""Per-test CPU seconds, for keeping the suite inside CI's budget (opt-in plugin).

Wall-clock times mean little on a loaded machine; CPU seconds do not change
with load.  Run::

    .venv/bin/python -m pytest -p tests.cpu_times --cpu-times=cpu.jsonl [ARGS]
    .venv/bin/python -m tests.cpu_times cpu.jsonl     # the table per module

and, to estimate CI's wall time, the live tests' real-time lengths (their
wall time when they are not starved of CPU, e.g. run with ``nice -n -10``)::

    .venv/bin/python -m pytest -m live -p tests.cpu_times --cpu-times=live.jsonl
    .venv/bin/python -m tests.cpu_times cpu.jsonl --live live.jsonl --workers 8

and ``--costs tests/costs.json`` writes the costs that order the suite (tests/order.py).

Each test's line holds the CPU (user + system) its worker process used around
the test, set-up and tear-down included (a module fixture's cost lands on the
first or last test that uses it), the CPU of the child processes it waited for
(subprocesses of the command line, PulseAudio servers, recorders), its wall
time, when it started (Unix time: the workers' timelines side by side) and whether it is
live (plays in real time) or uses the engine.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--cpu-times", metavar="PATH", default=None,
                     help="append each test's CPU seconds (JSON lines) to PATH")


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    path = item.config.getoption("--cpu-times")
    if not path:
        yield
        return
    own, children = _cpu()
    began = time.time()
    start = time.monotonic()
    yield
    wall = time.monotonic() - start
    own_after, children_after = _cpu()
    record = {
        "test": item.nodeid, "cpu": round(own_after - own, 3), "children": round(children_after - children, 3),
        "wall": round(wall, 3), "start": round(began, 3), "live": item.get_closest_marker("live") is not None,
        "engine": item.get_closest_marker("engine") is not None,
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
    }
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def table(path: Path, top: int = 15) -> str:
    """Per module: tests, CPU (own + children), wall of its live tests; the longest first."""
    modules: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        row = modules[record["test"].split("::")[0]]
        row[0] += 1
        row[1] += record["cpu"]
        row[2] += record["children"]
        row[3] += record["wall"] if record["live"] else 0.0
    rows = sorted(modules.items(), key=lambda kv: -(kv[1][1] + kv[1][2]))
    total = sum(r[1] + r[2] for _, r in rows)
    lines = [f"{'module':40} {'tests':>5} {'cpu s':>7} {'child s':>7} {'total':>7} {'live wall':>9}"]
    for name, (count, cpu, child, live) in rows[:top]:
        lines.append(f"{name:40} {count:5d} {cpu:7.1f} {child:7.1f} {cpu + child:7.1f} {live:9.1f}")
    lines.append(f"{'all ' + str(len(rows)) + ' modules':40} {sum(int(r[0]) for _, r in rows):5d} "
                 f"{sum(r[1] for _, r in rows):7.1f} {sum(r[2] for _, r in rows):7.1f} {total:7.1f}")
    return "\n".join(lines)


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


BURNERS = ("test_every_cue_is_on_time_around_a_pause_while_two_processes_burn_the_cpu", 0.0, 25.0)
"""The live test that runs two burners for its play (~25 s), and the cores they demand beside the suite: none, since
they spin only while the machine has no more runnable tasks than cores + 1 without them (tests/test_live.py's
``BURNER``; it was two cores' demand when they spun all the time)."""


def estimate_wall(records: list[dict[str, Any]], live: dict[str, float], order: list[str], *, workers: int,
                  live_apart: bool = True, max_live: int | None = None, cores: float = 2.0,
                  start_cpu_per_process: float = 3.0) -> float:
    """CI's wall time, simulated: ``workers`` take tests one at a time in ``order`` on ``cores``.

    A test needs its measured CPU seconds; a live test also lasts at least its
    real-time length and spreads its CPU over it.  Running tests share the cores
    fairly (each wants at most one).  Each worker holds one test behind the one it
    runs, as pytest-xdist's workers do; ``live_apart``: as tests/schedule.py hands
    them out.  Start-up: the controller and every worker
    collect the suite (``start_cpu_per_process`` CPU seconds each) before the first test.
    """
    by_name = {record["test"]: record for record in records}
    queue: list[list[Any]] = []
    for name in order:
        record = by_name.get(name)
        if record is None:
            continue
        extra = BURNERS[1] if BURNERS[0] in name else 0.0
        floor = max(live.get(name, 0.0), BURNERS[2] if extra else 0.0) if record["live"] else 0.0
        queue.append([record["cpu"] + record["children"], floor, extra, 0.0, bool(record["live"])])
    # A worker always holds the next test behind the one it runs (it needs it before it runs one, for the
    # fixtures' tear-down).  xdist's own `--dist load` takes it from the head of the list; conftest's
    # scheduler (tests/schedule.py, ``live_apart``) takes it from the tail behind a live test.
    step, clock = 0.05, (workers + 1) * start_cpu_per_process / cores

    def take(running: list[Any] | None, playing: int) -> list[Any]:
        position = 0
        if live_apart and queue[0][4]:
            if running is not None and running[4]:
                position = -1
            elif playing >= (workers - 3 if max_live is None else max_live):
                position = next((i for i, job in enumerate(queue) if not job[4]), -1)
        return queue.pop(position)

    def plays(held: list[list[list[Any]]]) -> int:
        return sum(1 for jobs in held if any(job[4] for job in jobs))

    held: list[list[list[Any]]] = []
    for _ in range(workers):
        if len(queue) >= 2:
            first = take(None, plays(held))
            held.append([first])
            held[-1].append(take(first, plays(held)))
    while queue or any(held):
        running = [jobs[0] for jobs in held if jobs]
        demands = []
        for cpu, floor, extra, elapsed, _ in running:
            wanted = 0.0 if cpu <= 0 else 1.0 if elapsed >= floor else min(1.0, cpu / max(floor - elapsed, step))
            demands.append((wanted, extra if elapsed < floor else 0.0))
        total = sum(wanted + extra for wanted, extra in demands)
        share = min(1.0, cores / total) if total else 1.0
        for job, (wanted, _) in zip(running, demands, strict=True):
            job[0] -= wanted * share * step
            job[3] += step
        for jobs in held:
            if jobs and jobs[0][0] <= 0 and jobs[0][3] >= jobs[0][1]:
                jobs.pop(0)
                if queue:
                    jobs.append(take(jobs[0] if jobs else None, plays(held)))
        clock += step
    return clock


def main(argv: list[str]) -> None:
    import argparse
    import subprocess

    parser = argparse.ArgumentParser(prog="python -m tests.cpu_times")
    parser.add_argument("path", type=Path)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--live", type=Path, help="the live tests' lines, measured without CPU starvation")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--costs", type=Path, help="write the costs that order the suite (tests/order.py) here")
    options = parser.parse_args(argv)
    print(table(options.path, options.top))
    if options.costs:
        from tests.order import costs_from_records

        costs = costs_from_records(_records(options.path))
        options.costs.write_text(json.dumps(costs, indent=0, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{len(costs)} tests' costs written to {options.costs}")
    if options.live:
        live = {record["test"]: record["wall"] for record in _records(options.live) if record["live"]}
        listed = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0"],
                                capture_output=True, text=True, check=False).stdout
        order = [line for line in listed.splitlines() if "::" in line]
        records = _records(options.path)
        wall = estimate_wall(records, live, order, workers=options.workers)
        print(f"estimated CI wall time with {options.workers} workers on 2 cores: {wall:.0f} s "
              f"(live real-time {sum(live.values()):.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
