"""The order the suite is handed out in (tests/order.py): the costliest first, by measured costs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.order import COSTS_PATH, UNKNOWN_LIVE_SECONDS, costliest_first, costs_from_records, load_costs
from tests.schedule import LiveApart


def _order(items: list[tuple[str, bool]], costs: dict[str, float]) -> list[str]:
    ordered = costliest_first(items, nodeid=lambda item: item[0], live=lambda item: item[1], costs=costs)
    return [name for name, _ in ordered]


def test_live_tests_lead_the_longest_first_and_a_new_one_is_not_left_for_last() -> None:
    items = [("a.py::short", True), ("b.py::plain", False), ("a.py::long", True), ("c.py::new", True)]
    costs = {"a.py::short": 3.0, "a.py::long": 40.0}
    assert _order(items, costs) == ["a.py::long", "c.py::new", "a.py::short", "b.py::plain"]
    assert 3.0 < UNKNOWN_LIVE_SECONDS < 40.0


def test_other_modules_go_costliest_first_each_in_its_own_order() -> None:
    items = [("cheap.py::one", False), ("dear.py::setup", False), ("cheap.py::two", False),
             ("dear.py::cheap", False), ("unknown.py::x", False), ("dear.py::heavy", False)]
    costs = {"cheap.py::one": 1.0, "dear.py::heavy": 8.0, "dear.py::setup": 0.5}
    assert _order(items, costs) == ["dear.py::setup", "dear.py::cheap", "dear.py::heavy",
                                    "cheap.py::one", "cheap.py::two", "unknown.py::x"]


def test_costs_are_a_live_tests_wall_time_and_another_tests_cpu_seconds() -> None:
    records = [
        {"test": "l.py::play", "live": True, "wall": 20.04, "cpu": 0.1, "children": 3.0},
        {"test": "r.py::render", "live": False, "wall": 9.0, "cpu": 2.0, "children": 1.26},
        {"test": "q.py::quick", "live": False, "wall": 2.0, "cpu": 0.2, "children": 0.1},
    ]
    assert costs_from_records(records) == {"l.py::play": 20.0, "r.py::render": 3.3}


def test_a_missing_or_damaged_costs_file_keeps_the_collection_order(tmp_path: Path) -> None:
    assert load_costs(tmp_path / "none.json") == {}
    (tmp_path / "bad.json").write_text("{not json")
    assert load_costs(tmp_path / "bad.json") == {}
    (tmp_path / "list.json").write_text("[1, 2]")
    assert load_costs(tmp_path / "list.json") == {}


def test_the_shipped_costs_name_live_plays_of_tens_of_seconds() -> None:
    costs = load_costs(COSTS_PATH)
    assert max(costs.values()) > 20.0
    assert all(name.startswith("tests/test_") and "::" in name for name in costs)


class _Worker:
    """What ``LiveApart`` needs of pytest-xdist's worker: it is sent test indexes."""

    shutting_down = False

    def __init__(self) -> None:
        self.sent: list[int] = []

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent += indexes

    def shutdown(self) -> None:
        self.shutting_down = True


def _scheduler(pending: list[int], live: int, together: list[list[int]], workers: list[_Worker]) -> Any:
    scheduler: Any = LiveApart.__new__(LiveApart)  # no xdist config: only the hand-out is tested
    scheduler.pending, scheduler.live, scheduler.max_live = list(pending), live, 1
    scheduler.node2pending = {worker: [] for worker in workers}
    scheduler.group_of = {index: number for number, group in enumerate(together) for index in group}
    return scheduler


def test_a_modules_tests_that_share_a_fixture_go_to_one_worker_and_a_play_gets_a_quick_one_behind() -> None:
    first, second = _Worker(), _Worker()
    # 0: a live test; 1 and 5 share a module fixture (2 of their module does not); 3 and 4 are quick ones.
    scheduler = _scheduler(list(range(6)), 1, [[1, 5]], [first, second])
    scheduler._fill(first)
    assert first.sent == [0, 4]  # the play, and behind it the last test that goes alone, not the group
    scheduler._fill(second)
    assert second.sent == [1, 5]  # the group whole (its second test as the reserve): its fixture built once
    assert scheduler.pending == [2, 3]
