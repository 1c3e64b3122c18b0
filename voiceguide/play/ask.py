"""The pain questions of the session log: spoken, answered with one key, confirmed aloud.

``ask_pain`` speaks a question into the live ``Sink`` before the player starts
(or after it has finished), keeps the stream fed with silence while it waits,
and returns the answer: a digit key is 0-9, ``t`` is ten; ``q`` or Escape
declines; with voice commands on, a number said alone ("seven") answers too;
silence for ``silence_seconds`` after the question means skipped.
The answer (or the skip) is confirmed aloud, and ``ask_pain`` returns once
that confirmation has been played, so the output is idle again.  After the
session, pain higher than before (or ``CARE_FROM`` and above) is followed by a
calm safety sentence (``pain_safety``): stop if it is sharp or spreading, see a
doctor if it comes with numbness or weakness, or keeps rising.

Every spoken word comes from the script's phrasebook (``pain_phrases``),
so the questions follow the script's ``language`` and its ``phrases:``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from voiceguide.base import Audio
from voiceguide.log.record import PAIN_MAX
from voiceguide.phrases import Phrasebook, load_phrasebook
from voiceguide.play.command_words import normal_phrase
from voiceguide.play.commands import Speak
from voiceguide.play.transport import FEEDBACK_GAP_SECONDS

if TYPE_CHECKING:
    from voiceguide.audio.sinks import Sink

CARE_FROM = 8
"""Pain after the session from this on gets the safety sentence, whatever it was before."""

SILENCE_SECONDS = 15.0
"""How long silence after a question means "skipped"."""

ANSWER_KEYS: dict[str, int] = {**{str(n): n for n in range(10)}, "t": 10, "T": 10}
"""Keys as ``keys.KeyReader`` names them, and the pain each one answers."""

DECLINE_KEYS = frozenset({"q", "Q", "escape"})

KEYS_HINT = "press 0 to 9, or t for ten; q or silence skips"

ReadKey = Callable[[float], "str | None"]
"""Waits up to the given seconds for a key; its name, or None (``KeyReader.read``)."""


@dataclass(frozen=True)
class PainPhrases:
    """What the pain questions say, in the script's language: the questions, each answer, the skip."""

    before: str
    after: str
    answers: tuple[str, ...]
    """The spoken confirmation of each pain from 0 to 10: "Seven. Thank you." """
    skipped: str
    keys_hint: str = KEYS_HINT
    """Shown on screen (not spoken) after the question."""
    spoken: Mapping[str, int] = field(default_factory=dict)
    """Spoken answers (``play --listen``): each number's words, as ``normal_phrase`` writes them."""
    safety: str = ""
    """Said after the answer when the pain after the session calls for care (``needs_care``)."""

    def spoken_pain(self, transcript: str) -> int | None:
        """The pain a transcript says ("Seven.", "7", "ten"), or None when it is not exactly a number."""
        return self.spoken.get(normal_phrase(transcript))

    def answer_text(self, value: int) -> str:
        """The spoken confirmation of an answer."""
        return self.answers[value]

    def needs_care(self, after: int | None, before: int | None) -> bool:
        """True when the pain after the session is higher than before it, or ``CARE_FROM`` and above."""
        if after is None or not self.safety:
            return False
        return after >= CARE_FROM or (before is not None and after > before)

    def texts(self) -> list[str]:
        """Every sentence that may be spoken, the first question first (for synthesizing ahead)."""
        return [self.before, self.after, self.skipped, *self.answers, *([self.safety] if self.safety else [])]


def pain_phrases(phrases: Phrasebook) -> PainPhrases:
    """The pain questions' texts from the script's phrasebook (``pain_before``, ``pain_after``, ...)."""
    # Voice commands are recognised in English; the script's own number words count too.
    english = load_phrasebook("en")
    spoken: dict[str, int] = {}
    for n in range(PAIN_MAX + 1):
        for words in (str(n), english.number(n), phrases.number(n)):
            spoken.setdefault(normal_phrase(words), n)
    return PainPhrases(
        before=phrases.say("pain_before"),
        after=phrases.say("pain_after"),
        answers=tuple(phrases.say("pain_answer", n=n) for n in range(PAIN_MAX + 1)),
        skipped=phrases.say("pain_skipped"),
        spoken=spoken,
        safety=phrases.say("pain_safety"),
    )


@dataclass
class _Writer:
    """Feeds a sink: queued audio first, then silence; counts what was written."""

    output: Sink
    written: int
    queued: Audio

    def feed(self) -> None:
        block_frames = self.output.block_frames
        while self.output.free_frames() >= block_frames:
            block = np.zeros(block_frames, dtype=np.float32)
            take = min(block_frames, len(self.queued))
            block[:take] = self.queued[:take]
            self.queued = self.queued[take:]
            self.output.write(block)
            self.written += block_frames

    def replace(self, audio: Audio) -> int:
        """Drop what is queued and not yet heard; queue ``audio``; returns where it ends (output frames)."""
        self.written -= self.output.discard()
        self.queued = audio
        return self.written + len(audio)


def ask_pain(question: str, phrases: PainPhrases, output: Sink, speak: Speak, read_key: ReadKey, *,
             volume: float = 1.0, sample_rate: int, silence_seconds: float = SILENCE_SECONDS,
             on_answer: Callable[[int | None], None] | None = None,
             heard: Callable[[], str | None] | None = None, before: int | None = None,
             after_session: bool = False, clock: Callable[[], float] = time.monotonic) -> int | None:
    """Ask ``question`` aloud and wait for a key (or a spoken number from ``heard``); the pain 0-10, or None.

    ``after_session``: the question after the session, whose answer is compared with ``before``
    (the answer before it) for the safety sentence.
    """
    gap = np.zeros(round(FEEDBACK_GAP_SECONDS * sample_rate), dtype=np.float32)
    gain = np.float32(volume)
    writer = _Writer(output, output.position, np.zeros(0, dtype=np.float32))
    asked_until = writer.replace(np.asarray(speak(question), dtype=np.float32) * gain)
    answer: int | None = None
    deadline: float | None = None
    while True:
        writer.feed()
        key = read_key(0.02)
        if key in ANSWER_KEYS:
            answer = ANSWER_KEYS[key]
            break
        if key in DECLINE_KEYS:
            break
        transcript = heard() if heard is not None else None
        if transcript is not None and phrases.spoken_pain(transcript) is not None:
            answer = phrases.spoken_pain(transcript)
            break
        if deadline is None and output.position >= asked_until:
            deadline = clock() + silence_seconds  # the silence counts from the question's end
        if deadline is not None and clock() >= deadline:
            break
    if on_answer is not None:
        on_answer(answer)
    reply = phrases.skipped if answer is None else phrases.answer_text(answer)
    parts = [np.asarray(speak(reply), dtype=np.float32) * gain, gap]
    if after_session and phrases.needs_care(answer, before):
        parts += [np.asarray(speak(phrases.safety), dtype=np.float32) * gain, gap]
    replied_until = writer.replace(np.concatenate(parts))
    while output.position < replied_until:
        writer.feed()
        time.sleep(0.01)
    writer.written -= output.discard()  # the silence written after the reply
    return answer
