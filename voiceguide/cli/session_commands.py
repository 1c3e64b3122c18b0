"""Commands about sessions: ``plan``, ``render``, ``list``, ``voices``.

Stages are imported inside each command, so that start-up loads only what the command needs.
"""

from __future__ import annotations

import sys

from voiceguide.cli.options import PlanOptions, RenderOptions
from voiceguide.cli.printing import print_diagnostics
from voiceguide.errors import EngineError, ExitStatus


def cmd_plan(options: PlanOptions) -> int:
    """``plan``: the session's timeline as text or JSON, after the dropped cues' warnings."""
    import json

    from voiceguide.play.prepare import dropped_cue_warnings, prepare_session
    from voiceguide.timeline.plan import format_plan, plan_dict

    if options.plot is not None:
        from voiceguide.timeline.drawing import check_drawing_path

        check_drawing_path(options.plot)  # a wrong name is refused before the speech is made
    session = prepare_session(options.session)
    print_diagnostics(dropped_cue_warnings(session.script, session.timeline))
    if options.plot is not None:
        from voiceguide.timeline.drawing import write_drawing

        write_drawing(session.timeline, options.plot)
        print(f"wrote {options.plot}: {session.timeline.title[:80]!r}, {len(session.timeline.events)} sounds")
    elif options.json:
        print(json.dumps(plan_dict(session.timeline), ensure_ascii=False))
    else:
        sys.stdout.write(format_plan(session.timeline))
    return ExitStatus.OK


def cmd_render(options: RenderOptions) -> int:
    """``render``: the session into a file (and captions, chapters), with progress bars at a terminal."""
    from voiceguide.base import clock
    from voiceguide.play.interrupts import signals_interrupt
    from voiceguide.play.render import render_files
    from voiceguide.printable import shown_path

    # Progress only for a person at a terminal: never in pipes, logs or under --plain.
    progress = sys.stderr if sys.stderr.isatty() and not options.plain else None
    with signals_interrupt():
        timeline = render_files(options, progress, print_diagnostics)
    speech = sum(1 for event in timeline.events if event.kind == "speech")
    print(f"wrote {shown_path(options.output)}: {clock(timeline.length, timeline.sample_rate, decimals=2)}, "
          f"{len(timeline.events)} sounds ({speech} spoken)")
    return ExitStatus.OK


def cmd_list(options: None) -> int:
    """``list``: the shipped sessions, one line each, cut to the terminal's width."""
    import shutil

    from voiceguide.printable import printable
    from voiceguide.script.shipped import shipped_sessions

    rows = [(session.name, printable(session.language, one_line=True), printable(session.title, one_line=True),
             f"~{session.minutes} min", printable(session.description)) for session in shipped_sessions()]
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


def cmd_voices(language: str | None) -> int:
    """``voices [LANGUAGE]``: every engine's voices (those that speak LANGUAGE): engine and id (for ``--engine``,
    ``--voice``), name, languages."""
    from voiceguide.speech.engines import every_engines_voices

    voices, missing = every_engines_voices()
    if language is not None:
        from voiceguide.speech.voices import install_voice_hint, voices_speaking

        # Each engine's voices that speak it, the closest tag first (fr: fr-fr before fr-be).
        voices = [(engine, voice) for engine in dict.fromkeys(engine for engine, _ in voices)
                  for voice in voices_speaking([v for e, v in voices if e == engine], language)]
        if not voices:
            raise EngineError(f"No installed voice speaks {language}.", hint=install_voice_hint(language))
    rows = [("ENGINE", "ID", "NAME", "LANGUAGES")]
    rows += [(engine, v.id, v.name, ", ".join(v.languages)) for engine, v in voices]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for engine, voice_id, name, languages in rows:
        print(f"{engine:<{widths[0]}}  {voice_id:<{widths[1]}}  {name:<{widths[2]}}  {languages}".rstrip())
    for line in missing:
        print(line)
    return ExitStatus.OK


def cmd_sounds(options: None) -> int:
    """``sounds``: the built-in background sounds, one a line, with what they sound like."""
    from voiceguide.audio.sounds import describe

    for name, description in describe():
        print(f"{name:<8} {description}")
    print("\nOr an audio file of your own (WAV, FLAC, Ogg, Opus, MP3), looped without a seam.")
    return ExitStatus.OK
