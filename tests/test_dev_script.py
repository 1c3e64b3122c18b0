"""``./dev play`` when there is no audio device: it renders instead, and says only what is true.

``dev`` is copied into a temporary checkout whose ``.venv`` holds a stand-in
``voiceguide``: ``devices`` fails (no audio device), ``render`` only records its
arguments (a real render is tested elsewhere), and every other command runs the
real voiceguide, so help texts and "no such session" errors are the real ones.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.required import required

ROOT = Path(__file__).resolve().parent.parent
REAL_VOICEGUIDE = Path(sys.executable).with_name("voiceguide")

FAKE_VOICEGUIDE = """#!/usr/bin/env bash
printf '%s\\n' "$*" >>"$FAKE_LOG"
case $1 in
    devices) echo "voiceguide: error: No audio output device was found." >&2; exit 1 ;;
    render) echo "render stand-in" ; exit 0 ;;
    *) exec {real} "$@" ;;
esac
"""

FAKE_PYTHON = """#!/usr/bin/env bash
echo "Python 3.0.fake"
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of ``dev`` with a ready ``.venv`` of stand-ins (set-up has nothing to do)."""
    if not REAL_VOICEGUIDE.exists():
        required("voiceguide is not installed beside this Python (./dev setup installs it)")
    shutil.copy(ROOT / "dev", tmp_path / "dev")
    pyproject = (ROOT / "pyproject.toml").read_bytes()
    (tmp_path / "pyproject.toml").write_bytes(pyproject)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, text in (("voiceguide", FAKE_VOICEGUIDE.format(real=REAL_VOICEGUIDE)), ("python", FAKE_PYTHON)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    # The stamp ./dev compares: sha256 of pyproject.toml followed by `python -V`, and what was installed.
    stamp = hashlib.sha256(pyproject + b"Python 3.0.fake\n").hexdigest()
    (tmp_path / ".venv" / ".dev-installed").write_text(stamp + " base\n")
    return tmp_path


def _dev(checkout: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    log = checkout / "calls.log"
    env = {**os.environ, "FAKE_LOG": str(log)}
    done = subprocess.run([str(checkout / "dev"), *args], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=60)
    calls = log.read_text().splitlines() if log.exists() else []
    return done, calls


def test_play_help_without_a_device_shows_plays_help_only(checkout: Path) -> None:
    done, calls = _dev(checkout, "play", "--help")
    assert done.returncode == 0, done.stderr
    assert "usage: voiceguide play" in done.stdout
    assert "Done" not in done.stderr and "rendered" not in done.stderr
    assert not [call for call in calls if call.startswith("render")]


def test_play_from_without_a_device_says_the_option_is_not_used(checkout: Path) -> None:
    done, calls = _dev(checkout, "play", "sciatica", "--from", "3", "--pace", "1.5", "--verbose")
    assert done.returncode == 0, done.stderr
    renders = [call for call in calls if call.startswith("render")]
    assert renders == ["render sciatica -o out/sciatica.ogg --captions out/sciatica.vtt --pace 1.5"]
    assert "Ignored --from 3, --verbose" in done.stderr


def test_play_of_no_such_session_says_so_before_announcing_anything(checkout: Path) -> None:
    done, calls = _dev(checkout, "play", "nosuch")
    assert done.returncode == 2
    assert "no script or shipped session named 'nosuch'" in done.stderr
    assert "rendered" not in done.stderr and "Done" not in done.stderr
    assert not [call for call in calls if call.startswith("render")]


def test_a_failed_render_is_not_reported_as_written(checkout: Path) -> None:
    fake = checkout / ".venv" / "bin" / "voiceguide"
    fake.write_text(fake.read_text().replace('echo "render stand-in" ; exit 0', "exit 1"))
    done, _ = _dev(checkout, "play", "sciatica")
    assert done.returncode == 1
    assert "Done" not in done.stderr


def test_devices_hint_names_no_session_when_none_was_named() -> None:
    from voiceguide.play.live import NoOutputDevice

    assert NoOutputDevice().hint is not None and "sciatica" not in NoOutputDevice().hint
    assert "voiceguide render quick-relief -o quick-relief.ogg" in (NoOutputDevice("quick-relief").hint or "")


def _option_strings(command: str) -> dict[str, bool]:
    """Each long option of a subcommand, and whether it takes a value."""
    import argparse

    from voiceguide.cli.definition import build_parser

    sub = next(action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction))
    return {string: action.nargs != 0 for action in sub.choices[command]._actions
            for string in action.option_strings if string.startswith("--") and string != "--help"}


def test_every_play_only_option_is_left_out_of_the_render(checkout: Path) -> None:
    render = _option_strings("render")
    play_only = {name: value for name, value in _option_strings("play").items()
                 if name not in render and name != "--resume"}
    assert {"--note", "--ask-pain", "--listen"} <= set(play_only)
    args = [part for name, value in play_only.items() for part in ((name, "1") if value else (name,))]
    done, calls = _dev(checkout, "play", "sciatica", "--pace", "1.5", *args)
    assert done.returncode == 0, done.stderr
    renders = [call for call in calls if call.startswith("render")]
    assert renders == ["render sciatica -o out/sciatica.ogg --captions out/sciatica.vtt --pace 1.5"]
    for name in play_only:
        assert name in done.stderr


def test_plain_goes_to_the_render_which_takes_it_too(checkout: Path) -> None:
    done, calls = _dev(checkout, "play", "sciatica", "--plain")
    assert [call for call in calls if call.startswith("render")] == [
        "render sciatica -o out/sciatica.ogg --captions out/sciatica.vtt --plain"]
    assert "Ignored" not in done.stderr


def test_play_resume_without_a_device_says_there_is_no_device(checkout: Path) -> None:
    done, calls = _dev(checkout, "play", "--resume")
    assert not [call for call in calls if call.startswith(("render", "check"))]
    assert calls[-1] == "play --resume"
