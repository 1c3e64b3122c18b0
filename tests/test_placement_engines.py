"""Every shipped session places every cue with both engines at every --pace from 0.75 to 2 (spec: Cue placement).

One bank per engine and session (the run's shared speech cache, where render and plan find it), then one plan
per pace: the timeline is compiled from the real clips' lengths, as ``plan``
does.  Skipped with a reason when an engine is missing; a failure under ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from tests.required import required
from voiceguide.errors import EngineError
from voiceguide.phrases import primary_language
from voiceguide.script.parse import load_script
from voiceguide.script.pronounce import spoken_forms
from voiceguide.speech.clip_cache import default_cache_dir
from voiceguide.speech.clips import SpeechBank
from voiceguide.speech.engines import ENGINES, EngineSynthesizer, open_synthesizer
from voiceguide.timeline.compiler import compile_timeline, utterances

pytestmark = pytest.mark.engine

SCRIPTS = sorted((Path(__file__).resolve().parent.parent / "scripts").glob("*.yaml"))
PACES = (Fraction(3, 4), Fraction(1), Fraction(3, 2), Fraction(2))


def _speaks(engine: str, path: Path) -> bool:
    """Whether ``engine`` is offered for the session's language (the natural voice speaks English only)."""
    return engine != "hibari" or primary_language(load_script(path).language) == "en"


COMBINATIONS = [(engine, path) for engine in ENGINES for path in SCRIPTS if _speaks(engine, path)]


Opener = Callable[[str, str, int], EngineSynthesizer]


@pytest.fixture(scope="module")
def synthesizers() -> Iterator[Opener]:
    """``open(engine, language, rate)``: one synthesizer for each, shared by the sessions that speak alike (the six
    English ones: hibari's model loaded once, not six times; a take does not depend on what was said before it,
    tests/test_reproducible.py); closed when the module is done."""
    opened: dict[tuple[str, str, int], EngineSynthesizer] = {}

    def open_(engine: str, language: str, rate: int) -> EngineSynthesizer:
        key = (engine, language, rate)
        if key not in opened:
            try:
                opened[key] = open_synthesizer(engine, voice=None, language=language, rate=rate)
            except EngineError as error:
                required(f"the {engine} engine: {error.message}")
        return opened[key]

    yield open_
    for synth in opened.values():
        synth.close()


@pytest.mark.parametrize(("engine", "path"), COMBINATIONS, ids=lambda item: getattr(item, "stem", item))
def test_no_shipped_session_drops_a_cue_at_any_pace(synthesizers: Opener, engine: str, path: Path) -> None:
    script = load_script(path)
    synth = synthesizers(engine, script.language or "en", script.voice.rate)
    bank = SpeechBank(synth, default_cache_dir(), spoken=spoken_forms(script.pronounce).spoken)
    print(f"{engine} {path.stem}: synthesizing, then one plan at each pace", flush=True)
    for pace in PACES:
        bank.prefetch(utterances(script, pace=pace))
        timeline = compile_timeline(script, bank.measure, pace=pace)
        lost = [f"{d.dropped.cue} {d.dropped.text!r} at {d.dropped.start / timeline.sample_rate:.2f} s "
                f"({d.key})" for d in timeline.dropped]
        assert not lost, f"{engine}, --pace {float(pace):g}: {lost}"
        cues = [event.cue for event in timeline.events]
        assert cues.count("press") == cues.count("release")
