"""Composed YAML nodes → the session model, with every problem of a file reported at once.

The public surface is two functions:

- ``parse_script(source, path)``: text or bytes → ``ParseResult`` (the script,
  or None, and every diagnostic found);
- ``load_script(path)``: a file → ``Script``, raising ``ScriptError``.

Rules are table-driven: the keys each mapping takes are listed once
(``vocabulary.py``), and each key has one reader that checks one value, with messages
that state what is allowed.  The rooms, upstream first: ``report`` (one
diagnostic per problem, and the ``Bad`` signal), ``values`` (scalars:
text, numbers, durations, choices), ``mappings`` (known keys through a table),
``kinds`` (the chime, breathe and press mappings), ``steps`` (steps and step
lists, once per node), and this module (the top level and the public functions).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
from dataclasses import dataclass

from yaml.nodes import MappingNode, ScalarNode

from voiceguide.errors import Diagnostic, ScriptError
from voiceguide.phrases import (
    KEYS_BY_NAME,
    LANGUAGE_NAMES,
    MAX_FILLED_CHARS,
    filled_problem,
    load_phrasebook,
    phrase_problem,
    primary_language,
)
from voiceguide.script import limits, lint
from voiceguide.script.backgrounds import BackgroundReader
from voiceguide.script.durations import short_text
from voiceguide.script.loader import INT_TAG, Document, compose_document, describe_node
from voiceguide.script.mappings import Fields, MappingReader, Table, check_table
from voiceguide.script.model import FORMAT_VERSION, MAX_RATE_WPM, MIN_RATE_WPM, Script, Voice
from voiceguide.script.problems import Bad, Node, Reporter, one_of
from voiceguide.script.pronounce import number_texts, script_texts, spoken_forms
from voiceguide.script.source import read_script_file
from voiceguide.script.steps import StepBuilder
from voiceguide.script.values import ValueReader
from voiceguide.script.vocabulary import (
    BREATHE_KEYS,
    CHIME_KEYS,
    CHIME_SOUNDS,
    LANGUAGE_PATTERN,
    MAX_NESTING,
    PATTERN_KEYS,
    PRESS_KEYS,
    PRESS_WORD_KEYS,
    SIDES,
    STEP_KEYS,
    STEP_KINDS,
    TEXT_PATTERN,
    TOP_KEYS,
    VOICE_KEYS,
)

__all__ = [
    "BREATHE_KEYS",
    "CHIME_KEYS",
    "CHIME_SOUNDS",
    "LANGUAGE_PATTERN",
    "MAX_NESTING",
    "PATTERN_KEYS",
    "PRESS_KEYS",
    "PRESS_WORD_KEYS",
    "ParseResult",
    "SIDES",
    "STEP_KEYS",
    "STEP_KINDS",
    "TEXT_PATTERN",
    "TOP_KEYS",
    "VOICE_KEYS",
    "load_script",
    "parse_script",
    "read_source",
]

_LANGUAGE = re.compile(LANGUAGE_PATTERN)
_PHRASE_KEYS = tuple(KEYS_BY_NAME)
_TOP_REQUIRED = {
    "voiceguide": f"the format version: add 'voiceguide: {FORMAT_VERSION}'",
    "title": "the session's name, shown and spoken at the start",
    "steps": "the list of steps",
}


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
    report = Reporter(document)
    try:
        script = _ScriptReader(document, report).script()
    except RecursionError:  # MAX_NESTING should prevent this; never let it become a traceback
        report.error(document.root, "the script is nested too deeply")
        script = None
    report.diagnostics += document.problems
    if script is not None and not any(d.severity == "error" for d in report.diagnostics):
        for problem in limits.check_limits(script):
            report.diagnostics.append(document.diagnostic_at(problem.position, problem.message))
        if not report.diagnostics:
            report.diagnostics += lint.risk_warnings(script, document)
    report.diagnostics += lint.comment_warnings(document)
    report.diagnostics += lint.allow_warnings(document)
    diagnostics = sorted(report.diagnostics, key=lambda d: (d.position.line, d.position.column))
    if any(d.severity == "error" for d in diagnostics):
        return ParseResult(None, diagnostics)
    return ParseResult(script, diagnostics)


def read_source(path: str | os.PathLike[str], display_path: str | None = None) -> bytes:
    """A script file's bytes: a regular file of at most 1 MiB; raises ``UsageError`` (with a hint) otherwise."""
    return read_script_file(path, display_path if display_path is not None else os.fspath(path))


def load_script(path: str | os.PathLike[str], display_path: str | None = None) -> Script:
    """Read and parse a script file; raises ``ScriptError`` (invalid) or ``UsageError`` (no script file)."""
    shown = display_path if display_path is not None else os.fspath(path)
    result = parse_script(read_source(path, shown), shown)
    if result.script is None:
        raise ScriptError(result.diagnostics)
    return result.script


class _ScriptReader:
    """Reads the top level of one document: the format version, title, voice, cautions and steps."""

    def __init__(self, document: Document, report: Reporter) -> None:
        self.document = document
        self._phrase_nodes: dict[str, Node] = {}
        self.values = values = ValueReader(report)
        self.maps = MappingReader(document, report)
        steps = StepBuilder(values, self.maps)
        backgrounds = BackgroundReader(values, self.maps)
        self._top: Table = check_table(TOP_KEYS, {
            "voiceguide": (self.version, "version"), "title": (values.text, "title"),
            "description": (values.text, "description"), "language": (self.language, "language"),
            "phrases": (self.phrases, "phrases"),
            "voice": (self.voice, "voice"), "cautions": (self.cautions, "cautions"),
            "pronounce": (self.pronounce, "pronounce"), "background": (backgrounds.top, "background"),
            "steps": (steps.top_steps, "steps"),
        })
        self._pronounce_keys: dict[str, Node] = {}  # written form → its key node, for the warnings
        self._voice: Table = check_table(VOICE_KEYS, {
            "name": (values.text, "name"), "rate": (self.rate, "rate"), "volume": (self.volume, "volume"),
        })

    def script(self) -> Script | None:
        """The script, or None when any of it is invalid (every problem reported)."""
        root = self.document.root
        top = Fields(self.maps, "", root, self.maps.entries(root, "", TOP_KEYS, extensions=True))
        values = top.read(self._top)
        top.require(_TOP_REQUIRED)
        if not top.ok:
            return None
        if top.has("language"):
            self._warn_fallback(top.entries["language"][1], values["language"], dict(values.get("phrases", ())))
        if top.has("phrases") and not self._fill_phrases(top.entries["phrases"][1], values):
            return None
        script = Script(position=self.document.position(root), **values)
        if script.pronounce:
            self._warn_unused_spoken_forms(script)
        return script

    def _warn_unused_spoken_forms(self, script: Script) -> None:
        """Warn at each ``pronounce`` key that occurs in no text the session speaks (script or phrasebook)."""
        book = load_phrasebook(script.language, dict(script.phrases))
        # Numbers last: their words are made only while some written form is still unfound.
        texts = itertools.chain(script_texts(script), book.templates.values(), number_texts(book))
        for written in spoken_forms(script.pronounce).unused(texts):
            diagnostic = self.document.diagnostic(self._pronounce_keys[written], (
                f"pronounce: '{short_text(written)}' occurs in no text this session speaks (as a whole word or "
                "phrase, with the same capitals), so it changes nothing"))
            self.values.report.diagnostics.append(dataclasses.replace(diagnostic, severity="warning"))

    def pronounce(self, node: Node, name: str) -> tuple[tuple[str, str], ...]:
        """The ``pronounce`` mapping: written form → spoken form, both text."""
        if not isinstance(node, MappingNode):
            raise self.values.report.bad(node, f"{name} must be a mapping of written forms to spoken forms, such "
                                               f"as {{GB30: G B thirty}}, got {describe_node(node)}")
        found, others = self.document.entries(node)
        ok = True
        for key in others:
            self.values.report.error(key, f"{name}: a written form must be text, got {describe_node(key)}; put "
                                          "it in quotes")
            ok = False
        result: list[tuple[str, str]] = []
        for written, (key_node, value_node) in found.items():
            try:
                self.values.text(key_node, f"{name} key")
                spoken = self.values.text(value_node, f"{name}.{short_text(written)}")
            except Bad:
                ok = False
                continue
            self._pronounce_keys[written] = key_node
            result.append((written, spoken))
        if not ok:
            raise Bad()
        return tuple(result)

    def _fill_phrases(self, node: Node, values: dict[str, object]) -> bool:
        """Fill every phrase with the longest values it usually gets; False (reported) if one is too long.

        A template under the text limit can still grow past any bound once filled
        in, when it repeats its placeholders: the error is at the override that grew.
        """
        overrides = dict(values["phrases"])  # type: ignore[call-overload]
        book = load_phrasebook(values.get("language"), overrides)  # type: ignore[arg-type]
        ok = True
        for key in KEYS_BY_NAME:
            problem = filled_problem(book, key)
            if problem is None:
                continue
            ok = False
            where = self._phrase_nodes.get(problem.key, node)
            self.values.report.error(where, f"phrases.{problem.key} is {problem.chars:,} characters once its "
                                            f"placeholders are filled in; a phrase may be at most "
                                            f"{MAX_FILLED_CHARS:,} (a placeholder repeated multiplies it)")
        return ok

    def _warn_fallback(self, node: Node, language: str, phrases: dict[str, str]) -> None:
        """Warn once, at ``language``, when no phrasebook is shipped for it: name the keys spoken in English."""
        primary = primary_language(language)
        if primary in LANGUAGE_NAMES:
            return
        english = [key for key in KEYS_BY_NAME if key not in phrases]
        if not english:
            return
        message = (f"no phrasebook is shipped for '{short_text(language)}': these phrases are spoken in English "
                   f"unless 'phrases:' sets them: {', '.join(english)} (see 'voiceguide phrases')")
        diagnostic = self.document.diagnostic(node, message)
        self.values.report.diagnostics.append(dataclasses.replace(diagnostic, severity="warning"))

    def phrases(self, node: Node, name: str) -> tuple[tuple[str, str], ...]:
        """The ``phrases`` mapping: known keys only, each value keeping the key's placeholders."""
        fields = self.maps.fields(node, name, _PHRASE_KEYS, what="a mapping of phrase keys to text")
        result: list[tuple[str, str]] = []
        for key, (_, value_node) in fields.entries.items():
            try:
                value = self.values.text(value_node, f"{name}.{key}")
            except Bad:
                fields.ok = False
                continue
            problem = phrase_problem(key, value)
            if problem is not None:
                self.values.report.error(value_node, f"{name}.{key} {problem}")
                fields.ok = False
                continue
            self._phrase_nodes[key] = value_node
            result.append((key, value))
        fields.check()
        return tuple(result)

    def version(self, node: Node, name: str) -> int:
        """The format version: only FORMAT_VERSION is known."""
        if not (isinstance(node, ScalarNode) and node.tag == INT_TAG and node.value.strip() == str(FORMAT_VERSION)):
            raise self.values.report.bad(node, f"voiceguide must be {FORMAT_VERSION} (the only format version), "
                                               f"got {describe_node(node)}")
        return FORMAT_VERSION

    def language(self, node: Node, name: str) -> str:
        """A BCP-47 language tag, with a guess for ``en_GB``."""
        value = self.values.text(node, name)
        if not _LANGUAGE.fullmatch(value):  # fullmatch: "$" alone lets a final newline through
            guess = value.replace("_", "-")
            hint = f"; did you mean '{guess}'?" if _LANGUAGE.fullmatch(guess) else ""
            raise self.values.report.bad(node, f"{name} must be a BCP-47 language tag such as 'en', 'en-GB' or "
                                               f"'de', got '{short_text(value)}'{hint}")
        return value

    def voice(self, node: Node, name: str) -> Voice:
        """The ``voice`` mapping."""
        fields = self.maps.fields(node, name, VOICE_KEYS, what=f"a mapping with keys {one_of(VOICE_KEYS)}")
        values = fields.read(self._voice)
        fields.check()
        return Voice(**values)

    def rate(self, node: Node, name: str) -> int:
        """Words per minute."""
        return self.values.integer(node, name, MIN_RATE_WPM, MAX_RATE_WPM, " words per minute")

    def volume(self, node: Node, name: str) -> float:
        """From 0 to 1."""
        return self.values.number(node, name, 0.0, 1.0)

    def cautions(self, node: Node, name: str) -> tuple[str, ...]:
        """A list of text."""
        items = self.values.sequence(node, name, "a list of text")
        result: list[str] = []
        ok = True
        for number, item in enumerate(items, 1):
            try:
                result.append(self.values.text(item, f"{name} item {number}"))
            except Bad:
                ok = False
        if not ok:
            raise Bad()
        return tuple(result)
