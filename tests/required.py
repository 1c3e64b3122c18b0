"""Skip here, fail in CI: a missing engine, tool, extra or server skips a test on a workstation, with the reason,
but fails it under ``CI=true``, where ``./dev test`` has installed everything."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """True under ``CI=true`` (any letter case)."""
    return os.environ.get("CI", "").lower() == "true"


def required(reason: str) -> NoReturn:
    """Skip the test for want of what ``reason`` names; under ``CI=true`` fail it instead."""
    if in_ci():
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)
