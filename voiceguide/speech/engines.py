"""The speech engines a user can choose (``--engine``): one name each, one way to open them."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from voiceguide.errors import EngineError
from voiceguide.speech import DEFAULT_ENGINE, ENGINES
from voiceguide.speech.clips import Synthesizer
from voiceguide.speech.voices import VoiceInfo

__all__ = ["DEFAULT_ENGINE", "ENGINES", "EngineSynthesizer", "engine_voices", "every_engines_voices",
           "open_synthesizer"]


class EngineSynthesizer(Synthesizer, Protocol):
    """A synthesizer that names its voice (for the plan) and can be closed."""

    @property
    def voice_id(self) -> str | None:
        """The engine's id of the voice in use."""
        ...

    def close(self) -> None:
        """Release the engine (worker process, model)."""
        ...


def open_synthesizer(engine: str, *, voice: str | None, language: str | None, rate: int,
                     cache_dir: Path | None = None) -> EngineSynthesizer:
    """Start ``engine`` with the voice, language and rate asked for; ``EngineError`` when it cannot.

    ``cache_dir`` (the speech cache's): pyttsx3's worker then starts only when something
    must be spoken, if its remembered greeting still matches (``pyttsx3_engine``).
    """
    if engine == "hibari":
        from voiceguide.speech.hibari_engine import HibariSynthesizer

        return HibariSynthesizer(voice=voice, language=language, rate=rate)
    if engine == "pyttsx3":
        from voiceguide.speech.pyttsx3_engine import Pyttsx3Synthesizer

        return Pyttsx3Synthesizer(voice=voice, language=language, rate=rate, cache_dir=cache_dir)
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def engine_voices(engine: str) -> list[VoiceInfo]:
    """The voices ``engine`` offers; ``EngineError`` when the engine is not installed."""
    if engine == "hibari":
        from voiceguide.speech.hibari_engine import bundled_voices

        return bundled_voices()
    if engine == "pyttsx3":
        from voiceguide.speech.pyttsx3_engine import list_voices

        return list_voices()
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def every_engines_voices() -> tuple[list[tuple[str, VoiceInfo]], list[str]]:
    """Every engine's voices as (engine, voice), and a sentence for each optional engine not installed.

    ``EngineError`` when the default engine itself is missing.
    """
    voices: list[tuple[str, VoiceInfo]] = []
    missing: list[str] = []
    for engine in ENGINES:
        try:
            voices += [(engine, voice) for voice in engine_voices(engine)]
        except EngineError as error:
            if engine == DEFAULT_ENGINE:
                raise
            missing.append(f"{engine}: {error.message} {error.hint or ''}".rstrip())
    return voices, missing
