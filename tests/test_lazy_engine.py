"""The speech worker starts only when something must be spoken (``speech.greeting``), with the real engine.

A synthesizer given the speech cache's folder remembers the worker's greeting
there; the next one, while the engine's files are unchanged, takes its voice
and cache identity from it and starts no worker until a clip is missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_harness import run_cli
from tests.fakes import start_engine
from voiceguide.speech import pyttsx3_engine
from voiceguide.speech.clips import SpeechBank
from voiceguide.speech.pyttsx3_engine import Pyttsx3Synthesizer

pytestmark = pytest.mark.engine

SESSION = """\
voiceguide: 1
title: Lazy engine
steps:
  - say: Settle in and breathe slowly.
  - breathe: {inhale: 2s, exhale: 3s, cycles: 1}
  - say: That is all.
"""


def test_a_remembered_greeting_starts_no_worker_until_a_clip_is_missing(tmp_path: Path) -> None:
    first = start_engine(language="en-GB", cache_dir=tmp_path)
    try:
        assert first.starts == 1  # nothing remembered yet: started as it is made
        made = SpeechBank(first, tmp_path / "clips").clip("Breathe in.")
    finally:
        first.close()
    with Pyttsx3Synthesizer(language="en-GB", cache_dir=tmp_path) as second:
        assert second.starts == 0
        assert (second.voice_id, second.identity()) == (first.voice_id, first.identity())
        bank = SpeechBank(second, tmp_path / "clips")
        assert bank.clip("Breathe in.").tobytes() == made.tobytes()
        assert second.starts == 0  # cached: still no worker
        assert bank.clip("Something new to say.").size > 0
        assert second.starts == 1


def test_a_changed_engine_file_starts_the_worker_as_the_synthesizer_is_made(tmp_path: Path) -> None:
    start_engine(cache_dir=tmp_path).close()
    memo_path = tmp_path / "pyttsx3.greeting"
    memo: dict[str, Any] = json.loads(memo_path.read_text())
    library = memo["files"][0]
    assert "espeak" in library
    memo["stamps"][library][0] += 1  # as if the library had been upgraded
    memo_path.write_text(json.dumps(memo))
    with Pyttsx3Synthesizer(cache_dir=tmp_path) as again:
        assert again.starts == 1
    with Pyttsx3Synthesizer(cache_dir=tmp_path) as remembered_anew:
        assert remembered_anew.starts == 0


def test_a_warm_render_starts_no_speech_worker_and_writes_the_same_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    start_engine().close()  # skips here (fails under CI) without the engine
    monkeypatch.setenv("VOICEGUIDE_CACHE_DIR", str(tmp_path / "cache"))
    started: list[object] = []
    real_start = pyttsx3_engine._start_worker

    def counted(*args: Any, **kwargs: Any) -> Any:
        started.append(args)
        return real_start(*args, **kwargs)

    monkeypatch.setattr(pyttsx3_engine, "_start_worker", counted)
    script = tmp_path / "lazy.yaml"
    script.write_text(SESSION)
    cold, warm = tmp_path / "cold.wav", tmp_path / "warm.wav"
    assert run_cli("render", str(script), "-o", str(cold), "--plain").exit_status == 0
    assert len(started) == 1
    assert run_cli("render", str(script), "-o", str(warm), "--plain").exit_status == 0
    assert len(started) == 1  # the warm render started none
    assert warm.read_bytes() == cold.read_bytes()
