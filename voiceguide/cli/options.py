"""Typed options: what each command was asked, turned from argparse's namespace at the edge."""

from __future__ import annotations

import argparse
import typing
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from voiceguide.play.requests import PlayOptions, RenderOptions, SessionOptions, SoundOptions

if typing.TYPE_CHECKING:
    from voiceguide.settings import Settings

T = TypeVar("T")

__all__ = ["CheckOptions", "ListenTestOptions", "LogOptions", "NewOptions", "PlanOptions", "PlayOptions",
           "QuickOptions", "RenderOptions", "SessionOptions", "SoundOptions"]


@dataclass(frozen=True)
class CheckOptions:
    """``check``: the scripts to check."""

    scripts: tuple[str, ...]
    traceback: bool = False


@dataclass(frozen=True)
class PlanOptions:
    """``plan``: the session, as text or JSON, or drawn into a picture (``plot``)."""

    session: SessionOptions
    json: bool = False
    plot: str | None = None


@dataclass(frozen=True)
class QuickOptions:
    """``breathe``/``press``: the session's script text, and where to save it instead of playing it."""

    play: PlayOptions
    save: str | None = None


@dataclass(frozen=True)
class NewOptions:
    """``new``: the file to write and its language."""

    file: str
    language: str = "en"


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


def _settings() -> Settings:
    from voiceguide.settings import load_settings

    return load_settings()


def _given(value: T | None, default: T) -> T:
    """The command line's value when it gave one (0 and False included), else the settings' ``default``."""
    return default if value is None else value


def session_options(args: argparse.Namespace, settings: Settings | None = None, *, script: str | None = None,
                    text: str | None = None) -> SessionOptions:
    """The session and its sound options, shared by plan, render and play: the command line, then the settings."""
    settings = _settings() if settings is None else settings
    sound = SoundOptions(voice=_given(args.voice, settings.voice), rate=_given(args.rate, settings.rate),
                         volume=args.volume, pace=_given(args.pace, settings.pace),
                         cautions=_given(args.cautions, settings.cautions), engine=_given(args.engine, settings.engine),
                         **background_options(args, settings))
    return SessionOptions(script=args.script if script is None else script, sound=sound, text=text)


def background_options(args: argparse.Namespace, settings: Settings) -> dict[str, typing.Any]:
    """``--background``, ``--no-background`` and ``--mono``, then the settings' ``[play] background``."""
    chosen = getattr(args, "background", None)
    off = bool(getattr(args, "no_background", False))
    if chosen is None and not off:
        chosen, off = settings.background, settings.background_off
    return {"background": chosen, "no_background": off, "mono": bool(getattr(args, "mono", False))}


def check_options(args: argparse.Namespace) -> CheckOptions:
    """``check``'s options."""
    return CheckOptions(scripts=tuple(args.scripts), traceback=args.traceback)


def plan_options(args: argparse.Namespace) -> PlanOptions:
    """``plan``'s options."""
    return PlanOptions(session=session_options(args), json=args.json, plot=args.plot)


def render_options(args: argparse.Namespace) -> RenderOptions:
    """``render``'s options; without ``-o``, NAME.FORMAT in the current folder (the settings' format)."""
    settings = _settings()
    output = args.output
    if output is None:
        from voiceguide.audio.outputs import default_output_name

        output = default_output_name(args.script, settings.format)
    return RenderOptions(session=session_options(args, settings), output=output, captions=args.captions,
                         chapters=args.chapters, loudness=_given(args.loudness, settings.loudness), plain=args.plain)


def play_options(args: argparse.Namespace, *, script: str | None = None, text: str | None = None) -> PlayOptions:
    """``play``'s options (``breathe``'s and ``press``'s too, with their ``script`` name and ``text``)."""
    from voiceguide.errors import UsageError

    resume = getattr(args, "resume", False)
    if script is None and (args.script is None) != resume:
        raise UsageError("play needs a SCRIPT (a file or a shipped session's name), or --resume" if not resume
                         else "--resume plays the last session logged: give it no SCRIPT",
                         hint="voiceguide play sciatica, or voiceguide play --resume")
    settings = _settings()
    session = session_options(args, settings, script=script or args.script or "", text=text)
    return PlayOptions(session=session, from_step=getattr(args, "from_step", None),
                       from_section=getattr(args, "from_section", None), device=_given(args.device, settings.device),
                       plain=args.plain, verbose=args.verbose, traceback=args.traceback, ask_pain=args.ask_pain,
                       log=args.log, listen=_given(args.listen, settings.listen), mic=args.mic, resume=resume,
                       note=args.note)


def breathe_options(args: argparse.Namespace) -> QuickOptions:
    """``breathe``'s options: the pattern made into a script, played as ``play`` would."""
    from voiceguide.quick.build import BreatheRequest, breathe_command, breathe_script
    from voiceguide.quick.patterns import parse_pattern

    request = BreatheRequest(parse_pattern(args.pattern), args.pattern, for_seconds=args.for_seconds,
                             cycles=args.cycles, count=args.count, language=args.language)
    play = play_options(args, script=breathe_command(request), text=breathe_script(request))
    return _quick_options(play, args.save)


def press_options(args: argparse.Namespace) -> QuickOptions:
    """``press``'s options: the hold made into a script, played as ``play`` would."""
    from voiceguide.quick.build import PressRequest, press_command, press_script

    request = PressRequest(args.hold, side=args.side, every_seconds=args.every, countdown=args.countdown,
                           point=args.point, language=args.language)
    play = play_options(args, script=press_command(request), text=press_script(request))
    return _quick_options(play, args.save)


def _quick_options(play: PlayOptions, save: str | None) -> QuickOptions:
    """A quick session's options; ``--from`` is for playing, ``--save`` writes the whole session."""
    from voiceguide.errors import UsageError

    if save is not None and (play.from_step is not None or play.from_section is not None):
        option, value = ("--from", "STEP") if play.from_step is not None else ("--from-section", "NAME")
        raise UsageError(f"{option} chooses where playing starts, and --save writes the whole session instead "
                         "of playing it", hint=f"save it, then 'voiceguide play {save} {option} {value}'")
    return QuickOptions(play=play, save=save)


def new_options(args: argparse.Namespace) -> NewOptions:
    """``new``'s options."""
    return NewOptions(file=args.file, language=args.language)


def completion_options(args: argparse.Namespace) -> str:
    """``completion``: the shell."""
    shell: str = args.shell
    return shell


def voices_options(args: argparse.Namespace) -> str | None:
    """``voices``: the language asked for, if any."""
    language: str | None = args.language
    return language


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


def resumed_quick_options(options: PlayOptions, command: str, script_sha256: str) -> PlayOptions:
    """``play --resume`` of a quick session: its script made again from its command, which must give the text
    that was played (the same SHA-256), with this ``play``'s other options."""
    import contextlib
    import dataclasses
    import io
    import shlex

    from voiceguide.cli.definition import build_parser
    from voiceguide.log.recorder import text_sha256
    from voiceguide.play.resume import NothingToResume

    try:
        words = shlex.split(command)[1:]
        with contextlib.redirect_stderr(io.StringIO()):  # a log edited by hand: argparse's usage is not shown
            args = build_parser().parse_args(words)
        quick = args.options(args)
    except (SystemExit, ValueError):
        raise NothingToResume("the log names the last session by a command voiceguide cannot read") from None
    text = quick.play.session.text
    if text is None or text_sha256(text) != script_sha256:
        raise NothingToResume("the last session, a quick session, would not sound the same now (voiceguide has "
                              "changed since), so voiceguide cannot tell where it stopped",
                              hint=f"start it again with '{command}'")
    session = dataclasses.replace(options.session, script=quick.play.session.script, text=text)
    return dataclasses.replace(options, session=session)
