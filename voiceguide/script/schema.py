"""A JSON Schema (draft 2020-12) of the script format, for editors with a YAML language server.

``voiceguide schema > voiceguide.script.schema.json``, then put
``# yaml-language-server: $schema=./voiceguide.script.schema.json`` on a script's
first line: the editor completes keys, shows the descriptions below on hover,
and flags most mistakes as they are typed.

The schema states what a schema can: keys, types, ranges, enumerations,
required keys and the duration syntax.  A few rules only ``voiceguide check``
enforces: a duration total over 24 h written as text, keys written twice,
``countdown`` longer than the hold, the session limits (24 h, 100,000
events), a plain number given where a whole number is expected
(``rate: 160.0`` passes a JSON Schema ``integer``), and text with nothing to
speak (a letter or a digit of any script: beyond a portable regular expression).
"""

from __future__ import annotations

from typing import Any

from voiceguide.phrases import KEYS, load_phrasebook
from voiceguide.script.durations import MAX_DURATION_SECONDS, PATTERN, POSITIVE_PATTERN
from voiceguide.script.model import FORMAT_VERSION, MAX_RATE_WPM, MIN_RATE_WPM
from voiceguide.script.parse import CHIME_SOUNDS, LANGUAGE_PATTERN, SIDES, TEXT_PATTERN
from voiceguide.script.texts import MAX_TEXT_CHARACTERS
from voiceguide.script.vocabulary import BACKGROUND_SOUNDS

__all__ = ["SCHEMA_ID", "json_schema"]

SCHEMA_ID = "https://voiceguide.invalid/schema/script-format-1.json"
"""The schema's ``$id`` (a name, not a place: the schema is printed by ``voiceguide schema``)."""

Schema = dict[str, Any]


def _text(description: str) -> Schema:
    return {"type": "string", "pattern": TEXT_PATTERN, "maxLength": MAX_TEXT_CHARACTERS, "description": description}


def _duration(description: str, *, zero: bool, default: str | None = None) -> Schema:
    number: Schema = {"type": "number", "maximum": MAX_DURATION_SECONDS}
    number["minimum" if zero else "exclusiveMinimum"] = 0
    schema: Schema = {
        "description": description + " A number of seconds or text such as '90s', '1m30s', '250ms'"
                       + (" (0 allowed)." if zero else " (more than zero)."),
        "anyOf": [number, {"type": "string", "pattern": PATTERN if zero else POSITIVE_PATTERN}],
    }
    if default is not None:
        schema["default"] = default
    return schema


def _integer(description: str, minimum: int, maximum: int | None = None, default: int | None = None) -> Schema:
    schema: Schema = {"type": "integer", "minimum": minimum, "description": description}
    if maximum is not None:
        schema["maximum"] = maximum
    if default is not None:
        schema["default"] = default
    return schema


def _boolean(description: str, default: bool) -> Schema:
    return {"type": "boolean", "default": default, "description": description}


def _object(properties: dict[str, Schema], required: tuple[str, ...] = (), description: str = "") -> Schema:
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    if description:
        schema["description"] = description
    return schema


def _words(defaults: dict[str, str], description: str) -> Schema:
    return _object({key: _text(f"Replaces the phrasebook's word ('{value}' in English).") | {"default": value}
                    for key, value in defaults.items()},
                   description=description)


def _phrases() -> Schema:
    """Every phrase key, described by when it is spoken and the placeholders it must keep."""
    english = load_phrasebook("en").templates
    properties: dict[str, Schema] = {}
    for key in KEYS:
        keep = ", ".join(f"{{{name}}}" for name in sorted(key.placeholders))
        tail = f" Keep the placeholders {keep}." if keep else ""
        properties[key.name] = _text(f"Spoken: {key.when}.{tail}") | {"default": english[key.name]}
    return _object(properties, description="Overrides of the built-in phrases of the script's language, by key "
                                           "('voiceguide phrases LANGUAGE' prints them all).")


_LABEL = _text("A short name shown on screen, used for navigation and chapter marks in exports.")


def _step(kind: str, value: Schema, description: str, **options: Schema) -> Schema:
    return _object({kind: value, **options, "label": _LABEL}, required=(kind,), description=description)


def _pattern_properties() -> dict[str, Schema]:
    return {
        "inhale": _duration("Duration of the in-breath.", zero=False),
        "hold": _duration("Hold after the in-breath.", zero=True, default="0"),
        "exhale": _duration("Duration of the out-breath.", zero=False),
        "rest": _duration("Pause after the out-breath.", zero=True, default="0"),
    }


def _background(*, off: bool) -> dict[str, Any]:
    """``background``: a sound's name, a file, ``off`` (a step only) or a mapping with level, duck and fade."""
    decibels = {"type": ["string", "number"], "pattern": r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*([dD][bB])?\s*$"}
    sound = {"type": "string", "anyOf": [{"enum": list(BACKGROUND_SOUNDS)},
                                         {"pattern": r"(?i)\.(wav|flac|ogg|opus|mp3)$"}],
             "description": "A built-in sound (voiceguide sounds) or an audio file, relative to the script."}
    mapping = _object({
        "sound": sound,
        "level": decibels | {"default": "-20dB", "description": "Loudness relative to the voice (-60dB to 0dB)."},
        "duck": decibels | {"default": "6dB", "description": "How much lower while the voice speaks."},
        "fade": _duration("Fade in, out, around a pause and between sounds.", zero=True, default="4s"),
    }, required=("sound",), description="The sound under the voice.")
    choices: list[dict[str, Any]] = [sound, mapping]
    if off:
        choices.append({"enum": ["off", False], "description": "No sound from here on."})
    return {"anyOf": choices, "description": "The sound under the voice (revision 3)."}


def _step_schemas() -> list[Schema]:
    """One schema per kind of mapping step: say, pause, chime, breathe, press, repeat, section, background."""
    english = load_phrasebook("en").templates
    breath_words = {name: english[name] for name in ("inhale", "hold", "exhale", "rest")}
    short_words = {name: english[f"{name}_short"] for name in ("inhale", "hold", "exhale", "rest")}
    press_words = {name: english[name] for name in ("press", "release")}
    say = _step("say", _text("Text to speak."), "Speak text, then pause.",
                pause=_duration("Silence after the speech.", zero=False, default="0.5s"))
    pause = _step("pause", _duration("Silence.", zero=False), "Silence.")
    chime = _step("chime", {
        "description": "Soft tones, each about 1.5 s: a count, or {count, sound}.",
        "anyOf": [
            _integer("Number of tones.", 1),
            _object({"count": _integer("Number of tones.", 1, default=1),
                     "sound": {"enum": list(CHIME_SOUNDS), "default": "bell", "description": "The sound."}}),
        ],
    }, "Chime tones.")
    breathe_value = _object({
        **_pattern_properties(),
        "cycles": _integer("Number of cycles (give either cycles or for).", 1),
        "for": _duration("Total time; cycles = floor(for / cycle length), at least 1 (give either cycles or for).",
                         zero=False),
        "count": _boolean("Also count whole seconds aloud inside each phase.", False),
        "say": _text("Spoken before the first cycle."),
        "words": _words(breath_words, "The cue words.") | {"properties": {
            **_words(breath_words, "")["properties"],
            "short": _words(short_words, "The short forms, said where the words would not end before the next "
                                         "fixed cue."),
        }},
    }, required=("inhale", "exhale"), description="Paced breathing.")
    breathe_value["oneOf"] = [{"required": ["cycles"]}, {"required": ["for"]}]
    breathe = _step("breathe", breathe_value, "Paced breathing.")
    press = _step("press", _object({
        "point": _text("The point's name, e.g. 'GB30 (Huantiao)'."),
        "where": _text("How to find it, spoken with the announcement."),
        "side": {"enum": list(SIDES), "default": "none",
                 "description": "left, right, both (left then right), or none."},
        "hold": _duration("How long to keep the pressure.", zero=False),
        "prepare": _duration("Silence between the announcement and the press cue.", zero=True, default="3s"),
        "say": _text("Spoken right after the press cue."),
        "cue_every": _duration("Announce the time left at every multiple of this before the end.", zero=False),
        "halfway": _boolean("A 'halfway' cue at hold/2.", False),
        "countdown": _integer("Count the last N seconds aloud.", 0, default=0),
        "breathe": _object(_pattern_properties(), required=("inhale", "exhale"),
                           description="Paced breathing cues during the hold."),
        "words": _words(press_words, "The press and release cue words."),
        "rest": _duration("Silence after the release cue (also between the sides of 'both').",
                          zero=True, default="5s"),
        "pan": _boolean("Play a side's cues from that side (false: centred).", True),
    }, required=("hold",), description="A pressure-hold interval on one point."), "Pressure-hold interval.")
    repeat = _step("repeat", _integer("Number of rounds.", 1), "Play the nested steps N times.",
                   steps=_STEPS_REF | {"description": "The steps to repeat."},
                   announce=_boolean("Speak 'Round two of three' at the start of each round.", False))
    repeat["required"] = ["repeat", "steps"]
    section = _step("section", _text("The chapter's title."), "A chapter mark.",
                    announce=_boolean("Speak the title.", True))
    background = _step("background", _background(off=True),
                       "Change the sound under the voice from here on (crossfading over its fade).")
    return [say, pause, chime, breathe, press, repeat, section, background]


_STEPS_REF: Schema = {"$ref": "#/$defs/steps"}


def json_schema() -> Schema:
    """The JSON Schema of script format 1, as a JSON-ready dict."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "voiceguide session script",
        "description": f"A voice-guided session (format {FORMAT_VERSION}); check with 'voiceguide check'.",
        "type": "object",
        "required": ["voiceguide", "title", "steps"],
        "properties": {
            "voiceguide": {"const": FORMAT_VERSION, "description": "Format version."},
            "title": _text("Shown and spoken at the start."),
            "description": _text("Shown by 'list' and 'plan'."),
            "language": {"type": "string", "pattern": LANGUAGE_PATTERN,
                         "description": "BCP-47 tag (en, en-GB, de); picks a matching voice and the phrasebook."},
            "phrases": _phrases(),
            "voice": _object({
                "name": _text("Engine voice id, or a case-insensitive part of its name."),
                "rate": _integer("Words per minute.", MIN_RATE_WPM, MAX_RATE_WPM, default=160),
                "volume": {"type": "number", "minimum": 0, "maximum": 1, "default": 1,
                           "description": "Volume from 0 to 1."},
            }, description="Voice settings."),
            "cautions": {"type": "array", "items": _text("A safety note."),
                         "description": "Safety notes, spoken before the first step."},
            "pronounce": {"type": "object", "propertyNames": {"pattern": TEXT_PATTERN,
                                                              "maxLength": MAX_TEXT_CHARACTERS},
                          "additionalProperties": _text("What the voice says instead."),
                          "description": "Spoken forms: a written word or phrase (whole, same capitals) → what "
                                         "the voice says, e.g. {GB30: G B thirty}. The screen, captions and "
                                         "chapters keep the written form."},
            "background": _background(off=False),
            "steps": _STEPS_REF,
        },
        "patternProperties": {"^x-": {"description": "Ignored: a place to define anchors for reuse."}},
        "additionalProperties": False,
        "$defs": {
            "steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"},
                      "description": "The steps, played end to end."},
            "step": {
                "description": "Text to speak, or a mapping with one of: say, pause, chime, breathe, press, "
                               "repeat, section, background.",
                "anyOf": [_text("Text to speak (shorthand for say)."), *_step_schemas()],
            },
        },
    }
