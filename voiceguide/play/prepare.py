"""Preparing a session: the script a SCRIPT argument names, its engine, its speech and its timeline.

``plan``, ``render`` and ``play`` start here; tests and benchmarks call these
functions too.  The stages are imported inside each function, so that the
command line, which imports this module, starts fast.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Sequence
from dataclasses import dataclass

from voiceguide.errors import Diagnostic, EngineError, Position, ScriptError, UsageError, VoiceguideError
from voiceguide.play.requests import SessionOptions, SoundOptions

if typing.TYPE_CHECKING:
    from voiceguide.audio.mixer import SessionClips
    from voiceguide.play.ui import ProgressBar
    from voiceguide.script.model import Script
    from voiceguide.speech.engines import EngineSynthesizer
    from voiceguide.timeline.layout import Timeline

__all__ = ["PreparedSession", "dropped_cue_warnings", "load_session", "prepare_session", "session_synthesizer",
           "session_volume", "speech_language"]


def load_session(session: SessionOptions) -> Script:
    """The script ``session.script`` names, refused if ``--pace`` makes it over 24 h."""
    from voiceguide.script.limits import estimate_session
    from voiceguide.script.model import MAX_SESSION_SECONDS
    from voiceguide.script.parse import load_script
    from voiceguide.script.shipped import resolve_script, shown_path

    options = session.sound
    if session.text is not None:  # a session without a file (breathe, press): its text, named by its command
        from voiceguide.errors import ScriptError
        from voiceguide.script.parse import parse_script

        parsed = parse_script(session.text, f"<{session.script}>")
        if parsed.script is None:
            raise ScriptError(parsed.diagnostics)
        script = parsed.script
    else:
        path = resolve_script(session.script)
        shown = shown_path(session.script, str(path))
        script = load_script(path, display_path=shown)
        if options.background is None and not options.no_background:  # else the script's sounds are not played
            _refuse_missing_background_files(script, path, shown)
    if options.background is not None and not options.no_background:
        _refuse_missing_background_option(options)
    if options.pace > 1:
        # Speech is not stretched, so this errs on the long side near the limit.
        hours = estimate_session(script).seconds * float(options.pace) / 3600
        if hours > MAX_SESSION_SECONDS / 3600:
            raise UsageError(f"with --pace {float(options.pace):g} the session would last about {hours:.1f} hours; "
                             f"a session may last at most {MAX_SESSION_SECONDS // 3600} hours",
                             hint="choose a smaller --pace")
    return script


def _refuse_missing_background_files(script: Script, path: str | os.PathLike[str], shown: str) -> None:
    """A ``ScriptError`` at each background file that is missing, before any speech is made."""
    from voiceguide.script.backgrounds import missing_background_files
    from voiceguide.script.parse import read_source

    if missing_background_files(script):
        lines = read_source(path, shown).decode("utf-8", "replace").splitlines()  # for the source line shown
        raise ScriptError(missing_background_files(script, lines))


def _refuse_missing_background_option(options: SoundOptions) -> None:
    """``--background`` names a built-in sound or an existing file (``UsageError`` otherwise), as ``render`` needs."""
    from pathlib import Path

    from voiceguide.audio.soundstage import background_choice

    chosen = background_choice(options).sound
    if chosen is not None and not chosen.builtin and not Path(chosen.sound).is_file():
        raise UsageError(f"the background file {chosen.sound} does not exist",
                         hint="give its path from the current folder, or a built-in sound ('voiceguide sounds')")


@dataclass(frozen=True)
class PreparedSession:
    """A session ready to mix: its script, its timeline, and the clips to mix it from, at its volume."""

    script: Script
    timeline: Timeline
    clips: SessionClips
    volume: float


def prepare_session(session: SessionOptions, progress: ProgressBar | None = None) -> PreparedSession:
    """Load the script ``session`` names, synthesize its speech and lay out its timeline.

    Every utterance is synthesized (or read from the cache) before the timeline
    is compiled, so the timeline's speech lengths are those of the clips played.
    Raises ``UsageError`` (no such session), ``ScriptError`` (invalid) or
    ``EngineError`` (no speech).  ``progress`` is shown while the speech is made
    (texts done of all).
    """
    import dataclasses

    from voiceguide.audio.loudness import levelled_tones
    from voiceguide.audio.mixer import SessionClips
    from voiceguide.script.pronounce import spoken_forms
    from voiceguide.speech.clip_cache import default_cache_dir
    from voiceguide.speech.clips import SpeechBank
    from voiceguide.timeline.compiler import compile_timeline, utterances
    from voiceguide.timeline.length_limit import check_timeline_length

    script = load_session(session)
    options = session.sound
    synth = session_synthesizer(options, script)
    bank = SpeechBank(synth, default_cache_dir(), spoken=spoken_forms(script.pronounce).spoken)
    # One batched pass over every distinct text: far faster than one engine call per cue.
    try:
        bank.prefetch(utterances(script, pace=options.pace, cautions=options.cautions), progress=progress)
    except EngineError as error:
        raise _at_its_step(error, script) from None
    finally:
        if progress is not None:
            progress.finish()
    timeline = compile_timeline(script, bank.measure, pace=options.pace, cautions=options.cautions)
    check_timeline_length(script, timeline)  # the real length: check could only estimate it
    # The plan names the engine's voice; the compiler, which never sees the engine, leaves it out.
    timeline = dataclasses.replace(timeline, voice=synth.voice_id, engine=options.engine)
    clips = SessionClips(bank, levelled_tones(default_cache_dir()))
    return PreparedSession(script, timeline, clips, session_volume(options, script))


def speech_language(script: Script) -> str:
    """The language the voice must speak: the script's, or English (the phrasebook of a script without one)."""
    from voiceguide.phrases import DEFAULT_LANGUAGE

    return script.language or DEFAULT_LANGUAGE


def session_synthesizer(sound: SoundOptions, script: Script) -> EngineSynthesizer:
    """The chosen speech engine, with the voice and rate of ``--voice``/``--rate`` or else the script's."""
    from voiceguide.speech.clip_cache import cache_max_bytes, default_cache_dir
    from voiceguide.speech.engines import open_synthesizer

    cache_dir = default_cache_dir() if cache_max_bytes() > 0 else None  # no cache: nothing kept on disk
    return open_synthesizer(sound.engine, voice=sound.voice or script.voice.name, language=speech_language(script),
                            rate=sound.rate or script.voice.rate, cache_dir=cache_dir)


def session_volume(sound: SoundOptions, script: Script) -> float:
    """The volume to play at: ``--volume`` if given (0 included), else the script's."""
    return sound.volume if sound.volume is not None else script.voice.volume


def dropped_cue_warnings(script: Script, timeline: Timeline) -> list[Diagnostic]:
    """A ``FILE:LINE:COL: warning:`` for every cue that fits nowhere, at the key that would make room."""
    from voiceguide.script.source import read_script_file
    from voiceguide.timeline.plan import dropped_warnings

    if not timeline.dropped:
        return []
    path = script.position.path
    try:  # the script read again, as boundedly as the first time, for the keys' places and lines
        source: bytes | None = read_script_file(path, path)
    except VoiceguideError:
        source = None
    return dropped_warnings(timeline, path, source)


def _at_its_step(error: EngineError, script: Script) -> VoiceguideError:
    """An engine's failure on one text as ``FILE:LINE:COL: error:`` at the step that holds it, when one does."""
    position = _text_position(script.steps, error.text) if error.text else None
    if position is None:
        return error
    hint = f" ({error.hint})" if error.hint else ""
    return ScriptError([Diagnostic(position, "error", error.message.rstrip(".") + hint)])


def _text_position(steps: Sequence[object], text: str) -> Position | None:
    """The position of the first step (repeats searched inside) with a text that ``text`` says."""
    for step in steps:
        fields = vars(step)
        for value in fields.values():
            if isinstance(value, str) and value.strip() and value.strip() in text and "position" in fields:
                position: Position = fields["position"]
                return position
            if isinstance(value, tuple) and value and not isinstance(value[0], (str, int)):
                inner = _text_position(value, text)
                if inner is not None:
                    return inner
    return None
