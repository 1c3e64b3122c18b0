"""The session log read back safely: each record validated, only the tail read, CSV streamed and safe.

Damaged records (NaN, a 400-digit number, 100,000 nested brackets, a year-1
date, 1e308, a title of megabytes) are skipped and counted, never a
traceback; hypothesis writes arbitrary lines and records.  The table reads the
log backwards from its end; the CSV and the charts stream it; a chart of a
long log is drawn as means per day, week, month or year.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli_harness import run_cli
from voiceguide.log.lines import backward_lines, forward_lines
from voiceguide.log.pain_points import pain_chart
from voiceguide.log.record import FIELDS, MAX_LINE_BYTES, BadRecord, Record, format_record, parse_record
from voiceguide.log.store import append_record, read_last, read_log
from voiceguide.log.tables import csv_safe

ZONE = timezone(timedelta(hours=1))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def record(minute: int, *, session: str = "Sciatica relief", script: str = "sciatica",
           before: int | None = 6, after: int | None = 3) -> Record:
    return Record(started_at=datetime(2026, 11, 3, 9, 0, tzinfo=ZONE) + timedelta(minutes=minute), session=session,
                  script=script, script_sha256="0" * 64, planned_seconds=600.0, played_seconds=600.0,
                  completed=1.0, ended="done", pain_before=before, pain_after=after)


def line_with(**changes: object) -> bytes:
    data = json.loads(format_record(record(0)))
    data.update(changes)
    return json.dumps(data).encode()


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VOICEGUIDE_DATA_DIR", str(tmp_path))
    return tmp_path


DAMAGED = {
    "NaN": line_with(planned_seconds=0).replace(b'"planned_seconds": 0', b'"planned_seconds": NaN'),
    "Infinity": line_with(played_seconds=0).replace(b'"played_seconds": 0', b'"played_seconds": Infinity'),
    "a 400-digit number": line_with(planned_seconds=10**399),
    "1e308": line_with(played_seconds=1e308),
    "1e400": line_with(planned_seconds=0).replace(b'"planned_seconds": 0', b'"planned_seconds": 1e400'),
    "nesting": line_with(session="x").replace(b'"x"', b"[" * 100_000 + b"]" * 100_000)[:MAX_LINE_BYTES - 10],
    "deep nesting under the line limit": line_with(session="x").replace(b'"x"', b"[" * 20_000 + b"]" * 20_000),
    "a year-1 date": line_with(started_at="0001-01-01T00:00:00+05:00"),
    "a year-9999 date": line_with(started_at="9999-12-31T23:59:59-05:00"),
    "a title of megabytes": line_with(session="x" * 2_000_000),
    "a pain of true": line_with(pain_before=True),
    "a completion over 1": line_with(completed=1.5),
}


@pytest.mark.parametrize("name", list(DAMAGED))
def test_a_damaged_record_is_refused_as_bad_record(name: str) -> None:
    with pytest.raises(BadRecord):
        parse_record(DAMAGED[name])


def test_every_command_of_the_log_skips_damaged_records_and_says_how_many(log_dir: Path) -> None:
    with open(log_dir / "sessions.jsonl", "wb") as file:
        file.write(format_record(record(0)))
        for line in DAMAGED.values():
            file.write(line + b"\n")
        file.write(format_record(record(5, session="=HYPERLINK(\"http://x\")")))
    for args in (("log",), ("log", "--since", "2026-11-01"), ("log", "--csv"), ("log", "--plot")):
        result = run_cli(*args)
        assert result.exit_status == 0, args
        assert result.stderr == (f"voiceguide: note: {len(DAMAGED)} damaged line(s) in {log_dir / 'sessions.jsonl'} "
                                 "were skipped (a session cut off while it was being written, or an edit)\n"), args
    rows = list(csv.reader(io.StringIO(run_cli("log", "--csv").stdout)))
    assert [row[1] for row in rows[1:]] == ["Sciatica relief", "'=HYPERLINK(\"http://x\")"]
    assert max(len(line) for line in run_cli("log").stdout_lines) < 120  # 1e308 or a long title: no wide columns


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_a_csv_cell_that_would_start_a_formula_starts_with_a_quote(cell: str) -> None:
    assert csv_safe(cell) == "'" + cell
    assert csv_safe("Calm =1") == "Calm =1"


def test_a_logged_script_path_that_is_not_utf8_does_not_break_the_csv(log_dir: Path) -> None:
    append_record(record(0, script=os.fsdecode(b"/home/x/caf\xe9.yaml")))
    result = run_cli("log", "--csv")
    assert result.exit_status == 0 and "caf\\xe9.yaml" in result.stdout_lines[1]


def test_the_fields_table_is_the_record_and_its_csv_columns() -> None:
    assert [field.name for field in FIELDS] == list(Record.__dataclass_fields__)
    assert all({"check", "to_json", "to_csv", "text"} <= set(field.metadata) for field in FIELDS)
    # A field with a default may be missing from older records: pain is optional.
    data = json.loads(format_record(record(0)))
    del data["pain_before"]
    assert parse_record(json.dumps(data).encode()).pain_before is None


# -- reading in pieces ----------------------------------------------------------------------


def test_lines_are_the_same_forwards_and_backwards_and_overlong_lines_are_never_held(tmp_path: Path) -> None:
    path = tmp_path / "lines"
    lines = [b"a" * n for n in (1, 5, MAX_LINE_BYTES + 1, 3, 2 * 1024 * 1024, 7)]
    path.write_bytes(b"\n".join(lines) + b"\npartial")
    descriptor = os.open(path, os.O_RDONLY)
    try:
        forward = list(forward_lines(descriptor))
        backward = list(backward_lines(descriptor))
    finally:
        os.close(descriptor)
    assert forward == backward[::-1]
    assert [len(line) for line in forward] == [1, 5, 9, 3, 9, 7, 7]  # the overlong ones are a 9-byte marker


def test_the_table_reads_only_the_end_of_a_long_log(log_dir: Path) -> None:
    path = log_dir / "sessions.jsonl"
    with open(path, "wb") as file:
        file.write(b"garbage that is never read\n")
        file.write(b"".join(format_record(record(minute)) for minute in range(0, 60 * 24 * 30, 30)))
    contents = read_last(20)
    assert len(contents.records) == 20 and contents.damaged_lines == 0 and not contents.exact
    # The total is the log's line count: the damaged first line, never read, counts as a session.
    assert contents.total == 1441 and contents.records[-1].started_at == record(60 * 24 * 30 - 30).started_at
    assert run_cli("log").stdout_lines[-1] == "(the last 20 of 1441 sessions; --since DATE or --csv shows more)"


def test_records_written_out_of_order_come_back_in_order_of_start(log_dir: Path) -> None:
    for minute in (0, 90, 30, 60, 200, 120):  # two players ended in the other order
        append_record(record(minute))
    assert [r.started_at.minute for r in read_log().records] == [0, 30, 0, 30, 0, 20]
    assert [r.started_at for r in read_last(3).records] == [record(m).started_at for m in (90, 120, 200)]


def test_a_chart_of_many_sessions_is_a_chart_of_means_per_period() -> None:
    many = [record(minute, before=8 if minute // 180 % 2 else 6, after=2) for minute in range(0, 60 * 24 * 500, 180)]
    chart = pain_chart(iter(many), 400)
    assert chart.period == "week" and chart.sessions == len(many) and len(chart.points) <= 400
    assert chart.points[1].pain_before == pytest.approx(7.0) and chart.points[1].pain_after == 2.0
    assert pain_chart(iter(many[:30]), 400).period is None


def test_the_text_chart_of_a_long_log_has_a_line_per_period(log_dir: Path) -> None:
    with open(log_dir / "sessions.jsonl", "wb") as file:
        file.write(b"".join(format_record(record(minute)) for minute in range(0, 60 * 24 * 365, 240)))
    lines = run_cli("log", "--plot").stdout_lines
    assert lines[0] == "Mean pain per week (2190 sessions with an answer):" and len(lines) <= 64


# -- properties -----------------------------------------------------------------------------

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=3),
                           max_leaves=10)


@SETTINGS
@given(changes=st.dictionaries(st.sampled_from([f.name for f in FIELDS] + ["v", "x"]), json_values, max_size=4))
def test_any_change_to_a_record_parses_or_is_bad_record(changes: dict[str, object]) -> None:
    data = json.loads(format_record(record(0)))
    data.update(changes)
    line = json.dumps(data, allow_nan=True).encode()
    try:
        parsed = parse_record(line)
    except BadRecord:
        return
    assert format_record(parsed).endswith(b"\n")  # what is read can be written back


@SETTINGS
@given(line=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_line_parses_or_is_bad_record(line: bytes) -> None:
    with contextlib.suppress(BadRecord):
        parse_record(line)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.binary(max_size=200) | st.sampled_from(list(DAMAGED.values())), max_size=12),
       titles=st.lists(st.text(max_size=50), max_size=4))
def test_any_log_is_shown_by_every_command_without_traceback(log_dir: Path, lines: list[bytes],
                                                             titles: list[str]) -> None:
    with open(log_dir / "sessions.jsonl", "wb") as file:
        for line in lines:
            file.write(line.replace(b"\n", b" ") + b"\n")
        for minute, title in enumerate(titles):
            file.write(format_record(record(minute, session=title or "x")))
    for args in (("log",), ("log", "--csv"), ("log", "--plot"), ("log", "--since", "2026-11-03")):
        result = run_cli(*args)
        assert result.exit_status == 0 and "Traceback" not in result.stderr, args
        for cell in (row[1] for row in csv.reader(io.StringIO(run_cli("log", "--csv").stdout)) if len(row) > 1):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_csv_of_a_long_log_streams(log_dir: Path) -> None:
    """Many records go out in pieces (a generator), never built as one string."""
    with open(log_dir / "sessions.jsonl", "wb") as file:
        file.write(b"".join(format_record(record(minute)) for minute in range(0, 5000)))
    from voiceguide.log import views
    from voiceguide.log.store import Damage

    pieces: Iterator[str] = views.csv_text(None, Damage())
    first = next(pieces)
    assert first.startswith("started_at,") and sum(1 for _ in pieces) >= 5
