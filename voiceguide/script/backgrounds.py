"""Reading ``background:`` (revision 3): a sound's name, a file, ``off``, or a map with level, duck and fade."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path, PurePath

from yaml.nodes import MappingNode, ScalarNode

from voiceguide.errors import Diagnostic, Position
from voiceguide.script.durations import short_text
from voiceguide.script.loader import BOOL_TAG, FLOAT_TAG, INT_TAG, STR_TAG, describe_node, scalar_value
from voiceguide.script.mappings import MappingReader
from voiceguide.script.model import Background, BackgroundStep, Repeat, Script, Step
from voiceguide.script.problems import Bad, Node, did_you_mean, one_of
from voiceguide.script.values import ValueReader
from voiceguide.script.vocabulary import BACKGROUND_FILE_TYPES, BACKGROUND_KEYS, BACKGROUND_OFF, BACKGROUND_SOUNDS

MIN_LEVEL_DB = -60.0
MAX_DUCK_DB = 40.0
MAX_FADE = Fraction(60)

_DECIBELS = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?:dB)?\s*$", re.IGNORECASE)


class BackgroundReader:
    """Reads ``background`` values of one document into ``model.Background`` (None: ``off``)."""

    def __init__(self, values: ValueReader, maps: MappingReader) -> None:
        self.values = values
        self.maps = maps
        self.report = values.report

    def top(self, node: Node, name: str) -> Background:
        """The top-level ``background``: a sound (``off`` means none, as if the key were absent)."""
        background = self.read(node, name)
        if background is None:
            raise self.report.bad(node, f"{name} at the top level must be a sound; leave it out for silence")
        return background

    def step(self, node: Node, name: str) -> Background | None:
        """A ``background`` step's value: a sound or ``off``."""
        return self.read(node, name)

    def read(self, node: Node, name: str) -> Background | None:
        """``rain``, ``sea.ogg``, ``off`` or ``{sound: ..., level: -20dB, duck: 6dB, fade: 4s}``."""
        position = Position(self.maps.document.path, node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, ScalarNode) and node.tag == BOOL_TAG and scalar_value(node) is False:
            return None  # YAML 1.1 reads a bare ``off`` (and ``false``, ``no``) as false
        if isinstance(node, ScalarNode) and node.tag == STR_TAG:
            if node.value.strip().lower() == BACKGROUND_OFF:
                return None
            sound, builtin = self.sound(node, name)
            return Background(sound=sound, position=position, builtin=builtin)
        if not isinstance(node, MappingNode):
            raise self.report.bad(node, f"{name} must be a sound ({one_of(BACKGROUND_SOUNDS)} or an audio file), "
                                        f"'off', or a mapping with 'sound', got {describe_node(node)}")
        fields = self.maps.fields(node, name, BACKGROUND_KEYS)
        values = fields.read({
            "sound": (self.sound, "sound"), "level": (self.level, "level_db"),
            "duck": (self.duck, "duck_db"), "fade": (self.fade, "fade"),
        })
        fields.require({"sound": "a built-in sound or an audio file"})
        fields.check()
        sound, builtin = values.pop("sound")
        if not builtin:  # a file's problems (missing, undecodable) are shown at its name
            sound_node = self.maps.document.entries(node)[0]["sound"][1]
            position = Position(position.path, sound_node.start_mark.line + 1, sound_node.start_mark.column + 1)
        return Background(sound=sound, builtin=builtin, position=position, **values)

    def sound(self, node: Node, name: str) -> tuple[str, bool]:
        """A built-in sound's name (True) or an audio file's path as written (False)."""
        value: str = self.values.scalar(node, name, (STR_TAG,), "a sound's name or an audio file")
        if value in BACKGROUND_SOUNDS:
            return value, True
        if PurePath(value).suffix.lower() in BACKGROUND_FILE_TYPES and value.strip() == value and "\0" not in value:
            return value, False
        guess = did_you_mean(value, BACKGROUND_SOUNDS)
        hint = f"; did you mean '{guess}'?" if guess else ""
        raise self.report.bad(node, f"{name}: '{short_text(value)}' is neither a built-in sound "
                                    f"({one_of(BACKGROUND_SOUNDS)}) nor an audio file "
                                    f"({', '.join(BACKGROUND_FILE_TYPES)}){hint}")

    def decibels(self, node: Node, name: str) -> float:
        """``-20dB``, ``-20 dB`` or a plain number of decibels."""
        if isinstance(node, ScalarNode) and node.tag in (INT_TAG, FLOAT_TAG):
            return self.values.number(node, name, -1000.0, 1000.0)
        value: str = self.values.scalar(node, name, (STR_TAG, INT_TAG, FLOAT_TAG), "decibels such as -20dB")
        match = _DECIBELS.match(value) if len(value) < 40 else None
        if match is None:
            raise self.report.bad(node, f"{name} must be decibels such as -20dB, got '{short_text(value)}'")
        return float(match.group(1))

    def level(self, node: Node, name: str) -> float:
        """The level relative to the voice: from -60dB to 0dB."""
        value = self.decibels(node, name)
        if not MIN_LEVEL_DB <= value <= 0.0:
            raise self.report.bad(node, f"{name} must be between {MIN_LEVEL_DB:g}dB and 0dB (below the voice), "
                                        f"got {short_text(node.value)}")
        return value

    def duck(self, node: Node, name: str) -> float:
        """How much lower under the voice: from 0dB to 40dB."""
        value = abs(self.decibels(node, name))  # "duck: -6dB" means the same: 6 dB lower
        if value > MAX_DUCK_DB:
            raise self.report.bad(node, f"{name} must be between 0dB and {MAX_DUCK_DB:g}dB, got "
                                        f"{short_text(node.value)}")
        return value

    def fade(self, node: Node, name: str) -> Fraction:
        """A duration from 0 to 60 s."""
        value = self.values.nonnegative(node, name)
        if value > MAX_FADE:
            raise self.report.bad(node, f"{name} must be at most {MAX_FADE} s, got {short_text(node.value)}")
        return value


def missing_background_files(script: Script, lines: Sequence[str] = ()) -> list[Diagnostic]:
    """An error at each background file that is not a readable file (relative to the script), before any work.

    ``lines``: the script's source lines, to show under each error.
    """
    folder = Path(script.position.path).resolve().parent if script.position.path else Path.cwd()
    problems = []
    for background in _backgrounds(script):
        path = folder / background.sound
        if path.is_file() and os.access(path, os.R_OK):
            continue
        why = ("cannot be read" if path.is_file() else "is not a file" if path.exists() else "does not exist")
        line = background.position.line
        problems.append(Diagnostic(background.position, "error",
                                   f"the background file {short_text(background.sound)} {why} "
                                   "(give a path relative to the script, or a built-in sound)",
                                   lines[line - 1] if 0 < line <= len(lines) else None))
    return problems


def _backgrounds(script: Script) -> Iterator[Background]:
    """Every file the script plays under the voice, each once (an aliased step is one step)."""
    seen: set[int] = set()

    def walk(steps: Sequence[Step]) -> Iterator[Background]:
        for step in steps:
            if id(step) in seen:
                continue
            seen.add(id(step))
            if isinstance(step, BackgroundStep) and step.background is not None:
                yield step.background
            elif isinstance(step, Repeat):
                yield from walk(step.steps)

    found = ([script.background] if script.background is not None else []) + list(walk(script.steps))
    yield from (background for background in found if not background.builtin)


__all__ = ["Bad", "BackgroundReader", "missing_background_files"]
