"""Daily use with the real player: quick sessions, --resume, --note and a terminal without a key reader.

Every play here goes through the real command line, the real engine and a
PulseAudio null sink; keys are typed into a pseudo-terminal.  The sessions are
a few seconds long, so the whole module stays short.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pulse import PulseServer
from tests.terminal import Terminal

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


def _voiceguide(*args: str) -> list[str]:
    return [sys.executable, "-m", "voiceguide", *args]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("daily")
    (path / "session.yaml").write_text(SESSION)
    return path


@pytest.fixture(scope="module")
def env(pulse_server: PulseServer, workdir: Path) -> dict[str, str]:
    environment = dict(pulse_server.env)
    environment["VOICEGUIDE_DATA_DIR"] = str(workdir / "data")
    environment["VOICEGUIDE_CONFIG_DIR"] = str(workdir / "config")
    environment["PYTHONUNBUFFERED"] = "1"
    return environment


@pytest.fixture
def terminals(env: dict[str, str]) -> Iterator[list[Terminal]]:
    made: list[Terminal] = []
    yield made
    for term in made:
        term.close()


def _run(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    print(f"voiceguide {' '.join(args)}")
    return subprocess.run(_voiceguide(*args), env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def _log(env: dict[str, str]) -> list[dict[str, str]]:
    done = _run(env, "log", "--csv")
    assert done.returncode == 0, done.stderr
    return list(csv.DictReader(io.StringIO(done.stdout)))


def test_resume_takes_up_the_round_where_the_session_stopped_with_the_note_kept(
        env: dict[str, str], workdir: Path, terminals: list[Terminal]) -> None:
    script = str(workdir / "session.yaml")
    term = Terminal(_voiceguide("play", script, "--plain", "--note", "slept badly"), env)
    terminals.append(term)
    term.wait_for("Two.", count=2)  # the second round
    term.press(b"q")
    assert term.finish() == 0, term.text
    row = _log(env)[-1]
    assert (row["ended"], row["note"]) == ("quit", "slept badly")

    resumed = _run(env, "play", "--resume", "--plain")
    assert resumed.returncode == 0, resumed.stderr
    spoken = [line for line in resumed.stdout.splitlines() if line.strip().endswith(".")]
    said = " ".join(spoken)
    assert "One." not in said and said.count("Two.") == 1 and "Three." in said, resumed.stdout

    again = _run(env, "play", "--resume", "--plain")  # the resumed session ran to its end
    assert again.returncode == 2 and "ran to its end" in again.stderr and len(again.stderr.splitlines()) <= 2

    # A changed script is refused with one sentence: tests/test_daily_cli.py, from a record.


def test_breathe_saved_then_played_and_quick_sessions_without_a_key_reader(
        env: dict[str, str], workdir: Path, terminals: list[Terminal]) -> None:
    saved = _run(env, "breathe", "2-1-2", "--cycles", "1", "--save", "mine.yaml", cwd=workdir)
    assert saved.returncode == 0, saved.stderr
    # No termios, as on a platform without a key reader: one sentence, and the quick session still plays.
    # It plays while the saved script does (both mostly wait on the clock).
    no_keys = ("import sys; sys.modules['termios'] = None; from voiceguide.cli import main; "
               "sys.exit(main(sys.argv[1:]))")
    term = Terminal([sys.executable, "-c", no_keys, "press", "2s", "--countdown", "1", "--plain"], env)
    terminals.append(term)
    played = _run(env, "play", str(workdir / "mine.yaml"), "--plain", "--from", "2")  # from the breathing
    assert played.returncode == 0, played.stderr
    cues = [word for line in played.stdout.splitlines() for word in ("Breathe in.", "Hold.", "Breathe out.")
            if line.endswith(word)]
    assert cues == ["Breathe in.", "Hold.", "Breathe out."], played.stdout

    term.wait_for("Release.")
    assert term.finish() == 0, term.text
    assert term.text.count("keys cannot be read on this system") == 1
    assert "Traceback" not in term.text
    rows = _log(env)
    assert any(row["ended"] == "done" and row["script"] == "voiceguide press 2s --countdown 1" for row in rows)


def test_a_microphone_not_found_is_named_with_the_microphones_there_are(env: dict[str, str], workdir: Path) -> None:
    # 'voiceguide devices' lists outputs only, so the hint itself names the microphones (the sink's monitor here).
    done = subprocess.run(_voiceguide("play", "session.yaml", "--listen", "--mic", "no such mic", "--no-log"),
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "voiceguide: error: No single microphone is named like 'no such mic'.", lines
    hint, _, names = lines[1].partition("; the microphones here: ")
    assert hint == "hint: give a number or part of a name" and names[:1].isdigit(), lines
