"""The session log with the real player: keys typed into a pseudo-terminal, sound into a null sink.

Three plays of a short session, at once: pain 7 before and 3 after; a question
skipped with ``q`` and ten (``t``) after (skipping by 15 s of silence is tested
with a clock in test_session_log); ``q`` half way.  The log must then hold exactly
those three records, ``log --csv`` must print them, a ``--no-log`` play must
add nothing, and a player killed with SIGKILL must leave the log readable.
"""

from __future__ import annotations

import hashlib
import json
import signal
import threading
import time
from collections.abc import Callable

import pytest

from tests.live_cli import LiveCli

pytestmark = pytest.mark.live

SESSION = """\
voiceguide: 1
title: Log test
steps:
  - say: One.
    pause: 1s
  - say: Two.
    pause: 1.5s
  - say: Three.
"""
QUESTION = "How strong is your pain right now, from zero to ten?"
QUESTION_AFTER = "And now, after the session, how strong is your pain, from zero to ten?"
SAFETY = "If the pain is sharp or spreading, stop the exercises."
"""The start of the safety sentence after a pain that rose (or 8 and above)."""


@pytest.fixture(scope="module")
def planned_seconds(live_module: LiveCli) -> float:
    """The session's length from its plan (this also fills the speech cache)."""
    done = live_module.run("plan", live_module.script, "--json")
    assert done.returncode == 0, done.stderr
    return float(json.loads(done.stdout)["duration"])


def _at_once(*plays: Callable[[], None]) -> None:
    """Run the plays side by side, each on its own thread; the first failure is raised here."""
    failures: list[BaseException] = []

    def run(play: Callable[[], None]) -> None:
        try:
            play()
        except BaseException as error:  # reported on the test's thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(play,)) for play in plays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if failures:
        raise failures[0]


def test_three_plays_leave_exactly_their_records(live_cli: LiveCli, planned_seconds: float) -> None:
    # The three plays run at once (as three players on one machine would): each record must still
    # land whole, and only once, in the one log.
    make = live_cli.terminal
    script = live_cli.script
    workdir = live_cli.folder
    started = time.monotonic()

    def seven_before_three_after() -> None:
        term = make("play", script, "--plain", "--ask-pain")
        term.wait_for(QUESTION)
        term.press(b"7")
        term.wait_for("Pain: 7.")
        term.wait_for("Three.")
        term.wait_for(QUESTION_AFTER)
        term.press(b"3")
        term.wait_for("Pain: 3.")
        assert term.finish() == 0, term.text
        assert SAFETY not in term.text  # the pain went down

    def skipped_then_ten() -> None:
        term = make("play", script, "--plain", "--ask-pain")
        term.wait_for(QUESTION)
        term.press(b"q")
        term.wait_for("Pain: skipped.")
        term.wait_for(QUESTION_AFTER)
        term.press(b"t")
        term.wait_for("Pain: 10.")
        term.wait_for(SAFETY)  # ten: spoken and shown after the answer
        assert term.finish() == 0, term.text

    def quit_half_way() -> None:  # no questions: none were asked for
        term = make("play", script, "--plain")
        term.wait_for("Two.")
        time.sleep(0.3)
        term.press(b"q")
        assert term.finish() == 0, term.text
        assert QUESTION not in term.text and QUESTION_AFTER not in term.text

    _at_once(seven_before_three_after, skipped_then_ten, quit_half_way)

    # --no-log adds nothing, and neither does the settings file's switch.
    done = live_cli.run("play", script, "--plain", "--no-log", "--from", "3", timeout=60)
    assert done.returncode == 0, done.stderr
    (workdir / "config").mkdir(exist_ok=True)
    (workdir / "config" / "config.toml").write_text("[log]\nenabled = false\n")
    try:
        done = live_cli.run("play", script, "--plain", "--from", "3", timeout=60)
    finally:
        (workdir / "config" / "config.toml").unlink()
    assert done.returncode == 0, done.stderr

    rows = live_cli.log_rows()
    assert sorted((r["ended"], r["pain_before"], r["pain_after"]) for r in rows) == [
        ("done", "", "10"), ("done", "7", "3"), ("quit", "", "")]
    digest = hashlib.sha256((workdir / "session.yaml").read_bytes()).hexdigest()
    for row in rows:
        assert row["session"] == "Log test" and row["script"] == script and row["script_sha256"] == digest
        assert abs(float(row["planned_seconds"]) - planned_seconds) < 0.1
    for row in rows:
        if row["ended"] == "done":
            assert abs(float(row["played_seconds"]) - planned_seconds) < 0.2, row
            assert float(row["completed"]) > 0.97
        else:
            assert 0.25 < float(row["completed"]) < 0.8, row
    print(f"\nthree plays at once, then two, in {time.monotonic() - started:.1f} s; planned {planned_seconds:.2f} s; "
          f"played {[r['played_seconds'] for r in rows]}; completed {[r['completed'] for r in rows]}")

    # Played from step 3 to its end: planned is that part, so DONE reads 100 %.
    done = live_cli.run("play", script, "--plain", "--from", "3", timeout=60)
    assert done.returncode == 0, done.stderr
    (from_three,) = [r for r in live_cli.log_rows() if r not in rows]
    assert from_three["ended"] == "done" and float(from_three["planned_seconds"]) < planned_seconds - 2
    assert float(from_three["completed"]) > 0.97, from_three


def test_a_player_killed_mid_session_leaves_the_log_readable(live_cli: LiveCli, planned_seconds: float) -> None:
    before = live_cli.log_rows()
    term = live_cli.terminal("play", live_cli.script, "--plain")
    term.wait_for("One.")
    term.process.send_signal(signal.SIGKILL)
    assert term.finish() == -signal.SIGKILL
    assert live_cli.log_rows() == before  # nothing half-written, nothing lost
