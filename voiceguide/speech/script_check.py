"""``check``: a script's problems, its dropped cues, and the voice and language it asks of the engine.

No speech is made: lengths are estimated from the words and the rate, and
the engine is asked only for its list of voices, and only when the script
names a voice or a language other than English.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from fractions import Fraction

from voiceguide.errors import Diagnostic, EngineError

if typing.TYPE_CHECKING:
    from voiceguide.script.model import Script

__all__ = ["CheckedScript", "check_script_file", "voice_warnings"]


@dataclass(frozen=True)
class CheckedScript:
    """What ``check`` found in one script: its name as shown, every diagnostic, and the script when valid."""

    shown: str
    diagnostics: list[Diagnostic]
    script: Script | None
    length_seconds: Fraction


def check_script_file(arg: str) -> CheckedScript:
    """Check the script a SCRIPT argument names; ``VoiceguideError`` when it cannot be found or read."""
    from voiceguide.base import SAMPLE_RATE
    from voiceguide.script.backgrounds import missing_background_files
    from voiceguide.script.limits import estimated_measure
    from voiceguide.script.parse import parse_script, read_source
    from voiceguide.script.shipped import resolve_script, shown_path
    from voiceguide.timeline.compiler import compile_timeline
    from voiceguide.timeline.plan import dropped_warnings

    path = resolve_script(arg)
    shown = shown_path(arg, str(path))
    source = read_source(path, shown)
    result = parse_script(source, shown)
    diagnostics = list(result.diagnostics)
    script = result.script
    length_seconds = Fraction(0)
    if script is not None:
        timeline = compile_timeline(script, estimated_measure(script.voice.rate, SAMPLE_RATE))
        length_seconds = Fraction(timeline.length, timeline.sample_rate)
        diagnostics += dropped_warnings(timeline, shown, source)  # at the keys that would make room
        diagnostics += voice_warnings(script, source, shown)
        missing = missing_background_files(script, source.decode("utf-8", "replace").splitlines())
        if missing:  # the script is valid, but render and play would refuse it
            diagnostics = sorted(diagnostics + missing, key=lambda d: (d.position.line, d.position.column))
            script = None
    return CheckedScript(shown, diagnostics, script, length_seconds)


def voice_warnings(script: Script, source: bytes, shown: str) -> list[Diagnostic]:
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
    from voiceguide.phrases import DEFAULT_LANGUAGE
    from voiceguide.script.loader import compose_document
    from voiceguide.speech.pyttsx3_engine import list_voices
    from voiceguide.speech.voices import select_voice

    document = compose_document(source, shown)
    top = document.entries(document.root)[0]
    places: list[tuple[typing.Any, str | None, str | None, str]] = []  # node, voice, language, what
    if script.voice.name is not None:
        voice_node = top["voice"][1]
        name_node = document.entries(voice_node)[0]["name"][1]
        # A named voice must also speak the script's language (English when it sets none).
        places.append((name_node, script.voice.name, language or DEFAULT_LANGUAGE,
                       f"voice.name '{script.voice.name}'"))
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
