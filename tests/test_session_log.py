"""The session log without sound: records, the crash-safe file, settings, the pain question, and ``log``."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tests.cli_harness import run_cli
from tests.fakes import WallClockOutput
from voiceguide.log.pain_points import pain_chart
from voiceguide.log.record import BadRecord, Record, format_record, parse_record
from voiceguide.log.recorder import SessionRecorder
from voiceguide.log.store import append_record, forget_log, log_path, read_log
from voiceguide.phrases import load_phrasebook
from voiceguide.play.ask import SILENCE_SECONDS, ask_pain, pain_phrases
from voiceguide.play.tracking import SessionTracking
from voiceguide.settings import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
ZONE = timezone(timedelta(hours=1))


def _record(day: int, *, before: int | None = 7, after: int | None = 3, session: str = "Sciatica relief",
            ended: str = "done") -> Record:
    return Record(started_at=datetime(2026, 11, day, 9, 30, tzinfo=ZONE), session=session, script="sciatica",
                  script_sha256="0" * 64, planned_seconds=812.4, played_seconds=812.4 if ended == "done" else 406.2,
                  completed=1.0 if ended == "done" else 0.5, ended=ended,  # type: ignore[arg-type]
                  pain_before=before, pain_after=after)


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VOICEGUIDE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


# -- records and the file --------------------------------------------------------


def test_a_record_is_one_ascii_line_and_reads_back_equal() -> None:
    record = _record(3, session="Ischias\u2028Übung \x1b[31m")
    line = format_record(record)
    assert line.endswith(b"\n") and line.count(b"\n") == 1 and line.isascii()
    assert parse_record(line) == record


def test_the_note_and_the_stop_point_read_back_and_older_records_have_none() -> None:
    record = dataclasses.replace(_record(3, ended="quit"), note="slept badly", script_path="/home/a/s.yaml",
                                 stopped_step="5.2", stopped_occurrence=2)
    assert parse_record(format_record(record)) == record
    older = json.loads(format_record(_record(3)))
    assert "note" not in older and parse_record(json.dumps(older).encode()).stopped_step is None
    older["stopped_occurrence"] = 0
    with pytest.raises(BadRecord):
        parse_record(json.dumps(older).encode())


@pytest.mark.parametrize("line", [
    b'{"v":1,"started_at":"2026-11-03T09:30:00+01:00","session":"x"',  # cut off
    b'{"v":1,"started_at":"2026-11-03T09:30:00","session":"x","script":"s","script_sha256":"0",'
    b'"planned_seconds":1,"played_seconds":1,"completed":1,"ended":"done","pain_before":null,"pain_after":null}',
    b"\x00\x00\x00", b"[]", b'{"v":2}',
])
def test_a_line_that_is_not_a_whole_valid_record_is_refused(line: bytes) -> None:
    with pytest.raises(BadRecord):
        parse_record(line)


def test_pain_outside_0_to_10_is_refused() -> None:
    data = json.loads(format_record(_record(3)))
    data["pain_after"] = 11
    with pytest.raises(BadRecord):
        parse_record(json.dumps(data).encode())


def test_the_log_lives_in_the_data_folder_and_is_private(log_dir: Path) -> None:
    assert log_path() == log_dir / "sessions.jsonl"
    append_record(_record(3))
    assert (log_path().stat().st_mode & 0o777) == 0o600
    assert read_log().records == (_record(3),)


def test_a_half_written_last_line_is_skipped_and_the_next_record_starts_a_new_line(log_dir: Path) -> None:
    append_record(_record(3))
    with open(log_path(), "ab") as file:  # what a writer killed mid-write (or a full disk) leaves
        file.write(format_record(_record(4))[:40])
    contents = read_log()
    assert contents.records == (_record(3),) and contents.damaged_lines == 1
    append_record(_record(5))
    contents = read_log()
    assert contents.records == (_record(3), _record(5)) and contents.damaged_lines == 1


def test_records_are_read_in_order_of_start(log_dir: Path) -> None:
    append_record(_record(5))
    append_record(_record(3))
    assert [r.started_at.day for r in read_log().records] == [3, 5]


_WRITER = textwrap.dedent("""\
    import sys
    from datetime import datetime, timezone
    from voiceguide.log.record import Record
    from voiceguide.log.store import append_record
    title = sys.argv[1] * 2000  # a long line: many pages per write
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        append_record(Record(datetime.now(timezone.utc), title, "s", "0" * 64, 1.0, 1.0, 1.0, "done", n % 11, None))
""")


def _wait_until_each_writer_has_appended(titles: tuple[str, ...], records: int) -> None:
    """Until the log holds ``records`` lines of each title: the writers are appending at once."""
    deadline = time.monotonic() + 60  # a guard against a hang, not a measurement
    while time.monotonic() < deadline:
        text = log_path().read_text(encoding="utf-8", errors="replace") if log_path().exists() else ""
        if all(text.count(f'"{title}"') >= records for title in titles):
            return
        time.sleep(0.01)
    raise AssertionError("the writers did not append")


def test_writers_killed_with_sigkill_while_they_write_leave_a_readable_log_with_no_interleaving(
        log_dir: Path) -> None:
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, name], cwd=ROOT, stdout=subprocess.PIPE, text=True)
               for name in "abc"]
    try:
        for writer in writers:
            assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
        # ten of each: the 30 records the assertion below asks for are all written before the kill
        _wait_until_each_writer_has_appended(("a" * 2000, "b" * 2000, "c" * 2000), records=10)
        for writer in writers:
            writer.send_signal(signal.SIGKILL)
    finally:
        for writer in writers:
            writer.kill()
            writer.wait()
            if writer.stdout is not None:
                writer.stdout.close()
    lines = log_path().read_bytes().split(b"\n")
    contents = read_log()
    complete = len([line for line in lines if line.strip()]) - contents.damaged_lines
    assert contents.damaged_lines <= 1  # at most the line a killed writer was in (Linux writes it whole)
    assert len(contents.records) == complete >= 30
    for record in contents.records:  # every record is one writer's, whole
        assert record.session in ("a" * 2000, "b" * 2000, "c" * 2000)
    print(f"\n{len(contents.records)} records from 3 writers killed mid-stream; "
          f"{contents.damaged_lines} damaged line(s)")


def test_the_recorder_writes_only_a_session_that_started(log_dir: Path) -> None:
    moments = iter([datetime(2026, 11, 3, 9, 30, tzinfo=ZONE)])
    recorder = SessionRecorder(session="S", script="s.yaml", script_sha256="0" * 64, now=lambda: next(moments))
    assert recorder.finish("quit", planned_seconds=10, played_seconds=0) is None
    assert not log_path().exists()
    recorder.start()
    recorder.pain_before = 6
    record = recorder.finish("quit", planned_seconds=10, played_seconds=4)
    assert record is not None and record.completed == pytest.approx(0.4) and record.pain_before == 6
    assert read_log().records == (record,)


# -- settings ------------------------------------------------------------------


def test_settings_default_when_there_is_no_file(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "config.toml") == Settings(log_enabled=True, ask_pain=False)


def test_settings_are_read_from_the_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_CONFIG_DIR", str(tmp_path))
    (tmp_path / "config.toml").write_text("[log]\nenabled = false\nask_pain = true\n")
    assert load_settings() == Settings(log_enabled=False, ask_pain=True)


@pytest.mark.parametrize(("text", "words"), [
    ("[log]\nenabeld = false\n", "unknown key log.enabeld"),
    ("[log]\nask_pain = 'yes'\n", "must be true or false"),
    ("[sound]\n", "unknown entry 'sound'"),
    ("[log\n", "not valid TOML"),
])
def test_bad_settings_are_one_sentence_naming_the_file(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert words in caught.value.message and str(path) in caught.value.message


# -- the pain question, with a fake output and scripted keys ----------------------------


def _ask(keys: list[str | None], silence_seconds: float = 5.0) -> tuple[int | None, list[str], WallClockOutput]:
    output = WallClockOutput()
    spoken: list[str] = []
    pending = list(keys)

    def speak(text: str) -> np.ndarray:
        spoken.append(text)
        return np.full(600, 0.5, dtype=np.float32)

    def read_key(timeout: float) -> str | None:
        time.sleep(0.005)
        return pending.pop(0) if pending else None

    phrases = pain_phrases(load_phrasebook())
    answer = ask_pain(phrases.before, phrases, output, speak, read_key, sample_rate=1000,
                      silence_seconds=silence_seconds)
    return answer, spoken, output


@pytest.mark.parametrize(("key", "answer", "reply"), [
    ("7", 7, "Seven. Thank you."), ("0", 0, "Zero. Thank you."), ("t", 10, "Ten. Thank you."),
    ("q", None, "No answer. That is fine."),
])
def test_a_key_answers_and_the_answer_is_confirmed_aloud(key: str, answer: int | None, reply: str) -> None:
    got, spoken, output = _ask([None, None, "x", key])  # a key that means nothing is ignored
    assert got == answer
    assert spoken == ["How strong is your pain right now, from zero to ten?", reply]
    assert output.queued == []  # the reply has been played out: the player can start on an idle output
    heard = np.concatenate(output.heard)
    assert np.count_nonzero(heard) == 1200  # the question (heard before the key), then the reply, whole


class _WaitingClock:
    """A clock that moves only while ``read_key`` waits for a key: the listener's silence, without the wait."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _ask_in_silence(keys_at: dict[float, str]) -> tuple[int | None, list[str], float]:
    """``ask_pain`` with its default silence, keys pressed at the clock's times; (answer, spoken, end time)."""
    output = WallClockOutput()
    clock = _WaitingClock()
    spoken: list[str] = []
    asked_at: list[float] = []

    def speak(text: str) -> np.ndarray:
        spoken.append(text)
        return np.full(600, 0.5, dtype=np.float32)

    def read_key(timeout: float) -> str | None:
        if output.position < 600:  # the question is still being said: the silence has not begun
            return None
        if not asked_at:
            asked_at.append(clock.now)
        clock.now += timeout
        due = [at for at in keys_at if clock.now - asked_at[0] >= at]
        return keys_at.pop(due[0]) if due else None

    phrases = pain_phrases(load_phrasebook())
    answer = ask_pain(phrases.before, phrases, output, speak, read_key, sample_rate=1000, clock=clock)
    return answer, spoken, clock.now - asked_at[0]


def test_silence_after_the_question_means_skipped_after_fifteen_seconds() -> None:
    got, spoken, waited = _ask_in_silence({})
    assert got is None and spoken[-1] == "No answer. That is fine."
    assert SILENCE_SECONDS == 15 and SILENCE_SECONDS <= waited < SILENCE_SECONDS + 0.1
    got, spoken, waited = _ask_in_silence({SILENCE_SECONDS - 0.1: "4"})  # just in time
    assert got == 4 and spoken[-1] == "Four. Thank you."


# -- the log command ---------------------------------------------------------------


def test_log_with_no_log_says_so(log_dir: Path) -> None:
    result = run_cli("log")
    assert result.exit_status == 0 and result.stdout == "No sessions in the log yet.\n"


def test_log_table_csv_and_since(log_dir: Path) -> None:
    quit_early = dataclasses.replace(_record(4, before=None, ended="quit", after=None), note="slept badly")
    for record in (_record(3), quit_early, _record(6, session="Breathe")):
        append_record(record)
    table = run_cli("log")
    assert table.exit_status == 0
    assert table.stdout_lines[0].startswith("Last 7 days: ")  # the summary line (tested below)
    assert table.stdout_lines[1].split() == ["STARTED", "SESSION", "PLAYED", "OF", "DONE", "ENDED", "PAIN",
                                             "BEFORE", "AFTER", "NOTE"]
    assert table.stdout_lines[3].split() == ["2026-11-04", "09:30", "Sciatica", "relief", "6:46", "13:32", "50%",
                                             "quit", "-", "-", "slept", "badly"]
    rows = run_cli("log", "--csv").stdout_lines
    assert rows[0] == ("started_at,session,script,script_sha256,planned_seconds,played_seconds,completed,ended,"
                       "pain_before,pain_after,note")
    assert rows[2] == (f"2026-11-04T09:30:00+01:00,Sciatica relief,sciatica,{'0' * 64},812.4,406.2,0.500,quit,,,"
                       "slept badly")
    since = run_cli("log", "--since", "2026-11-04", "--csv")
    assert [row.split(",")[1] for row in since.stdout_lines[1:]] == ["Sciatica relief", "Breathe"]


def test_log_summary_counts_the_last_7_and_30_days_and_averages_the_pain(log_dir: Path) -> None:
    now = datetime.now().astimezone()
    for days, before, after in ((1, 6, 2), (5, 8, None), (20, 5, 3), (40, 9, 9)):
        record = _record(3, before=before, after=after)
        append_record(dataclasses.replace(record, started_at=now - timedelta(days=days)))
    first = run_cli("log").stdout_lines[0]
    # 40 days ago is outside both; the averages are over the last 30 days: (6+8+5)/3 and (2+3)/2.
    assert first == ("Last 7 days: 2 sessions; last 30 days: 3 sessions, average pain 6.3 before and 2.5 after "
                     "(0 none, 10 worst).")


def test_log_text_chart(log_dir: Path) -> None:
    append_record(_record(3, before=7, after=3))
    append_record(_record(4, before=None, after=None))
    chart = run_cli("log", "--plot").stdout_lines
    assert len(chart) == 4  # scale, axis, one session (the one without answers is left out), legend
    track = chart[2][chart[1].index("|"):]
    assert track.index("*") == 6 and track.index("o") == 14 and chart[2].endswith("7 -> 3")


def test_forget_asks_on_a_terminal_and_refuses_without_one(log_dir: Path) -> None:
    append_record(_record(3))
    refused = run_cli("log", "--forget")  # stdin is not a terminal under pytest
    assert refused.exit_status == 1 and "--yes" in refused.stderr and log_path().exists()
    done = run_cli("log", "--forget", "--yes")
    assert done.exit_status == 0 and not log_path().exists()
    assert run_cli("log", "--forget", "--yes").stdout == "The session log is already empty.\n"


def test_forget_on_a_terminal_deletes_only_after_yes(log_dir: Path) -> None:
    append_record(_record(3))
    env = dict(os.environ, VOICEGUIDE_DATA_DIR=str(log_dir))
    for answer, kept in ((b"n\n", True), (b"y\n", False)):
        master, slave = os.openpty()
        try:
            process = subprocess.Popen([sys.executable, "-m", "voiceguide", "log", "--forget"], stdin=slave,
                                       stdout=slave, stderr=slave, env=env, cwd=ROOT)
            prompt = b""
            while b"[y/N]" not in prompt:
                prompt += os.read(master, 1024)
            assert b"1 session" in prompt
            os.write(master, answer)
            assert process.wait(timeout=30) == 0
        finally:
            os.close(master)
            os.close(slave)
        assert log_path().exists() == kept
    assert forget_log() is False


# -- the picture ---------------------------------------------------------------------


@pytest.fixture
def sample_log(log_dir: Path) -> Iterator[list[Record]]:
    records = [_record(3, before=7, after=3), _record(4, before=6, after=None), _record(5, before=None, after=None),
               _record(6, before=None, after=2, session="Evening breathing"), _record(8, before=5, after=5)]
    for record in records:
        append_record(record)
    yield records


def test_plot_png_has_the_expected_size_and_points(sample_log: list[Record], tmp_path: Path) -> None:
    from PIL import Image

    out = tmp_path / "pain.png"
    result = run_cli("log", "--plot", str(out))
    assert result.exit_status == 0, result.stderr
    assert result.stdout == f"wrote {out}: pain before and after for 4 sessions\n"
    with Image.open(out) as image:
        assert image.size == (900, 450)
        pixels = np.asarray(image.convert("RGB"))
        points = json.loads(image.text["voiceguide:points"])  # type: ignore[attr-defined]
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50  # drawn, not blank
    assert [y for _, y in points["before"]] == [7, 6, 5] and [y for _, y in points["after"]] == [3, 2, 5]
    # The after-markers' blue is really in the picture, and the before-markers' red.
    assert np.any(np.all(np.abs(pixels.astype(int) - [0x2E, 0x75, 0xB6]) < 8, axis=-1))
    assert np.any(np.all(np.abs(pixels.astype(int) - [0xC0, 0x50, 0x4D]) < 8, axis=-1))


def test_plot_svg_draws_one_marker_per_answer_and_names_the_sessions(
        sample_log: list[Record], tmp_path: Path) -> None:
    out = tmp_path / "pain.svg"
    assert run_cli("log", "--plot", str(out)).exit_status == 0
    tree = ET.parse(out)
    ns = "{http://www.w3.org/2000/svg}"
    groups = {g.get("id"): g for g in tree.iter(f"{ns}g") if g.get("id") in ("pain-before", "pain-after")}
    assert len(list(groups["pain-before"].iter(f"{ns}use"))) == 3
    assert len(list(groups["pain-after"].iter(f"{ns}use"))) == 3
    text = out.read_text()
    assert "Evening breathing" in text and "Sciatica relief" in text


def test_plot_refuses_other_formats_and_says_what_to_install_without_matplotlib(
        sample_log: list[Record], tmp_path: Path) -> None:
    wrong = run_cli("log", "--plot", str(tmp_path / "pain.jpg"))
    assert wrong.exit_status == 1 and ".png or .svg" in wrong.stderr
    blocked = "import sys; sys.modules['matplotlib'] = None; from voiceguide.cli import main; sys.exit(main())"
    done = subprocess.run([sys.executable, "-c", blocked, "log", "--plot", str(tmp_path / "pain.png")],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert re.search(r"pip install 'voiceguide\[plot\]'", done.stderr)
    assert not (tmp_path / "pain.png").exists()


def test_plot_of_one_session_spans_about_a_day_not_years() -> None:
    from matplotlib.dates import num2date

    from voiceguide.log.plot import MAX_POINTS, plot_pain

    low, high = plot_pain(pain_chart([_record(3)], MAX_POINTS)).axes[0].get_xlim()
    assert timedelta(hours=12) <= num2date(high) - num2date(low) <= timedelta(days=2)


def test_plot_of_years_draws_a_monthly_mean_and_no_names() -> None:
    from voiceguide.log.plot import MAX_POINTS, NAMED_SESSIONS, plot_pain

    start = datetime(2024, 1, 1, 8, tzinfo=ZONE)
    records = [dataclasses.replace(_record(3, before=6 + i % 2, after=2), started_at=start + timedelta(days=i))
               for i in range(800)]
    axes = plot_pain(pain_chart(records, MAX_POINTS)).axes[0]
    lines = {line.get_gid(): line for line in axes.get_lines()}
    assert len(lines["trend-before"].get_ydata()) in range(26, 29)  # about one mean per 30 days
    assert set(lines["trend-after"].get_ydata()) == {2}
    assert [text for text in axes.texts if "Sciatica" in text.get_text()] == []
    assert len(records) > NAMED_SESSIONS


# -- the player's side: SessionTracking with stand-ins for the program and player --------------


def _tracking(recorder: SessionRecorder | None, warnings: list[str]) -> SessionTracking:
    return SessionTracking(recorder, pain_phrases(load_phrasebook()), warnings.append, lambda: 99.0)


def _finished_player(heard_seconds: float, rate: int = 1000) -> SimpleNamespace:
    return SimpleNamespace(start_frame=0, transport=SimpleNamespace(heard_session_frames=round(heard_seconds * rate),
                                                                    skipped_frames=0))


def _program(length_frames: int | None) -> SimpleNamespace:
    return SimpleNamespace(snapshot=lambda: SimpleNamespace(length=length_frames))


def test_no_questions_without_a_terminal_to_answer_them() -> None:
    keys = SimpleNamespace(interactive=False, read=lambda timeout: None)
    tracking = _tracking(None, [])
    assert tracking.asker(keys, print, WallClockOutput(), lambda text: np.zeros(1), 1.0, 1000) is None


def test_the_ending_and_lengths_reach_the_record(log_dir: Path) -> None:
    recorder = SessionRecorder(session="S", script="s.yaml", script_sha256="0" * 64)
    tracking = _tracking(recorder, [])
    tracking.before(lambda question, before: 4)
    tracking.start()
    tracking.after(lambda question, before: 2, quit=False)
    tracking.finish(_program(10_000), _finished_player(9.5), 1000)  # type: ignore[arg-type]
    (record,) = read_log().records
    assert (record.ended, record.pain_before, record.pain_after) == ("done", 4, 2)
    assert (record.planned_seconds, record.played_seconds, record.completed) == (10.0, 9.5, 0.95)


def test_a_quit_is_not_asked_again_and_an_unfinished_layout_is_estimated(log_dir: Path) -> None:
    recorder = SessionRecorder(session="S", script="s.yaml", script_sha256="0" * 64)
    tracking = _tracking(recorder, [])
    asked: list[str] = []
    tracking.start()
    tracking.after(lambda question, before: asked.append(question) or 1, quit=True)
    tracking.finish(_program(None), _finished_player(33.0), 1000)  # type: ignore[arg-type]
    (record,) = read_log().records
    assert asked == [] and record.ended == "quit" and record.pain_after is None
    assert record.planned_seconds == 99.0 and record.completed == pytest.approx(1 / 3, abs=1e-4)  # stored to 4 places


def test_an_error_ends_as_error_and_an_unwritable_log_is_only_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("VOICEGUIDE_DATA_DIR", str(blocker))  # the log's folder cannot be made
    warnings: list[str] = []
    tracking = _tracking(SessionRecorder(session="S", script="s.yaml", script_sha256="0" * 64), warnings)
    tracking.start()
    tracking.finish(_program(1000), _finished_player(0.5), 1000)  # type: ignore[arg-type]
    assert len(warnings) == 1 and warnings[0].startswith("this session was not logged: The session log ")


def test_the_questions_follow_the_scripts_language_and_phrases() -> None:
    german = pain_phrases(load_phrasebook("de"))
    assert german.before == "Wie stark sind Ihre Schmerzen gerade, von null bis zehn?"
    assert german.answer_text(7) == "Sieben. Danke." and german.answer_text(10) == "Zehn. Danke."
    own = pain_phrases(load_phrasebook("en", {"pain_answer": "{n} out of ten, noted."}))
    assert own.answer_text(4) == "Four out of ten, noted."


def test_the_table_shows_the_last_20_and_says_where_the_rest_are(log_dir: Path) -> None:
    for day in range(1, 26):
        append_record(_record(day))
    lines = run_cli("log").stdout_lines
    assert len(lines) == 1 + 1 + 20 + 1 and lines[2].startswith("2026-11-06")  # summary, heading, 20 rows, more
    assert lines[-1] == "(the last 20 of 25 sessions; --since DATE or --csv shows more)"
    assert len(run_cli("log", "--csv").stdout_lines) == 1 + 25


# -- spoken answers (play --listen) -------------------------------------------------------


def test_a_number_said_alone_is_an_answer() -> None:
    phrases = pain_phrases(load_phrasebook("de"))
    for said, pain in (("Seven.", 7), ("7", 7), (" ten! ", 10), ("Zero", 0), ("sieben", 7), ("Zehn.", 10)):
        assert phrases.spoken_pain(said) == pain, said
    for said in ("I have seven", "eleven", "pause", ""):
        assert phrases.spoken_pain(said) is None, said


def test_a_spoken_number_answers_the_question() -> None:
    output = WallClockOutput()
    transcripts = [None, None, "pause", "Seven."]
    phrases = pain_phrases(load_phrasebook())
    answer = ask_pain(phrases.before, phrases, output, lambda text: np.full(60, 0.5, dtype=np.float32),
                      lambda timeout: time.sleep(0.002), sample_rate=1000, silence_seconds=5,
                      heard=lambda: transcripts.pop(0) if transcripts else None)
    assert answer == 7


def test_while_a_question_waits_what_is_heard_is_an_answer_else_a_command() -> None:
    from voiceguide.play.listen import Heard
    from voiceguide.play.tracking import VoiceRouter

    commands: list[str] = []
    router = VoiceRouter(commands.append)
    router.on_heard(Heard("Pause.", "pause", 1.0))
    with router.answering():
        router.on_heard(Heard("", None, 2.0, ignored="own sound"))
        router.on_heard(Heard("Seven.", None, 3.0))
        router.on_heard(Heard("Stop.", "stop", 4.0))
        assert router.take_answer() == "Seven."
    assert router.take_answer() is None  # "Stop." said during the question is forgotten, not obeyed later
    router.on_heard(Heard("Next.", "next", 5.0))
    assert commands == ["pause", "next"]
