"""The command line: the one composition root, and the only module that prints or exits.

Layers (after httpie): ``main()`` parses arguments into typed options, one error
shell turns every ``VoiceguideError`` into a plain message and an exit status,
and each ``_cmd_*`` function composes the stages for one command.
"""

from __future__ import annotations

import argparse
import enum
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from voiceguide import __version__
from voiceguide.errors import ScriptError, UsageError, VoiceguideError
from voiceguide.script.model import MAX_RATE_WPM, MIN_RATE_WPM


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


# --------------------------------------------------------------------------
# argument parsing


def _pace(text: str) -> Fraction:
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"--pace takes a number such as 1.5, not {text!r}") from None
    if not Fraction(1, 10) <= value <= 10:
        raise argparse.ArgumentTypeError(f"--pace must be between 0.1 and 10, not {text}")
    return value


def _rate(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--rate takes whole words per minute, not {text!r}") from None
    if not MIN_RATE_WPM <= value <= MAX_RATE_WPM:
        raise argparse.ArgumentTypeError(
            f"--rate must be between {MIN_RATE_WPM} and {MAX_RATE_WPM} words per minute, not {value}")
    return value


def _volume(text: str) -> float:
    try:
        value = float(text)
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


def _add_sound_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sound and timing (the same for play, render and plan)")
    group.add_argument("--voice", help="engine voice id, or part of a voice's name (see 'voiceguide voices')")
    group.add_argument("--rate", type=_rate, help=f"speaking rate in words per minute ({MIN_RATE_WPM}-{MAX_RATE_WPM})")
    group.add_argument("--volume", type=_volume, help="volume from 0 to 1")
    group.add_argument("--pace", type=_pace, default=Fraction(1),
                       help="multiply every timed duration (holds, breaths, pauses) by this factor")
    group.add_argument("--no-cautions", dest="cautions", action="store_false",
                       help="skip the spoken safety cautions")


def _sound_options(args: argparse.Namespace) -> SoundOptions:
    return SoundOptions(voice=args.voice, rate=args.rate, volume=args.volume,
                        pace=args.pace, cautions=args.cautions)


PLAY_KEYS_EPILOG = """\
keys while playing (single key, no Enter; each is spoken back):
  space            pause / resume (resuming says where you are)
  n, right arrow   next step
  p, left arrow    restart this step (press again for the previous one)
  s                say the status: step, point, side, time left
  + / -            volume up / down
  h, ?             say which keys do what (so does any other key)
  q, Escape        quit
Ctrl-C also stops (exit status 0, as q); the terminal is always restored."""


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
    p.set_defaults(func=_cmd_check)
    p = sub.add_parser("schema", help="print a JSON Schema of the script format, for editors")
    p.set_defaults(func=_cmd_schema)

    # -- plan / render / list / voices (sessions) -----------------------------
    p = sub.add_parser("plan", help="print the session's timeline")
    p.add_argument("script", metavar="SCRIPT")
    p.add_argument("--json", action="store_true", help="print the plan as one JSON object")
    _add_sound_options(p)
    p.set_defaults(func=_cmd_plan)
    p = sub.add_parser("render", help="write the whole session to an audio file")
    p.add_argument("script", metavar="SCRIPT")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="output file; format from the extension: .wav .flac .ogg .mp3")
    p.add_argument("--captions", metavar="FILE", help="also write captions (.vtt or .srt)")
    p.add_argument("--chapters", metavar="FILE",
                   help="also write the sections as chapters: a cue sheet (.cue) or a WebVTT chapters track (.vtt)")
    _add_sound_options(p)
    p.set_defaults(func=_cmd_render)
    p = sub.add_parser("list", help="list the sessions shipped with voiceguide")
    p.set_defaults(func=_cmd_list)
    p = sub.add_parser("voices", help="list the speech engine's voices")
    p.set_defaults(func=_cmd_voices)

    # -- play / devices (live) -------------------------------------------------
    p = sub.add_parser("play", help="play a session aloud", formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Play a session aloud, live. Follow it by ear; the keys below are optional.",
                       epilog=PLAY_KEYS_EPILOG)
    p.add_argument("script", metavar="SCRIPT")
    start = p.add_mutually_exclusive_group()
    start.add_argument("--from", dest="from_step", metavar="STEP",
                       help="start at this step: its number in the script, e.g. 3, or 5.2 inside a repeat")
    start.add_argument("--from-section", metavar="NAME",
                       help="start at this section (its title, or a unique part of it)")
    p.add_argument("--device", metavar="DEVICE",
                   help="output device: a number or part of a name from 'voiceguide devices'")
    p.add_argument("--plain", action="store_true",
                   help="plain output: one line per cue, no redrawing (for screen readers)")
    p.add_argument("--ask-pain", action="store_true",
                   help="ask how strong your pain is before the first step and after the last (keys 0-9, t for 10)")
    p.add_argument("--no-log", dest="log", action="store_false",
                   help="do not write this session to the session log")
    _add_sound_options(p)
    p.set_defaults(func=_cmd_play)
    p = sub.add_parser("devices", help="list audio output devices")
    p.set_defaults(func=_cmd_devices)

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
    p.set_defaults(func=_cmd_log)
    return parser


# --------------------------------------------------------------------------
# the error shell


def _print_error(error: VoiceguideError) -> None:
    if isinstance(error, ScriptError):
        for diagnostic in error.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        return
    print(f"voiceguide: error: {error.message}", file=sys.stderr)
    if error.hint:
        print(f"hint: {error.hint}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
        return status
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

    if os.path.exists(arg):
        return arg
    relative = os.path.relpath(full)
    return full if relative.startswith(os.pardir) else relative


def _cmd_check(args: argparse.Namespace) -> int:
    # Imported here, as in every command, so that start-up loads only what the command needs.
    import dataclasses

    from voiceguide.base import SAMPLE_RATE
    from voiceguide.script.durations import format_seconds
    from voiceguide.script.limits import estimated_measure
    from voiceguide.script.parse import parse_script, read_source
    from voiceguide.script.shipped import resolve_script
    from voiceguide.timeline.compiler import compile_timeline
    from voiceguide.timeline.plan import dropped_warnings

    status = ExitStatus.OK
    for arg in args.scripts:
        try:
            path = resolve_script(arg)
            shown = _shown_path(arg, str(path))
            source = read_source(path, shown)
        except VoiceguideError as error:
            if args.traceback:
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
        for diagnostic in diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        if script is None:
            status = ExitStatus.INVALID
            continue
        count = len(script.steps)
        print(f'{shown}: ok: "{script.title}", {count} step{"" if count == 1 else "s"}, '
              f"about {format_seconds(length_seconds)}")
    return status


def _cmd_schema(args: argparse.Namespace) -> int:
    import json

    from voiceguide.script.schema import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return ExitStatus.OK


# --------------------------------------------------------------------------
# commands: sessions (plan, render, list, voices)


import typing  # noqa: E402 - kept beside its only use: this section's type-only imports

if typing.TYPE_CHECKING:  # the session stages are imported lazily, so that `check` starts fast
    from typing import TextIO

    from voiceguide.audio.mixer import SessionClips
    from voiceguide.script.model import Script
    from voiceguide.timeline.compiler import Timeline


def _load_session(args: argparse.Namespace) -> tuple[Script, SoundOptions]:
    """The script ``args.script`` names, and the sound options, refused if ``--pace`` makes it over 24 h."""
    from voiceguide.script.limits import estimate_session
    from voiceguide.script.model import MAX_SESSION_SECONDS
    from voiceguide.script.parse import load_script
    from voiceguide.script.shipped import resolve_script

    options = _sound_options(args)
    path = resolve_script(args.script)
    script = load_script(path, display_path=_shown_path(args.script, str(path)))
    if options.pace > 1:
        # Speech is not stretched, so this errs on the long side near the limit.
        hours = estimate_session(script).seconds * float(options.pace) / 3600
        if hours > MAX_SESSION_SECONDS / 3600:
            raise UsageError(f"with --pace {float(options.pace):g} the session would last about {hours:.1f} hours; "
                             f"a session may last at most {MAX_SESSION_SECONDS // 3600} hours",
                             hint="choose a smaller --pace")
    return script, options


def _prepare_session(args: argparse.Namespace) -> tuple[Script, Timeline, SessionClips]:
    """Load the script ``args`` names, synthesize its speech and lay out its timeline.

    ``args`` needs ``script`` (a path or a shipped session's name) and the sound
    options of ``_add_sound_options`` (``voice``, ``rate``, ``pace``, ``cautions``).
    Every utterance is synthesized (or read from the cache) before the timeline
    is compiled, so the timeline's speech lengths are those of the clips played.
    Returns the script, its timeline, and the ``mixer.ClipSource`` to mix it
    from; play it at ``_session_volume(args, script)``.  Raises ``UsageError``
    (no such session), ``ScriptError`` (invalid) or ``EngineError`` (no speech).
    """
    from voiceguide.audio.mixer import SessionClips
    from voiceguide.speech.clips import SpeechBank, default_cache_dir
    from voiceguide.speech.pyttsx3_engine import Pyttsx3Synthesizer
    from voiceguide.timeline.compiler import compile_timeline, utterances

    script, options = _load_session(args)
    synth = Pyttsx3Synthesizer(
        voice=options.voice or script.voice.name,
        language=script.language,
        rate=options.rate or script.voice.rate,
    )
    bank = SpeechBank(synth, default_cache_dir())
    # One batched pass over every distinct text: far faster than one engine call per cue.
    bank.prefetch(utterances(script, pace=options.pace, cautions=options.cautions))
    timeline = compile_timeline(script, bank.measure, pace=options.pace, cautions=options.cautions)
    return script, timeline, SessionClips(bank)


def _session_volume(args: argparse.Namespace, script: Script) -> float:
    """The volume to play at: ``--volume`` if given (0 included), else the script's."""
    volume: float | None = args.volume
    return volume if volume is not None else script.voice.volume


def _warn_dropped(script: Script, timeline: Timeline) -> None:
    """Print a ``FILE:LINE:COL: warning:`` for every cue the timeline dropped in a collision."""
    import dataclasses

    from voiceguide.timeline.plan import dropped_warnings

    path = script.position.path
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as file:
            source_lines = file.read().splitlines()
    except OSError:
        source_lines = []
    for warning in dropped_warnings(timeline, path):
        line = warning.position.line
        if 1 <= line <= len(source_lines):
            warning = dataclasses.replace(warning, source_line=source_lines[line - 1])
        print(warning.format(), file=sys.stderr)


def _cmd_plan(args: argparse.Namespace) -> int:
    import json

    from voiceguide.timeline.plan import format_plan, plan_dict

    script, timeline, _ = _prepare_session(args)
    _warn_dropped(script, timeline)
    if args.json:
        print(json.dumps(plan_dict(timeline), ensure_ascii=False))
    else:
        sys.stdout.write(format_plan(timeline))
    return ExitStatus.OK


class _ProgressBar:
    """A one-line progress bar redrawn in place on a terminal (``render.Progress``)."""

    WIDTH = 30

    def __init__(self, stream: TextIO, label: str, sample_rate: int) -> None:
        self._stream = stream
        self._label = label
        self._sample_rate = sample_rate
        self._shown = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total <= 0 else done * 100 // total
        if percent == self._shown:
            return
        self._shown = percent
        filled = self.WIDTH * percent // 100
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        minutes = total // self._sample_rate / 60
        self._stream.write(f"\r{self._label} [{bar}] {percent:3d}% of {minutes:.1f} min")
        self._stream.flush()

    def finish(self) -> None:
        """Clear the bar's line."""
        if self._shown >= 0:
            self._stream.write("\r\x1b[K")
            self._stream.flush()


def _cmd_render(args: argparse.Namespace) -> int:
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # SIGTERM/SIGHUP would end the process on the spot, leaving the sink's
    # temporary file and the speech worker's folder behind: stop as Ctrl-C does.
    signals = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {sig: signal.signal(sig, stop) for sig in signals}
    try:
        return _render(args)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _check_distinct_outputs(*paths: str | None) -> None:
    """Refuse to write two of render's outputs (audio, captions, chapters) to the same file."""
    import os

    seen: dict[str, str] = {}
    for path in paths:
        if path is None:
            continue
        key = os.path.normcase(os.path.realpath(path))
        if key in seen:
            raise UsageError(f"'{seen[key]}' and '{path}' are the same file",
                             hint="give the audio, the captions and the chapters each a file of its own")
        seen[key] = path


def _render(args: argparse.Namespace) -> int:
    """``render``: the session into ``args.output`` (and captions, chapters beside it)."""
    from voiceguide.audio.captions import check_captions_path, check_chapters_path, write_captions, write_chapters
    from voiceguide.audio.render import render_session
    from voiceguide.audio.sinks import FileSink, output_format
    from voiceguide.base import SAMPLE_RATE
    from voiceguide.timeline.plan import clock

    # Wrong names are found before the (possibly long) synthesis, and so is an
    # unwritable output: the sink's temporary file is created first.
    output_format(args.output)
    if args.captions:
        check_captions_path(args.captions)
    if args.chapters:
        check_chapters_path(args.chapters)
    _check_distinct_outputs(args.output, args.captions, args.chapters)
    sink = FileSink(args.output, SAMPLE_RATE)
    progress: _ProgressBar | None = None
    try:
        script, timeline, clips = _prepare_session(args)
        _warn_dropped(script, timeline)
        if sys.stderr.isatty():
            progress = _ProgressBar(sys.stderr, "rendering", timeline.sample_rate)
        render_session(timeline, clips, sink, volume=_session_volume(args, script), progress=progress)
    except BaseException:
        sink.abort()  # idempotent: render_session may have aborted it already
        raise
    finally:
        if progress is not None:
            progress.finish()
    if args.captions:
        write_captions(timeline, args.captions)
    if args.chapters:
        write_chapters(timeline, args.output, args.chapters)
    speech = sum(1 for event in timeline.events if event.kind == "speech")
    print(f"wrote {args.output}: {clock(timeline.length, timeline.sample_rate)}, "
          f"{len(timeline.events)} sounds ({speech} spoken)")
    return ExitStatus.OK


def _cmd_list(args: argparse.Namespace) -> int:
    import shutil

    from voiceguide.script.limits import estimate_session
    from voiceguide.script.parse import load_script
    from voiceguide.script.shipped import shipped_scripts

    rows = []
    for path in shipped_scripts():
        script = load_script(path)
        minutes = max(1, round(float(estimate_session(script).seconds) / 60))
        description = " ".join((script.description or "").split())
        rows.append((path.stem, script.title, f"~{minutes} min", description))
    if not rows:
        print("no sessions are shipped with this installation", file=sys.stderr)
        return ExitStatus.FAILURE
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    columns = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    for name, title, length, description in rows:
        line = f"{name:<{widths[0]}}  {title:<{widths[1]}}  {length:>{widths[2]}}  {description}".rstrip()
        if columns is not None and len(line) > columns:
            line = line[: max(columns - 1, 0)] + "…"
        print(line)
    return ExitStatus.OK


def _cmd_voices(args: argparse.Namespace) -> int:
    """List the engine's voices: id (for ``--voice``), name, languages (for ``language:``)."""
    from voiceguide.speech.pyttsx3_engine import list_voices

    voices = list_voices()
    rows = [("ID", "NAME", "LANGUAGES")] + [(v.id, v.name, ", ".join(v.languages)) for v in voices]
    id_width = max(len(row[0]) for row in rows)
    name_width = max(len(row[1]) for row in rows)
    for voice_id, name, languages in rows:
        print(f"{voice_id:<{id_width}}  {name:<{name_width}}  {languages}".rstrip())
    return ExitStatus.OK


# --------------------------------------------------------------------------
# commands: live (play, devices)


if typing.TYPE_CHECKING:  # the live stages, imported lazily like every session stage
    from voiceguide.play.live import LiveOutput
    from voiceguide.play.player import Snapshot, StartPoint
    from voiceguide.play.tracking import SessionTracking
    from voiceguide.speech.clips import SpeechBank
    from voiceguide.timeline.compiler import Event


def _play_start_point(args: argparse.Namespace, snapshot: Snapshot) -> StartPoint:
    """The span or chapter ``--from``/``--from-section`` names; raises UsageError when there is none."""
    from voiceguide.play.player import find_start_point

    try:
        return find_start_point(snapshot, step=args.from_step, section=args.from_section)
    except LookupError as error:
        option = "--from" if args.from_step is not None else "--from-section"
        raise UsageError(f"{option}: {error}.") from None


def _play_prefetch(bank: SpeechBank, texts: list[str]) -> None:
    """Synthesize ``texts`` in order of first use, in growing batches (runs on a thread).

    The first batches are small so the first cues are ready at once; later ones
    are large, which is faster per text.  A failure is left for the compiler
    thread to meet and report when it needs that text.
    """
    size = 1
    done = 0
    try:
        while done < len(texts):
            bank.prefetch(texts[done:done + size])
            done += size
            size = min(size * 2, 8)
    except Exception:  # noqa: BLE001 - reported by the compiler thread, which needs the same clip
        return


def _cmd_play(args: argparse.Namespace) -> int:
    import signal

    from voiceguide.play.live import LiveOutput, NoOutputDevice
    from voiceguide.play.player import Program
    from voiceguide.timeline.compiler import iter_timeline

    script, options = _load_session(args)
    session_log = _session_log(args, script)
    start: StartPoint | None = None
    if args.from_step is not None or args.from_section is not None:
        # Find the start before any sound, on the whole session laid out with dummy lengths.
        rough = Program(script.title, iter_timeline(script, lambda text: 1, pace=options.pace,
                                                    cautions=options.cautions), background=False)
        start = _play_start_point(args, rough.snapshot())

    signalled: list[int] = []

    def stop(signum: int, frame: object) -> None:
        signalled.append(signum)
        raise KeyboardInterrupt

    signals = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {sig: signal.signal(sig, stop) for sig in signals}
    try:
        # The stream starts first: its lead-in silence plays while the speech engine starts.
        try:
            output = LiveOutput(device=args.device)
        except NoOutputDevice:
            raise NoOutputDevice(args.script) from None
        try:
            status = _play(args, script, options, output, start, session_log)
        except BaseException:
            output.abort()
            raise
        output.close()
        return status
    except KeyboardInterrupt:
        if signalled or args.traceback:
            raise  # stopped by the system (SIGTERM, SIGHUP): "interrupted", exit 130
        # Ctrl-C at the keyboard is the listener quitting, like 'q': the spec's exit 0.
        print("voiceguide: stopped", file=sys.stderr)
        return ExitStatus.OK
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _session_log(args: argparse.Namespace, script: Script) -> SessionTracking:
    """The pain questions (``--ask-pain`` or the settings) and the log record (unless ``--no-log`` or off)."""
    import os

    from voiceguide.base import SAMPLE_RATE
    from voiceguide.config import load_settings
    from voiceguide.log.recorder import SessionRecorder, file_sha256
    from voiceguide.play.ask import SILENCE_SECONDS, pain_phrases
    from voiceguide.play.tracking import SessionTracking
    from voiceguide.script.limits import estimated_measure
    from voiceguide.script.shipped import resolve_script
    from voiceguide.timeline.compiler import compile_timeline

    settings = load_settings()
    recorder = None
    if args.log and settings.log_enabled:
        path = resolve_script(args.script)
        recorder = SessionRecorder(session=script.title, script=args.script, script_sha256=file_sha256(path))

    def estimate_seconds() -> float:
        measure = estimated_measure(args.rate or script.voice.rate, SAMPLE_RATE)
        timeline = compile_timeline(script, measure, pace=args.pace, cautions=args.cautions)
        return timeline.length / timeline.sample_rate

    def show(line: str) -> None:
        print(line, flush=True)

    def warn(message: str) -> None:
        print(f"voiceguide: warning: {message}", file=sys.stderr, flush=True)

    # Only for tests: how long silence after a pain question means "skipped".
    silence = float(os.environ.get("VOICEGUIDE_PAIN_SILENCE_SECONDS", SILENCE_SECONDS))
    phrases = pain_phrases(script.language) if args.ask_pain or settings.ask_pain else None
    return SessionTracking(recorder, phrases, show, warn, estimate_seconds, silence_seconds=silence)


def _play(args: argparse.Namespace, script: Script, options: SoundOptions, output: LiveOutput,
          start_point: StartPoint | None, session_log: SessionTracking) -> int:
    """Play ``script`` into ``output`` from ``start_point``, with keys and screen, until it ends or is quit."""
    import threading
    import time

    from voiceguide.audio.mixer import Mixer, SessionClips
    from voiceguide.play import screen
    from voiceguide.play.keys import KeyReader
    from voiceguide.play.player import FIXED_FEEDBACK, KEY_COMMANDS, Command, Player, Program
    from voiceguide.speech.clips import SpeechBank, default_cache_dir
    from voiceguide.speech.pyttsx3_engine import Pyttsx3Synthesizer
    from voiceguide.timeline.compiler import iter_timeline, utterances

    synth = Pyttsx3Synthesizer(
        voice=options.voice or script.voice.name,
        language=script.language,
        rate=options.rate or script.voice.rate,
    )
    bank = SpeechBank(synth, default_cache_dir())
    # The session's texts in order of first use, then the fixed key feedback (so keys answer at once).
    ask_first, ask_later = session_log.texts()
    texts = ask_first + utterances(script, pace=options.pace, cautions=options.cautions) + list(FIXED_FEEDBACK)
    texts += ask_later
    threading.Thread(target=_play_prefetch, args=(bank, texts), name="voiceguide-prefetch", daemon=True).start()
    # Steps are laid out (and their speech measured) on a thread, ahead of the playhead.
    program = Program(script.title, iter_timeline(script, bank.measure, pace=options.pace,
                                                  cautions=options.cautions))
    start = 0 if start_point is None else start_point.frame(program.wait(start_point.ready))
    clips = SessionClips(bank)

    def make_renderer(events: Sequence[Event], length: int) -> Mixer:
        return Mixer(events, clips, length=length)

    plain = args.plain or not sys.stdout.isatty()
    rate = output.sample_rate
    drawn = ""
    next_draw = 0.0
    with KeyReader() as reader:
        print(screen.header(script.title, program.snapshot().length, rate, keys=reader.interactive), flush=True)
        ask = session_log.asker(reader.read, reader.interactive, output, bank.clip,
                                _session_volume(args, script), rate)
        player: Player | None = None
        try:
            session_log.before(ask)
            player = Player(program, make_renderer, output, bank.clip, start_frame=start,
                            volume=_session_volume(args, script), sample_rate=output.sample_rate)
            session_log.start()
            while not player.done:
                key = reader.read(0.02)
                # A key that means nothing gets the spoken list of keys.
                command = KEY_COMMANDS.get(key, Command.HELP) if key is not None else None
                if command is not None:
                    session_log.quit_asked |= command is Command.QUIT
                    player.handle(command)
                player.pump()
                notices = player.poll()
                if plain:
                    for notice in notices:
                        print(screen.notice_line(notice, rate), flush=True)
                elif notices or time.monotonic() >= next_draw:
                    next_draw = time.monotonic() + 0.25
                    line = screen.status_line(player.status())
                    if line != drawn:
                        sys.stdout.write(screen.redraw(line))
                        sys.stdout.flush()
                        drawn = line
            if drawn:
                sys.stdout.write("\n")
                sys.stdout.flush()
                drawn = ""
            session_log.after(ask)
        except KeyboardInterrupt:
            session_log.ended = session_log.ended or "quit"  # Ctrl-C (or a signal): the listener stopping
            raise
        finally:
            if drawn:
                sys.stdout.write("\n")
                sys.stdout.flush()
            session_log.finish(program, player, rate)
            program.close()
            synth.close()
    return ExitStatus.OK


def _cmd_devices(args: argparse.Namespace) -> int:
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


def _cmd_log(args: argparse.Namespace) -> int:
    """``log``: the table, ``--csv``, ``--plot`` (a picture or a text chart), or ``--forget``."""
    from voiceguide.log import report
    from voiceguide.log.store import log_path, read_log

    if args.forget:
        return _forget_log(args.yes)
    if args.plot:
        from voiceguide.log.plot import check_plot_path

        check_plot_path(args.plot)  # a wrong name is refused before the log is read
    contents = read_log()
    if contents.damaged_lines:
        print(f"voiceguide: note: {contents.damaged_lines} damaged line(s) in {log_path()} were skipped "
              "(a session cut off while it was being written)", file=sys.stderr)
    records = list(contents.records)
    if args.since is not None:
        records = report.since(records, args.since)
    if args.plot:
        from voiceguide.log.plot import write_plot

        drawn = write_plot(records, args.plot)
        print(f"wrote {args.plot}: pain before and after for {drawn} session{'' if drawn == 1 else 's'}")
    elif args.plot is not None:
        sys.stdout.write(report.format_chart(records))
    elif args.csv:
        sys.stdout.write(report.format_csv(records))
    elif not records:
        print("No sessions in the log yet." if not contents.records else "No sessions since then.")
    else:
        shown = records[-LOG_TABLE_ROWS:] if args.since is None else records
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
