"""The player's side of the session log: the pain questions around the session, and its record.

``SessionTracking`` is what ``play`` calls at four moments: ``before`` the
first step (ask the pain question), ``start`` (the first step is reached: from
now on the session is logged), ``after`` the last step (ask again, only when
the session ran to its end), and ``finish`` (append the record, however the
session ended).  It prints nothing itself: the screen's ``show`` and the
command line's ``warn`` are handed in.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from voiceguide.errors import VoiceguideError
from voiceguide.log.record import Ending
from voiceguide.log.recorder import SessionRecorder
from voiceguide.play.ask import SILENCE_SECONDS, PainPhrases, ask_pain
from voiceguide.play.commands import Speak
from voiceguide.play.player import Player
from voiceguide.play.program import Program

if TYPE_CHECKING:
    from voiceguide.audio.sinks import Sink
    from voiceguide.play.listen import Heard
    from voiceguide.play.requests import PlayOptions
    from voiceguide.script.model import Script

Ask = Callable[[str, "int | None"], "int | None"]
"""Asks one question aloud; returns the answer or None (``SessionTracking.asker``).  Its second argument is
the answer before the session when this is the question after it (None before the session)."""


class Keys(Protocol):
    """Where answers come from (``keys.KeyReader``)."""

    @property
    def interactive(self) -> bool:
        """True when keys can be read at all."""
        ...

    def read(self, timeout: float) -> str | None:
        """The next key's name, or None when none came within ``timeout`` seconds."""
        ...


class VoiceRouter:
    """What the microphone hears (``play --listen``): an answer while a pain question waits, else a command.

    ``on_heard`` runs on the listener's thread; the rest on the player's.
    """

    def __init__(self, command: Callable[[str], None]) -> None:
        self._command = command
        self._answers: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._asking = threading.Event()

    def on_heard(self, heard: Heard) -> None:
        """Route one recognised segment (its own voice, already ignored by the listener, goes nowhere)."""
        if heard.ignored is not None:
            return
        if self._asking.is_set():
            self._answers.put(heard.text)
        elif heard.action is not None:
            self._command(heard.action)

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """While the block runs, what is heard is kept as answers (and forgotten after)."""
        self._asking.set()
        try:
            yield
        finally:
            self._asking.clear()
            while self.take_answer() is not None:
                pass

    def take_answer(self) -> str | None:
        """The next transcript heard while asking, if any."""
        try:
            return self._answers.get_nowait()
        except queue.Empty:
            return None


@dataclass
class SessionTracking:
    """The pain questions (when ``phrases`` is set) and the log record (when ``recorder`` is set)."""

    recorder: SessionRecorder | None
    phrases: PainPhrases | None
    warn: Callable[[str], None]
    estimate_seconds: Callable[[], float]
    """The session's planned length when it was not laid out to its end (quit early)."""
    silence_seconds: float = SILENCE_SECONDS
    ended: Ending | None = None
    pain_before: int | None = None
    """The answer to the question before the session (compared with the one after it)."""

    def texts(self) -> tuple[list[str], list[str]]:
        """Sentences to synthesize ahead: (before the session's own, after them)."""
        if self.phrases is None:
            return [], []
        first, *rest = self.phrases.texts()
        return [first], rest

    def asker(self, keys: Keys, show: Callable[[str], None], output: Sink, speak: Speak, volume: float,
              sample_rate: int, voice: VoiceRouter | None = None) -> Ask | None:
        """A function that asks one question, or None when there are no questions or nothing to answer them with."""
        phrases = self.phrases
        if phrases is None or not (keys.interactive or voice is not None):
            return None

        def ask(question: str, before: int | None) -> int | None:
            after_session = question == phrases.after

            def show_answer(answer: int | None) -> None:
                show("Pain: skipped." if answer is None else f"Pain: {answer}.")
                if after_session and phrases.needs_care(answer, before):
                    show(phrases.safety)

            hint = phrases.keys_hint + ("; or say the number" if voice is not None else "")
            show(f"{question} ({hint})")
            with voice.answering() if voice is not None else contextlib.nullcontext():
                return ask_pain(question, phrases, output, speak, keys.read, volume=volume, sample_rate=sample_rate,
                                silence_seconds=self.silence_seconds, on_answer=show_answer,
                                heard=voice.take_answer if voice is not None else None, before=before,
                                after_session=after_session)
        return ask

    def before(self, ask: Ask | None) -> None:
        """Before the first step: ask the first question."""
        if ask is not None and self.phrases is not None:
            answer = self.pain_before = ask(self.phrases.before, None)
            if self.recorder is not None:
                self.recorder.pain_before = answer

    def start(self) -> None:
        """The first step is reached."""
        if self.recorder is not None:
            self.recorder.start()

    def after(self, ask: Ask | None, *, quit: bool) -> None:
        """The player has stopped, by itself or by ``q`` (``quit``): note how, and ask again if it ran to its end."""
        self.ended = "quit" if quit else "done"
        if self.ended == "done" and ask is not None and self.phrases is not None:
            answer = ask(self.phrases.after, self.pain_before)
            if self.recorder is not None:
                self.recorder.pain_after = answer

    def interrupted(self) -> None:
        """Ctrl-C, or a signal: the listener stopping (a question after the end keeps the ending "done")."""
        self.ended = self.ended or "quit"

    def finish(self, program: Program, player: Player | None, sample_rate: int) -> None:
        """Append the record (an ending not yet known is an error); a failure to write is only a warning."""
        if self.recorder is None or player is None:
            return
        try:
            length = program.snapshot().length
        except Exception:  # noqa: BLE001 - the compile error is reported by whoever met it first
            length = None
        # Planned: from where playing began (--from) to the end, so that DONE reads 100% for a
        # session played from step 5 to its end.
        whole = length / sample_rate if length is not None else self.estimate_seconds()
        planned = max(0.0, whole - player.start_frame / sample_rate)
        # A hold's silence skipped to give back the time an answer held it up was lived through.
        played = player.transport.heard_session_frames + player.transport.skipped_frames
        stopped = None
        if self.ended != "done":  # where --resume takes it up again
            from voiceguide.play.resume import stop_point

            with contextlib.suppress(Exception):  # the program's failure is reported by whoever met it
                point = stop_point(program.snapshot(), player.transport.heard_frame())
                stopped = (point.step, point.occurrence) if point is not None else None
        try:
            self.recorder.finish(self.ended or "error", planned_seconds=planned,
                                 played_seconds=played / sample_rate, stopped_at=stopped)
        except VoiceguideError as error:
            self.warn(f"this session was not logged: {error.message}")


def session_tracking(options: PlayOptions, script: Script, warnings: list[str]) -> SessionTracking:
    """The pain questions (``--ask-pain`` or the settings) and the log record (unless ``--no-log`` or off).

    Its warnings are collected in ``warnings``: while playing, standard error goes to ``play.log``.
    """
    import os

    from voiceguide.base import SAMPLE_RATE
    from voiceguide.log.recorder import file_sha256, text_sha256
    from voiceguide.play.ask import pain_phrases
    from voiceguide.script.limits import estimated_measure
    from voiceguide.script.shipped import resolve_script
    from voiceguide.settings import load_settings
    from voiceguide.timeline.compiler import compile_timeline, script_phrasebook

    settings = load_settings()
    recorder = None
    if options.log and settings.log_enabled:
        name = options.session.script
        if options.session.text is not None:  # a session without a file: named by the command that made it
            recorder = SessionRecorder(session=script.title, script=name,
                                       script_sha256=text_sha256(options.session.text), note=options.note)
        else:
            path = resolve_script(name)
            # Where --resume finds it again: the file (absolute), or the shipped session by its name.
            where = name if not os.path.lexists(name) and path.stem == name else str(path.resolve())
            recorder = SessionRecorder(session=script.title, script=name, script_sha256=file_sha256(path),
                                       script_path=where, note=options.note)
    sound = options.session.sound

    def estimate_seconds() -> float:
        measure = estimated_measure(sound.rate or script.voice.rate, SAMPLE_RATE)
        timeline = compile_timeline(script, measure, pace=sound.pace, cautions=sound.cautions)
        return timeline.length / timeline.sample_rate

    def warn(message: str) -> None:
        warnings.append(f"voiceguide: warning: {message}")

    asked = options.ask_pain or settings.ask_pain
    phrases = pain_phrases(script_phrasebook(script)) if asked else None
    return SessionTracking(recorder, phrases, warn, estimate_seconds)
