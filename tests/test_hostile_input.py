"""Inputs a hostile or careless user gives: devices, FIFOs, huge files and numbers, odd names.

Each must end at once with one plain sentence (or a positioned error) and exit
status 2, in every command alike.  Devices and FIFOs are tried in a child
process with a timeout and a memory limit, so that a regression fails the test
instead of hanging it or eating the machine's memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_harness import run_cli
from voiceguide.script.shipped import shipped_dir

MAX_SCRIPT_BYTES = 1024 * 1024  # the spec's limit
MINIMAL = "voiceguide: 1\ntitle: T\nsteps:\n  - Hello.\n"


def run_child(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """``python -m voiceguide ARGS`` with at most 1 GB of memory; a hang past ``timeout`` fails the test."""
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
            "from voiceguide.cli import main; sys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


@pytest.fixture
def fifo(tmp_path: Path) -> str:
    path = tmp_path / "script.yaml"
    os.mkfifo(path)  # no writer, ever
    return str(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="devices and FIFOs are POSIX")
@pytest.mark.parametrize(("command", "what"), [
    ("check", "/dev/zero"), ("check", "/dev/urandom"), ("check", "fifo"), ("check", "link to /dev/zero"),
    ("plan", "/dev/zero"), ("plan", "fifo"),  # plan reads through the same function
])
def test_a_device_or_fifo_is_refused_at_once_without_reading_it(command: str, what: str, fifo: str,
                                                                tmp_path: Path) -> None:
    path = fifo if what == "fifo" else what
    if what.startswith("link to "):
        path = str(tmp_path / "link.yaml")
        os.symlink(what.removeprefix("link to "), path)
    result = run_child(command, path)
    assert result.returncode == 2, result.stderr
    kind = "a pipe (FIFO)" if what == "fifo" else "a device"
    assert result.stderr.splitlines() == [
        f"voiceguide: error: cannot read {path}: it is {kind}, not a script file",
        "hint: a script is a regular file of at most 1 MiB (.yaml)"]


def test_a_script_over_1_mib_is_refused_without_reading_it(tmp_path: Path) -> None:
    sparse = tmp_path / "huge.yaml"
    with open(sparse, "wb") as file:
        file.truncate(40 * 1024**3)  # 40 GB of nothing: reading it would take minutes and all memory
    result = run_cli("check", str(sparse))
    assert result.exit_status == 2
    assert result.stderr_lines[0] == f"voiceguide: error: cannot read {sparse}: it is 40960.0 MiB, " \
                                     "and a script may be at most 1 MiB"


def test_a_script_of_exactly_1_mib_is_read_and_one_byte_more_is_not(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    padding = MAX_SCRIPT_BYTES - len(MINIMAL)
    path.write_bytes(MINIMAL.encode() + b"#" * (padding - 1) + b"\n")
    assert path.stat().st_size == MAX_SCRIPT_BYTES
    assert run_cli("check", str(path)).exit_status == 0
    with open(path, "ab") as file:
        file.write(b"\n")
    result = run_cli("check", str(path))
    assert result.exit_status == 2
    assert result.stderr_lines[0] == f"voiceguide: error: cannot read {path}: it is 1.0 MiB, " \
                                     "and a script may be at most 1 MiB"


@pytest.mark.parametrize("option", [["--pace", "1e999999999"], ["--pace", "1e-9999999"]])
def test_a_huge_exponent_on_the_command_line_is_refused_at_once(option: list[str], tmp_path: Path) -> None:
    script = tmp_path / "s.yaml"
    script.write_text(MINIMAL, encoding="utf-8")
    result = run_child("plan", str(script), *option, timeout=10)
    assert result.returncode == 2
    assert (f"voiceguide: error: --pace '{option[1]}' has an exponent far past any meaningful value "
            "(at most 100 either way); it must be between 0.1 and 10") in result.stderr


@pytest.mark.parametrize(("option", "value"), [("--rate", "１６０"), ("--pace", "１.５"), ("--volume", "０.５"),
                                               ("--rate", "١٦٠")])
def test_numbers_on_the_command_line_are_ascii_as_in_scripts(option: str, value: str, tmp_path: Path) -> None:
    script = tmp_path / "s.yaml"
    script.write_text(MINIMAL, encoding="utf-8")
    result = run_cli("plan", str(script), option, value)
    assert result.exit_status == 2
    assert result.stderr_lines[0].startswith(f"voiceguide: error: {option} takes ")
    assert repr(value) in result.stderr


@pytest.mark.parametrize("command", ["check", "plan", "play"])
def test_an_empty_script_name_is_a_usage_error(command: str) -> None:
    result = run_cli(command, "")
    assert result.exit_status == 2
    assert result.stderr_lines == [
        "voiceguide: error: the script's name is empty",
        "hint: give the path of a script file (.yaml) or the name of a shipped session"]


@pytest.mark.parametrize("command", ["check", "plan", "play"])
def test_a_folder_is_the_same_usage_error_in_every_command(command: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes").mkdir()
    result = run_cli(command, "notes")
    assert result.exit_status == 2
    assert result.stderr_lines[0] == "voiceguide: error: cannot read notes: it is a directory"


def test_a_folder_named_like_a_shipped_session_does_not_hide_it(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sciatica").mkdir()
    result = run_cli("check", "sciatica")
    assert result.exit_status == 0, result.stderr
    assert result.stdout.startswith(f"{shipped_dir() / 'sciatica.yaml'}: ok: ")


def test_a_file_named_like_a_shipped_session_is_that_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sciatica").write_text(MINIMAL, encoding="utf-8")
    result = run_cli("check", "sciatica")
    assert result.exit_status == 0, result.stderr
    assert result.stdout.startswith('sciatica: ok: "T", 1 step, about ')
