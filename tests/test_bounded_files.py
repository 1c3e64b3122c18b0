"""Every file voiceguide reads goes through one bounded reader: regular files only, size-limited, never waiting.

Scripts, ``config.toml`` and the session log are each tried as a FIFO with no
writer (opening one would wait forever), as a link to ``/dev/zero`` (endless),
and as a huge sparse file: each is one sentence, at once, with nothing read.
Each case runs in a subprocess with a timeout, so a hang fails the test
instead of stalling the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from voiceguide.bounded import MAX_NAME_BYTES, Refused, name_problem, open_regular, read_bounded

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = "voiceguide: 1\ntitle: Calm\nsteps:\n  - say: Breathe in.\n"


def voiceguide(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the real command line (a subprocess: a hang is a timeout, not a stalled suite)."""
    return subprocess.run([sys.executable, "-m", "voiceguide", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, cwd=ROOT)


def hostile(kind: str, path: Path) -> None:
    """Make ``path`` a FIFO with no writer, a link to /dev/zero or /dev/full, or a 2 GB sparse file."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind in ("zero", "full"):
        path.symlink_to(f"/dev/{kind}")
    else:
        with open(path, "wb") as file:
            file.truncate(2 * 1024**3)


@pytest.mark.parametrize("kind", ["fifo", "zero", "full", "sparse"])
def test_the_bounded_reader_refuses_what_is_no_small_regular_file_without_reading(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "file"
    hostile(kind, path)
    with pytest.raises(Refused) as refused:
        read_bounded(path, 64 * 1024)
    expected = {"fifo": "it is a pipe (FIFO), not a regular file", "zero": "it is a device, not a regular file",
                "full": "it is a device, not a regular file",
                "sparse": "it is 2.0 GiB, and the most read is 64.0 KiB"}[kind]
    assert refused.value.reason == expected


def test_the_bounded_reader_reads_a_small_file_and_says_when_there_is_none(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x" * 10)
    assert read_bounded(tmp_path / "a", 10) == b"x" * 10
    with pytest.raises(Refused, match="most read is 9 bytes"):
        read_bounded(tmp_path / "a", 9)
    with pytest.raises(FileNotFoundError):
        read_bounded(tmp_path / "missing", 10)
    with pytest.raises(Refused, match="it is a folder"):
        open_regular(tmp_path)


def test_a_name_over_255_bytes_or_empty_is_named_as_such() -> None:
    assert name_problem("a" * MAX_NAME_BYTES) is None and name_problem("d/" + "é" * 127) is None
    assert name_problem("é" * 128) == "a name in it is 256 bytes long; a file or folder name may be at most 255"
    assert name_problem("") == "the name is empty"


@pytest.mark.parametrize("kind", ["fifo", "zero", "sparse"])
def test_config_toml_that_is_no_small_regular_file_is_one_sentence_at_once(tmp_path: Path, kind: str) -> None:
    print(f"play with config.toml as {kind}: refused before any sound")
    hostile(kind, tmp_path / "config.toml")
    (tmp_path / "s.yaml").write_text(SCRIPT)
    result = voiceguide("play", str(tmp_path / "s.yaml"), env={"VOICEGUIDE_CONFIG_DIR": str(tmp_path)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"voiceguide: error: The settings file {tmp_path / 'config.toml'} cannot be "
                                    "read: it is ")


@pytest.mark.parametrize("kind", ["fifo", "full"])
def test_a_session_log_that_is_no_regular_file_is_one_sentence_at_once(tmp_path: Path, kind: str) -> None:
    hostile(kind, tmp_path / "sessions.jsonl")
    for args in (("log",), ("log", "--csv"), ("log", "--plot"), ("log", "--since", "2026-01-01")):
        result = voiceguide(*args, env={"VOICEGUIDE_DATA_DIR": str(tmp_path)}, timeout=30)
        assert result.returncode == 1 and "Traceback" not in result.stderr, args
        assert f"The session log {tmp_path / 'sessions.jsonl'} cannot be read: it is " in result.stderr, args


def test_a_bom_and_a_huge_value_in_config_toml(tmp_path: Path) -> None:
    from voiceguide.settings import ConfigError, Settings, load_settings

    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf[log]\nenabled = false\n")
    assert load_settings(path) == Settings(log_enabled=False)
    path.write_text("[log]\nenabled = '" + "x" * 60_000 + "'\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert "must be true or false" in caught.value.message and len(caught.value.message) < 300
