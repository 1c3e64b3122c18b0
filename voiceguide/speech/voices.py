"""The engine's voices, and choosing one: by id or part of a name, and by the language it must speak."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

from voiceguide.errors import EngineError
from voiceguide.phrases import LANGUAGE_NAMES, primary_language

__all__ = ["VOICES_HINT", "VoiceInfo", "install_voice_hint", "normal_tag", "select_voice", "voices_speaking"]

VOICES_HINT = "run 'voiceguide voices' to see the installed voices"


@dataclass(frozen=True)
class VoiceInfo:
    """One of the engine's voices: ``id`` selects it; ``languages`` are lower-case BCP-47 tags."""

    id: str
    name: str
    languages: tuple[str, ...]
    gender: str | None


def normal_tag(tag: str) -> str:
    """A language tag as voices list it: ``en_GB`` → ``en-gb``."""
    return tag.strip().replace("_", "-").lower()


def _language_rank(voice_language: str, tag: str) -> int | None:
    """How well a voice language serves a requested tag: 0 best, None not at all."""
    primary = tag.split("-", 1)[0]
    if voice_language == tag:
        return 0
    if voice_language == primary:
        return 1
    if voice_language.startswith(tag + "-"):
        return 2
    if voice_language.split("-", 1)[0] == primary:
        return 3
    return None


def _best_for_language(voices: Sequence[VoiceInfo], language: str) -> list[VoiceInfo]:
    """Voices that speak ``language``, best first (closest tag, then the plainest voice)."""
    tag = normal_tag(language)
    scored: list[tuple[int, int, int, str, VoiceInfo]] = []
    for voice in voices:
        ranks = [(r, len(lang)) for lang in voice.languages if (r := _language_rank(lang, tag)) is not None]
        if ranks:
            rank, length = min(ranks)
            scored.append((rank, length, len(voice.id), voice.id, voice))
    scored.sort(key=lambda item: item[:4])
    return [item[4] for item in scored]


def voices_speaking(voices: Sequence[VoiceInfo], language: str) -> list[VoiceInfo]:
    """The voices that speak ``language`` (``fr`` also finds ``fr-be``), closest tag first (``voices fr``)."""
    return _best_for_language(voices, language)


def _language_label(language: str) -> str:
    name = LANGUAGE_NAMES.get(primary_language(language))
    return f"{name} ({language})" if name else repr(language)


def install_voice_hint(language: str) -> str:
    """What to install so that a voice speaks ``language``, for this platform."""
    label = _language_label(language)
    if sys.platform == "darwin":
        how = (f"add a {label} voice in System Settings > Accessibility > Spoken Content > "
               f"System Voice > Manage Voices")
    elif sys.platform == "win32":
        how = f"add the speech pack for {label} in Settings > Time & language > Language & region"
    else:
        how = (f"install a voice that speaks {label}: espeak-ng's voice data covers about a hundred languages "
               f"(Debian/Ubuntu: sudo apt-get install espeak-ng-data)")
    return f"{how}; then {VOICES_HINT}"


def _speaks(voice: VoiceInfo, language: str) -> bool:
    """True when the voice speaks ``language`` (a voice that names no language is given the benefit of the doubt)."""
    tag = normal_tag(language)
    return not voice.languages or any(_language_rank(lang, tag) is not None for lang in voice.languages)


def select_voice(voices: Sequence[VoiceInfo], voice: str | None, language: str | None) -> VoiceInfo | None:
    """The voice to use: ``voice`` is an exact id or a case-insensitive part of a name;
    ``language`` a BCP-47 tag (``en-GB`` prefers ``en-gb``, then ``en``).  None: the engine's default.

    A voice that does not speak ``language`` is never chosen: text is not read in
    another language's voice.  Raises ``EngineError`` with a hint (run ``voiceguide
    voices``, or what to install) when nothing matches.
    """
    if voice is not None:
        chosen = _named_voice(voices, voice, language)
        if language is not None and not _speaks(chosen, language):
            raise EngineError(
                f"The voice {chosen.id!r} ({chosen.name}) does not speak {_language_label(language)}, "
                f"the script's language.",
                hint=f"choose a voice that speaks it, or leave the voice out; {VOICES_HINT}")
        return chosen
    if language is not None:
        speaking = _best_for_language(voices, language)
        if not speaking:
            raise EngineError(f"No installed voice speaks the language {_language_label(language)}.",
                              hint=install_voice_hint(language))
        return speaking[0]
    return None


def _named_voice(voices: Sequence[VoiceInfo], voice: str, language: str | None) -> VoiceInfo:
    """The voice with id ``voice``, or whose name contains it (narrowed by ``language``)."""
    exact = [v for v in voices if v.id == voice] or [v for v in voices if v.id.lower() == voice.lower()]
    if exact:
        return exact[0]
    key = voice.casefold()
    named = [v for v in voices if key in v.name.casefold()]
    if not named:
        raise EngineError(f"No installed voice has the id or name {voice!r}.", hint=VOICES_HINT)
    exact_name = [v for v in named if v.name.casefold() == key]
    if exact_name:
        return exact_name[0]
    if language is not None:
        speaking = _best_for_language(named, language)
        if speaking:
            return speaking[0]
    # The shortest name is the plainest voice that contains the words asked for.
    return min(named, key=lambda v: len(v.name))
