"""Warning floods: the first 20 of a kind, then one line with how many more (issue 8, item 12)."""

from __future__ import annotations

from pathlib import Path

from tests.cli_harness import run_cli
from voiceguide.errors import Diagnostic, Position
from voiceguide.summary import summarised


def warning(line: int, message: str) -> Diagnostic:
    return Diagnostic(Position("p.yaml", line, 1), "warning", message)


def test_after_the_first_20_of_a_kind_one_line_counts_the_rest() -> None:
    floods = [warning(n, f"the inhale cue \"Breathe in.\" at 0:{n:02d}.00 is dropped") for n in range(1, 60)]
    others = [warning(n, f"the count cue \"{n}\" is dropped") for n in range(1, 4)]
    items = list(summarised(floods[:10] + others + floods[10:]))
    assert items[:10] == floods[:10]
    assert items[10:13] == others
    assert items[13:23] == floods[10:20]
    assert items[23:] == ["… and 39 more like this"]


def test_exactly_20_of_a_kind_are_all_shown_without_a_count() -> None:
    floods = [warning(n, f"cue at 0:{n:02d} is dropped") for n in range(20)]
    assert list(summarised(floods)) == floods


def test_errors_and_warnings_are_different_kinds() -> None:
    items = [Diagnostic(Position("p.yaml", n, 1), severity, "same text")
             for n in range(25) for severity in ("error", "warning")]
    shown = list(summarised(items))
    assert shown.count("… and 5 more like this") == 2
    assert len(shown) == 42


FLOOD = """\
voiceguide: 1
title: Flood
steps:
  - press:
      hold: 10m
      cue_every: 2s
      breathe: {inhale: 1, exhale: 1}
"""


def test_check_summarises_a_flood_of_dropped_cue_warnings(tmp_path: Path) -> None:
    path = tmp_path / "flood.yaml"
    path.write_text(FLOOD, encoding="utf-8")
    result = run_cli("check", str(path))
    assert result.exit_status == 0
    warnings = [line for line in result.stderr_lines if ": warning: " in line and " is dropped" in line]
    counts = [line for line in result.stderr_lines if line.startswith("… and ")]
    # Time-left cues every 2 s find no room between breathing cues, which keep their instants: one kind of
    # warning (the dropped time-left cue), hundreds of them, summarised after 20.
    assert len(warnings) == 20
    assert len(counts) == 1
    assert all(line.endswith(" more like this") and int(line.split()[2].replace(",", "")) > 200 for line in counts)
