"""Numbers as words of a language, from num2words, in the form the noun after them needs.

num2words gives the counting form ("uno", "un", "eins"); before a noun some
languages change the last word: Spanish drops the ``-o`` ("veintiún
segundos"), German, French, Spanish, Italian and Portuguese agree with a
feminine noun ("eine Minute", "vingt et une secondes", "duas horas").  Those endings are the only grammar
here; the numbers themselves always come from num2words.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

from num2words import CONVERTER_CLASSES, num2words

Noun = Literal["second", "minute", "hour"]

_GENDER: dict[str, dict[Noun, str]] = {
    # grammatical gender of the noun after the number, where it changes the number's last word
    "de": {"second": "f", "minute": "f", "hour": "f"},
    "fr": {"second": "f", "minute": "f", "hour": "f"},
    "es": {"second": "m", "minute": "m", "hour": "f"},
    "it": {"second": "m", "minute": "m", "hour": "f"},
    "pt": {"second": "m", "minute": "m", "hour": "f"},
}

# (pattern at the end of the words, replacement) for each language and gender, tried in order.
_ENDINGS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("de", "f"): ((r"^eins$", "eine"),),
    ("fr", "f"): ((r"\bun$", "une"),),
    ("es", "m"): ((r"^uno$", "un"), (r"iuno$", "iún"), (r" uno$", " un")),
    ("es", "f"): ((r"uno$", "una"),),
    ("it", "m"): ((r"^uno$", "un"),),
    ("it", "f"): ((r"^uno$", "una"),),
    ("pt", "f"): ((r"\bum$", "uma"), (r"\bdois$", "duas")),
}


@functools.cache
def converter_language(language: str) -> str | None:
    """The num2words language for a BCP-47 tag (``pt-BR`` → ``pt_BR``, ``de-AT`` → ``de``), or None."""
    parts = language.replace("_", "-").split("-")
    primary = parts[0].lower()
    for part in parts[1:]:
        regional = f"{primary}_{part.upper()}"
        if len(part) == 2 and regional in CONVERTER_CLASSES:
            return regional
    return primary if primary in CONVERTER_CLASSES else None


def number_words(n: int, language: str, noun: Noun | None = None) -> str:
    """``n`` as words of ``language`` (a BCP-47 tag), in the form for ``noun`` when one follows.

    A language num2words does not know gets digits, which a voice of that
    language reads in its own words (better than English words in its mouth),
    and so does a number its reader for the language cannot say (Amharic from
    1,100, Turkish from 10^30: num2words fails there in a different way each).
    """
    if n < 0:
        raise ValueError(f"number_words takes a whole number of at least 0, got {n}")
    converter = converter_language(language)
    if converter is None:
        return str(n)
    try:
        words: str = num2words(n, lang=converter)
    except Exception:  # noqa: BLE001 - any of the readers' own failures means "no words for this"
        return str(n)
    if noun is None:
        return words
    primary = converter.split("_")[0]
    gender = _GENDER.get(primary, {}).get(noun)
    for pattern, replacement in _ENDINGS.get((primary, gender or ""), ()):
        changed = re.sub(pattern, replacement, words)
        if changed != words:
            return changed
    return words
