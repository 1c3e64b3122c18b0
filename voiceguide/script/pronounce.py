"""Spoken forms (``pronounce:``): what the voice says for a written word or phrase.

Each written form is replaced as a whole word or phrase (not inside a longer
word), case-sensitively, in one pass: a longer written form wins over a shorter
one it contains (``GB30 (Huantiao)`` before ``GB30``), and a replacement is never
replaced again.  Only speech changes; the screen, captions, tags, chapters and
the plan's ``text`` keep what is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from voiceguide.phrases import Phrasebook
from voiceguide.script.model import Breathe, BreathWords, Press, Repeat, Say, Script, Section, Step

__all__ = ["SpokenForms", "number_texts", "script_texts", "spoken_forms"]

NUMBER_TEXTS_UP_TO = 100
"""``number_texts`` covers the numbers a session usually says: counts, countdowns, rounds, times' parts."""


def _pattern(written: Iterable[str]) -> re.Pattern[str] | None:
    forms = sorted(set(written), key=lambda form: (-len(form), form))
    if not forms:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(form) for form in forms) + r")(?!\w)")


@dataclass(frozen=True)
class SpokenForms:
    """A script's ``pronounce`` map, ready to apply to any text the session speaks."""

    forms: tuple[tuple[str, str], ...] = ()
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _memo: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", _pattern(written for written, _ in self.forms))

    def __bool__(self) -> bool:
        return bool(self.forms)

    def spoken(self, text: str) -> str:
        """``text`` as the voice says it: every written form replaced by its spoken form."""
        if self._regex is None:
            return text
        said = self._memo.get(text)
        if said is None:
            table = dict(self.forms)
            said = self._regex.sub(lambda match: table[match.group()], text)
            if len(self._memo) < 10_000:
                self._memo[text] = said
        return said

    def unused(self, texts: Iterable[str]) -> list[str]:
        """The written forms that occur (as whole words or phrases) in none of ``texts``, in the script's order."""
        remaining = {written for written, _ in self.forms}
        for text in texts:
            if not remaining:
                break
            for written in list(remaining):
                if written in text and _pattern([written]).search(text):  # type: ignore[union-attr]
                    remaining.discard(written)
        return [written for written, _ in self.forms if written in remaining]


def spoken_forms(pairs: Iterable[tuple[str, str]]) -> SpokenForms:
    """A ``SpokenForms`` of (written, spoken) pairs."""
    return SpokenForms(tuple(pairs))


def script_texts(script: Script) -> Iterator[str]:
    """Every text of a script that may be spoken (each step once, however often an alias repeats it)."""
    yield script.title
    yield from script.cautions
    seen: set[int] = set()
    stack: list[Step] = list(reversed(script.steps))
    while stack:
        step = stack.pop()
        if id(step) in seen:
            continue
        seen.add(id(step))
        if step.label:
            yield step.label
        if isinstance(step, Repeat):
            stack.extend(reversed(step.steps))
        elif isinstance(step, Say):
            yield step.text
        elif isinstance(step, Section):
            yield step.title
        elif isinstance(step, Breathe):
            yield from (text for text in (step.say, *_words(step.words)) if text)
        elif isinstance(step, Press):
            words = (step.words.press, step.words.release)
            yield from (text for text in (step.point, step.where, step.say, *words) if text)


def number_texts(book: Phrasebook) -> Iterator[str]:
    """The numbers the phrasebook fills in ("twenty", and "Twenty" as it starts "Twenty seconds left.")."""
    for n in range(NUMBER_TEXTS_UP_TO + 1):
        for noun in (None, "second", "minute", "hour"):
            words = book.number(n, noun)
            yield words
            yield words[:1].upper() + words[1:]


def _words(words: BreathWords | None) -> Iterator[str | None]:
    if words is not None:
        yield from (words.inhale, words.hold, words.exhale, words.rest)
        yield from _words(words.short)
