"""Argument types: each reads one option's text and says in one sentence what it accepts.

Command-line numbers are read as scripts read theirs: ASCII digits only, and
bounded before any exact conversion (``--pace 1e999999999`` would take forever).
"""

from __future__ import annotations

import argparse
import os
import re
from datetime import date
from fractions import Fraction

from voiceguide.script.model import MAX_RATE_WPM, MIN_RATE_WPM


def pace(text: str) -> Fraction:
    """``--pace``: a factor from 0.1 to 10."""
    from voiceguide.script.numeric import NumberTooLarge, parse_decimal

    try:
        value = parse_decimal(text)
    except NumberTooLarge as error:
        raise argparse.ArgumentTypeError(f"--pace {text[:40]!r} {error}; it must be between 0.1 and 10") from None
    except ValueError:
        negative = text.strip(" \t").startswith("-") and _is_decimal(text.strip(" \t")[1:])
        raise argparse.ArgumentTypeError(f"--pace must be between 0.1 and 10, not {text.strip()}" if negative
                                         else f"--pace takes a number such as 1.5, not {text!r}") from None
    if not Fraction(1, 10) <= value <= 10:
        raise argparse.ArgumentTypeError(f"--pace must be between 0.1 and 10, not {text}")
    return value


def _is_decimal(text: str) -> bool:
    from voiceguide.script.numeric import parse_decimal

    try:
        parse_decimal(text)
    except ValueError:
        return False
    return True


def rate(text: str) -> int:
    """``--rate``: whole words per minute, in the range a script allows."""
    if not text.strip(" \t").isascii() or len(text) > 20:
        raise argparse.ArgumentTypeError(f"--rate takes whole words per minute, not {text!r}")
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--rate takes whole words per minute, not {text!r}") from None
    if not MIN_RATE_WPM <= value <= MAX_RATE_WPM:
        raise argparse.ArgumentTypeError(
            f"--rate must be between {MIN_RATE_WPM} and {MAX_RATE_WPM} words per minute, not {value}")
    return value


def volume(text: str) -> float:
    """``--volume``: from 0 to 1."""
    from voiceguide.script.numeric import parse_decimal

    try:
        value = float(parse_decimal(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--volume takes a number from 0 to 1, not {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"--volume must be between 0 and 1, not {text}")
    return value


def since_date(text: str) -> date:
    """``--since``: an ISO date."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--since takes a date such as 2026-03-01, not {text!r}") from None


def loudness(text: str) -> float:
    """``--loudness``: LUFS in the range a phone can play cleanly."""
    from voiceguide.audio import MAX_LOUDNESS_LUFS, MIN_LOUDNESS_LUFS

    # ASCII digits only, as scripts' numbers: float() would take "-١٢" and "1_6".
    if not re.fullmatch(r"[ \t]*[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t]*", text, re.ASCII):
        raise argparse.ArgumentTypeError(f"--loudness takes LUFS such as -16, not {text[:40]!r}")
    value = float(text)
    if not MIN_LOUDNESS_LUFS <= value <= MAX_LOUDNESS_LUFS:
        raise argparse.ArgumentTypeError(
            f"--loudness must be between {MIN_LOUDNESS_LUFS:g} and {MAX_LOUDNESS_LUFS:g} LUFS, not {text}")
    return value


def file_name(text: str) -> str:
    """A file to read (a script): a name the file system can hold (``bounded.name_problem``).

    An empty name passes: the command says what a script's name should be.
    """
    from voiceguide.bounded import name_problem
    from voiceguide.printable import shown_path

    problem = name_problem(text) if text else None
    if problem is not None:
        raise argparse.ArgumentTypeError(f"cannot use {shown_path(text, max_chars=60)!r}: {problem}")
    return text


def output_name(text: str) -> str:
    """A file to write: a name as ``file_name``, not ``-`` (files only) and not a folder's (``x.ogg/``)."""
    from voiceguide.printable import shown_path

    if text == "-":
        raise argparse.ArgumentTypeError("'-' (standard output) is not supported: name a file")
    if not text:
        raise argparse.ArgumentTypeError("cannot use '': the name is empty")
    name = file_name(text)
    if name.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"{shown_path(name, max_chars=60)!r} names a folder (it ends with "
                                         f"{os.sep!r}): name a file")
    return name


def plot_name(text: str) -> str:
    """``--plot``'s picture (``output_name``), or ``""``: the text chart (argparse passes its ``const`` too)."""
    return text if text == "" else output_name(text)


def duration(text: str) -> Fraction:
    """``--for``, ``--every``, ``press DURATION``: a duration as scripts write them (``3m``, ``90``, ``1m30s``)."""
    from voiceguide.script.durations import DurationError, parse_duration

    try:
        value = parse_duration(text.strip(), "the duration")
    except DurationError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"the duration must be more than zero, not {text!r}")
    return value


def cycles(text: str) -> int:
    """``--cycles``: a whole number of breaths, 1 to 10,000."""
    if not text.strip().isdigit() or len(text) > 6 or not 1 <= int(text) <= 10_000:
        raise argparse.ArgumentTypeError(f"--cycles takes a whole number of breaths from 1 to 10000, not {text!r}")
    return int(text)


def countdown(text: str) -> int:
    """``--countdown``: the last N seconds counted aloud, 0 to 60."""
    if not text.strip().isdigit() or len(text) > 3 or not 0 <= int(text) <= 60:
        raise argparse.ArgumentTypeError(f"--countdown takes a whole number of seconds from 0 to 60, not {text!r}")
    return int(text)


def language(text: str) -> str:
    """``--language``: a BCP-47 tag (``de``, ``pt-BR``)."""
    import re

    from voiceguide.script.vocabulary import LANGUAGE_PATTERN

    if len(text) > 35 or not re.fullmatch(LANGUAGE_PATTERN, text):  # fullmatch: "$" lets "de\n" through
        raise argparse.ArgumentTypeError(f"a language is a tag such as de or pt-BR, not {text[:40]!r}")
    return text


def note(text: str) -> str:
    """``--note``, ``--point``: a short text on one line (at most 1,000 characters, something to read)."""
    import unicodedata

    one_line = " ".join(text.split())
    if not any(char.isalnum() for char in one_line) or len(one_line) > 1000:
        raise argparse.ArgumentTypeError("the text must hold a letter or a digit and be at most 1000 characters")
    if any(unicodedata.category(char) == "Cc" for char in one_line):
        raise argparse.ArgumentTypeError("the text may not hold control characters")
    return one_line
