"""Readers of the values of the ``chime``, ``breathe`` and ``press`` keys: each returns the fields of its step."""

from __future__ import annotations

from typing import Any, cast

from yaml.nodes import MappingNode, ScalarNode

from voiceguide.script.durations import format_number
from voiceguide.script.loader import FLOAT_TAG, INT_TAG, describe_node
from voiceguide.script.mappings import MappingReader, Table, check_table
from voiceguide.script.model import BreathPattern, BreathWords, ChimeSound, PressWords, Side
from voiceguide.script.problems import Node
from voiceguide.script.values import ValueReader
from voiceguide.script.vocabulary import (
    BREATH_WORD_KEYS,
    BREATHE_KEYS,
    CHIME_KEYS,
    CHIME_SOUNDS,
    PATTERN_KEYS,
    PRESS_KEYS,
    PRESS_WORD_KEYS,
    SIDES,
)

PATTERN_REQUIRED = {"inhale": "duration of the in-breath", "exhale": "duration of the out-breath"}


class KindReader:
    """Reads the mapping (or number) that a chime, breathe or press step's kind key holds."""

    def __init__(self, values: ValueReader, maps: MappingReader) -> None:
        self.values = values
        self.maps = maps
        self.report = values.report
        v = values
        self._chime: Table = check_table(CHIME_KEYS, {"count": (v.count, "count"), "sound": (self.sound, "sound")})
        self._pattern: Table = check_table(PATTERN_KEYS, {
            "inhale": (v.positive, "inhale"), "hold": (v.nonnegative, "hold"),
            "exhale": (v.positive, "exhale"), "rest": (v.nonnegative, "rest"),
        })
        self._breathe: Table = check_table(BREATHE_KEYS, {
            **self._pattern,
            "cycles": (v.count, "cycles"), "for": (v.positive, "for_seconds"),
            "count": (v.boolean, "count"), "say": (v.text, "say"), "words": (self.breath_words, "words"),
        })
        self._press: Table = check_table(PRESS_KEYS, {
            "point": (v.text, "point"), "where": (v.text, "where"), "side": (self.side, "side"),
            "hold": (v.positive, "hold"), "prepare": (v.nonnegative, "prepare"), "say": (v.text, "say"),
            "cue_every": (v.positive, "cue_every"), "halfway": (v.boolean, "halfway"),
            "countdown": (v.natural, "countdown"), "breathe": (self.press_pattern, "breathe"),
            "words": (self.press_words, "words"), "rest": (v.nonnegative, "rest"),
            "pan": (v.boolean, "pan"),
        })
        self._words: Table = {key: (v.text, key) for key in (*PATTERN_KEYS, *PRESS_WORD_KEYS)}
        self._words["short"] = (self.short_words, "short")

    def side(self, node: Node, name: str) -> Side:
        """A press's side."""
        return cast(Side, self.values.choice(node, name, SIDES))

    def sound(self, node: Node, name: str) -> ChimeSound:
        """A chime's sound."""
        return cast(ChimeSound, self.values.choice(node, name, CHIME_SOUNDS))

    def chime(self, node: Node, name: str) -> dict[str, Any]:
        """``chime: 2`` or ``chime: {count: 2, sound: gong}``."""
        if isinstance(node, MappingNode):
            fields = self.maps.fields(node, "chime", CHIME_KEYS)
            values = {"count": 1, **fields.read(self._chime)}  # {sound: gong} is one tone
            fields.check()
            return values
        if not (isinstance(node, ScalarNode) and node.tag in (INT_TAG, FLOAT_TAG)):
            raise self.report.bad(node, f"chime must be a number of tones (at least 1) or a mapping "
                                        f"{{count: 2, sound: {'|'.join(CHIME_SOUNDS)}}}, got {describe_node(node)}")
        return {"count": self.values.integer(node, "chime", 1)}

    def breathe(self, node: Node, name: str) -> dict[str, Any]:
        """The mapping of a ``breathe`` step."""
        fields = self.maps.fields(node, "breathe", BREATHE_KEYS, anchor=self.maps.key,
                                  what="a mapping with inhale, exhale and cycles or for")
        values = fields.read(self._breathe)
        fields.require(PATTERN_REQUIRED)
        if fields.has("cycles") and fields.has("for"):
            later = max(fields.entries["cycles"][0], fields.entries["for"][0],
                        key=lambda key: (key.start_mark.line, key.start_mark.column))
            self.report.error(later, "breathe takes either 'cycles' or 'for', not both")
            fields.ok = False
        elif not fields.has("cycles") and not fields.has("for"):
            self.report.error(fields.anchor, "breathe needs 'cycles' (how many cycles) or 'for' (for how long)")
            fields.ok = False
        fields.check()
        values["pattern"] = BreathPattern(**{key: values.pop(key) for key in PATTERN_KEYS if key in values})
        return values

    def press(self, node: Node, name: str) -> dict[str, Any]:
        """The mapping of a ``press`` step."""
        fields = self.maps.fields(node, "press", PRESS_KEYS, anchor=self.maps.key,
                                  what="a mapping with at least 'hold'")
        values = fields.read(self._press)
        fields.require({"hold": "how long to keep the pressure"})
        countdown, hold = values.get("countdown", 0), values.get("hold")
        if hold is not None and countdown > hold:
            self.report.error(fields.entries["countdown"][1],
                              f"press.countdown must be at most the hold ({format_number(hold)} s), got {countdown}")
            fields.ok = False
        fields.check()
        return values

    def press_pattern(self, node: Node, name: str) -> BreathPattern:
        """A press's ``breathe`` mapping: the phases of the breathing cues during the hold."""
        fields = self.maps.fields(node, name, PATTERN_KEYS, anchor=self.maps.key,
                                  what="a mapping with keys inhale, hold, exhale, rest")
        values = fields.read(self._pattern)
        fields.require(PATTERN_REQUIRED)
        fields.check()
        return BreathPattern(**values)

    def breath_words(self, node: Node, name: str) -> BreathWords:
        """The cue words of a breathing cycle (and their ``short`` forms)."""
        fields = self.maps.fields(node, name, BREATH_WORD_KEYS)
        values = fields.read(self._words)
        fields.check()
        return BreathWords(**values)

    def short_words(self, node: Node, name: str) -> BreathWords:
        """``words.short``: the short forms of the breathing cue words."""
        fields = self.maps.fields(node, name, PATTERN_KEYS)
        values = fields.read(self._words)
        fields.check()
        return BreathWords(**values)

    def press_words(self, node: Node, name: str) -> PressWords:
        """The press and release cue words."""
        fields = self.maps.fields(node, name, PRESS_WORD_KEYS)
        values = fields.read(self._words)
        fields.check()
        return PressWords(**values)
