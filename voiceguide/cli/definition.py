"""The parser, declared: every command, its arguments, and the command function and options it maps to."""

from __future__ import annotations

import argparse
from fractions import Fraction
from typing import Any

from voiceguide import __version__
from voiceguide.audio import DEFAULT_LOUDNESS_LUFS
from voiceguide.cli import argtypes, options
from voiceguide.cli.live_commands import cmd_devices, cmd_listen_test, cmd_play
from voiceguide.cli.log_commands import cmd_log
from voiceguide.cli.script_commands import cmd_check, cmd_phrases, cmd_schema
from voiceguide.cli.session_commands import cmd_list, cmd_plan, cmd_render, cmd_voices
from voiceguide.play.keymap import keys_table
from voiceguide.script.model import MAX_RATE_WPM, MIN_RATE_WPM
from voiceguide.speech import DEFAULT_ENGINE, ENGINES

PLAY_KEYS_EPILOG = (
    "keys while playing (single key, no Enter; each is spoken back):\n"
    + keys_table()
    + "\nCtrl-C also stops (exit status 0, as q); the terminal is always restored."
)


def _add_sound_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sound and timing (the same for play, render and plan)")
    group.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE,
                       help="the speech engine: pyttsx3 (default; many languages) or hibari "
                            "(a natural English voice, the 'natural' extra)")
    group.add_argument("--voice", help="engine voice id, or part of a voice's name (see 'voiceguide voices')")
    group.add_argument("--rate", type=argtypes.rate,
                       help=f"speaking rate in words per minute ({MIN_RATE_WPM}-{MAX_RATE_WPM})")
    group.add_argument("--volume", type=argtypes.volume, help="volume from 0 to 1")
    group.add_argument("--pace", type=argtypes.pace, default=Fraction(1),
                       help="multiply every timed duration (holds, breaths, pauses) by this factor")
    group.add_argument("--no-cautions", dest="cautions", action="store_false",
                       help="skip the spoken safety cautions")


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
    _add_script_commands(sub)
    _add_session_commands(sub)
    _add_live_commands(sub)
    _add_log_command(sub)
    return parser


def _add_script_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """check, schema, phrases: the script language."""
    p = sub.add_parser("check", help="validate scripts and print errors and warnings")
    p.add_argument("scripts", nargs="+", metavar="SCRIPT")
    p.set_defaults(func=cmd_check, options=options.check_options)
    p = sub.add_parser("schema", help="print a JSON Schema of the script format, for editors")
    p.set_defaults(func=cmd_schema, options=options.no_options)
    p = sub.add_parser("phrases", help="print a language's phrasebook as YAML, ready to paste under 'phrases:'")
    p.add_argument("language", nargs="?", metavar="LANGUAGE", help="a BCP-47 tag such as de or pt-BR (default: en)")
    p.set_defaults(func=cmd_phrases, options=options.phrases_options)


def _add_session_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """plan, render, list, voices: sessions."""
    p = sub.add_parser("plan", help="print the session's timeline")
    p.add_argument("script", metavar="SCRIPT")
    p.add_argument("--json", action="store_true", help="print the plan as one JSON object")
    _add_sound_options(p)
    p.set_defaults(func=cmd_plan, options=options.plan_options)
    p = sub.add_parser("render", help="write the whole session to an audio file")
    p.add_argument("script", metavar="SCRIPT")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="output file; format from the extension: .wav .flac .ogg .opus .mp3")
    p.add_argument("--captions", metavar="FILE", help="also write captions (.vtt or .srt)")
    p.add_argument("--chapters", metavar="FILE",
                   help="also write the sections as chapters: a cue sheet (.cue) or a WebVTT chapters track (.vtt)")
    p.add_argument("--loudness", type=argtypes.loudness, default=DEFAULT_LOUDNESS_LUFS, metavar="LUFS",
                   help=f"integrated loudness of the file (ITU-R BS.1770), default {DEFAULT_LOUDNESS_LUFS:g}; "
                        "true peaks stay at -1 dBTP")
    p.add_argument("--plain", action="store_true", help="no progress bar")
    _add_sound_options(p)
    p.set_defaults(func=cmd_render, options=options.render_options)
    p = sub.add_parser("list", help="list the sessions shipped with voiceguide")
    p.set_defaults(func=cmd_list, options=options.no_options)
    p = sub.add_parser("voices", help="list the speech engine's voices")
    p.set_defaults(func=cmd_voices, options=options.no_options)


def _add_live_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """play, devices, listen-test: live."""
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
    p.set_defaults(func=cmd_play, options=options.play_options)
    p = sub.add_parser("devices", help="list audio output devices")
    p.set_defaults(func=cmd_devices, options=options.no_options)
    p = sub.add_parser("listen-test", help="check the microphone for voice commands: its level and what is heard")
    p.add_argument("--mic", metavar="DEVICE", help="the microphone (a number or part of a name)")
    p.add_argument("--seconds", type=float, metavar="N", help="stop after N seconds (default: at Ctrl-C)")
    p.set_defaults(func=cmd_listen_test, options=options.listen_test_options)


def _add_log_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """log: the private session log."""
    p = sub.add_parser("log", help="show the session log: what you played, and your pain before and after",
                       description="Show the private session log (it never leaves this computer).")
    p.add_argument("--csv", action="store_true", help="print every session as CSV, for a spreadsheet")
    p.add_argument("--since", type=argtypes.since_date, metavar="DATE",
                   help="only sessions started on DATE (YYYY-MM-DD) or later")
    p.add_argument("--plot", nargs="?", const="", metavar="FILE",
                   help="draw pain before and after per session into FILE (.png or .svg); "
                        "without FILE, a text chart")
    p.add_argument("--forget", action="store_true", help="delete the session log (asks first)")
    p.add_argument("--yes", action="store_true", help="with --forget: do not ask")
    p.set_defaults(func=cmd_log, options=options.log_options)
