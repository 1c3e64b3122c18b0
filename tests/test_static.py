"""The code passes its own static checks: ruff, and mypy --strict on the package."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_tool(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which(module) is None and not (Path(sys.executable).parent / module).exists():
        pytest.fail(f"{module} is not installed: it is in the 'test' extra (pip install -e '.[test]')")
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_ruff_finds_nothing() -> None:
    result = run_tool("ruff", "check", "voiceguide", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing() -> None:
    result = run_tool("mypy", "--strict", "voiceguide")
    assert result.returncode == 0, result.stdout + result.stderr
