"""The real command line against a private PulseAudio server, for live tests of whole plays.

``LiveCli`` (the ``live_cli`` fixture in conftest.py) is a folder holding the
test module's ``SESSION`` as ``session.yaml``, with its own session log and
settings folders, and the environment that plays into the module's null sink
(the run's speech cache is shared, as everywhere).  ``run`` runs a command to
its end; ``terminal`` starts one on a pseudo-terminal to type keys into (the
``live_cli`` fixture closes them after each test); ``log_rows`` reads ``log --csv``.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.pulse import PulseServer
from tests.terminal import Terminal

__all__ = ["LiveCli", "voiceguide"]


def voiceguide(*args: str) -> list[str]:
    """The command line that runs ``voiceguide ARGS`` from this checkout."""
    return [sys.executable, "-m", "voiceguide", *args]


@dataclass
class LiveCli:
    """A folder with ``session.yaml``, and the environment of plays into a null sink with their own log."""

    folder: Path
    env: dict[str, str]
    terminals: list[Terminal] = field(default_factory=list)

    @classmethod
    def make(cls, pulse: PulseServer, folder: Path, session: str) -> LiveCli:
        (folder / "session.yaml").write_text(session)
        env = dict(pulse.env)
        env["VOICEGUIDE_DATA_DIR"] = str(folder / "data")
        env["VOICEGUIDE_CONFIG_DIR"] = str(folder / "config")
        env["PYTHONUNBUFFERED"] = "1"
        return cls(folder, env)

    @property
    def script(self) -> str:
        """The path of the module's session."""
        return str(self.folder / "session.yaml")

    def run(self, *args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``voiceguide ARGS`` to its end, without a terminal (no key reader), its output captured."""
        print(f"voiceguide {' '.join(args)}")
        return subprocess.run(voiceguide(*args), env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout, cwd=cwd)

    def terminal(self, *args: str) -> Terminal:
        """``voiceguide ARGS`` started on a pseudo-terminal (the ``live_cli`` fixture closes it after the test)."""
        return self.start(voiceguide(*args))

    def start(self, command: list[str]) -> Terminal:
        """Any ``command`` started on a pseudo-terminal in this environment (closed as ``terminal``'s)."""
        term = Terminal(command, self.env)
        self.terminals.append(term)
        return term

    def close_terminals(self) -> None:
        while self.terminals:
            self.terminals.pop().close()

    def log_rows(self) -> list[dict[str, str]]:
        """The session log as ``log --csv`` prints it (which must not find it damaged)."""
        done = self.run("log", "--csv", timeout=60)
        assert done.returncode == 0, done.stderr
        assert "damaged" not in done.stderr
        return list(csv.DictReader(io.StringIO(done.stdout)))
