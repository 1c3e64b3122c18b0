"""The engine every utterance is forked from: espeak-ng started once, in its synchronous mode (Linux).

Run inside the speech worker (``_tts_worker``), never imported by the player.
espeak-ng is started in its synchronous mode, which starts no thread (a fork
keeps only the forking thread, and the asynchronous mode's queue lives on one):
``espeak_Synth`` then speaks and gives every sample to the callback before it
returns.  pyttsx3's driver starts espeak only if it has not been started, so it
is started here first.  The worker sets the voice and rate here once, and forks
a child per utterance from this never-spoken state: no child loads the phoneme
data or the voice again, and each take is byte for byte a fresh engine's
(tests/test_reproducible.py).  A child speaks into memory, through pyttsx3's own
binding of espeak-ng, and sends the samples back through a pipe: no WAV file is
written, checked and read back per utterance.
"""

from __future__ import annotations

from typing import Any

from voiceguide.speech._tts_engine import Engine, WorkerFailure


class PreparedEngine(Engine):
    """An ``Engine`` on espeak-ng started synchronously; ``prepared_engine`` makes one."""

    sample_rate = 22050
    """What espeak-ng's ``Initialize`` said its samples are (pyttsx3's driver labels its files 22,050 Hz)."""

    def configure_prepared(self, voice: str | None, rate: int) -> dict[str, Any]:
        """Select voice and rate (synchronous: no warm-up is needed)."""
        # Straight to the driver: pyttsx3's engine would queue these until the next runAndWait, so every
        # child would load the voice again (and the check below would see the old one).
        driver = getattr(getattr(self.engine, "proxy", None), "_driver", None) or self.engine
        try:
            if voice is not None:
                driver.setProperty("voice", voice)
            driver.setProperty("rate", rate)
        except ValueError as error:
            raise WorkerFailure("voice", str(error)) from None
        self.warm = True
        current = self.engine.getProperty("voice")
        if voice is not None and current is not None and str(current).lower() != voice.lower():
            raise WorkerFailure("voice", f"the engine did not accept voice {voice!r} (it kept {current!r})")
        return {"ok": True, "voice": str(current) if current is not None else voice}

    def speak_to_memory(self, text: str) -> dict[str, Any]:
        """Speak ``text`` in memory (in a child forked from this engine): its 16-bit samples as the ``payload``.

        The very call pyttsx3's driver makes (``_espeak.Synth`` with an end pause, as
        UTF-8), through pyttsx3's own binding; only the samples go to a list instead
        of the driver's buffer and a WAV file it would write, check and have read back.
        """
        import ctypes

        from pyttsx3.drivers import _espeak

        chunks: list[bytes] = []

        def collect(wav: Any, count: int, events: Any) -> int:
            if count > 0:
                chunks.append(ctypes.string_at(wav, count * 2))
            return 0

        _espeak.SetSynthCallback(collect)
        status = _espeak.Synth(str(text).encode("utf-8"), flags=_espeak.ENDPAUSE | _espeak.CHARS_UTF8)
        payload = b"".join(chunks)
        if status != _espeak.EE_OK or not payload:
            raise WorkerFailure("unusable", f"espeak-ng gave no audio for {text!r} (status {status})")
        return {"ok": True, "frames": len(payload) // 2, "payload": payload}


def prepared_engine() -> PreparedEngine | None:
    """An engine to fork every utterance from, nothing spoken yet (``configure_prepared`` next).

    None where this pyttsx3's espeak driver has no such switch (another version):
    then each child starts its own engine, as before.
    """
    try:
        from pyttsx3.drivers import _espeak
        from pyttsx3.drivers import espeak as driver
    except Exception:
        return None
    espeak_driver = getattr(driver, "EspeakDriver", None)
    started = getattr(espeak_driver, "_moduleInitialized", None)
    if espeak_driver is None or started is not False or not hasattr(_espeak, "AUDIO_OUTPUT_SYNCHRONOUS"):
        return None
    sample_rate = _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 1000)
    if sample_rate == -1:
        raise WorkerFailure("init", "espeak_Initialize failed")
    current = _espeak.GetCurrentVoice()
    default = current.contents.name.decode("utf-8") if current and current.contents.name else "gmw/en"
    espeak_driver._defaultVoice = default
    espeak_driver._moduleInitialized = True
    engine = PreparedEngine()
    engine.sample_rate = sample_rate
    proxy_driver = getattr(getattr(engine.engine, "proxy", None), "_driver", None)
    if proxy_driver is not None:
        proxy_driver.stop = lambda: None  # nothing is ever queued to stop (see Engine.speak_once)
    return engine
