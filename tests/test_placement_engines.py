"""Every shipped session places every cue with both engines at every --pace from 0.75 to 2 (spec: Cue placement).

One bank per engine and session (the run's shared speech cache, where render and plan find it), then one plan
per pace: the timeline is compiled from the real clips' lengths, as ``plan``
does.  Skipped with a reason when an engine is missing; a failure under ``CI=true``.
"""

from __future__ import annotations

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
from voiceguide.speech.engines import ENGINES, open_synthesizer
from voiceguide.timeline.compiler import compile_timeline, utterances

pytestmark = pytest.mark.engine

SCRIPTS = sorted((Path(__file__).resolve().parent.parent / "scripts").glob("*.yaml"))
PACES = (Fraction(3, 4), Fraction(1), Fraction(3, 2), Fraction(2))


def _speaks(engine: str, path: Path) -> bool:
    """Whether ``engine`` is offered for the session's language (the natural voice speaks English only)."""
    return engine != "hibari" or primary_language(load_script(path).language) == "en"


COMBINATIONS = [(engine, path) for engine in ENGINES for path in SCRIPTS if _speaks(engine, path)]


@pytest.mark.parametrize(("engine", "path"), COMBINATIONS, ids=lambda item: getattr(item, "stem", item))
def test_no_shipped_session_drops_a_cue_at_any_pace(engine: str, path: Path) -> None:
    script = load_script(path)
    try:
        synth = open_synthesizer(engine, voice=None, language=script.language or "en", rate=script.voice.rate)
    except EngineError as error:
        required(f"the {engine} engine: {error.message}")
    try:
        bank = SpeechBank(synth, default_cache_dir(),
                          spoken=spoken_forms(script.pronounce).spoken)
        print(f"{engine} {path.stem}: synthesizing, then one plan at each pace", flush=True)
        for pace in PACES:
            bank.prefetch(utterances(script, pace=pace))
            timeline = compile_timeline(script, bank.measure, pace=pace)
            lost = [f"{d.dropped.cue} {d.dropped.text!r} at {d.dropped.start / timeline.sample_rate:.2f} s "
                    f"({d.key})" for d in timeline.dropped]
            assert not lost, f"{engine}, --pace {float(pace):g}: {lost}"
            cues = [event.cue for event in timeline.events]
            assert cues.count("press") == cues.count("release")
    finally:
        synth.close()
