"""Typed options: what each command was asked, turned from argparse's namespace at the edge."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date

from voiceguide.play.requests import PlayOptions, RenderOptions, SessionOptions, SoundOptions

__all__ = ["CheckOptions", "ListenTestOptions", "LogOptions", "PlanOptions", "PlayOptions", "RenderOptions",
           "SessionOptions", "SoundOptions"]


@dataclass(frozen=True)
class CheckOptions:
    """``check``: the scripts to check."""

    scripts: tuple[str, ...]
    traceback: bool = False


@dataclass(frozen=True)
class PlanOptions:
    """``plan``: the session, as text or JSON."""

    session: SessionOptions
    json: bool = False


@dataclass(frozen=True)
class LogOptions:
    """``log``: how to show the session log, or ``forget`` it."""

    csv: bool = False
    since: date | None = None
    plot: str | None = None
    """A picture's path; ``""``: a text chart; None: no chart."""
    forget: bool = False
    yes: bool = False


@dataclass(frozen=True)
class ListenTestOptions:
    """``listen-test``: which microphone, and for how long (None: until Ctrl-C)."""

    mic: str | None = None
    seconds: float | None = None


def session_options(args: argparse.Namespace) -> SessionOptions:
    """The session and its sound options, shared by plan, render and play."""
    sound = SoundOptions(voice=args.voice, rate=args.rate, volume=args.volume, pace=args.pace, cautions=args.cautions,
                         engine=args.engine)
    return SessionOptions(script=args.script, sound=sound)


def check_options(args: argparse.Namespace) -> CheckOptions:
    """``check``'s options."""
    return CheckOptions(scripts=tuple(args.scripts), traceback=args.traceback)


def plan_options(args: argparse.Namespace) -> PlanOptions:
    """``plan``'s options."""
    return PlanOptions(session=session_options(args), json=args.json)


def render_options(args: argparse.Namespace) -> RenderOptions:
    """``render``'s options."""
    return RenderOptions(session=session_options(args), output=args.output, captions=args.captions,
                         chapters=args.chapters, loudness=args.loudness, plain=args.plain)


def play_options(args: argparse.Namespace) -> PlayOptions:
    """``play``'s options."""
    return PlayOptions(session=session_options(args), from_step=args.from_step, from_section=args.from_section,
                       device=args.device, plain=args.plain, verbose=args.verbose, traceback=args.traceback,
                       ask_pain=args.ask_pain, log=args.log, listen=args.listen, mic=args.mic)


def log_options(args: argparse.Namespace) -> LogOptions:
    """``log``'s options."""
    return LogOptions(csv=args.csv, since=args.since, plot=args.plot, forget=args.forget, yes=args.yes)


def listen_test_options(args: argparse.Namespace) -> ListenTestOptions:
    """``listen-test``'s options."""
    return ListenTestOptions(mic=args.mic, seconds=args.seconds)


def no_options(args: argparse.Namespace) -> None:
    """Commands that take no options."""
    return None


def phrases_options(args: argparse.Namespace) -> str | None:
    """``phrases``: the language asked for, if any."""
    language: str | None = args.language
    return language
