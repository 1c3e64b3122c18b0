"""The optional neural voice: hibari (a small Kokoro-derived ONNX model) behind ``Synthesizer``.

hibari ships one voice inside its package ("heart", American English); its
other voices would be downloaded on first use, which voiceguide never does, so
only bundled voices are offered.  The model adds a noise component drawn from a
random generator: a fixed seed makes every take of a text the same samples.
Its 24 kHz output is resampled to ``SAMPLE_RATE`` with soxr (a real
band-limited resampler), so clips, cache, mixer and files stay at one rate.
Installed with the ``natural`` extra: ``pip install 'voiceguide[natural]'``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from voiceguide.base import SAMPLE_RATE, Audio
from voiceguide.errors import EngineError
from voiceguide.speech.voices import VOICES_HINT, VoiceInfo, select_voice

NATURAL_RATE_WPM = 160
"""hibari's own pace at ``speed=1.0`` (measured: 160 words per minute); ``rate`` scales from it."""

MIN_SPEED, MAX_SPEED = 0.5, 2.0
"""The speed range hibari documents; rates outside it are clamped."""

SEED = 0
"""The seed of hibari's noise component: the same text always gives the same samples."""

INSTALL_HINT = "install the natural voice: pip install 'voiceguide[natural]' (in a checkout: ./dev setup does it)"


def _import_hibari() -> Any:
    try:
        import hibari
        import soxr  # noqa: F401  (checked here, used in synthesize)
    except ImportError as error:
        raise EngineError(f"The natural voice (engine 'hibari') is not installed ({error}).",
                          hint=INSTALL_HINT) from None
    return hibari


def bundled_voices() -> list[VoiceInfo]:
    """hibari's voices that ship inside its package (the only ones voiceguide uses)."""
    hibari = _import_hibari()
    from hibari.voices import VOICES

    del hibari
    return [
        VoiceInfo(id=name, name=f"{name} ({info['accent']} English, {info['gender']})",
                  languages=(str(info["language"]).lower(), "en"), gender=str(info["gender"]))
        for name, info in VOICES.items() if info.get("bundled")
    ]


def _file_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


class HibariSynthesizer:
    """hibari speech as a ``speech.Synthesizer``; English only.

    ``voice``: a bundled voice's id or part of its name; ``language``: the
    script's BCP-47 tag (anything but English is refused with ``EngineError``);
    ``rate``: words per minute (hibari speaks 160 at its natural speed).
    Construction loads the model (~0.2 s), so a missing extra fails here.
    """

    def __init__(self, voice: str | None = None, language: str | None = None, rate: int = NATURAL_RATE_WPM) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be a positive number of words per minute, not {rate}")
        hibari = _import_hibari()
        if language is not None and language.replace("_", "-").split("-", 1)[0].lower() != "en":
            raise EngineError(f"The natural voice (engine 'hibari') speaks English only, not {language!r}.",
                              hint="use the default engine (--engine pyttsx3), which speaks many languages")
        self.voices: tuple[VoiceInfo, ...] = tuple(bundled_voices())
        chosen = select_voice(self.voices, voice, language) or self.voices[0]
        import onnxruntime

        try:
            self._tts = hibari.Hibari(voice=chosen.id, threads=1)
        except Exception as error:  # noqa: BLE001 - onnxruntime raises its own types; one choke point here
            raise EngineError(f"The natural voice could not start: {error}.", hint=INSTALL_HINT) from None
        self._voice_id = chosen.id
        self._speed = min(MAX_SPEED, max(MIN_SPEED, rate / NATURAL_RATE_WPM))
        self._lock = threading.Lock()
        model = Path(self._tts.model_path)
        self._identity = (f"hibari {hibari.__version__}; model {model.name} {_file_digest(str(model))}; "
                          f"onnxruntime {onnxruntime.__version__}; voice {chosen.id}; rate {rate}; seed {SEED}")

    @property
    def sample_rate(self) -> int:
        """Always ``SAMPLE_RATE``: hibari's 24 kHz is resampled here."""
        return SAMPLE_RATE

    @property
    def voice_id(self) -> str:
        """The hibari voice in use."""
        return self._voice_id

    def identity(self) -> str:
        """Engine and model versions (with the model file's hash), voice, rate and seed."""
        return self._identity

    def synthesize(self, text: str) -> Audio:
        """The spoken text, untrimmed, as float32 mono at ``SAMPLE_RATE``; the same samples every time."""
        if not text.strip():
            raise ValueError("cannot synthesize empty text")
        import soxr

        with self._lock:  # one onnxruntime session; hibari's G2P keeps state
            try:
                raw = self._tts(text, speed=self._speed, seed=SEED)
            except Exception as error:  # noqa: BLE001 - the engine's failures become ours, here
                raise EngineError(f"The natural voice failed on {text[:40]!r}: {error}.", text=text) from None
        audio = np.asarray(raw, dtype=np.float32)
        if audio.size == 0:
            raise EngineError(f"The natural voice produced no sound for {text[:40]!r}.",
                              hint="the text may have nothing it can pronounce", text=text)
        resampled = soxr.resample(audio, int(self._tts.sample_rate), SAMPLE_RATE, quality="HQ")
        return np.ascontiguousarray(resampled, dtype=np.float32)

    def synthesize_many(self, texts: Sequence[str]) -> list[Audio]:
        """Each text spoken, in order."""
        return [self.synthesize(text) for text in texts]

    def close(self) -> None:
        """Nothing to stop: the model lives in this process."""


__all__ = ["HibariSynthesizer", "VOICES_HINT", "bundled_voices"]
