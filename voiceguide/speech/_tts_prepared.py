"""The engine every utterance is forked from: espeak-ng started once, in its synchronous mode (Linux).

Run inside the speech worker (``_tts_worker``), never imported by the player.
espeak-ng is started in its synchronous mode, which starts no thread (a fork
keeps only the forking thread, and the asynchronous mode's queue lives on one):
``espeak_Synth`` then speaks and calls pyttsx3's callback before it returns, so
``runAndWait`` returns with every sample given.  pyttsx3's driver starts espeak
only if it has not been started, so it is started here first.  The worker sets
the voice and rate here once, and forks a child per utterance from this
never-spoken state: no child loads the phoneme data or the voice again, and each
take is byte for byte a fresh engine's (tests/test_reproducible.py).
"""

from __future__ import annotations

from typing import Any

from voiceguide.speech._tts_engine import CHILD_SETTLE_SECONDS, Engine, WorkerFailure, remove, wait_for_file


class PreparedEngine(Engine):
    """An ``Engine`` on espeak-ng started synchronously; ``prepared_engine`` makes one."""

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

    def speak_prepared(self, item: dict[str, str]) -> dict[str, Any]:
        """Write one item's file (in a child forked from this engine)."""
        text, path = item["text"], item["path"]
        remove(path)
        self._save(text, path)  # synchronous: every sample has reached pyttsx3's callback
        self._end_utterance()
        if not wait_for_file(path, CHILD_SETTLE_SECONDS):
            raise WorkerFailure("unusable", f"no complete audio file for {text!r}")
        return {"ok": True}

    def _end_utterance(self) -> None:
        """Give pyttsx3's callback the end-of-message event that espeak's synchronous mode never sends.

        espeak-ng sends ``MSG_TERMINATED`` from its queue's thread, which the
        synchronous mode does not have; pyttsx3 writes the file when it gets it.
        """
        from pyttsx3.drivers import _espeak

        driver = getattr(getattr(self.engine, "proxy", None), "_driver", None)
        if driver is None or not getattr(driver, "_speaking", False):
            return
        events = (_espeak.EVENT * 2)()
        events[0].type = _espeak.EVENT_MSG_TERMINATED
        events[1].type = _espeak.EVENT_LIST_TERMINATED
        driver._onSynth(None, 0, events)


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
    if _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 1000) == -1:
        raise WorkerFailure("init", "espeak_Initialize failed")
    current = _espeak.GetCurrentVoice()
    default = current.contents.name.decode("utf-8") if current and current.contents.name else "gmw/en"
    espeak_driver._defaultVoice = default
    espeak_driver._moduleInitialized = True
    engine = PreparedEngine()
    proxy_driver = getattr(getattr(engine.engine, "proxy", None), "_driver", None)
    if proxy_driver is not None:
        proxy_driver.stop = lambda: None  # nothing is ever queued to stop (see Engine.speak_once)
    return engine
