"""Other people's voices, generated here: espeak-ng voices and variants at several rates, and hibari.

Voice-command tests and ``bench_listen`` say commands (and the room's chatter)
with voices that are not the session's own, through libespeak-ng directly
(ctypes, synchronous, into memory: a voice *variant* such as ``en-us+f3`` is not
one of pyttsx3's voices) and the natural voice hibari.  Everything comes out as
float32 mono at 16 kHz, the listener's rate.

A voice is named ``espeak:VOICE[+VARIANT]@RATE`` (words per minute) or
``hibari:SEED@SPEED``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import numpy.typing as npt

RATE = 16000
Samples = npt.NDArray[np.float32]

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_RATE = 1
_ESPEAK_CHARS_AUTO = 0
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Espeak:
    """libespeak-ng, synthesizing into memory (one call at a time: the library is not thread-safe)."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        self._lib = ctypes.CDLL(name)
        self._lib.espeak_Initialize.restype = ctypes.c_int
        self.rate = int(self._lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, 0))
        if self.rate <= 0:
            raise OSError("espeak-ng could not start")
        self._chunks: list[np.ndarray] = []
        self._callback = _SYNTH_CALLBACK(self._collect)  # kept alive as long as the library may call it
        self._lib.espeak_SetSynthCallback(self._callback)
        self._lock = threading.Lock()

    def _collect(self, wav: ctypes._Pointer, count: int, events: object) -> int:  # type: ignore[type-arg]
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    def say(self, text: str, voice: str, words_per_minute: int) -> Samples:
        with self._lock:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ValueError(f"espeak-ng has no voice {voice!r}")
            self._lib.espeak_SetParameter(_ESPEAK_RATE, words_per_minute, 0)
            self._chunks = []
            data = text.encode() + b"\0"
            self._lib.espeak_Synth(data, len(data), 0, 0, 0, _ESPEAK_CHARS_AUTO, None, None)
            audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return (audio.astype(np.float32) / 32768.0).astype(np.float32)


@lru_cache(maxsize=1)
def _espeak() -> _Espeak:
    return _Espeak()


@lru_cache(maxsize=1)
def _hibari() -> Callable[..., np.ndarray]:
    from hibari import Hibari

    voice: Callable[..., np.ndarray] = Hibari()
    return voice


def _resample(audio: np.ndarray, rate: int) -> Samples:
    import soxr

    return np.asarray(soxr.resample(np.asarray(audio, dtype=np.float32), rate, RATE), dtype=np.float32)


def _trim(audio: Samples, threshold: float = 1e-3) -> Samples:
    """Without the silence the engine puts around the words (the caller decides the silence)."""
    loud = np.flatnonzero(np.abs(audio) > threshold)
    return audio[loud[0]:loud[-1] + 1] if loud.size else audio


def say(text: str, voice: str) -> Samples:
    """``text`` said by ``voice`` (``espeak:en-us+f3@150`` or ``hibari:7@1.0``), 16 kHz, trimmed of silence."""
    kind, _, rest = voice.partition(":")
    name, _, speed = rest.partition("@")
    if kind == "espeak":
        engine = _espeak()
        return _trim(_resample(engine.say(text, name, int(speed or 160)), engine.rate))
    if kind == "hibari":
        return _trim(_resample(_hibari()(text, speed=float(speed or 1.0), seed=int(name)), 24000))
    raise ValueError(f"not a voice: {voice!r}")


TUNING_VOICES = (
    "espeak:en-us@150", "espeak:en+m3@175", "espeak:en+f2@140", "espeak:en-GB-x-rp+m5@190",
    "hibari:1@0.9", "hibari:2@1.0", "hibari:3@1.15",
)
"""The voices the command words were chosen with."""

TEST_VOICES = (
    "espeak:en-us+f3@130", "espeak:en-us+m7@165", "espeak:en-GB-scotland+f4@150", "espeak:en-029+m2@185",
    "espeak:en-US-nyc+f5@200", "espeak:en-GB-x-gbclan+m4@145", "espeak:en+klatt2@170",
    "hibari:11@0.85", "hibari:12@1.0", "hibari:13@1.1", "hibari:14@1.25",
)
"""Voices nobody tuned with: the benchmark's and the tests' judges (7 espeak-ng variants at 130-200 words
a minute, hibari at four speeds)."""
