"""Phrasebooks: every word voiceguide speaks on its own, in the script's language.

One YAML file per shipped language beside this module (``de.yaml`` …) maps
each key of ``keys.KEYS`` to a template with ``{placeholders}``.  A script's
``phrases:`` override single keys; a language without a shipped phrasebook
takes English for every key the script leaves out.  Numbers are filled in as
words of the language (``numbers.number_words``, from num2words).

Upstream of ``script`` and ``timeline``: it imports nothing else of voiceguide.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

import yaml

from voiceguide.phrases.catalogue import KEYS, KEYS_BY_NAME, PhraseKey
from voiceguide.phrases.numbers import Noun, number_words

__all__ = [
    "DEFAULT_LANGUAGE",
    "KEYS",
    "KEYS_BY_NAME",
    "LANGUAGE_NAMES",
    "MAX_FILLED_CHARS",
    "PhraseKey",
    "PhraseTooLong",
    "Phrasebook",
    "filled_problem",
    "load_phrasebook",
    "phrase_problem",
    "phrasebook_yaml",
    "placeholders",
    "primary_language",
    "shipped_languages",
]

DEFAULT_LANGUAGE = "en"
"""The phrasebook of a script without ``language``, and the fallback for keys a language lacks."""

LANGUAGE_NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "nl": "Dutch",
    "pt": "Portuguese",
}
"""The shipped languages, by primary subtag (their phrasebooks are ``<tag>.yaml``)."""

MAX_FILLED_CHARS = 2000
"""The longest a phrase may be once its placeholders are filled in (a template repeating them multiplies)."""

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_BRACE = re.compile(r"[{}]")
_NOUNS: dict[str, Noun] = {"second_one": "second", "second_other": "second", "minute_one": "minute",
                           "minute_other": "minute", "hour_one": "hour", "hour_other": "hour"}


def primary_language(language: str | None) -> str:
    """The primary subtag of a BCP-47 tag, lower case (``pt-BR`` → ``pt``); no tag → ``en``."""
    if not language:
        return DEFAULT_LANGUAGE
    return language.replace("_", "-").split("-", 1)[0].lower()


def shipped_languages() -> tuple[str, ...]:
    """The primary subtags with a shipped phrasebook."""
    return tuple(LANGUAGE_NAMES)


def placeholders(template: str) -> set[str]:
    """The placeholder names a template uses: ``"{n} seconds"`` → ``{"n"}``."""
    return set(_PLACEHOLDER.findall(template))


def phrase_problem(key: str, template: str) -> str | None:
    """Why ``template`` cannot be the value of ``key`` (a lost or invented placeholder), or None.

    The reason reads on from the key's name: "phrases.round " + "must keep the placeholder {rounds}".
    """
    spec = KEYS_BY_NAME[key]
    if _BRACE.search(_PLACEHOLDER.sub("", template)):
        return "has a brace that is not part of a placeholder: placeholders are written {n}, {time} …"
    used = placeholders(template)
    invented = sorted(used - spec.placeholders - spec.optional)
    dropped = sorted(spec.placeholders - used)
    problems = []
    if dropped:
        problems.append(f"must keep the placeholder{'s' if len(dropped) > 1 else ''} {_braced(dropped)}")
    if invented:
        allowed = sorted(spec.placeholders | spec.optional)
        takes = f"this phrase takes {_braced(allowed)}" if allowed else "this phrase takes no placeholder"
        problems.append(f"has an unknown placeholder{'s' if len(invented) > 1 else ''} {_braced(invented)} "
                        f"({takes})")
    return "; ".join(problems) or None


def _braced(names: list[str]) -> str:
    return ", ".join(f"{{{name}}}" for name in names)


@functools.cache
def _shipped(language: str) -> dict[str, str]:
    """A shipped phrasebook's templates (read once)."""
    text = resources.files(__name__).joinpath(f"{language}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or set(data) != set(KEYS_BY_NAME):
        missing = sorted(set(KEYS_BY_NAME) - set(data or {}))
        raise RuntimeError(f"the shipped phrasebook {language}.yaml is broken (keys missing: {missing})")
    return {str(key): str(value) for key, value in data.items()}


def _sentence(text: str) -> str:
    """Text as a spoken sentence: a capital first letter and closing punctuation."""
    text = " ".join(text.split())
    if text.startswith("éé"):
        text = "Eé" + text[2:]  # Dutch capitalises "één" as "Eén"
    elif text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text if not text or text[-1] in ".!?…:;," else text + "."


class PhraseTooLong(ValueError):
    """A phrase that would be longer than ``MAX_FILLED_CHARS`` once filled in; nothing was built."""

    def __init__(self, key: str, chars: int) -> None:
        super().__init__(f"phrase {key} is {chars:,} characters once filled in; at most {MAX_FILLED_CHARS:,}")
        self.key = key
        self.chars = chars


@dataclass(frozen=True)
class Phrasebook:
    """The phrases of one language (with a script's overrides), filled in and ready to speak."""

    language: str
    """The BCP-47 tag numbers are spoken in (``de``, ``pt-BR``)."""
    templates: Mapping[str, str]
    fallback_keys: tuple[str, ...] = field(default=())
    """Keys taken from English because the language has no shipped phrasebook and the script left them out."""

    @property
    def shipped(self) -> bool:
        """True when the language has a phrasebook of its own."""
        return primary_language(self.language) in LANGUAGE_NAMES

    def number(self, n: int, noun: Noun | None = None) -> str:
        """``n`` as words of the language (in the form ``noun`` needs after it)."""
        return number_words(n, self.language, noun)

    def fill(self, key: str, **values: str | int) -> str:
        """The template of ``key`` with its placeholders filled; whole numbers become words.

        Raises ``PhraseTooLong``, before building it, when the result would be
        longer than ``MAX_FILLED_CHARS`` (a placeholder repeated a thousand times).
        """
        noun = _NOUNS.get(key)
        template = self.templates[key]
        texts = {name: self.number(item, noun) if isinstance(item, int) else item for name, item in values.items()}
        length = len(template)
        for match in _PLACEHOLDER.finditer(template):
            length += len(texts[match.group(1)]) - len(match.group())
        if length > MAX_FILLED_CHARS:
            raise PhraseTooLong(key, length)
        return _PLACEHOLDER.sub(lambda match: texts[match.group(1)], template)

    def begins(self, words: str, key: str) -> bool:
        """True when ``words`` start with the phrase of ``key`` as whole words ("Breathe in slowly": inhale)."""
        head = self.templates[key].strip().rstrip(".!?…:;,").casefold()
        said = words.strip().casefold()
        return bool(head) and said.startswith(head) and (len(said) == len(head) or not said[len(head)].isalnum())

    def say(self, key: str, **values: str | int) -> str:
        """``fill``, as a spoken sentence (capital first letter, full stop) unless the key is a fragment."""
        text = self.fill(key, **values)
        return text if KEYS_BY_NAME[key].fragment else _sentence(text)

    def duration(self, seconds: int) -> str:
        """Whole seconds as words: ``90`` → ``"one minute thirty seconds"`` (``time_and`` joins the parts)."""
        if seconds < 0:
            raise ValueError(f"duration takes a non-negative number of seconds, got {seconds}")
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        parts: list[str] = []
        for count, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second")):
            if count or (unit == "second" and not parts):
                parts.append(self.fill(f"{unit}_{'one' if count == 1 else 'other'}", n=count))
        text = parts[0]
        for part in parts[1:]:
            text = self.fill("time_and", a=text, b=part)
        return text

    def time_left(self, seconds: int) -> str:
        """The time-left cue: "Forty seconds left." (the ``_one`` form for one second, minute or hour)."""
        single = seconds in (1, 60, 3600)
        return self.say("time_left_one" if single else "time_left_other", time=self.duration(seconds))


_PROBE_NUMBER = 77_777
"""A number whose words are among the longest a phrase is filled with (holds last at most 24 hours)."""
_PROBE_SECONDS = 23 * 3600 + 57 * 60 + 57
_PROBE_TEXT = "x" * 120
"""Stands for a step's name or point, or the list of voice commands, in ``filled_problem``."""


def filled_problem(book: Phrasebook, key: str) -> PhraseTooLong | None:
    """The ``PhraseTooLong`` filling ``key`` raises with the longest values it is usually given, or None.

    Numbers are given as 77,777, times as 23 hours 57 minutes 57 seconds, and
    names as 120 characters.  The error names the key that overflowed (it may be
    one ``key`` is built from, as a time's parts).
    """
    spec = KEYS_BY_NAME[key]
    try:
        time = book.duration(_PROBE_SECONDS)
        longest: dict[str, str | int] = {"time": time, "a": time, "b": time, "n": _PROBE_NUMBER,
                                         "round": _PROBE_NUMBER, "rounds": _PROBE_NUMBER}
        values = {name: longest.get(name, _PROBE_TEXT) for name in spec.placeholders | spec.optional}
        book.fill(key, **values)
    except PhraseTooLong as error:
        return error
    return None


def load_phrasebook(language: str | None = None, overrides: Mapping[str, str] | None = None) -> Phrasebook:
    """The phrasebook for a script's ``language`` (None: English) with its ``phrases:`` overrides.

    Overrides must already be valid (``phrase_problem``); unknown keys raise ``KeyError``.
    """
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(KEYS_BY_NAME))
    if unknown:
        raise KeyError(f"unknown phrase keys: {', '.join(unknown)}")
    primary = primary_language(language)
    fallback: tuple[str, ...] = ()
    if primary in LANGUAGE_NAMES:
        base = _shipped(primary)
    else:
        base = _shipped(DEFAULT_LANGUAGE)
        fallback = tuple(key.name for key in KEYS if key.name not in overrides)
    return Phrasebook(language or DEFAULT_LANGUAGE, {**base, **overrides}, fallback)


def phrasebook_yaml(language: str | None = None) -> str:
    """The whole phrasebook as YAML under ``phrases:``, a comment per key saying when it is spoken."""
    book = load_phrasebook(language)
    primary = primary_language(language)
    name = LANGUAGE_NAMES.get(primary)
    if name is not None:
        head = f"# voiceguide phrasebook: {name} ({primary})."
    else:
        head = (f"# voiceguide phrasebook for '{language}': none is shipped, so these are the English phrases;\n"
                f"# translate them all to give the language every word.")
    lines = [
        head,
        "# Paste the keys you want to change under 'phrases:' in a script. Keep every {placeholder}:",
        "# voiceguide fills them in ({n} and the numbers in times become words of the language).",
        "phrases:",
    ]
    for key in KEYS:
        value = yaml.safe_dump(book.templates[key.name], allow_unicode=True, width=1_000_000,
                               default_style=None).strip()
        value = value.removesuffix("\n...").removesuffix("...").strip()
        lines.append(f"  # {key.when}")
        lines.append(f"  {key.name}: {value}")
    return "\n".join(lines) + "\n"
