"""Names a listener understands for a step: what the screen shows and the spoken status says.

Never an internal kind ("say", "chime"): the step's ``label``; else, for a press,
its point; else the section the step is in; else a short word for what is
happening ("breathing", "pause").
"""

from __future__ import annotations

from voiceguide.phrases import KEYS_BY_NAME, Phrasebook
from voiceguide.timeline.layout import StepSpan

KIND_WORDS = {
    "title": "introduction", "cautions": "safety cautions", "say": "guidance", "pause": "pause",
    "chime": "bell", "section": "section", "breathe": "breathing", "press": "pressure hold", "round": "next round",
}
"""A word for a step that has no label, point or section, by the compiler's span kind."""


def step_name(span: StepSpan, side: str | None = None, phrases: Phrasebook | None = None) -> str:
    """The step's name, with the side of a press (``GB30 (Huantiao), left side``).

    With ``phrases``, the words voiceguide adds (a kind, the side) are the phrasebook's
    (``place_<kind>``, ``place_left``): the spoken status speaks the script's language.
    """
    if span.label:
        name = span.label
    elif span.kind == "press" and span.point:
        name = span.point
    elif span.section and span.kind not in ("title", "cautions"):
        name = span.section
    elif phrases is not None and f"place_{span.kind}" in KEYS_BY_NAME:
        name = phrases.fill(f"place_{span.kind}")
    else:
        name = KIND_WORDS.get(span.kind, "step")
    if side in ("left", "right"):
        name = phrases.fill(f"place_{side}", place=name) if phrases is not None else f"{name}, {side} side"
    return name


def sentence_start(text: str) -> str:
    """``text`` with its first letter in upper case, as at the start of a spoken sentence."""
    return text[:1].upper() + text[1:]
