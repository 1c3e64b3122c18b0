"""The shipped sessions' point announcements are heard as the words meant (Whisper, the ``listen`` extra's model).

Each English session's announcements ("Left side. GB30 (Huantiao). …", spoken
through its ``pronounce``) are synthesized with each engine and transcribed
offline: the side and the point's name (its spoken form, e.g. "the jumping
circle point") must come out as words.  Without the
engine or the extra: skipped with a reason, a failure under ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.required import required
from voiceguide.base import SAMPLE_RATE
from voiceguide.errors import VoiceguideError
from voiceguide.phrases import primary_language
from voiceguide.play.listen import LISTEN_RATE, normal_phrase
from voiceguide.play.recognizer import model_directory
from voiceguide.script.limits import estimated_measure
from voiceguide.script.model import Script
from voiceguide.script.parse import load_script
from voiceguide.script.pronounce import spoken_forms
from voiceguide.speech.clip_cache import default_cache_dir
from voiceguide.speech.clips import SpeechBank
from voiceguide.speech.engines import ENGINES, open_synthesizer
from voiceguide.speech.trimming import resample
from voiceguide.timeline.compiler import compile_timeline

pytestmark = pytest.mark.engine

SCRIPTS = sorted((Path(__file__).resolve().parent.parent / "scripts").glob("*.yaml"))
ENGLISH_PRESSES = [path for path in SCRIPTS
                   if primary_language(load_script(path).language) == "en" and "point:" in path.read_text()]


def point_words(script: Script, text: str) -> str:
    """How the session says the point an announcement names: the spoken form of the longest written form in it."""
    found = sorted((len(written), spoken) for written, spoken in script.pronounce if written in text)
    assert found, f"no spoken form for the point in {text!r}"
    return normal_phrase(found[-1][1])


def _unavailable(what: str, error: Exception) -> None:
    required(f"{what}: {error}")


@pytest.fixture(scope="module")
def whisper() -> Iterator[Any]:
    try:
        from faster_whisper import WhisperModel

        yield WhisperModel(str(model_directory()), device="cpu", compute_type="int8", cpu_threads=2)
    except (ImportError, VoiceguideError) as error:
        _unavailable("the listen extra", error)


WINDOW_SECONDS = 10.0
"""What Whisper's encoder hears: the announcement (at most ~7 s) with its silence.  Whisper pads to 30 s;
10 s hears the same points and sides in all sixteen announcements for a third of the encoder's CPU."""


def transcribe(model: Any, clip: np.ndarray[Any, Any]) -> str:
    """What Whisper hears in a clip, with half a second of silence around it, as a plain phrase (greedy, one
    pass over a ``WINDOW_SECONDS`` window)."""
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_ctranslate2_storage

    audio = resample(np.asarray(clip, dtype=np.float32), SAMPLE_RATE, LISTEN_RATE).astype(np.float32)
    pad = np.zeros(LISTEN_RATE // 2, dtype=np.float32)
    window = round(WINDOW_SECONDS * LISTEN_RATE)
    assert audio.size + 2 * pad.size <= window, f"a {audio.size / LISTEN_RATE:.1f} s announcement: widen the window"
    heard = np.concatenate([pad, audio, np.zeros(window - audio.size - pad.size, dtype=np.float32)])
    extractor = model.feature_extractor
    features = extractor(heard)[:, :round(WINDOW_SECONDS / extractor.time_per_frame)]
    encoded = model.model.encode(get_ctranslate2_storage(np.ascontiguousarray(features[None])))
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
    prompt = model.get_prompt(tokenizer, [], without_timestamps=True)
    [result] = model.model.generate(encoded, [prompt], beam_size=1, max_length=len(prompt) + 100,
                                    suppress_blank=True)
    return normal_phrase(tokenizer.decode([token for token in result.sequences_ids[0] if token < tokenizer.eot]))


@pytest.mark.parametrize("engine", ENGINES)
def test_each_announcement_is_heard_as_its_side_and_the_points_name(whisper: Any, engine: str) -> None:
    try:
        synth = open_synthesizer(engine, voice=None, language="en", rate=160)
    except VoiceguideError as error:
        _unavailable(f"the {engine} engine", error)
    try:
        heard_any = False
        for path in ENGLISH_PRESSES:  # the sessions share announcements: each distinct one is heard once
            script = load_script(path)
            assert script.voice.rate == 160
            bank = SpeechBank(synth, default_cache_dir(),
                              spoken=spoken_forms(script.pronounce).spoken)
            # The announcements' texts do not depend on the speech's lengths: an estimated layout finds them,
            # and only they are synthesized (the placement tests make the rest of the sessions' speech).
            layout = compile_timeline(script, estimated_measure(script.voice.rate, SAMPLE_RATE))
            for event in layout.events:
                if event.cue != "announce" or event.spoken in HEARD.setdefault(engine, set()):
                    continue
                words = point_words(script, event.text or "")
                assert event.spoken is not None and words in normal_phrase(event.spoken)  # said, not as written
                HEARD[engine].add(event.spoken)
                heard = transcribe(whisper, bank.clip(event.text or ""))
                print(f"{engine} {path.stem}: {event.spoken!r} heard as {heard!r}")
                assert words in heard, heard
                assert event.side is None or f"{event.side} side" in heard, heard
                heard_any = True
        assert heard_any
    finally:
        synth.close()


HEARD: dict[str, set[str]] = {}
