"""The parser, declared: every command, its arguments, and the command function and options it maps to."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from voiceguide import __version__
from voiceguide.audio import DEFAULT_LOUDNESS_LUFS
from voiceguide.cli import argtypes, options
from voiceguide.cli.daily_commands import cmd_breathe, cmd_completion, cmd_new, cmd_press, cmd_settings
from voiceguide.cli.live_commands import cmd_devices, cmd_listen_test, cmd_play
from voiceguide.cli.log_commands import cmd_log
from voiceguide.cli.script_commands import cmd_check, cmd_phrases, cmd_schema
from voiceguide.cli.session_commands import cmd_list, cmd_plan, cmd_render, cmd_sounds, cmd_voices
from voiceguide.play.keymap import keys_table
from voiceguide.script.model import MAX_RATE_WPM, MIN_RATE_WPM
from voiceguide.speech import DEFAULT_ENGINE, ENGINES

SCRIPT_HELP = "a script file, or a shipped session's name"

PLAY_KEYS_EPILOG = (
    "keys while playing (single key, no Enter; each is spoken back):\n"
    + keys_table()
    + "\nCtrl-C also stops (exit status 0, as q); the terminal is always restored."
)


def _add_sound_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sound and timing (the same for play, render and plan)")
    # Defaults are None: the settings file's value, else the built-in default, fills them in (options.py).
    group.add_argument("--engine", choices=ENGINES,
                       help="the speech engine: pyttsx3 (many languages) or hibari (a natural English voice, the "
                            f"'natural' extra); default: {DEFAULT_ENGINE}")
    group.add_argument("--voice", help="engine voice id, or part of a voice's name (see 'voiceguide voices')")
    group.add_argument("--rate", type=argtypes.rate,
                       help=f"speaking rate in words per minute ({MIN_RATE_WPM}-{MAX_RATE_WPM})")
    group.add_argument("--volume", type=argtypes.volume, help="volume from 0 to 1")
    group.add_argument("--pace", type=argtypes.pace,
                       help="multiply every timed duration (holds, breaths, pauses) by this factor (default 1)")
    group.add_argument("--cautions", action=argparse.BooleanOptionalAction,
                       help="speak the safety cautions (the default), or skip them: --no-cautions")
    background = group.add_mutually_exclusive_group()
    background.add_argument("--background", metavar="SOUND",
                            help="the sound under the voice: rain, waves, stream, wind, brown, pink "
                                 "('voiceguide sounds') or an audio file; replaces the script's")
    background.add_argument("--no-background", action="store_true", help="no sound under the voice")
    group.add_argument("--mono", action="store_true", help="one channel, for a single speaker or earbud")


def add_play_options(parser: argparse.ArgumentParser) -> None:
    """The options of a live session, shared by play, breathe and press."""
    parser.add_argument("--device", metavar="DEVICE",
                        help="output device: a number or part of a name from 'voiceguide devices'")
    parser.add_argument("--plain", action="store_true",
                        help="plain output: one line per cue, no redrawing (for screen readers)")
    parser.add_argument("--verbose", action="store_true",
                        help="show the audio libraries' own messages (ALSA, PortAudio) on the terminal; "
                             "without it they go to a log file (voiceguide's log directory, play.log)")
    parser.add_argument("--ask-pain", action="store_true",
                        help="ask how strong your pain is before the first step and after the last (keys 0-9, "
                             "t for 10)")
    parser.add_argument("--no-log", dest="log", action="store_false",
                        help="do not write this session to the session log")
    parser.add_argument("--note", type=argtypes.note, metavar="TEXT",
                        help="a note kept with this session in the log ('slept badly')")
    parser.add_argument("--listen", action=argparse.BooleanOptionalAction,
                        help="hands-free: obey spoken commands (pause, continue, next, go back, repeat, time left, "
                             "volume up, volume down, help, stop); needs the 'listen' extra")
    parser.add_argument("--mic", metavar="DEVICE", help="with --listen: the microphone (a number or part of a name)")
    _add_sound_options(parser)


def _add_start_options(parser: argparse.ArgumentParser) -> argparse._MutuallyExclusiveGroup:
    """``--from`` and ``--from-section``, for play and the quick sessions (play adds ``--resume`` to the group)."""
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--from", dest="from_step", metavar="STEP",
                       help="start at this step: its number in the script (3, or 5.2 inside a repeat) or its label")
    start.add_argument("--from-section", metavar="NAME",
                       help="start at this section (its title, or a unique part of it)")
    return start


class VoiceguideParser(argparse.ArgumentParser):
    """argparse's parser, whose usage errors are one sentence and a hint, as voiceguide's other errors."""

    words: list[str] = []
    """The command line being parsed (to tell which command an unrecognized option was given to)."""

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        import sys

        self.words = [str(word) for word in (sys.argv[1:] if args is None else args)]
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        """``voiceguide: error: SENTENCE`` and a hint, instead of the whole usage above argparse's sentence."""
        from voiceguide.cli.usage_errors import command_parser, usage_error

        command = command_parser(self, self.words)
        sentence, hint = usage_error(self.prog if command is None else command.prog, message,
                                     [] if command is None else list(command._option_string_actions))
        self.exit(2, f"voiceguide: error: {sentence}\nhint: {hint}\n")


def _parser_with(common: argparse.ArgumentParser) -> type[argparse.ArgumentParser]:
    """An ArgumentParser class whose instances all inherit ``common``'s options."""

    class Parser(VoiceguideParser):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("parents", [common])
            super().__init__(*args, **kwargs)

    return Parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = VoiceguideParser(
        prog="voiceguide",
        description="Play voice-guided breathing and acupressure sessions, hands-free and eyes-free.",
    )
    parser.add_argument("--version", action="version", version=f"voiceguide {__version__}")
    parser.add_argument("--traceback", action="store_true", help="show a Python traceback on errors (for bug reports)")
    # --traceback is accepted after the command too; SUPPRESS keeps a subcommand from resetting it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--traceback", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_parser_with(common))
    _add_script_commands(sub)
    _add_session_commands(sub)
    _add_live_commands(sub)
    _add_daily_commands(sub)
    _add_log_command(sub)
    return parser


def _add_script_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """check, schema, phrases: the script language."""
    p = sub.add_parser("check", help="validate scripts and print errors and warnings")
    p.add_argument("scripts", nargs="+", metavar="SCRIPT", type=argtypes.file_name, help=SCRIPT_HELP)
    p.set_defaults(func=cmd_check, options=options.check_options)
    p = sub.add_parser("schema", help="print a JSON Schema of the script format, for editors")
    p.set_defaults(func=cmd_schema, options=options.no_options)
    p = sub.add_parser("phrases", help="print a language's phrasebook as YAML, ready to paste under 'phrases:'")
    p.add_argument("language", nargs="?", metavar="LANGUAGE", help="a BCP-47 tag such as de or pt-BR (default: en)")
    p.set_defaults(func=cmd_phrases, options=options.phrases_options)


def _add_session_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """plan, render, list, voices: sessions."""
    p = sub.add_parser("plan", help="print the session's timeline")
    p.add_argument("script", metavar="SCRIPT", type=argtypes.file_name, help=SCRIPT_HELP)
    p.add_argument("--json", action="store_true", help="print the plan as one JSON object")
    p.add_argument("--plot", metavar="FILE", type=argtypes.output_name,
                   help="draw the session into FILE (.png or .svg): sections, speech, breathing, holds and their "
                        "cues, moved and dropped cues (needs the 'plot' extra)")
    _add_sound_options(p)
    p.set_defaults(func=cmd_plan, options=options.plan_options)
    p = sub.add_parser("render", help="write the whole session to an audio file")
    p.add_argument("script", metavar="SCRIPT", type=argtypes.file_name, help=SCRIPT_HELP)
    p.add_argument("-o", "--output", metavar="FILE", type=argtypes.output_name,
                   help="output file; format from the extension: .wav .flac .ogg .opus .mp3 (default: the "
                        "script's name with the settings' format, .opus, in the current folder)")
    p.add_argument("--captions", metavar="FILE", type=argtypes.output_name,
                   help="also write captions (.vtt or .srt)")
    p.add_argument("--chapters", metavar="FILE", type=argtypes.output_name,
                   help="also write the sections as chapters: a cue sheet (.cue) or a WebVTT chapters track (.vtt)")
    p.add_argument("--loudness", type=argtypes.loudness, metavar="LUFS",
                   help=f"integrated loudness of the file (ITU-R BS.1770), default {DEFAULT_LOUDNESS_LUFS:g}; "
                        "true peaks stay at -1 dBTP")
    p.add_argument("--plain", action="store_true", help="no progress bar")
    _add_sound_options(p)
    p.set_defaults(func=cmd_render, options=options.render_options)
    p = sub.add_parser("list", help="list the sessions shipped with voiceguide")
    p.set_defaults(func=cmd_list, options=options.no_options)
    p = sub.add_parser("voices", help="list the speech engines' voices (those that speak LANGUAGE)")
    p.add_argument("language", nargs="?", type=argtypes.language, metavar="LANGUAGE",
                   help="only the voices that speak it: fr, de, pt-BR …")
    p.set_defaults(func=cmd_voices, options=options.voices_options)
    p = sub.add_parser("sounds", help="list the background sounds (for --background and 'background:')")
    p.set_defaults(func=cmd_sounds, options=options.no_options)


def _add_live_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """play, devices, listen-test: live."""
    p = sub.add_parser("play", help="play a session aloud", formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Play a session aloud, live. Follow it by ear; the keys below are optional.",
                       epilog=PLAY_KEYS_EPILOG)
    p.add_argument("script", metavar="SCRIPT", nargs="?", type=argtypes.file_name,
                   help=SCRIPT_HELP)
    start = _add_start_options(p)
    start.add_argument("--resume", action="store_true",
                       help="continue the last session in the log, from the start of the step where it stopped")
    add_play_options(p)
    p.set_defaults(func=cmd_play, options=options.play_options)
    p = sub.add_parser("devices", help="list audio output devices")
    p.set_defaults(func=cmd_devices, options=options.no_options)
    p = sub.add_parser("listen-test", help="check the microphone for voice commands: its level and what is heard")
    p.add_argument("--mic", metavar="DEVICE", help="the microphone (a number or part of a name)")
    p.add_argument("--seconds", type=float, metavar="N", help="stop after N seconds (default: at Ctrl-C)")
    p.set_defaults(func=cmd_listen_test, options=options.listen_test_options)


def _add_daily_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """breathe, press, new, settings, completion: daily use."""
    from voiceguide.quick.patterns import pattern_help

    p = sub.add_parser("breathe", help="a breathing session without a file, e.g. 'breathe 4-7-8 --for 3m'",
                       description="A breathing session without a file, played like 'play' (its options apply).")
    p.add_argument("pattern", metavar="PATTERN",
                   help=f"seconds as IN-OUT, IN-HOLD-OUT or IN-HOLD-OUT-REST (4-7-8), or a name: {pattern_help()}")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--for", dest="for_seconds", type=argtypes.duration, metavar="D",
                        help="how long: 3m, 90s, 1m30s (default 3m)")
    length.add_argument("--cycles", type=argtypes.cycles, metavar="N", help="how many breaths")
    p.add_argument("--count", action="store_true", help="count the seconds aloud inside each phase")
    _add_quick_options(p)
    p.set_defaults(func=cmd_breathe, options=options.breathe_options)
    p = sub.add_parser("press", help="a pressure hold without a file, e.g. 'press 1m --side both'",
                       description="A pressure-hold session without a file, played like 'play' (its options apply).")
    p.add_argument("hold", metavar="DURATION", type=argtypes.duration, help="how long to hold: 1m, 45s, 90")
    p.add_argument("--side", choices=("left", "right", "both", "none"), default="none",
                   help="left, right, both (left then right) or none (the default)")
    p.add_argument("--every", type=argtypes.duration, metavar="D", help="say the time left every D (30s)")
    p.add_argument("--countdown", type=argtypes.countdown, default=3, metavar="N",
                   help="count the last N seconds aloud (default 3; 0: no countdown)")
    p.add_argument("--point", type=argtypes.note, metavar="NAME", help="the point's name, said with the side")
    _add_quick_options(p)
    p.set_defaults(func=cmd_press, options=options.press_options)
    p = sub.add_parser("new", help="write a commented starter script to change into your own")
    p.add_argument("file", metavar="FILE", type=argtypes.output_name, help="the new script (never replaces a file)")
    p.add_argument("--language", type=argtypes.language, default="en", metavar="LANG",
                   help="the starter's language: en, de, fr, es, it, nl or pt (default en)")
    p.set_defaults(func=cmd_new, options=options.new_options)
    p = sub.add_parser("settings", help="show the settings in effect (config.toml) and where each comes from")
    p.set_defaults(func=cmd_settings, options=options.no_options)
    p = sub.add_parser("completion", help="print a shell completion script: bash, zsh or fish")
    p.add_argument("shell", choices=("bash", "zsh", "fish"), metavar="SHELL", help="bash, zsh or fish")
    p.set_defaults(func=cmd_completion, options=options.completion_options)


def _add_quick_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--language", type=argtypes.language, default="en", metavar="LANG",
                        help="the language spoken: en, de, fr, es, it, nl or pt (default en)")
    parser.add_argument("--save", metavar="FILE", type=argtypes.output_name,
                        help="write the session as a script instead of playing it")
    _add_start_options(parser)  # 'breathe 4-7-8 --from 2': without the introduction
    add_play_options(parser)


def _add_log_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """log: the private session log."""
    p = sub.add_parser("log", help="show the session log: what you played, and your pain before and after",
                       description="Show the private session log (it never leaves this computer).")
    p.add_argument("--csv", action="store_true", help="print every session as CSV, for a spreadsheet")
    p.add_argument("--since", type=argtypes.since_date, metavar="DATE",
                   help="only sessions started on DATE (YYYY-MM-DD) or later")
    p.add_argument("--plot", nargs="?", const="", metavar="FILE", type=argtypes.plot_name,
                   help="draw pain before and after per session into FILE (.png or .svg); "
                        "without FILE, a text chart")
    p.add_argument("--forget", action="store_true", help="delete the session log (asks first)")
    p.add_argument("--yes", action="store_true", help="with --forget: do not ask")
    p.set_defaults(func=cmd_log, options=options.log_options)
