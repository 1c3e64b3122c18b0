"""Quick sessions: ``breathe`` and ``press`` without a file, written as script text in the chosen language.

The text is an ordinary, commented script: ``--save`` writes it as it is, and
playing parses it with the script stage like any file, so a quick session and
its saved script always sound the same.
"""

from __future__ import annotations

import functools
import re
import shlex
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from typing import Any

import yaml

from voiceguide.errors import UsageError
from voiceguide.quick.patterns import QuickPattern

DEFAULT_BREATHE_SECONDS = Fraction(180)
"""``breathe`` without ``--for`` or ``--cycles``: three minutes."""
DEFAULT_COUNTDOWN = 3
"""``press`` counts the last seconds aloud unless ``--countdown 0``."""


@dataclass(frozen=True)
class BreatheRequest:
    """``voiceguide breathe``: the pattern, how long (``for_seconds`` or ``cycles``), counting, language."""

    pattern: QuickPattern
    pattern_text: str
    for_seconds: Fraction | None = None
    cycles: int | None = None
    count: bool = False
    language: str = "en"


@dataclass(frozen=True)
class PressRequest:
    """``voiceguide press``: the hold, the side, the time-left cues, the countdown, the point, the language."""

    hold_seconds: Fraction
    side: str = "none"
    every_seconds: Fraction | None = None
    countdown: int = DEFAULT_COUNTDOWN
    point: str | None = None
    language: str = "en"


@functools.cache
def _all_texts() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = yaml.safe_load(
        resources.files("voiceguide.quick").joinpath("texts.yaml").read_text(encoding="utf-8"))
    return data


def quick_languages() -> tuple[str, ...]:
    """The languages quick sessions and starters speak (those with shipped phrasebooks)."""
    return tuple(_all_texts())


def quick_texts(language: str) -> dict[str, str]:
    """The texts of one language (its primary subtag); UsageError when voiceguide has none for it."""
    from voiceguide.phrases import primary_language

    texts = _all_texts().get(primary_language(language))
    if texts is None:
        raise UsageError(f"voiceguide has no quick-session words in '{language[:20]}'",
                         hint=f"choose one of: {', '.join(quick_languages())}")
    return texts


def duration_text(seconds: Fraction) -> str:
    """A duration as a script writes it: ``90s`` → ``1m30s``, ``5.5s``, ``3m``."""
    if seconds.denominator == 1 and seconds >= 60:
        minutes, rest = divmod(int(seconds), 60)
        return f"{minutes}m" + (f"{rest}s" if rest else "")
    from voiceguide.script.durations import format_number

    return f"{format_number(seconds)}s"


def _script_text(note: str, body: dict[str, Any]) -> str:
    lines = [f"# {line}" for line in re.split(r"(?<=\.) ", note)]
    text: str = yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)
    return "\n".join(lines) + "\n" + text


def breathe_command(request: BreatheRequest) -> str:
    """The command line that makes this session (written into the saved script)."""
    parts = ["voiceguide breathe", request.pattern_text]
    if request.cycles is not None:
        parts.append(f"--cycles {request.cycles}")
    else:
        parts.append(f"--for {duration_text(request.for_seconds or DEFAULT_BREATHE_SECONDS)}")
    if request.count:
        parts.append("--count")
    if request.language != "en":
        parts.append(f"--language {request.language}")
    return " ".join(parts)


def breathe_script(request: BreatheRequest) -> str:
    """The script text of a breathing session."""
    texts = quick_texts(request.language)
    pattern = request.pattern
    # "4 7 8", not "4-7-8", which espeak-ng reads "four minus seven minus eight".
    spoken = pattern.numbers.replace("-", " ")
    shown = spoken if pattern.name is None or pattern.name == pattern.numbers else f"{pattern.name}, {spoken}"
    breathe: dict[str, Any] = {"inhale": duration_text(pattern.inhale)}
    if pattern.hold:
        breathe["hold"] = duration_text(pattern.hold)
    breathe["exhale"] = duration_text(pattern.exhale)
    if pattern.rest:
        breathe["rest"] = duration_text(pattern.rest)
    if request.cycles is not None:
        breathe["cycles"] = request.cycles
    else:
        breathe["for"] = duration_text(request.for_seconds or DEFAULT_BREATHE_SECONDS)
    if request.count:
        breathe["count"] = True
    if pattern.top_up_hold:
        breathe["words"] = {"hold": texts["sigh_top_up"]}
    body = {
        "voiceguide": 1,
        "title": texts["breathe_title"].format(pattern=shown),
        "language": request.language,
        "steps": [{"say": texts["breathe_intro"]}, {"breathe": breathe}, {"say": texts["closing"]}],
    }
    return _script_text(texts["saved_note"].format(command=breathe_command(request)), body)


def press_command(request: PressRequest) -> str:
    """The command line that makes this session (written into the saved script)."""
    parts = ["voiceguide press", duration_text(request.hold_seconds)]
    if request.side != "none":
        parts.append(f"--side {request.side}")
    if request.every_seconds is not None:
        parts.append(f"--every {duration_text(request.every_seconds)}")
    if request.countdown != DEFAULT_COUNTDOWN:
        parts.append(f"--countdown {request.countdown}")
    if request.point is not None:
        parts.append(f"--point {shlex.quote(request.point)}")
    if request.language != "en":
        parts.append(f"--language {request.language}")
    return " ".join(parts)


def press_script(request: PressRequest) -> str:
    """The script text of a pressure-hold session."""
    texts = quick_texts(request.language)
    press: dict[str, Any] = {}
    if request.point is not None:
        press["point"] = request.point
    press["where"] = texts["press_intro"]
    press["side"] = request.side
    press["hold"] = duration_text(request.hold_seconds)
    press["say"] = texts["press_how"]
    if request.every_seconds is not None:
        press["cue_every"] = duration_text(request.every_seconds)
    press["countdown"] = request.countdown
    if request.side != "both":
        press["rest"] = "1s"  # the closing follows; "both" keeps the spec's 5 s between the sides
    title = texts["press_title"] + (f": {request.point}" if request.point else "")
    body = {"voiceguide": 1, "title": title, "language": request.language,
            "steps": [{"press": press}, {"say": texts["closing"]}]}
    return _script_text(texts["saved_note"].format(command=press_command(request)), body)
