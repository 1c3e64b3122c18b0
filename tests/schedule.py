"""How pytest-xdist hands out the tests: a live test never waits behind another.

An xdist worker needs the test after the one it runs before it runs it (for
the fixtures' tear-down), so it always holds one test in reserve; with
``--dist load`` that reserve is simply the next test of the list.  The list
starts with the live tests (conftest.py sorts them first), which play in real
time for up to ~90 s each and leave the CPU idle, so a live test often waited
in reserve behind another while the CPU had nothing to do (the two
voice-command plays, next to each other in their module, took three minutes on
one worker).

``LiveApart`` keeps xdist's order, except that a worker running a live test
gets its reserve from the tail of the list (a plain test of milliseconds)
instead of the next test (another play, which goes to the next worker that frees up),
and no more than all workers but three play at once: the others run the
CPU-bound tests meanwhile, and fewer plays at once compete for the cores (eight
plays at once, two of them transcribing with Whisper, made timing tests fail).
Past the live tests it is xdist's ``--dist load``, except that the tests of a
module that share a module fixture (a render, a loaded model, a built wheel) go
to one worker together, when it takes the first of them: handed out one by one,
each worker that ran one built the fixture again (the costliest modules lead the
list, so at the start every free worker took one of the same module's tests:
one module's fixture was built five times).  How many live tests lead the list,
and which tests go together, the workers write at collection (conftest.py),
since the scheduler sees only the tests' names.
"""

from __future__ import annotations

import json
import os
from typing import Any

from xdist.scheduler import LoadScheduling
from xdist.workermanage import WorkerController

LEFT_FOR_CPU = 3
"""Workers kept off live tests while others play, for the CPU-bound tests (CI has 2 cores)."""

LIVE_COUNT_VARIABLE = "VOICEGUIDE_TEST_LIVE_COUNT"
"""A file of the run's first process where the workers write how many live tests lead the list, and which
tests go to one worker together (JSON: ``{"live": N, "together": [[index, ...], ...]}``)."""


def write_plan(path: str, live: int, together: list[list[int]]) -> None:
    """Write the file ``LIVE_COUNT_VARIABLE`` names (every worker writes the same: the last one wins)."""
    partial = f"{path}.{os.getpid()}"
    with open(partial, "w", encoding="utf-8") as out:
        json.dump({"live": live, "together": together}, out)
    os.replace(partial, path)


def _read_plan() -> tuple[int, list[list[int]]]:
    path = os.environ.get(LIVE_COUNT_VARIABLE)
    try:
        with open(path or "", encoding="utf-8") as file:
            plan = json.load(file)
        return int(plan["live"]), [[int(index) for index in group] for group in plan["together"]]
    except (OSError, ValueError, KeyError, TypeError):
        return 0, []  # unknown: xdist's own order


class LiveApart(LoadScheduling):
    """``--dist load``, with a quick test rather than another live one in reserve behind a live test,
    and at most ``max_live`` workers on live tests at once (the others keep the CPU busy)."""

    def __init__(self, config: Any, log: Any = None) -> None:
        super().__init__(config, log)
        self.live = 0
        self.max_live = 1  # set once the workers are known
        self.group_of: dict[int, int] = {}  # test index -> its group (tests/conftest.py); the others go alone

    def _live_workers(self) -> int:
        return sum(1 for held in self.node2pending.values() if any(index < self.live for index in held))

    def _fill(self, node: WorkerController) -> None:
        """Give ``node`` a test to run and one in reserve, as far as the list goes."""
        held = self.node2pending[node]
        while self.pending and len(held) < 2:
            if held and held[0] < self.live:
                # behind a live test: a quick one, not another play nor a group that other workers could start
                position = self._quick_from_the_tail()
            elif self.pending[0] >= self.live:
                position = 0  # past the live tests: xdist's order
            elif self._live_workers() >= max(1, self.max_live):
                # enough plays at once: the first test past the live ones (the tail if there is none)
                position = next((i for i, index in enumerate(self.pending) if index >= self.live), -1)
            else:
                position = 0
            index = self.pending.pop(position)
            indexes = [index]
            group = self.group_of.get(index)
            if group is not None:  # the rest of its group along with it, in the list's order
                indexes += [other for other in self.pending if self.group_of.get(other) == group]
                self.pending[:] = [other for other in self.pending if self.group_of.get(other) != group]
            held.extend(indexes)
            node.send_runtest_some(indexes)

    def _quick_from_the_tail(self) -> int:
        """The position of the last pending test that goes alone (a quick one), else the last."""
        for position in range(len(self.pending) - 1, -1, -1):
            if self.pending[position] not in self.group_of:
                return position
        return -1

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.collection is None:
            if not self._check_nodes_have_same_collection():
                self.log("**Different tests collected, aborting run**")
                return
            self.collection = next(iter(self.node2collection.values()))
            self.pending[:] = range(len(self.collection))
            self.live, together = _read_plan()
            self.group_of = {index: number for number, group in enumerate(together) for index in group}
            self.max_live = len(self.nodes) - LEFT_FOR_CPU
        for node in self.nodes:
            self.check_schedule(node)

    def check_schedule(self, node: WorkerController, duration: float = 0) -> None:
        if node.shutting_down:
            return
        if self.pending:
            self._fill(node)
        if not self.pending:
            node.shutdown()
