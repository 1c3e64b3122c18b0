"""The command line: the one composition root, and the only module that prints or exits.

Layers (after httpie): ``main()`` parses arguments into typed options, one error
shell turns every ``VoiceguideError`` into a plain message and an exit status,
and each ``_cmd_*`` function composes the stages for one command.
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import errno
import os
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any, TextIO

from voiceguide import __version__
from voiceguide.errors import Diagnostic, EngineError, OutputError, ScriptError, UsageError, VoiceguideError
from voiceguide.play.keymap import keys_table
from voiceguide.script.model import MAX_RATE_WPM, MIN_RATE_WPM
from voiceguide.speech import DEFAULT_ENGINE, ENGINES


class ExitStatus(enum.IntEnum):
    """Exit statuses, as the spec's command table defines them."""

    OK = 0
    FAILURE = 1
    INVALID = 2
    INTERRUPTED = 130


@dataclass(frozen=True)
class SoundOptions:
    """Options that change the sound or timing, shared by play, render and plan."""

    voice: str | None = None
    rate: int | None = None
    volume: float | None = None
    pace: Fraction = Fraction(1)
    cautions: bool = True
    engine: str = DEFAULT_ENGINE
    background: str | None = None
    """``--background SOUND`` (a built-in sound or a file), or None."""
    no_background: bool = False
    mono: bool = False


@dataclass(frozen=True)
class CheckOptions:
    """``check``: the scripts to check."""

    scripts: tuple[str, ...]
    traceback: bool = False


@dataclass(frozen=True)
class SessionOptions:
    """A session to lay out: the script as named on the command line, and how it should sound."""

    script: str
    sound: SoundOptions = SoundOptions()


@dataclass(frozen=True)
class PlanOptions:
    """``plan``: the session, as text or JSON."""

    session: SessionOptions
    json: bool = False


@dataclass(frozen=True)
class RenderOptions:
    """``render``: the session, the audio file, and the optional captions and chapters files."""

    session: SessionOptions
    output: str
    captions: str | None = None
    chapters: str | None = None
    loudness: float = -16.0
    plain: bool = False


@dataclass(frozen=True)
class PlayOptions:
    """``play``: the session, where to start, the device, and how to show progress."""

    session: SessionOptions
    from_step: str | None = None
    from_section: str | None = None
    device: str | None = None
    plain: bool = False
    verbose: bool = False
    traceback: bool = False
    ask_pain: bool = False
    log: bool = True
    listen: bool = False
    mic: str | None = None


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


# --------------------------------------------------------------------------
# argument parsing


# Command-line numbers are read as scripts read theirs: ASCII digits only, and
# bounded before any exact conversion (``--pace 1e999999999`` would take forever).


def _pace(text: str) -> Fraction:
    from voiceguide.script.numeric import NumberTooLarge, parse_decimal

    try:
        value = parse_decimal(text)
    except NumberTooLarge as error:
        raise argparse.ArgumentTypeError(f"--pace {text[:40]!r} {error}; it must be between 0.1 and 10") from None
    except ValueError:
        raise argparse.ArgumentTypeError(f"--pace takes a number such as 1.5, not {text!r}") from None
    if not Fraction(1, 10) <= value <= 10:
        raise argparse.ArgumentTypeError(f"--pace must be between 0.1 and 10, not {text}")
    return value


def _rate(text: str) -> int:
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


def _volume(text: str) -> float:
    from voiceguide.script.numeric import parse_decimal

    try:
        value = float(parse_decimal(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--volume takes a number from 0 to 1, not {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"--volume must be between 0 and 1, not {text}")
    return value


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--since takes a date such as 2026-03-01, not {text!r}") from None


def _loudness(text: str) -> float:
    from voiceguide.audio.loudness import MAX_LOUDNESS_LUFS, MIN_LOUDNESS_LUFS

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--loudness takes LUFS such as -16, not {text!r}") from None
    if not MIN_LOUDNESS_LUFS <= value <= MAX_LOUDNESS_LUFS:
        raise argparse.ArgumentTypeError(
            f"--loudness must be between {MIN_LOUDNESS_LUFS:g} and {MAX_LOUDNESS_LUFS:g} LUFS, not {text}")
    return value


def _add_sound_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sound and timing (the same for play, render and plan)")
    group.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE,
                       help="the speech engine: pyttsx3 (default; many languages) or hibari "
                            "(a natural English voice, the 'natural' extra)")
    group.add_argument("--voice", help="engine voice id, or part of a voice's name (see 'voiceguide voices')")
    group.add_argument("--rate", type=_rate, help=f"speaking rate in words per minute ({MIN_RATE_WPM}-{MAX_RATE_WPM})")
    group.add_argument("--volume", type=_volume, help="volume from 0 to 1")
    group.add_argument("--pace", type=_pace, default=Fraction(1),
                       help="multiply every timed duration (holds, breaths, pauses) by this factor")
    group.add_argument("--no-cautions", dest="cautions", action="store_false",
                       help="skip the spoken safety cautions")
    _add_background_options(group)


def _add_background_options(group: argparse._ArgumentGroup) -> None:
    background = group.add_mutually_exclusive_group()
    background.add_argument("--background", metavar="SOUND",
                            help="the sound under the voice: rain, waves, stream, wind, brown, pink "
                                 "(see 'voiceguide sounds') or an audio file; replaces the script's")
    background.add_argument("--no-background", action="store_true", help="no sound under the voice")
    group.add_argument("--mono", action="store_true", help="one channel, for a single speaker or earbud")


def _background_choice(sound: SoundOptions) -> BackgroundChoice:
    """The command line's ``--background``/``--no-background``/``--mono`` for the sound stage."""
    from pathlib import Path, PurePath

    from voiceguide.audio.soundstage import BackgroundChoice
    from voiceguide.errors import Position
    from voiceguide.script.keys import BACKGROUND_FILE_TYPES, BACKGROUND_SOUNDS
    from voiceguide.script.model import Background

    chosen: Background | None = None
    if sound.background is not None:
        name = sound.background
        if name in BACKGROUND_SOUNDS:
            chosen = Background(sound=name, position=Position("--background", 1, 1))
        elif PurePath(name).suffix.lower() in BACKGROUND_FILE_TYPES:
            chosen = Background(sound=str(Path(name).resolve()), builtin=False,
                                position=Position("--background", 1, 1))
        else:
            raise UsageError(f"--background {name!r} is neither a built-in sound nor an audio file.",
                             hint=f"Use one of {', '.join(BACKGROUND_SOUNDS)} ('voiceguide sounds'), "
                                  f"or a {', '.join(BACKGROUND_FILE_TYPES)} file.")
    return BackgroundChoice(sound=chosen, off=sound.no_background, mono=sound.mono)


def _soundstage(sound: SoundOptions, script: Script) -> Soundstage:
    """The session's channels and bed, from the script and the command line."""
    from voiceguide.audio.soundstage import Soundstage
    from voiceguide.speech.clips import default_cache_dir

    return Soundstage(script, _background_choice(sound), cache_dir=default_cache_dir())


def _session_options(args: argparse.Namespace) -> SessionOptions:
    sound = SoundOptions(voice=args.voice, rate=args.rate, volume=args.volume, pace=args.pace, cautions=args.cautions,
                         engine=args.engine, background=args.background, no_background=args.no_background,
                         mono=args.mono)
    return SessionOptions(script=args.script, sound=sound)


def _check_options(args: argparse.Namespace) -> CheckOptions:
    return CheckOptions(scripts=tuple(args.scripts), traceback=args.traceback)


def _plan_options(args: argparse.Namespace) -> PlanOptions:
    return PlanOptions(session=_session_options(args), json=args.json)


def _render_options(args: argparse.Namespace) -> RenderOptions:
    return RenderOptions(session=_session_options(args), output=args.output, captions=args.captions,
                         chapters=args.chapters, loudness=args.loudness, plain=args.plain)


def _play_options(args: argparse.Namespace) -> PlayOptions:
    return PlayOptions(session=_session_options(args), from_step=args.from_step, from_section=args.from_section,
                       device=args.device, plain=args.plain, verbose=args.verbose, traceback=args.traceback,
                       ask_pain=args.ask_pain, log=args.log, listen=args.listen, mic=args.mic)


def _log_options(args: argparse.Namespace) -> LogOptions:
    return LogOptions(csv=args.csv, since=args.since, plot=args.plot, forget=args.forget, yes=args.yes)


def _listen_test_options(args: argparse.Namespace) -> ListenTestOptions:
    return ListenTestOptions(mic=args.mic, seconds=args.seconds)


def _no_options(args: argparse.Namespace) -> None:
    return None


def _phrases_options(args: argparse.Namespace) -> str | None:
    language: str | None = args.language
    return language


PLAY_KEYS_EPILOG = (
    "keys while playing (single key, no Enter; each is spoken back):\n"
    + keys_table()
    + "\nCtrl-C also stops (exit status 0, as q); the terminal is always restored."
)


def _parser_with(common: argparse.ArgumentParser) -> type[argparse.ArgumentParser]:
    """An ArgumentParser class whose instances all inherit ``common``'s options."""

    class Parser(argparse.ArgumentParser):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("parents", [common])
            super().__init__(*args, **kwargs)

    return Parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="voiceguide",
        description="Play voice-guided breathing and acupressure sessions, hands-free and eyes-free.",
    )
    parser.add_argument("--version", action="version", version=f"voiceguide {__version__}")
    parser.add_argument("--traceback", action="store_true", help="show a Python traceback on errors (for bug reports)")
    # --traceback is accepted after the command too; SUPPRESS keeps a subcommand from resetting it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--traceback", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_parser_with(common))
    sub.required = True

    # -- check / schema (script language) ------------------------------------
    p = sub.add_parser("check", help="validate scripts and print errors and warnings")
    p.add_argument("scripts", nargs="+", metavar="SCRIPT")
    p.set_defaults(func=_cmd_check, options=_check_options)
    p = sub.add_parser("schema", help="print a JSON Schema of the script format, for editors")
    p.set_defaults(func=_cmd_schema, options=_no_options)
    p = sub.add_parser("phrases", help="print a language's phrasebook as YAML, ready to paste under 'phrases:'")
    p.add_argument("language", nargs="?", metavar="LANGUAGE", help="a BCP-47 tag such as de or pt-BR (default: en)")
    p.set_defaults(func=_cmd_phrases, options=_phrases_options)

    # -- plan / render / list / voices (sessions) -----------------------------
    p = sub.add_parser("plan", help="print the session's timeline")
    p.add_argument("script", metavar="SCRIPT")
    p.add_argument("--json", action="store_true", help="print the plan as one JSON object")
    _add_sound_options(p)
    p.set_defaults(func=_cmd_plan, options=_plan_options)
    p = sub.add_parser("render", help="write the whole session to an audio file")
    p.add_argument("script", metavar="SCRIPT")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="output file; format from the extension: .wav .flac .ogg .opus .mp3")
    p.add_argument("--captions", metavar="FILE", help="also write captions (.vtt or .srt)")
    p.add_argument("--chapters", metavar="FILE",
                   help="also write the sections as chapters: a cue sheet (.cue) or a WebVTT chapters track (.vtt)")
    p.add_argument("--loudness", type=_loudness, default=-16.0, metavar="LUFS",
                   help="integrated loudness of the file (ITU-R BS.1770), default -16; true peaks stay at -1 dBTP")
    p.add_argument("--plain", action="store_true", help="no progress bar")
    _add_sound_options(p)
    p.set_defaults(func=_cmd_render, options=_render_options)
    p = sub.add_parser("list", help="list the sessions shipped with voiceguide")
    p.set_defaults(func=_cmd_list, options=_no_options)
    p = sub.add_parser("voices", help="list the speech engine's voices")
    p.set_defaults(func=_cmd_voices, options=_no_options)

    # -- play / devices (live) -------------------------------------------------
    p = sub.add_parser("play", help="play a session aloud", formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Play a session aloud, live. Follow it by ear; the keys below are optional.",
                       epilog=PLAY_KEYS_EPILOG)
    p.add_argument("script", metavar="SCRIPT")
    start = p.add_mutually_exclusive_group()
    start.add_argument("--from", dest="from_step", metavar="STEP",
                       help="start at this step: its number in the script (3, or 5.2 inside a repeat) or its label")
    start.add_argument("--from-section", metavar="NAME",
                       help="start at this section (its title, or a unique part of it)")
    p.add_argument("--device", metavar="DEVICE",
                   help="output device: a number or part of a name from 'voiceguide devices'")
    p.add_argument("--plain", action="store_true",
                   help="plain output: one line per cue, no redrawing (for screen readers)")
    p.add_argument("--verbose", action="store_true",
                   help="show the audio libraries' own messages (ALSA, PortAudio) on the terminal; "
                        "without it they go to a log file (voiceguide's log directory, play.log)")
    p.add_argument("--ask-pain", action="store_true",
                   help="ask how strong your pain is before the first step and after the last (keys 0-9, t for 10)")
    p.add_argument("--no-log", dest="log", action="store_false",
                   help="do not write this session to the session log")
    p.add_argument("--listen", action="store_true",
                   help="hands-free: obey spoken commands (pause, continue, next, back, repeat, time left, "
                        "louder, softer, help, stop); needs the 'listen' extra")
    p.add_argument("--mic", metavar="DEVICE", help="with --listen: the microphone (a number or part of a name)")
    _add_sound_options(p)
    p.set_defaults(func=_cmd_play, options=_play_options)
    p = sub.add_parser("sounds", help="list the background sounds (for --background and 'background:')")
    p.set_defaults(func=_cmd_sounds, options=_no_options)
    p = sub.add_parser("devices", help="list audio output devices")
    p.set_defaults(func=_cmd_devices, options=_no_options)
    p = sub.add_parser("listen-test", help="check the microphone for voice commands: its level and what is heard")
    p.add_argument("--mic", metavar="DEVICE", help="the microphone (a number or part of a name)")
    p.add_argument("--seconds", type=float, metavar="N", help="stop after N seconds (default: at Ctrl-C)")
    p.set_defaults(func=_cmd_listen_test, options=_listen_test_options)

    # -- log (the private session log) ---------------------------------------
    p = sub.add_parser("log", help="show the session log: what you played, and your pain before and after",
                       description="Show the private session log (it never leaves this computer).")
    p.add_argument("--csv", action="store_true", help="print every session as CSV, for a spreadsheet")
    p.add_argument("--since", type=_date, metavar="DATE", help="only sessions started on DATE (YYYY-MM-DD) or later")
    p.add_argument("--plot", nargs="?", const="", metavar="FILE",
                   help="draw pain before and after per session into FILE (.png or .svg); "
                        "without FILE, a text chart")
    p.add_argument("--forget", action="store_true", help="delete the session log (asks first)")
    p.add_argument("--yes", action="store_true", help="with --forget: do not ask")
    p.set_defaults(func=_cmd_log, options=_log_options)
    return parser


# --------------------------------------------------------------------------
# the error shell


def _print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    """Print diagnostics to stderr, a flood of one kind summarised after the first 20."""
    from voiceguide.summary import summarised

    for item in summarised(diagnostics):
        print(item if isinstance(item, str) else item.format(), file=sys.stderr)


def _print_error(error: VoiceguideError) -> None:
    if isinstance(error, ScriptError):
        _print_diagnostics(error.diagnostics)
        return
    from voiceguide.printable import printable

    # Messages may quote a script's text or a command-line argument: shown, never obeyed.
    print(f"voiceguide: error: {printable(error.message, one_line=True)}", file=sys.stderr)
    if error.hint:
        print(f"hint: {printable(error.hint, one_line=True)}", file=sys.stderr)


# --------------------------------------------------------------------------
# standard output that fails cleanly
#
# Python reports a failed write to stdout (a full disk, a closed pipe) as an
# OSError traceback, or, when it only shows at the final flush, as "Exception
# ignored ..." after the program has already said it succeeded.  main() wraps
# stdout for the command: every write and the final flush turn an OSError into
# StdoutError (exit 1, one sentence).  ``abandon`` then cuts a regular file back
# to where the command started writing (a plan cut off by a full disk is not
# left looking like a plan) and points the descriptor at the null device, so
# the interpreter's own flush at exit has nothing left to fail.


class StdoutError(OutputError):
    """Standard output could not be written (full disk, closed pipe, I/O error)."""


def _stdout_error(error: OSError) -> StdoutError:
    """One plain sentence for a failed write to standard output."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StdoutError("Cannot write to standard output: the disk is full (or the file is at its size limit).")
    if isinstance(error, BrokenPipeError) or error.errno == errno.EPIPE:
        return StdoutError("Cannot write to standard output: it was closed before everything was written.")
    reason = error.strerror or type(error).__name__
    return StdoutError(f"Cannot write to standard output: {reason}.")


class GuardedStdout:
    """A text stream that forwards to ``stream`` and raises ``StdoutError`` instead of ``OSError``."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._start: int | None = None  # where a regular file stood when we began
        with contextlib.suppress(OSError, ValueError, AttributeError):
            descriptor = stream.fileno()
            if stat.S_ISREG(os.fstat(descriptor).st_mode):
                stream.flush()
                self._start = os.lseek(descriptor, 0, os.SEEK_CUR)

    def write(self, text: str) -> int:
        """Write ``text``; ``StdoutError`` on failure."""
        try:
            return self._stream.write(text)
        except OSError as error:
            raise _stdout_error(error) from error

    def flush(self) -> None:
        """Flush; ``StdoutError`` on failure."""
        try:
            self._stream.flush()
        except OSError as error:
            raise _stdout_error(error) from error

    def abandon(self) -> None:
        """After a failure: take back what a regular file got, and send anything still buffered nowhere."""
        with contextlib.suppress(OSError, ValueError, AttributeError):
            descriptor = self._stream.fileno()
            if self._start is not None:
                os.ftruncate(descriptor, self._start)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, descriptor)
            os.close(null)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def parse_options(argv: Sequence[str] | None = None) -> Any:
    """The typed options of a command line (``RenderOptions`` for ``render ...``, etc.); argparse stays here."""
    args = build_parser().parse_args(argv)
    return args.options(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    import typing

    # A full disk or a closed pipe on stdout: one sentence and exit 1, never a traceback (GuardedStdout).
    guarded = GuardedStdout(sys.stdout)
    try:
        with contextlib.redirect_stdout(typing.cast(TextIO, guarded)):
            try:
                status = _run(argv)
            except SystemExit:  # argparse's --help, --version and usage errors
                guarded.flush()
                raise
            guarded.flush()
            return status
    except StdoutError as error:
        guarded.abandon()
        _print_error(error)
        return error.exit_status


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    options = args.options(args)
    try:
        status: int = args.func(options)
        return status
    except StdoutError:
        raise  # main() also takes back what reached a file
    except VoiceguideError as error:
        if args.traceback:
            raise
        _print_error(error)
        return error.exit_status
    except KeyboardInterrupt:
        if args.traceback:
            raise
        print("voiceguide: interrupted", file=sys.stderr)
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.OK


# --------------------------------------------------------------------------
# commands: script language (check, schema)


def _shown_path(arg: str, full: str) -> str:
    """How a script is named in messages: as typed, or a shipped session's file (relative when under cwd)."""
    import os

    if os.path.lexists(arg) and not os.path.isdir(arg):
        return arg
    relative = os.path.relpath(full)
    return full if relative.startswith(os.pardir) else relative


def _cmd_check(options: CheckOptions) -> int:
    # Imported here, as in every command, so that start-up loads only what the command needs.
    import dataclasses

    from voiceguide.base import SAMPLE_RATE
    from voiceguide.printable import printable
    from voiceguide.script.durations import format_seconds
    from voiceguide.script.limits import estimated_measure
    from voiceguide.script.parse import parse_script, read_source
    from voiceguide.script.shipped import resolve_script
    from voiceguide.timeline.compiler import compile_timeline
    from voiceguide.timeline.plan import dropped_warnings

    status = ExitStatus.OK
    for arg in options.scripts:
        try:
            path = resolve_script(arg)
            shown = _shown_path(arg, str(path))
            source = read_source(path, shown)
        except VoiceguideError as error:
            if options.traceback:
                raise
            _print_error(error)
            status = ExitStatus.INVALID
            continue
        result = parse_script(source, shown)
        diagnostics = list(result.diagnostics)
        script = result.script
        length_seconds = Fraction(0)
        if script is not None:
            # No engine on the check path: speech lengths are estimated from the words and the rate.
            timeline = compile_timeline(script, estimated_measure(script.voice.rate, SAMPLE_RATE))
            length_seconds = Fraction(timeline.length, timeline.sample_rate)
            lines = source.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
            for warning in dropped_warnings(timeline, shown):
                line = warning.position.line
                source_line = lines[line - 1] if 0 < line <= len(lines) else None
                diagnostics.append(dataclasses.replace(warning, source_line=source_line))
        if script is not None:
            diagnostics += _voice_warnings(script, source, shown)
        _print_diagnostics(diagnostics)
        if script is None:
            status = ExitStatus.INVALID
            continue
        count = len(script.steps)
        print(printable(f'{shown}: ok: "{script.title}", {count} step{"" if count == 1 else "s"}, '
                        f"about {format_seconds(length_seconds)}", one_line=True))
    return status


def _voice_warnings(script: Script, source: bytes, shown: str) -> list[Diagnostic]:
    """Warnings for a ``voice.name`` no installed voice has and a ``language`` none speaks.

    Asks the engine only when the script names a voice or a language other than
    English (espeak-ng always speaks English), so a plain script is checked
    without starting it; the engine gets the timeout it has everywhere else.
    """
    import dataclasses

    language = script.language
    plain_language = language is None or language.split("-", 1)[0].lower() == "en"
    if script.voice.name is None and plain_language:
        return []
    from voiceguide.script.loader import compose_document
    from voiceguide.speech.pyttsx3_engine import list_voices, select_voice

    document = compose_document(source, shown)
    top = document.entries(document.root)[0]
    places: list[tuple[Any, str | None, str | None, str]] = []  # node, voice, language, what
    if script.voice.name is not None:
        voice_node = top["voice"][1]
        name_node = document.entries(voice_node)[0]["name"][1]
        # A named voice must also speak the script's language (English when it sets none).
        places.append((name_node, script.voice.name, _speech_language(script), f"voice.name '{script.voice.name}'"))
    if not plain_language:
        places.append((top["language"][1], None, language, f"language '{language}'"))
    try:
        voices = list_voices()
        problems = []
        for node, voice, wanted, _ in places:
            try:
                select_voice(voices, voice, wanted)
            except EngineError as error:
                hint = error.hint or "run 'voiceguide voices' to see the installed voices"
                problems.append((node, f"{error.message[:1].lower()}{error.message[1:].rstrip('.')}, "
                                       f"so plan, render and play will fail; {hint}"))
    except EngineError as error:
        problems = [(node, f"cannot check {what}: {error.message.rstrip('.')}") for node, _, _, what in places]
    warnings = [dataclasses.replace(document.diagnostic(node, message), severity="warning")
                for node, message in problems]
    return sorted(warnings, key=lambda d: (d.position.line, d.position.column))


def _cmd_phrases(language: str | None) -> int:
    import re

    from voiceguide.phrases import phrasebook_yaml
    from voiceguide.script.keys import LANGUAGE_PATTERN

    if language is not None and not re.match(LANGUAGE_PATTERN, language):
        raise UsageError(f"'{language}' is not a BCP-47 language tag",
                         hint="give a tag such as en, de, fr-CA or pt-BR")
    sys.stdout.write(phrasebook_yaml(language))
    return ExitStatus.OK


def _cmd_schema(options: None) -> int:
    import json

    from voiceguide.script.schema import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return ExitStatus.OK


# --------------------------------------------------------------------------
# commands: sessions (plan, render, list, voices)


import typing  # noqa: E402 - kept beside its only use: this section's type-only imports

if typing.TYPE_CHECKING:  # the session stages are imported lazily, so that `check` starts fast

    from voiceguide.audio.mixer import SessionClips
    from voiceguide.audio.soundstage import BackgroundChoice, Soundstage
    from voiceguide.play.ui import ProgressBar
    from voiceguide.script.model import Script
    from voiceguide.speech.engines import EngineSynthesizer
    from voiceguide.timeline.compiler import Timeline


def _load_session(session: SessionOptions) -> Script:
    """The script ``session.script`` names, refused if ``--pace`` makes it over 24 h."""
    from voiceguide.script.limits import estimate_session
    from voiceguide.script.model import MAX_SESSION_SECONDS
    from voiceguide.script.parse import load_script
    from voiceguide.script.shipped import resolve_script

    options = session.sound
    path = resolve_script(session.script)
    script = load_script(path, display_path=_shown_path(session.script, str(path)))
    if options.pace > 1:
        # Speech is not stretched, so this errs on the long side near the limit.
        hours = estimate_session(script).seconds * float(options.pace) / 3600
        if hours > MAX_SESSION_SECONDS / 3600:
            raise UsageError(f"with --pace {float(options.pace):g} the session would last about {hours:.1f} hours; "
                             f"a session may last at most {MAX_SESSION_SECONDS // 3600} hours",
                             hint="choose a smaller --pace")
    return script


def _prepare_session(session: SessionOptions, progress: ProgressBar | None = None,
                     ) -> tuple[Script, Timeline, SessionClips]:
    """Load the script ``session`` names, synthesize its speech and lay out its timeline.

    Every utterance is synthesized (or read from the cache) before the timeline
    is compiled, so the timeline's speech lengths are those of the clips played.
    Returns the script, its timeline, and the ``mixer.ClipSource`` to mix it
    from; play it at ``_session_volume(session.sound, script)``.  Raises ``UsageError``
    (no such session), ``ScriptError`` (invalid) or ``EngineError`` (no speech).
    ``progress`` is shown while the speech is made (texts done of all).
    """
    import dataclasses

    from voiceguide.audio.loudness import levelled_tones
    from voiceguide.audio.mixer import SessionClips
    from voiceguide.speech.clips import SpeechBank, default_cache_dir
    from voiceguide.timeline.compiler import compile_timeline, utterances
    from voiceguide.timeline.length_limit import check_timeline_length

    script = _load_session(session)
    options = session.sound
    synth = _synthesizer(options, script)
    bank = SpeechBank(synth, default_cache_dir())
    # One batched pass over every distinct text: far faster than one engine call per cue.
    try:
        bank.prefetch(utterances(script, pace=options.pace, cautions=options.cautions), progress=progress)
    finally:
        if progress is not None:
            progress.finish()
    timeline = compile_timeline(script, bank.measure, pace=options.pace, cautions=options.cautions)
    check_timeline_length(script, timeline)  # the real length: check could only estimate it
    # The plan names the engine's voice; the compiler, which never sees the engine, leaves it out.
    clips = SessionClips(bank, levelled_tones(default_cache_dir()))
    return script, dataclasses.replace(timeline, voice=synth.voice_id, engine=session.sound.engine), clips


def _speech_language(script: Script) -> str:
    """The language the voice must speak: the script's, or English (the phrasebook of a script without one)."""
    from voiceguide.phrases import DEFAULT_LANGUAGE

    return script.language or DEFAULT_LANGUAGE


def _synthesizer(sound: SoundOptions, script: Script) -> EngineSynthesizer:
    """The chosen speech engine, with the voice and rate of ``--voice``/``--rate`` or else the script's."""
    from voiceguide.speech.engines import open_synthesizer

    return open_synthesizer(sound.engine, voice=sound.voice or script.voice.name, language=_speech_language(script),
                            rate=sound.rate or script.voice.rate)


def _session_volume(sound: SoundOptions, script: Script) -> float:
    """The volume to play at: ``--volume`` if given (0 included), else the script's."""
    return sound.volume if sound.volume is not None else script.voice.volume


def _warn_dropped(script: Script, timeline: Timeline) -> None:
    """Print a ``FILE:LINE:COL: warning:`` for every cue the timeline dropped in a collision."""
    import dataclasses

    from voiceguide.script.source import read_script_file
    from voiceguide.timeline.plan import dropped_warnings

    path = script.position.path
    try:  # the script read again, as boundedly as the first time, for the source lines
        source_lines = read_script_file(path, path).decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
    except VoiceguideError:
        source_lines = []
    warnings = []
    for warning in dropped_warnings(timeline, path):
        line = warning.position.line
        if 1 <= line <= len(source_lines):
            warning = dataclasses.replace(warning, source_line=source_lines[line - 1])
        warnings.append(warning)
    _print_diagnostics(warnings)


def _cmd_plan(options: PlanOptions) -> int:
    import json

    from voiceguide.timeline.plan import format_plan, plan_dict

    script, timeline, _ = _prepare_session(options.session)
    _warn_dropped(script, timeline)
    if options.json:
        print(json.dumps(plan_dict(timeline), ensure_ascii=False))
    else:
        sys.stdout.write(format_plan(timeline))
    return ExitStatus.OK


def _cmd_render(options: RenderOptions) -> int:
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # SIGTERM/SIGHUP would end the process on the spot, leaving the sink's
    # temporary file and the speech worker's folder behind: stop as Ctrl-C does.
    signals = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {sig: signal.signal(sig, stop) for sig in signals}
    try:
        return _render(options)
    except BaseException:
        from voiceguide.base import discard_unfinished

        # An interrupt can land between a temporary's creation and its owner's hold on it.
        discard_unfinished(os.path.dirname(os.path.abspath(path))
                           for path in (options.output, options.captions, options.chapters) if path)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _render(options: RenderOptions) -> int:
    """``render``: the session into ``options.output`` (and captions, chapters beside it)."""
    from voiceguide.audio.captions import check_captions_path, check_chapters_path, write_captions, write_chapters
    from voiceguide.audio.outputs import NamedPath, check_outputs
    from voiceguide.audio.sinks import FileSink, output_format
    from voiceguide.audio.tags import session_tags
    from voiceguide.base import SAMPLE_RATE, clock
    from voiceguide.play.render import levelled_for_file, render_session
    from voiceguide.play.ui import ProgressBar
    from voiceguide.script.shipped import resolve_script
    from voiceguide.speech.clips import default_cache_dir

    # Wrong names are found before the (possibly long) synthesis, and so is an
    # unwritable output: the sink's temporary file is created first.
    output_format(options.output)
    if options.captions:
        check_captions_path(options.captions)
    if options.chapters:
        check_chapters_path(options.chapters)
    # Before any work: no output may be the script or another output, and each must be writable.
    outputs = (("the audio", options.output), ("--captions", options.captions), ("--chapters", options.chapters))
    check_outputs([NamedPath("the script", str(resolve_script(options.session.script)))],
                  [NamedPath(role, path) for role, path in outputs if path])
    sink = FileSink(options.output, SAMPLE_RATE)
    progress: ProgressBar | None = None
    # Only for a person at a terminal: never in pipes, logs or under --plain.
    bar = sys.stderr.isatty() and not options.plain
    try:
        speech_bar = ProgressBar(sys.stderr, "preparing speech", SAMPLE_RATE, noun="texts") if bar else None
        script, timeline, clips = _prepare_session(options.session, speech_bar)
        sink.check_length(timeline.length)
        _warn_dropped(script, timeline)
        sink.tags = session_tags(timeline, script.language)
        stage = _soundstage(options.session.sound, script)
        sink.set_channels(stage.channels)
        loud, levelled = levelled_for_file(timeline, clips, stage, options.loudness, default_cache_dir())
        if bar:
            progress = ProgressBar(sys.stderr, "rendering", timeline.sample_rate)
        render_session(timeline, loud, sink, volume=_session_volume(options.session.sound, script), progress=progress,
                       stage=levelled)
    except BaseException:
        sink.abort()  # idempotent: render_session may have aborted it already
        raise
    finally:
        if progress is not None:
            progress.finish()
    if options.captions:
        write_captions(timeline, options.captions)
    if options.chapters:
        write_chapters(timeline, options.output, options.chapters)
    speech = sum(1 for event in timeline.events if event.kind == "speech")
    print(f"wrote {options.output}: {clock(timeline.length, timeline.sample_rate, decimals=2)}, "
          f"{len(timeline.events)} sounds ({speech} spoken)")
    return ExitStatus.OK


def _cmd_list(options: None) -> int:
    import shutil

    from voiceguide.printable import printable
    from voiceguide.script.limits import estimate_session
    from voiceguide.script.parse import load_script
    from voiceguide.script.shipped import shipped_scripts

    rows = []
    for path in shipped_scripts():
        script = load_script(path)
        minutes = max(1, round(float(estimate_session(script).seconds) / 60))
        description = printable(" ".join((script.description or "").split()))
        language = printable(script.language or "en", one_line=True)
        rows.append((path.stem, language, printable(script.title, one_line=True), f"~{minutes} min", description))
    if not rows:
        print("no sessions are shipped with this installation", file=sys.stderr)
        return ExitStatus.FAILURE
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    columns = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    for name, language, title, length, description in rows:
        line = (f"{name:<{widths[0]}}  {language:<{widths[1]}}  {title:<{widths[2]}}  {length:>{widths[3]}}  "
                f"{description}").rstrip()
        if columns is not None and len(line) > columns:
            line = line[: max(columns - 1, 0)] + "…"
        print(line)
    return ExitStatus.OK


def _cmd_voices(options: None) -> int:
    """List every engine's voices: engine and id (for ``--engine``, ``--voice``), name, languages."""
    from voiceguide.errors import EngineError
    from voiceguide.speech.engines import engine_voices

    rows = [("ENGINE", "ID", "NAME", "LANGUAGES")]
    missing: list[str] = []
    for engine in ENGINES:
        try:
            voices = engine_voices(engine)
        except EngineError as error:
            if engine == DEFAULT_ENGINE:
                raise
            missing.append(f"{engine}: {error.message} {error.hint or ''}".rstrip())
            continue
        rows += [(engine, v.id, v.name, ", ".join(v.languages)) for v in voices]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for engine, voice_id, name, languages in rows:
        print(f"{engine:<{widths[0]}}  {voice_id:<{widths[1]}}  {name:<{widths[2]}}  {languages}".rstrip())
    for line in missing:
        print(line)
    return ExitStatus.OK


# --------------------------------------------------------------------------
# commands: live (play, devices)


if typing.TYPE_CHECKING:  # the live stages, imported lazily like every session stage
    from voiceguide.play.live import LiveOutput
    from voiceguide.play.program import Snapshot, StartPoint
    from voiceguide.play.tracking import SessionTracking


def _play_start_point(options: PlayOptions, snapshot: Snapshot) -> StartPoint:
    """The span or chapter ``--from``/``--from-section`` names; raises UsageError when there is none."""
    from voiceguide.play.program import find_start_point

    try:
        return find_start_point(snapshot, step=options.from_step, section=options.from_section)
    except LookupError as error:
        option = "--from" if options.from_step is not None else "--from-section"
        raise UsageError(f"{option}: {error}.") from None


def _cmd_play(options: PlayOptions) -> int:
    import contextlib
    import signal
    import threading

    from voiceguide.play.library_log import library_messages_to, log_path
    from voiceguide.play.live import LiveOutput, NoOutputDevice
    from voiceguide.play.program import Program
    from voiceguide.speech.levelling import preload as preload_levelling
    from voiceguide.timeline.compiler import iter_timeline

    script = _load_session(options.session)
    # Words never said before (a cold cache's first cue, the status) are levelled on the spot: the
    # levelling libraries (~0.7 s to import) load while the engine and the audio stream start.  Not a
    # daemon: a session stopped at once waits for the import to end rather than exit in its middle.
    threading.Thread(target=preload_levelling, name="voiceguide-preload").start()
    sound = options.session.sound
    log_warnings: list[str] = []
    session_log = _session_log(options, script, log_warnings)
    start: StartPoint | None = None
    if options.from_step is not None or options.from_section is not None:
        # Find the start before any sound, on the whole session laid out with dummy lengths.
        rough = Program(script.title, iter_timeline(script, lambda text: 1, pace=sound.pace,
                                                    cautions=sound.cautions), background=False)
        start = _play_start_point(options, rough.snapshot())

    # Voice commands: the model, the detector and the microphone are checked before any sound.
    hearing = _hearing(options.mic) if options.listen else None

    signalled: list[int] = []

    def stop(signum: int, frame: object) -> None:
        signalled.append(signum)
        raise KeyboardInterrupt

    signals = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {sig: signal.signal(sig, stop) for sig in signals}
    # The libraries write to file descriptor 2 directly: over the status line, unless logged.
    quiet = contextlib.nullcontext() if options.verbose else library_messages_to(log_path())
    try:
        with quiet:
            # The stream starts first: its lead-in silence plays while the speech engine starts.
            try:
                output = LiveOutput(device=options.device,
                                    on_sound=hearing.gate.note_sound if hearing is not None else None,
                                    channels=_soundstage(sound, script).channels)
            except NoOutputDevice:
                raise NoOutputDevice(options.session.script) from None
            try:
                status = _play(options, script, output, start, session_log, hearing)
            except BaseException:
                output.abort()
                raise
            output.close()
        return status
    except KeyboardInterrupt:
        if signalled or options.traceback:
            raise  # stopped by the system (SIGTERM, SIGHUP): "interrupted", exit 130
        # Ctrl-C at the keyboard is the listener quitting, like 'q': the spec's exit 0.
        print("voiceguide: stopped", file=sys.stderr)
        return ExitStatus.OK
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for warning in log_warnings:
            print(warning, file=sys.stderr)


class _Hearing:
    """What ``play --listen`` listens with: recognizer, voice detector, the gate for our own sound, the mic."""

    def __init__(self, mic: str | None) -> None:
        from voiceguide.play.listen import SoundGate, WhisperRecognizer, check_microphone, webrtc_vad

        # What to install is said before what to connect.
        self.recognizer = WhisperRecognizer()
        self.vad = webrtc_vad()
        check_microphone(mic)
        self.gate = SoundGate()
        self.mic = mic


def _hearing(mic: str | None) -> _Hearing:
    return _Hearing(mic)




def _session_log(options: PlayOptions, script: Script, warnings: list[str]) -> SessionTracking:
    """The pain questions (``--ask-pain`` or the settings) and the log record (unless ``--no-log`` or off).

    Its warnings are collected in ``warnings``: while playing, standard error goes to ``play.log``.
    """
    import os

    from voiceguide.base import SAMPLE_RATE
    from voiceguide.log.recorder import SessionRecorder, file_sha256
    from voiceguide.log.settings import load_settings
    from voiceguide.play.ask import SILENCE_SECONDS, pain_phrases
    from voiceguide.play.tracking import SessionTracking
    from voiceguide.script.limits import estimated_measure
    from voiceguide.script.shipped import resolve_script
    from voiceguide.timeline.compiler import compile_timeline, script_phrasebook

    settings = load_settings()
    recorder = None
    if options.log and settings.log_enabled:
        name = options.session.script
        recorder = SessionRecorder(session=script.title, script=name, script_sha256=file_sha256(resolve_script(name)))
    sound = options.session.sound

    def estimate_seconds() -> float:
        measure = estimated_measure(sound.rate or script.voice.rate, SAMPLE_RATE)
        timeline = compile_timeline(script, measure, pace=sound.pace, cautions=sound.cautions)
        return timeline.length / timeline.sample_rate

    def warn(message: str) -> None:
        warnings.append(f"voiceguide: warning: {message}")

    # Only for tests: how long silence after a pain question means "skipped".
    silence = float(os.environ.get("VOICEGUIDE_PAIN_SILENCE_SECONDS", SILENCE_SECONDS))
    asked = options.ask_pain or settings.ask_pain
    phrases = pain_phrases(script_phrasebook(script)) if asked else None
    return SessionTracking(recorder, phrases, warn, estimate_seconds, silence_seconds=silence)


def _play(options: PlayOptions, script: Script, output: LiveOutput, start_point: StartPoint | None,
          session_log: SessionTracking, hearing: _Hearing | None = None) -> int:
    """Play ``script`` into ``output`` from ``start_point``, with keys and screen, until it ends or is quit."""
    import threading

    from voiceguide.audio.loudness import levelled_tones
    from voiceguide.audio.mixer import SessionClips
    from voiceguide.base import SAMPLE_RATE
    from voiceguide.play.commands import fixed_feedback
    from voiceguide.play.keys import KeyReader
    from voiceguide.play.player import Player
    from voiceguide.play.program import Program
    from voiceguide.play.render import stage_renderer
    from voiceguide.play.session import prefetch_in_order, prefetch_order, run_live
    from voiceguide.play.tracking import VoiceRouter
    from voiceguide.play.ui import LiveDisplay
    from voiceguide.play.voice import VoiceCommands
    from voiceguide.speech.clips import SpeechBank, default_cache_dir
    from voiceguide.timeline.compiler import iter_timeline, script_phrasebook, utterances
    from voiceguide.timeline.length_limit import held_to_limit

    phrases = script_phrasebook(script)  # the keys answer in the script's language
    sound = options.session.sound
    synth = _synthesizer(sound, script)
    bank = SpeechBank(synth, default_cache_dir())
    # The session's texts in order of first use, the fixed key feedback early among them (so keys answer at once);
    # the first pain question before them all, the other pain sentences last.
    ask_first, ask_later = session_log.texts()
    texts = ask_first + prefetch_order(utterances(script, pace=sound.pace, cautions=sound.cautions),
                                       fixed_feedback(phrases)) + ask_later
    prefetch_stop = threading.Event()
    prefetcher = threading.Thread(target=prefetch_in_order, args=(bank, texts, prefetch_stop),
                                  name="voiceguide-prefetch", daemon=True)
    prefetcher.start()
    # Steps are laid out (and their speech measured) on a thread, ahead of the playhead.
    program = Program(script.title, held_to_limit(script, iter_timeline(script, bank.measure, pace=sound.pace,
                                                                        cautions=sound.cautions), SAMPLE_RATE))
    start = 0 if start_point is None else start_point.frame(program.wait(start_point.ready))
    clips = SessionClips(bank, levelled_tones(default_cache_dir()))

    make_renderer = stage_renderer(clips, _soundstage(sound, script))

    volume = _session_volume(sound, script)
    display = LiveDisplay(sys.stdout, plain=options.plain or not sys.stdout.isatty(), sample_rate=output.sample_rate)
    player: Player | None = None
    voice = VoiceCommands() if hearing is not None else None
    # What is heard answers a pain question while one waits, and is a command otherwise.
    router = VoiceRouter(voice.put) if voice is not None else None
    listener = None
    with KeyReader() as reader:
        display.header(script.title, program.snapshot().length, keys=reader.interactive)
        ask = session_log.asker(reader, display.message, output, bank.clip, volume, output.sample_rate, router)
        try:
            if hearing is not None and router is not None:
                from voiceguide.play.listen import Listener

                listener = Listener(hearing.recognizer, hearing.vad, hearing.gate, router.on_heard,
                                    device=hearing.mic)
            session_log.before(ask)  # the pain question, when asked for
            player = Player(program, make_renderer, output, bank.clip, start_frame=start,
                            volume=volume, sample_rate=output.sample_rate, phrases=phrases)
            session_log.start()
            run_live(player, reader, display, voice)
            session_log.after(ask, quit=player.transport.stopping)
        except KeyboardInterrupt:
            session_log.interrupted()
            raise
        finally:
            if listener is not None:
                listener.close()
            display.finish()
            session_log.finish(program, player, output.sample_rate)
            prefetch_stop.set()
            program.close()
            synth.close()  # a synthesis in progress ends at once
            # Not to exit while they are in native code (see Program.join): a Ctrl-C in the first
            # seconds of a cold session aborted the process 1 time in 16.
            prefetcher.join(timeout=10)
            program.join(timeout_seconds=10)
    return ExitStatus.OK


def _cmd_listen_test(options: ListenTestOptions) -> int:
    """Show the microphone's level and what is heard, so a person can check the set-up before lying down."""
    import math
    import threading
    import time

    from voiceguide.play.listen import Heard, Listener

    hearing = _Hearing(options.mic)
    tty = sys.stdout.isatty()
    lock = threading.Lock()
    last_line = [0.0]

    def level(dbfs: float) -> None:
        if not tty:
            return
        bars = max(0, min(30, round((dbfs + 60) / 2)))
        with lock:
            sys.stdout.write(f"\rlevel {'#' * bars:<30} {dbfs:6.1f} dBFS ")
            sys.stdout.flush()

    def heard(item: Heard) -> None:
        from voiceguide.printable import printable

        what = f"command: {item.action}" if item.action else "not a command"
        with lock:
            sys.stdout.write(("\r\x1b[K" if tty else "") + f"heard {printable(item.text, one_line=True)!r} "
                             f"({what})\n")
            sys.stdout.flush()
            last_line[0] = item.end_time

    print("Listening. Say a command (pause, continue, next, back, repeat, time left, louder, softer, help, stop)."
          + (" Ctrl-C ends." if options.seconds is None else ""))
    listener = Listener(hearing.recognizer, hearing.vad, hearing.gate, heard, device=hearing.mic, on_level=level)
    deadline = time.monotonic() + (options.seconds if options.seconds is not None else math.inf)
    try:
        while time.monotonic() < deadline:
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
        if tty:
            print()
    return ExitStatus.OK


def _cmd_sounds(options: None) -> int:
    """``sounds``: the built-in background sounds, one a line, with what they sound like."""
    from voiceguide.audio.sounds import describe

    for name, description in describe():
        print(f"{name:<8} {description}")
    print("\nOr an audio file of your own (WAV, FLAC, Ogg, Opus, MP3), looped without a seam.")
    return ExitStatus.OK


def _cmd_devices(options: None) -> int:
    from voiceguide.play.live import NoOutputDevice, list_devices

    devices = list_devices()
    if not devices:
        raise NoOutputDevice()
    for device in devices:
        mark = "*" if device.is_default else " "
        print(f"{mark} {device.index:>3}  {device.name}  ({device.host_api}, "
              f"{device.channels} channel{'s' if device.channels != 1 else ''}, "
              f"{device.default_sample_rate:g} Hz)")
    return ExitStatus.OK


# --------------------------------------------------------------------------
# commands: the session log


def _cmd_log(options: LogOptions) -> int:
    """``log``: the table, ``--csv``, ``--plot`` (a picture or a text chart), or ``--forget``."""
    from voiceguide.log import report
    from voiceguide.log.store import log_path, read_log

    if options.forget:
        return _forget_log(options.yes)
    if options.plot:
        from voiceguide.log.plot import check_plot_path

        check_plot_path(options.plot)  # a wrong name is refused before the log is read
    contents = read_log()
    if contents.damaged_lines:
        print(f"voiceguide: note: {contents.damaged_lines} damaged line(s) in {log_path()} were skipped "
              "(a session cut off while it was being written)", file=sys.stderr)
    records = list(contents.records)
    if options.since is not None:
        records = report.since(records, options.since)
    if options.plot:
        from voiceguide.log.plot import write_plot

        drawn = write_plot(records, options.plot)
        print(f"wrote {options.plot}: pain before and after for {drawn} session{'' if drawn == 1 else 's'}")
    elif options.plot is not None:
        sys.stdout.write(report.format_chart(records))
    elif options.csv:
        sys.stdout.write(report.format_csv(records))
    elif not records:
        print("No sessions in the log yet." if not contents.records else "No sessions since then.")
    else:
        shown = records[-LOG_TABLE_ROWS:] if options.since is None else records
        sys.stdout.write(report.format_table(shown))
        if len(shown) < len(records):
            print(f"(the last {len(shown)} of {len(records)} sessions; --since DATE or --csv shows more)")
    return ExitStatus.OK


LOG_TABLE_ROWS = 20
"""Sessions the ``log`` table shows without ``--since``."""


def _forget_log(assume_yes: bool) -> int:
    from voiceguide.log.store import forget_log, log_path, read_log

    path = log_path()
    if not path.exists():
        print("The session log is already empty.")
        return ExitStatus.OK
    if not assume_yes:
        if not sys.stdin.isatty():
            raise VoiceguideError("--forget asks before deleting the log, but there is no terminal to ask on.",
                                  hint="add --yes to delete it without asking")
        count = len(read_log().records)
        try:
            answer = input(f"Delete the session log ({count} session{'' if count == 1 else 's'}, {path})? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Kept the session log.")
            return ExitStatus.OK
    forget_log(path)
    print(f"Deleted the session log ({path}).")
    return ExitStatus.OK
