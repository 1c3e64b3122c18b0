"""Composed YAML nodes → the session model, with every problem of a file reported at once.

The public surface is two functions:

- ``parse_script(source, path)``: text or bytes → ``ParseResult`` (the script,
  or None, and every diagnostic found);
- ``load_script(path)``: a file → ``Script``, raising ``ScriptError``.

Rules are table-driven: the keys each kind of step takes are listed once
(``STEP_KEYS`` and friends), and small readers check one value each, with
messages that state what is allowed.  Model objects are built once per YAML
node: an aliased step or step list used many times becomes one shared object,
so the model is a DAG no larger than the file (``repeat`` is never expanded).

Every key each mapping allows has exactly one reader (checked at import).
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, cast

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from voiceguide.errors import Diagnostic, Position, ScriptError, VoiceguideError
from voiceguide.script import limits
from voiceguide.script.durations import WHAT_IS_ALLOWED, DurationError, format_number, parse_duration, short_text
from voiceguide.script.loader import (
    BOOL_TAG,
    FLOAT_TAG,
    INT_TAG,
    NULL_TAG,
    STR_TAG,
    Document,
    compose_document,
    describe_node,
    scalar_value,
)
from voiceguide.script.model import (
    FORMAT_VERSION,
    MAX_RATE_WPM,
    MIN_RATE_WPM,
    Breathe,
    BreathPattern,
    BreathWords,
    Chime,
    ChimeSound,
    Pause,
    Press,
    PressWords,
    Repeat,
    Say,
    Script,
    Section,
    Side,
    Step,
    Voice,
)

__all__ = [
    "CHIME_SOUNDS",
    "MAX_NESTING",
    "ParseResult",
    "SIDES",
    "STEP_KINDS",
    "load_script",
    "parse_script",
    "read_source",
]

Node = Any  # yaml.nodes.Node; PyYAML ships no type hints

STEP_KINDS = ("say", "pause", "chime", "breathe", "press", "repeat", "section")
"""The keys that give a mapping step its kind; each mapping step has exactly one."""

TOP_KEYS = ("voiceguide", "title", "description", "language", "voice", "cautions", "steps")
VOICE_KEYS = ("name", "rate", "volume")
STEP_KEYS: dict[str, tuple[str, ...]] = {
    # keys beside the kind key in the step's own mapping (``label`` everywhere)
    "say": ("say", "pause", "label"),
    "pause": ("pause", "label"),
    "chime": ("chime", "label"),
    "breathe": ("breathe", "label"),
    "press": ("press", "label"),
    "repeat": ("repeat", "steps", "announce", "label"),
    "section": ("section", "announce", "label"),
}
CHIME_KEYS = ("count", "sound")
BREATHE_KEYS = ("inhale", "hold", "exhale", "rest", "cycles", "for", "count", "say", "words")
PATTERN_KEYS = ("inhale", "hold", "exhale", "rest")
PRESS_KEYS = ("point", "where", "side", "hold", "prepare", "say", "cue_every", "halfway",
              "countdown", "breathe", "words", "rest")
PRESS_WORD_KEYS = ("press", "release")
NESTED_KEYS = {"chime": CHIME_KEYS, "breathe": BREATHE_KEYS, "press": PRESS_KEYS}
_KINDS = frozenset(STEP_KINDS)

SIDES: tuple[Side, ...] = ("left", "right", "both", "none")
CHIME_SOUNDS: tuple[ChimeSound, ...] = ("bell", "beep", "gong")

MAX_NESTING = 64
"""Deepest nesting of ``repeat`` accepted (deeper is surely a mistake, and would exhaust the stack)."""

LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
"""A plausible BCP-47 tag: a 2-3 letter language, then subtags (``en``, ``en-GB``, ``sr-Latn-RS``, ``en-gb-x-rp``)."""
_LANGUAGE = re.compile(LANGUAGE_PATTERN)
TEXT_PATTERN = r"\S"
"""Text fields must hold something other than blanks."""



@dataclass(frozen=True)
class ParseResult:
    """The outcome of parsing: the script (None when there are errors) and every diagnostic."""

    script: Script | None
    diagnostics: list[Diagnostic]

    @property
    def errors(self) -> list[Diagnostic]:
        """The diagnostics of severity ``error``."""
        return [d for d in self.diagnostics if d.severity == "error"]


def parse_script(source: str | bytes, path: str) -> ParseResult:
    """Parse a script's text (or raw bytes) into the model, collecting every problem; ``path`` is shown in messages."""
    try:
        document = compose_document(source, path)
    except ScriptError as error:
        return ParseResult(None, error.diagnostics)
    parser = _Parser(document)
    try:
        script = parser.script()
    except RecursionError:  # MAX_NESTING should prevent this; never let it become a traceback
        parser.error(document.root, "the script is nested too deeply")
        script = None
    parser.diagnostics += document.problems
    if script is not None and not parser.diagnostics:
        for problem in limits.check_limits(script):
            parser.diagnostics.append(document.diagnostic_at(problem.position, problem.message))
    diagnostics = sorted(parser.diagnostics, key=lambda d: (d.position.line, d.position.column))
    if any(d.severity == "error" for d in diagnostics):
        return ParseResult(None, diagnostics)
    return ParseResult(script, diagnostics)


def read_source(path: str | os.PathLike[str], display_path: str | None = None) -> bytes:
    """A script file's bytes; raises ``VoiceguideError`` (with a hint) when it cannot be read."""
    shown = display_path if display_path is not None else os.fspath(path)
    try:
        with open(path, "rb") as file:
            return file.read()
    except IsADirectoryError:
        raise VoiceguideError(f"cannot read {shown}: it is a directory",
                              hint="name a script file (.yaml)") from None
    except OSError as error:
        raise VoiceguideError(f"cannot read {shown}: {error.strerror or error}",
                              hint="check the path, and that the file is readable") from None


def load_script(path: str | os.PathLike[str], display_path: str | None = None) -> Script:
    """Read and parse a script file; raises ``ScriptError`` (invalid) or ``VoiceguideError`` (unreadable)."""
    shown = display_path if display_path is not None else os.fspath(path)
    result = parse_script(read_source(path, shown), shown)
    if result.script is None:
        raise ScriptError(result.diagnostics)
    return result.script


@functools.cache
def _key_set(keys: tuple[str, ...]) -> frozenset[str]:
    return frozenset(keys)


_UNSEEN = object()
_BUILDING = object()


class _Bad(Exception):
    """Raised by a reader after it has reported the problem; the field is left out."""


def _did_you_mean(word: str, choices: Collection[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close and word.lower() in choices:
        return word.lower()
    return close[0] if close else None


def _one_of(choices: Sequence[str]) -> str:
    return ", ".join(choices)


class _Fields:
    """One mapping's known entries (unknown keys already reported), read field by field."""

    def __init__(self, parser: _Parser, where: str, anchor: Node, entries: dict[str, tuple[Node, Node]]) -> None:
        self.parser = parser
        self.where = where
        self.anchor = anchor  # what a "missing key" error points at
        self.entries = entries
        self.ok = True

    def has(self, key: str) -> bool:
        return key in self.entries

    def read(self, table: _Table) -> dict[str, Any]:
        """Read every present entry with its reader from ``table``: model field → value (bad ones left out)."""
        values: dict[str, Any] = {}
        parser = self.parser
        where = self.where
        for key, (key_node, value_node) in self.entries.items():
            reader, field = table[key]
            parser._key = key_node
            try:
                value = reader(parser, value_node, f"{where}.{key}" if where and key != where else key)
            except _Bad:
                self.ok = False
                continue
            if field:
                values[field] = value
            else:
                values.update(value)
        return values

    def require(self, keys: dict[str, str]) -> None:
        """Report each required key that is missing (key → what it means)."""
        for key, meaning in keys.items():
            if key not in self.entries:
                where = f" in {self.where}" if self.where else ""
                self.parser.error(self.anchor, f"missing required key '{key}'{where} ({meaning})")
                self.ok = False


class _Parser:
    """Builds the model from one document, reporting into ``diagnostics``."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.path = document.path
        self.diagnostics: list[Diagnostic] = []
        self._reported: set[tuple[int, int, str]] = set()
        # Memo by node identity: an alias is the same node, so it becomes the same object.
        self._steps: dict[int, object] = {}  # a Step, None (invalid) or _BUILDING
        self._lists: dict[int, object] = {}  # a tuple of steps, None (invalid) or _BUILDING
        self._seconds: dict[tuple[str, str], Fraction] = {}  # valid durations by (tag, text)
        self._key: Node = document.root  # the key whose value is being read (missing keys inside point at it)
        self._depth = 0  # how deeply nested the repeat whose steps are being read is

    # -- reporting -----------------------------------------------------------

    def error(self, node: Node, message: str) -> None:
        """Report a problem at a node (once, however often an alias repeats it)."""
        mark = node.start_mark
        key = (mark.line, mark.column, message)
        if key not in self._reported:
            self._reported.add(key)
            self.diagnostics.append(self.document.diagnostic(node, message))

    def bad(self, node: Node, message: str) -> _Bad:
        """Report, and return the exception a reader raises to leave the field out."""
        self.error(node, message)
        return _Bad()

    # -- mappings --------------------------------------------------------------

    def entries(self, node: MappingNode, where: str, allowed: tuple[str, ...], *,
                extensions: bool = False, nested: dict[str, tuple[str, ...]] | None = None
                ) -> dict[str, tuple[Node, Node]]:
        """Known keys of a mapping → (key node, value node); unknown keys reported with a hint."""
        found, others = self.document.entries(node)
        for key in others:
            self.error(key, f"keys must be text, got {describe_node(key)}")
        if found.keys() <= _key_set(allowed):
            return found  # the usual case: nothing unknown
        known: dict[str, tuple[Node, Node]] = {}
        for name, (key, value) in found.items():
            if name in allowed:
                known[name] = (key, value)
            elif extensions and name.startswith("x-"):
                self.document.check_subtree(value)  # not read, but duplicates and merges still count
            else:
                self.error(key, self._unknown_key(name, where, allowed, extensions, nested))
        return known

    def _unknown_key(self, name: str, where: str, allowed: Sequence[str], extensions: bool,
                     nested: dict[str, tuple[str, ...]] | None) -> str:
        place = f" in {where}" if where else " at the top level"
        name = short_text(name)
        for kind, keys in (nested or {}).items():
            if name in keys:
                return (f"unknown key '{name}'{place}: '{name}' belongs inside the '{kind}' mapping; "
                        f"indent it under '{kind}:'")
        guess = _did_you_mean(name, allowed)
        if guess is not None:
            return f"unknown key '{name}'{place}; did you mean '{guess}'?"
        tail = "; keys starting with 'x-' are ignored" if extensions else ""
        return f"unknown key '{name}'{place} (allowed: {_one_of(allowed)}){tail}"

    def fields(self, node: Node, where: str, allowed: tuple[str, ...], anchor: Node | None = None,
               what: str = "a mapping") -> _Fields:
        """The entries of a value that must be a mapping (raises ``_Bad`` otherwise)."""
        if not isinstance(node, MappingNode):
            raise self.bad(node, f"{where} must be {what}, got {describe_node(node)}")
        return _Fields(self, where, anchor if anchor is not None else node, self.entries(node, where, allowed))

    # -- readers: one value each; report and raise _Bad when it does not fit ------

    def _scalar(self, node: Node, name: str, tags: Collection[str], expected: str) -> Any:
        if not isinstance(node, ScalarNode) or node.tag not in tags:
            hint = ""
            if STR_TAG in tags and isinstance(node, ScalarNode) and node.tag not in (STR_TAG, NULL_TAG):
                hint = "; put it in quotes to use it as text"
            raise self.bad(node, f"{name} must be {expected}, got {describe_node(node)}{hint}")
        try:
            return scalar_value(node)
        except ValueError as error:
            raise self.bad(node, f"{name}: {error}") from None

    def text(self, node: Node, name: str) -> str:
        value: str = self._scalar(node, name, (STR_TAG,), "text")
        if not value.strip():
            raise self.bad(node, f"{name} must not be empty")
        return value

    def boolean(self, node: Node, name: str) -> bool:
        value: bool = self._scalar(node, name, (BOOL_TAG,), "true or false")
        return value

    def integer(self, node: Node, name: str, minimum: int, maximum: int | None = None, unit: str = "") -> int:
        allowed = f"between {minimum} and {maximum}{unit}" if maximum is not None else f"at least {minimum}{unit}"
        value: int = self._scalar(node, name, (INT_TAG,), f"a whole number ({allowed})")
        if value < minimum or (maximum is not None and value > maximum):
            raise self.bad(node, f"{name} must be {allowed}, got {short_text(node.value)}")
        return value

    def number(self, node: Node, name: str, minimum: float, maximum: float) -> float:
        allowed = f"between {minimum:g} and {maximum:g}"
        value = self._scalar(node, name, (INT_TAG, FLOAT_TAG), f"a number {allowed}")
        if not minimum <= value <= maximum:  # also refuses .nan
            raise self.bad(node, f"{name} must be {allowed}, got {short_text(node.value)}")
        return float(value)

    def positive(self, node: Node, name: str) -> Fraction:
        """A duration more than zero."""
        return self.duration(node, name, zero=False)

    def nonnegative(self, node: Node, name: str) -> Fraction:
        """A duration that may be zero."""
        return self.duration(node, name, zero=True)

    def count(self, node: Node, name: str) -> int:
        """A whole number, at least 1."""
        return self.integer(node, name, 1)

    def natural(self, node: Node, name: str) -> int:
        """A whole number, at least 0."""
        return self.integer(node, name, 0)

    def side(self, node: Node, name: str) -> Side:
        """A press's side."""
        return cast(Side, self.choice(node, name, SIDES))

    def sound(self, node: Node, name: str) -> ChimeSound:
        """A chime's sound."""
        return cast(ChimeSound, self.choice(node, name, CHIME_SOUNDS))

    def choice(self, node: Node, name: str, choices: Sequence[str]) -> str:
        value: str = self._scalar(node, name, (STR_TAG,), f"one of {_one_of(choices)}")
        if value not in choices:
            guess = _did_you_mean(value, choices)
            hint = f"; did you mean '{guess}'?" if guess else ""
            raise self.bad(node, f"{name} must be one of {_one_of(choices)}, got '{short_text(value)}'{hint}")
        return value

    def duration(self, node: Node, name: str, *, zero: bool) -> Fraction:
        """A duration; ``zero`` says whether the field allows 0."""
        # Scripts write the same few durations over and over: parse each text once.
        seconds = self._seconds.get((node.tag, node.value)) if isinstance(node, ScalarNode) else None
        if seconds is None:
            if not isinstance(node, ScalarNode) or node.tag not in (INT_TAG, FLOAT_TAG, STR_TAG):
                raise self.bad(node, f"{name} must be {WHAT_IS_ALLOWED}, got {describe_node(node)}")
            try:
                if node.tag == STR_TAG:
                    seconds = parse_duration(node.value, name)
                else:
                    seconds = parse_duration(self._exact_number(node, name), name)
            except DurationError as error:
                raise self.bad(node, str(error)) from None
            self._seconds[(node.tag, node.value)] = seconds
        if not zero and seconds == 0:
            raise self.bad(node, f"{name} must be more than zero, got {describe_node(node)}")
        return seconds

    def _exact_number(self, node: ScalarNode, name: str) -> Fraction:
        """An int or float node as an exact Fraction of what is written (``2.5`` → 5/2), YAML 1.1 forms included."""
        if node.tag == INT_TAG:
            value = self._scalar(node, name, (INT_TAG,), "a whole number")
            return Fraction(value)
        text = node.value.replace("_", "").lower()
        sign = -1 if text.startswith("-") else 1
        text = text.lstrip("+-")
        if text in (".inf", ".nan"):
            raise self.bad(node, f"{name} must be a finite number of seconds, got {node.value}")
        try:
            if ":" in text:  # YAML 1.1 base 60: 1:30.5 is 90.5
                total = Fraction(0)
                for part in text.split(":"):
                    total = total * 60 + Fraction(part)
                return sign * total
            return sign * Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise self.bad(node, f"{name}: '{short_text(node.value)}' cannot be read as a number") from None

    def sequence(self, node: Node, name: str, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            raise self.bad(node, f"{name} must be {what}, got {describe_node(node)}")
        return list(node.value)

    # -- the script ------------------------------------------------------------

    def script(self) -> Script | None:
        root = self.document.root
        top = _Fields(self, "", root, self.entries(root, "", TOP_KEYS, extensions=True))
        values = top.read(_TOP_FIELDS)
        top.require(_TOP_REQUIRED)
        if not top.ok:
            return None
        return Script(position=self.document.position(root), **values)

    def version(self, node: Node, name: str) -> int:
        if not (isinstance(node, ScalarNode) and node.tag == INT_TAG and node.value.strip() == str(FORMAT_VERSION)):
            raise self.bad(node, f"voiceguide must be {FORMAT_VERSION} (the only format version), "
                                 f"got {describe_node(node)}")
        return FORMAT_VERSION

    def language(self, node: Node, name: str) -> str:
        value = self.text(node, name)
        if not _LANGUAGE.match(value):
            guess = value.replace("_", "-")
            hint = f"; did you mean '{guess}'?" if _LANGUAGE.match(guess) else ""
            raise self.bad(node, f"{name} must be a BCP-47 language tag such as 'en', 'en-GB' or 'de', "
                                 f"got '{short_text(value)}'{hint}")
        return value

    def voice(self, node: Node, name: str) -> Voice:
        fields = self.fields(node, name, VOICE_KEYS, what=f"a mapping with keys {_one_of(VOICE_KEYS)}")
        values = fields.read(_VOICE_FIELDS)
        if not fields.ok:
            raise _Bad()
        return Voice(**values)

    def rate(self, node: Node, name: str) -> int:
        """Words per minute."""
        return self.integer(node, name, MIN_RATE_WPM, MAX_RATE_WPM, " words per minute")

    def volume(self, node: Node, name: str) -> float:
        """From 0 to 1."""
        return self.number(node, name, 0.0, 1.0)

    def cautions(self, node: Node, name: str) -> tuple[str, ...]:
        items = self.sequence(node, name, "a list of text")
        result: list[str] = []
        ok = True
        for number, item in enumerate(items, 1):
            try:
                result.append(self.text(item, f"{name} item {number}"))
            except _Bad:
                ok = False
        if not ok:
            raise _Bad()
        return tuple(result)

    # -- steps -------------------------------------------------------------------

    def step_list(self, node: Node, name: str, depth: int) -> tuple[Step, ...]:
        """A non-empty list of steps, built once per node."""
        key = id(node)
        built = self._lists.get(key, _UNSEEN)
        if built is _BUILDING:
            raise self.bad(node, "this list of steps contains itself (through an alias): it would never end")
        if built is None:
            raise _Bad()
        if built is not _UNSEEN:
            return built  # type: ignore[return-value]
        self._lists[key] = _BUILDING
        try:
            items = self.sequence(node, name, "a list of steps")
            if not items:
                raise self.bad(node, f"{name} must not be empty: give at least one step")
            steps = [self.step(item, depth) for item in items]
        except _Bad:
            self._lists[key] = None
            raise
        result = tuple(step for step in steps if step is not None)
        if len(result) != len(steps):
            self._lists[key] = None
            raise _Bad()
        self._lists[key] = result
        return result

    def top_steps(self, node: Node, name: str) -> tuple[Step, ...]:
        """The script's ``steps``."""
        return self.step_list(node, name, 0)

    def repeat_steps(self, node: Node, name: str) -> tuple[Step, ...]:
        """A repeat's ``steps``, one level deeper than the repeat."""
        return self.step_list(node, name, self._depth)

    def step(self, node: Node, depth: int) -> Step | None:
        """One step (None when invalid, after reporting why), built once per node."""
        key = id(node)
        built = self._steps.get(key, _UNSEEN)
        if built is _BUILDING:
            self.error(node, "this step contains itself (through an alias): it would never end")
            return None
        if built is not _UNSEEN:
            return built  # type: ignore[return-value]
        self._steps[key] = _BUILDING
        built = self._steps[key] = self._build_step(node, depth)
        return built

    def _build_step(self, node: Node, depth: int) -> Step | None:
        if isinstance(node, ScalarNode) and node.tag == STR_TAG:
            if not node.value.strip():
                self.error(node, "a step's text must not be empty")
                return None
            mark = node.start_mark
            return Say(text=node.value, position=Position(self.path, mark.line + 1, mark.column + 1))
        if not isinstance(node, MappingNode):
            hint = "; put it in quotes to speak it" if isinstance(node, ScalarNode) and node.tag != NULL_TAG else ""
            self.error(node, f"a step must be text to speak or a mapping with one of the keys "
                             f"{_one_of(STEP_KINDS)}, got {describe_node(node)}{hint}")
            return None
        found = self.document.entries(node)[0]
        kinds = [name for name in found if name in _KINDS]
        kind = kinds[0] if len(kinds) == 1 else self._step_kind(node, found, kinds)
        if kind is None:
            return None
        nested = {kind: NESTED_KEYS[kind]} if kind in NESTED_KEYS else None
        entries = self.entries(node, f"{kind} step", STEP_KEYS[kind], nested=nested)
        fields = _Fields(self, kind, entries[kind][0], entries)
        if kind == "repeat":
            if depth >= MAX_NESTING:
                self.error(fields.anchor, f"repeat is nested more than {MAX_NESTING} deep")
                return None
            saved, self._depth = self._depth, depth + 1
            try:
                values = fields.read(_STEP_FIELDS[kind])
            finally:
                self._depth = saved
        else:
            values = fields.read(_STEP_FIELDS[kind])
        fields.require(_STEP_REQUIRED[kind])
        if not fields.ok:
            return None
        mark = node.start_mark
        values["position"] = Position(self.path, mark.line + 1, mark.column + 1)
        return _STEP_TYPES[kind](**values)

    def _step_kind(self, node: MappingNode, found: dict[str, tuple[Node, Node]], kinds: list[str]) -> str | None:
        """The kind of a mapping step that has not exactly one kind key (say with pause has one), or None."""
        names = set(kinds)
        if names == {"say", "pause"}:
            return "say"  # pause is then say's option
        if len(names) > 1:
            if "say" in names:
                names.discard("pause")  # say's own option, not a second kind
            first, second = sorted(names, key=STEP_KINDS.index)[:2]
            self.error(found[second][0], f"a step has exactly one kind, but this one has both '{first}' and "
                                         f"'{second}'; make them two steps")
            return None
        keys = [key for key, _ in found.values()]
        guessed = False
        for key in keys:
            guess = _did_you_mean(key.value, STEP_KINDS)
            if guess is not None:
                self.error(key, f"unknown step kind '{short_text(key.value)}'; did you mean '{guess}'?")
                guessed = True
        if not guessed:
            names_found = ", ".join(f"'{short_text(key.value)}'" for key in keys) or "no key"
            self.error(node, f"a step needs one of the keys {_one_of(STEP_KINDS)}, found {names_found}")
        return None

    # -- readers of a step kind's value: each returns the fields of the step -------

    def chime_value(self, node: Node, name: str) -> dict[str, Any]:
        """``chime: 2`` or ``chime: {count: 2, sound: gong}``."""
        if isinstance(node, MappingNode):
            fields = self.fields(node, "chime", CHIME_KEYS)
            values = {"count": 1, **fields.read(_CHIME_FIELDS)}  # {sound: gong} is one tone
            if not fields.ok:
                raise _Bad()
            return values
        if not (isinstance(node, ScalarNode) and node.tag == INT_TAG):
            raise self.bad(node, f"chime must be a number of tones (at least 1) or a mapping "
                                 f"{{count: 2, sound: {'|'.join(CHIME_SOUNDS)}}}, got {describe_node(node)}")
        return {"count": self.integer(node, "chime", 1)}

    def breathe_value(self, node: Node, name: str) -> dict[str, Any]:
        """The mapping of a ``breathe`` step."""
        fields = self.fields(node, "breathe", BREATHE_KEYS, anchor=self._key,
                             what="a mapping with inhale, exhale and cycles or for")
        values = fields.read(_BREATHE_FIELDS)
        fields.require(_PATTERN_REQUIRED)
        if fields.has("cycles") and fields.has("for"):
            later = max(fields.entries["cycles"][0], fields.entries["for"][0],
                        key=lambda key: (key.start_mark.line, key.start_mark.column))
            self.error(later, "breathe takes either 'cycles' or 'for', not both")
            fields.ok = False
        elif not fields.has("cycles") and not fields.has("for"):
            self.error(fields.anchor, "breathe needs 'cycles' (how many cycles) or 'for' (for how long)")
            fields.ok = False
        if not fields.ok:
            raise _Bad()
        values["pattern"] = BreathPattern(**{key: values.pop(key) for key in PATTERN_KEYS if key in values})
        return values

    def press_value(self, node: Node, name: str) -> dict[str, Any]:
        """The mapping of a ``press`` step."""
        fields = self.fields(node, "press", PRESS_KEYS, anchor=self._key, what="a mapping with at least 'hold'")
        values = fields.read(_PRESS_FIELDS)
        fields.require({"hold": "how long to keep the pressure"})
        countdown, hold = values.get("countdown", 0), values.get("hold")
        if hold is not None and countdown > hold:
            self.error(fields.entries["countdown"][1],
                       f"press.countdown must be at most the hold ({format_number(hold)} s), got {countdown}")
            fields.ok = False
        if not fields.ok:
            raise _Bad()
        return values

    def press_pattern(self, node: Node, name: str) -> BreathPattern:
        """A press's ``breathe`` mapping: the phases of the breathing cues during the hold."""
        fields = self.fields(node, name, PATTERN_KEYS, anchor=self._key,
                             what="a mapping with keys inhale, hold, exhale, rest")
        values = fields.read(_PATTERN_FIELDS)
        fields.require(_PATTERN_REQUIRED)
        if not fields.ok:
            raise _Bad()
        return BreathPattern(**values)

    def breath_words(self, node: Node, name: str) -> BreathWords:
        """The cue words of a breathing cycle."""
        fields = self.fields(node, name, PATTERN_KEYS)
        values = fields.read(_WORDS_FIELDS)
        if not fields.ok:
            raise _Bad()
        return BreathWords(**values)

    def press_words(self, node: Node, name: str) -> PressWords:
        """The press and release cue words."""
        fields = self.fields(node, name, PRESS_WORD_KEYS)
        values = fields.read(_WORDS_FIELDS)
        if not fields.ok:
            raise _Bad()
        return PressWords(**values)


# --------------------------------------------------------------------------
# The tables: for each mapping, key → (reader, the model field it fills).
# A reader returning a dict (``""`` as the field) fills several fields.

_Reader = Callable[[_Parser, Node, str], Any]
_Table = dict[str, tuple[_Reader, str]]

_TOP_FIELDS: _Table = {
    "voiceguide": (_Parser.version, "version"), "title": (_Parser.text, "title"),
    "description": (_Parser.text, "description"), "language": (_Parser.language, "language"),
    "voice": (_Parser.voice, "voice"), "cautions": (_Parser.cautions, "cautions"),
    "steps": (_Parser.top_steps, "steps"),
}
_TOP_REQUIRED = {
    "voiceguide": f"the format version: add 'voiceguide: {FORMAT_VERSION}'",
    "title": "the session's name, shown and spoken at the start",
    "steps": "the list of steps",
}
_VOICE_FIELDS: _Table = {"name": (_Parser.text, "name"), "rate": (_Parser.rate, "rate"),
                         "volume": (_Parser.volume, "volume")}
_LABEL: _Table = {"label": (_Parser.text, "label")}
_STEP_FIELDS: dict[str, _Table] = {
    "say": {"say": (_Parser.text, "text"), "pause": (_Parser.positive, "pause"), **_LABEL},
    "pause": {"pause": (_Parser.positive, "duration"), **_LABEL},
    "chime": {"chime": (_Parser.chime_value, ""), **_LABEL},
    "breathe": {"breathe": (_Parser.breathe_value, ""), **_LABEL},
    "press": {"press": (_Parser.press_value, ""), **_LABEL},
    "repeat": {"repeat": (_Parser.count, "times"), "steps": (_Parser.repeat_steps, "steps"),
               "announce": (_Parser.boolean, "announce"), **_LABEL},
    "section": {"section": (_Parser.text, "title"), "announce": (_Parser.boolean, "announce"), **_LABEL},
}
_STEP_REQUIRED: dict[str, dict[str, str]] = {kind: {} for kind in STEP_KINDS}
_STEP_REQUIRED["repeat"] = {"steps": "the steps to repeat"}
_STEP_TYPES: dict[str, Callable[..., Step]] = {
    "say": Say, "pause": Pause, "chime": Chime, "breathe": Breathe, "press": Press, "repeat": Repeat,
    "section": Section,
}
_CHIME_FIELDS: _Table = {"count": (_Parser.count, "count"), "sound": (_Parser.sound, "sound")}
_PATTERN_FIELDS: _Table = {
    "inhale": (_Parser.positive, "inhale"), "hold": (_Parser.nonnegative, "hold"),
    "exhale": (_Parser.positive, "exhale"), "rest": (_Parser.nonnegative, "rest"),
}
_PATTERN_REQUIRED = {"inhale": "duration of the in-breath", "exhale": "duration of the out-breath"}
_BREATHE_FIELDS: _Table = {
    **_PATTERN_FIELDS,
    "cycles": (_Parser.count, "cycles"), "for": (_Parser.positive, "for_seconds"),
    "count": (_Parser.boolean, "count"), "say": (_Parser.text, "say"), "words": (_Parser.breath_words, "words"),
}
_PRESS_FIELDS: _Table = {
    "point": (_Parser.text, "point"), "where": (_Parser.text, "where"), "side": (_Parser.side, "side"),
    "hold": (_Parser.positive, "hold"), "prepare": (_Parser.nonnegative, "prepare"), "say": (_Parser.text, "say"),
    "cue_every": (_Parser.positive, "cue_every"), "halfway": (_Parser.boolean, "halfway"),
    "countdown": (_Parser.natural, "countdown"), "breathe": (_Parser.press_pattern, "breathe"),
    "words": (_Parser.press_words, "words"), "rest": (_Parser.nonnegative, "rest"),
}
_WORDS_FIELDS: _Table = {key: (_Parser.text, key) for key in (*PATTERN_KEYS, *PRESS_WORD_KEYS)}

# Every key a mapping allows has a reader, and no reader is left without its key.
assert all(set(_STEP_FIELDS[kind]) == set(STEP_KEYS[kind]) for kind in STEP_KINDS)
assert set(_TOP_FIELDS) == set(TOP_KEYS) and set(_VOICE_FIELDS) == set(VOICE_KEYS)
assert set(_CHIME_FIELDS) == set(CHIME_KEYS) and set(_PATTERN_FIELDS) == set(PATTERN_KEYS)
assert set(_BREATHE_FIELDS) == set(BREATHE_KEYS) and set(_PRESS_FIELDS) == set(PRESS_KEYS)
