"""Fuzzing the command line: whatever the file holds, ``check`` and ``plan`` end with 0 or 2.

Three sources of input, fed to ``voiceguide check`` and ``voiceguide plan``
in-process: random bytes, random YAML documents built from the format's own
vocabulary, and valid scripts mutated at the byte level (the strategies of
``test_properties``).  ``plan`` speaks through ``FakeSynthesizer`` (a tone per
text), put in place of the engine class the command line builds, with a cache
folder of its own that the run's workers share.  Each run must exit 0 or 2 and print no traceback (how fast the
limits refuse a huge file is measured by ``benchmarks/bench_check.py``).  The
example counts are modest, to keep the suite fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli_harness import run_cli
from tests.conftest import RUN_CACHE_VARIABLE
from tests.fakes import VALUES, FakeSynthesizer, mutated
from voiceguide.speech import pyttsx3_engine, voices

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


class _FakeEngine(FakeSynthesizer):
    """Built as the command line builds the engine (voice, language, rate), speaking tones."""

    def __init__(self, voice: str | None = None, language: str | None = None, rate: int = 160,
                 cache_dir: Path | None = None) -> None:
        super().__init__()
        self.voice_id = f"fake-{language}"

    def close(self) -> None:
        """Nothing to stop."""


@pytest.fixture(scope="module")
def fake_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The engine replaced by the fake, its clips in a cache folder of their own; yields a folder for scripts."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pyttsx3_engine, "Pyttsx3Synthesizer", _FakeEngine)
        # check looks for a voice of the script's language: one fake voice that speaks English.
        patch.setattr(pyttsx3_engine, "list_voices", lambda: [voices.VoiceInfo("fake", "Fake", ("en",), None)])
        # The fake's clips in a folder that pytest-xdist's workers share (inside the run's cache, whose own
        # entries are only those at its top): each text is levelled once per run, by whichever worker meets it
        # first, not once per worker that runs one of these tests (a warm-up of every seed script here cost
        # each such worker ~8 s of CPU, and the random bytes almost never reach the engine).
        shared = os.environ.get(RUN_CACHE_VARIABLE)
        cache = Path(shared) / "fuzz-fake-engine" if shared else tmp_path_factory.mktemp("cache")
        cache.mkdir(exist_ok=True)
        patch.setenv("VOICEGUIDE_CACHE_DIR", str(cache))
        yield tmp_path_factory.mktemp("scripts")


def run_both(folder: Path, source: bytes) -> None:
    """``check`` and ``plan`` of ``source``: each exits 0 or 2, without a traceback."""
    path = folder / "fuzz.yaml"
    path.write_bytes(source)
    for command in ("check", "plan"):
        result = run_cli(command, str(path))  # anything but a VoiceguideError would escape as an exception
        assert result.exit_status in (0, 2), (command, result.stderr[-2000:])
        assert "Traceback" not in result.stderr
        if result.exit_status == 2:
            assert result.stderr, "exit status 2 must say why"


@SETTINGS
@given(st.binary(max_size=4000))
def test_random_bytes(fake_engine: Path, source: bytes) -> None:
    run_both(fake_engine, source)


@SETTINGS
@given(VALUES)
def test_random_yaml(fake_engine: Path, data: Any) -> None:
    run_both(fake_engine, yaml.safe_dump(data, allow_unicode=True, default_flow_style=None).encode("utf-8"))


@SETTINGS
@given(mutated())
def test_mutated_valid_scripts(fake_engine: Path, source: bytes) -> None:
    run_both(fake_engine, source)
