"""Daily use with the real player: quick sessions, --resume, --note and a terminal without a key reader.

Every play here goes through the real command line, the real engine and a
PulseAudio null sink; keys are typed into a pseudo-terminal.  The sessions are
a few seconds long, so the whole module stays short.
"""

from __future__ import annotations

import sys

import pytest

from tests.live_cli import LiveCli

pytestmark = pytest.mark.live

SESSION = """\
voiceguide: 1
title: Resume test
steps:
  - say: One.
    pause: 1s
  - repeat: 2
    steps:
      - say: Two.
        pause: 2s
  - say: Three.
"""


def test_resume_takes_up_the_round_where_the_session_stopped_with_the_note_kept(live_cli: LiveCli) -> None:
    term = live_cli.terminal("play", live_cli.script, "--plain", "--note", "slept badly")
    term.wait_for("Two.", count=2)  # the second round
    term.press(b"q")
    assert term.finish() == 0, term.text
    row = live_cli.log_rows()[-1]
    assert (row["ended"], row["note"]) == ("quit", "slept badly")

    resumed = live_cli.run("play", "--resume", "--plain")
    assert resumed.returncode == 0, resumed.stderr
    spoken = [line for line in resumed.stdout.splitlines() if line.strip().endswith(".")]
    said = " ".join(spoken)
    assert "One." not in said and said.count("Two.") == 1 and "Three." in said, resumed.stdout

    again = live_cli.run("play", "--resume", "--plain")  # the resumed session ran to its end
    assert again.returncode == 2 and "ran to its end" in again.stderr and len(again.stderr.splitlines()) <= 2

    # A changed script is refused with one sentence: tests/test_daily_cli.py, from a record.


def test_breathe_saved_then_played_and_quick_sessions_without_a_key_reader(live_cli: LiveCli) -> None:
    saved = live_cli.run("breathe", "2-1-2", "--cycles", "1", "--save", "mine.yaml", cwd=live_cli.folder)
    assert saved.returncode == 0, saved.stderr
    # No termios, as on a platform without a key reader: one sentence, and the quick session still plays.
    # It plays while the saved script does (both mostly wait on the clock).
    no_keys = ("import sys; sys.modules['termios'] = None; from voiceguide.cli import main; "
               "sys.exit(main(sys.argv[1:]))")
    term = live_cli.start([sys.executable, "-c", no_keys, "press", "2s", "--countdown", "1", "--plain"])
    played = live_cli.run("play", str(live_cli.folder / "mine.yaml"), "--plain", "--from", "2")  # the breathing
    assert played.returncode == 0, played.stderr
    cues = [word for line in played.stdout.splitlines() for word in ("Breathe in.", "Hold.", "Breathe out.")
            if line.endswith(word)]
    assert cues == ["Breathe in.", "Hold.", "Breathe out."], played.stdout

    term.wait_for("Release.")
    assert term.finish() == 0, term.text
    assert term.text.count("keys cannot be read on this system") == 1
    assert "Traceback" not in term.text
    rows = live_cli.log_rows()
    assert any(row["ended"] == "done" and row["script"] == "voiceguide press 2s --countdown 1" for row in rows)


def test_a_microphone_not_found_is_named_with_the_microphones_there_are(live_cli: LiveCli) -> None:
    # 'voiceguide devices' lists outputs only, so the hint itself names the microphones (the sink's monitor here).
    done = live_cli.run("play", "session.yaml", "--listen", "--mic", "no such mic", "--no-log", cwd=live_cli.folder,
                        timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "voiceguide: error: No single microphone is named like 'no such mic'.", lines
    hint, _, names = lines[1].partition("; the microphones here: ")
    assert hint == "hint: give a number or part of a name" and names[:1].isdigit(), lines
