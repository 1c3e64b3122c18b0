"""What voiceguide writes is safe: names shown through printable, missing standard streams, strict arguments.

Names over 255 bytes or not UTF-8, names with escape sequences in ``wrote …``
and ``--plot``'s line; standard output closed (one sentence, exit 1) and
standard error closed (``plan --json`` stays valid JSON); language tags with a
final newline; ``--loudness`` in other digits; ``-o -``, ``-o x.ogg/`` and
``--captions ""``; ``TERM=dumb``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_harness import run_cli
from voiceguide.play import screen
from voiceguide.script.parse import parse_script

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = "voiceguide: 1\ntitle: Calm\nsteps:\n  - say: Breathe in.\n"
CROWDED = ("voiceguide: 1\ntitle: Crowded\nsteps:\n"
           "  - press: {hold: 4s, halfway: true, countdown: 3, say: Press firmly and breathe slowly and deeply.}\n")


def run(args: list[str], *, env: dict[str, str] | None = None,
        cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    """The real command line, its output captured as bytes."""
    return subprocess.run([sys.executable, "-m", "voiceguide", *args], capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, cwd=cwd)


def closed(descriptor: int, args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run with ``descriptor`` (1 or 2) closed, as ``>&-`` or ``2>&-`` in a shell."""
    command = " ".join(f"'{arg}'" for arg in [sys.executable, "-m", "voiceguide", *args])
    return subprocess.run(["sh", "-c", f"exec {command} {descriptor}>&-"], capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, cwd=ROOT)


def test_closed_standard_output_is_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SCRIPT)
    for args in (["check", str(tmp_path / "s.yaml")], ["list"], ["phrases", "de"], ["log"]):
        result = closed(1, args)
        assert result.returncode == 1, args
        assert result.stderr.decode().splitlines() == ["voiceguide: error: Cannot write to standard output: it is "
                                                       "closed."], args


@pytest.mark.engine
def test_closed_standard_error_never_mixes_warnings_into_plan_json(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(CROWDED)
    result = closed(2, ["plan", "--json", str(tmp_path / "c.yaml")], env={"VOICEGUIDE_CACHE_DIR": str(tmp_path)})
    assert result.returncode == 0
    plan = json.loads(result.stdout)  # nothing but the plan
    assert plan["title"] == "Crowded"
    # The warnings are there, on standard error, when it is open.
    shown = run(["plan", "--json", str(tmp_path / "c.yaml")], env={"VOICEGUIDE_CACHE_DIR": str(tmp_path)})
    assert b"warning: the " in shown.stderr and json.loads(shown.stdout) == plan


@pytest.mark.parametrize("args", [["check", "{long}.yaml"], ["plan", "{long}.yaml"],
                                  ["render", "s.yaml", "-o", "{long}.wav"], ["log", "--plot", "{long}.png"]])
def test_a_name_over_255_bytes_is_one_sentence(tmp_path: Path, args: list[str]) -> None:
    args = [arg.format(long="a" * 300) for arg in args]
    result = run(args, cwd=tmp_path)
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert result.stderr.decode().splitlines()[0].endswith(
        f"a name in it is {len(args[-1])} bytes long; a file or folder name may be at most 255")


@pytest.mark.parametrize(("option", "value", "words"), [
    ("-o", "-", "'-' (standard output) is not supported: name a file"),
    ("-o", "x.ogg/", "'x.ogg/' names a folder (it ends with '/'): name a file"),
    ("--captions", "", "error: --captions: cannot use '': the name is empty"),
    ("--loudness", "-١٢", "--loudness takes LUFS such as -16, not '-١٢'"),
])
def test_render_arguments_are_strict(tmp_path: Path, option: str, value: str, words: str) -> None:
    (tmp_path / "s.yaml").write_text(SCRIPT)
    args = ["render", str(tmp_path / "s.yaml"), "-o", str(tmp_path / "a.wav"), f"{option}={value}"]
    if option == "-o":
        args = ["render", str(tmp_path / "s.yaml"), f"--output={value}"]
    result = run_cli(*args)
    assert result.exit_status == 2 and result.stderr_lines[0].endswith(words)
    assert not list(tmp_path.glob("x.ogg*")) and not (tmp_path / "a.wav").exists()


@pytest.mark.engine
def test_names_that_are_not_utf8_or_hold_escapes_are_written_and_shown_escaped(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SCRIPT)
    env = {"VOICEGUIDE_CACHE_DIR": str(tmp_path / "cache")}
    for name, shown in ((b"caf\xe9.ogg", b"caf\\xe9.ogg"), (b"x\x1b[2J\n.wav", b"x\\x1b[2J .wav")):
        print(f"render -o {name!r}")
        result = run(["render", "s.yaml", "-o", os.fsdecode(name), "--plain"], cwd=tmp_path, env=env)
        assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr
        assert result.stdout.startswith(b"wrote " + shown + b": ") and result.stdout.count(b"\n") == 1
        assert os.path.getsize(os.path.join(os.fsencode(tmp_path), name)) > 1000
    (tmp_path / os.fsdecode(b"caf\xe9.yaml")).write_text(SCRIPT)
    result = run(["check", os.fsdecode(b"caf\xe9.yaml")], cwd=tmp_path, env=env)
    assert result.returncode == 0 and result.stdout.startswith(b'caf\\xe9.yaml: ok: "Calm"')


def test_the_plot_line_shows_its_name_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("VOICEGUIDE_DATA_DIR", str(tmp_path))
    result = run_cli("log", "--plot", str(tmp_path / "a\x1b]0;x\x07.png"))
    assert result.exit_status == 0
    assert result.stdout == f"wrote {tmp_path}/a\\x1b]0;x\\x07.png: pain before and after for 0 sessions\n"


@pytest.mark.parametrize("tag", ["de\n", "de-AT\n", "\nde"])
def test_a_language_tag_with_a_newline_is_refused(tag: str) -> None:
    text = f"voiceguide: 1\ntitle: T\nlanguage: {json.dumps(tag)}\nsteps:\n  - say: Hallo.\n"
    result = parse_script(text, "t.yaml")
    assert result.script is None
    assert "language must be a BCP-47 language tag" in result.diagnostics[0].message
    assert parse_script(text.replace(json.dumps(tag), "de"), "t.yaml").script is not None


def test_a_dumb_terminal_gets_no_escape_sequences(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    assert screen.redraw("abc", 10) == "\rabc      "
    monkeypatch.setenv("TERM", "xterm")
    assert screen.redraw("abc", 10) == "\rabc\x1b[K"
