"""How pytest-xdist hands out the tests: the long ones never queue behind each other.

An xdist worker needs the test after the one it runs before it runs it (for
the fixtures' tear-down), so it always holds one test in reserve; with
``--dist load`` that reserve is simply the next test of the list.  The list
starts with the live tests (conftest.py sorts them first), which play in real
time for up to ~90 s each, so a live test often waited in reserve behind another
for a minute and a half while the CPU idled (the two voice-command plays, next
to each other in their module, took three minutes on one worker).

``HeadAndTail`` keeps the order but fills the reserve from the other end: while
a worker runs a test from the head of the list (the long ones), its reserve is
the last test of the list (a plain one of milliseconds); while it runs one of
those, its reserve is the next test from the head.  So every long test starts as
soon as a worker is free, and the two ends meet in the middle.
"""

from __future__ import annotations

from xdist.scheduler import LoadScheduling
from xdist.workermanage import WorkerController


class HeadAndTail(LoadScheduling):
    """``--dist load``, each worker's reserve taken from the other end of the list."""

    def __init__(self, config: object, log: object = None) -> None:
        super().__init__(config, log)  # type: ignore[arg-type]
        self.from_head: set[int] = set()

    def _take(self, node: WorkerController, *, head: bool) -> None:
        index = self.pending.pop(0 if head else -1)
        if head:
            self.from_head.add(index)
        self.node2pending[node].append(index)
        node.send_runtest_some([index])

    def _fill(self, node: WorkerController) -> None:
        """Give ``node`` a test to run and one in reserve, as far as the list goes."""
        held = self.node2pending[node]
        while self.pending and len(held) < 2:
            running_from_head = bool(held) and held[0] in self.from_head
            self._take(node, head=not running_from_head)

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.collection is None:
            if not self._check_nodes_have_same_collection():
                self.log("**Different tests collected, aborting run**")
                return
            self.collection = next(iter(self.node2collection.values()))
            self.pending[:] = range(len(self.collection))
        for node in self.nodes:
            self.check_schedule(node)

    def check_schedule(self, node: WorkerController, duration: float = 0) -> None:
        if node.shutting_down:
            return
        if self.pending:
            self._fill(node)
        if not self.pending:
            node.shutdown()
