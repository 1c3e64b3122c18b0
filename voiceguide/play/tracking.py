"""The player's side of the session log: the pain questions around the session, and its record.

``SessionTracking`` is what ``play`` calls at four moments: ``before`` the
first step (ask the pain question), ``start`` (the first step is reached: from
now on the session is logged), ``after`` the last step (ask again, only when
the session ran to its end), and ``finish`` (append the record, however the
session ended).  It prints nothing itself: ``show`` and ``warn`` come from the
command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from voiceguide.errors import VoiceguideError
from voiceguide.log.record import Ending
from voiceguide.log.recorder import SessionRecorder
from voiceguide.play.ask import SILENCE_SECONDS, PainPhrases, ReadKey, ask_pain
from voiceguide.play.player import Output, Player, Program, Speak

Ask = Callable[[str], "int | None"]
"""Asks one question aloud; returns the answer or None (``SessionTracking.asker``)."""


@dataclass
class SessionTracking:
    """The pain questions (when ``phrases`` is set) and the log record (when ``recorder`` is set)."""

    recorder: SessionRecorder | None
    phrases: PainPhrases | None
    show: Callable[[str], None]
    warn: Callable[[str], None]
    estimate_seconds: Callable[[], float]
    """The session's planned length when it was not laid out to its end (quit early)."""
    silence_seconds: float = SILENCE_SECONDS
    quit_asked: bool = False
    ended: Ending | None = None
    _answers: list[int | None] = field(default_factory=list)

    def texts(self) -> tuple[list[str], list[str]]:
        """Sentences to synthesize ahead: (before the session's own, after them)."""
        if self.phrases is None:
            return [], []
        first, *rest = self.phrases.texts()
        return [first], rest

    def asker(self, read_key: ReadKey, interactive: bool, output: Output, speak: Speak, volume: float,
              sample_rate: int) -> Ask | None:
        """A function that asks one question, or None when there are no questions or no keys to answer."""
        phrases = self.phrases
        if phrases is None or not interactive:
            return None

        def ask(question: str) -> int | None:
            self.show(f"{question} ({phrases.keys_hint})")
            answer = ask_pain(question, phrases, output, speak, read_key, volume=volume,
                              sample_rate=sample_rate, silence_seconds=self.silence_seconds,
                              on_answer=self._show_answer)
            return answer
        return ask

    def _show_answer(self, answer: int | None) -> None:
        self.show("Pain: skipped." if answer is None else f"Pain: {answer}.")

    def before(self, ask: Ask | None) -> None:
        """Before the first step: ask the first question."""
        if ask is not None and self.phrases is not None:
            answer = ask(self.phrases.before)
            if self.recorder is not None:
                self.recorder.pain_before = answer

    def start(self) -> None:
        """The first step is reached."""
        if self.recorder is not None:
            self.recorder.start()

    def after(self, ask: Ask | None) -> None:
        """The player has stopped by itself or by ``q``: note how, and ask again if it ran to its end."""
        self.ended = "quit" if self.quit_asked else "done"
        if self.ended == "done" and ask is not None and self.phrases is not None:
            answer = ask(self.phrases.after)
            if self.recorder is not None:
                self.recorder.pain_after = answer

    def finish(self, program: Program, player: Player | None, sample_rate: int) -> None:
        """Append the record (an ending not yet known is an error); a failure to write is only a warning."""
        if self.recorder is None or player is None:
            return
        try:
            length = program.snapshot().length
        except Exception:  # noqa: BLE001 - the compile error is reported by whoever met it first
            length = None
        planned = length / sample_rate if length is not None else self.estimate_seconds()
        try:
            self.recorder.finish(self.ended or "error", planned_seconds=planned,
                                 played_seconds=player.heard_frames / sample_rate)
        except VoiceguideError as error:
            self.warn(f"this session was not logged: {error.message}")
