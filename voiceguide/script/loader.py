"""Script bytes → one composed YAML document whose nodes keep their positions.

PyYAML's *safe* machinery does the reading (libyaml's C parser where it is
installed, for speed), but we stop at the node graph instead of constructing
Python objects: every node keeps ``start_mark`` (0-based line and column), which
is where every later error message points.  On top of composing, this module

- decodes strictly as UTF-8 (a leading byte-order mark is allowed),
- refuses any tag the safe loader would not accept (``!!python/object``,
  ``!custom``), wherever it appears,
- reads each mapping once, as the parser asks for it (``Document.entries``):
  keys written twice are reported (PyYAML silently keeps the last) and merge
  keys (``<<: *base``) resolved in place with PyYAML's own rules, and
- converts scalars by the safe constructor's rules (``scalar_value``).

Problems of the file as a whole raise ``ScriptError`` with positioned
diagnostics; problems found while reading mappings are collected in
``Document.problems``.  Nothing here prints.  Aliases stay shared nodes:
nothing is expanded.
"""

from __future__ import annotations

import datetime
import functools
import re

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import Reader

from voiceguide.errors import Diagnostic, Position, ScriptError
from voiceguide.script.durations import short_text
from voiceguide.script.numeric import NumberTooLarge, check_number_text
from voiceguide.script.yaml_errors import explain

try:  # libyaml's C parser: several times faster than the pure-Python one
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader

__all__ = [
    "BOOL_TAG",
    "FLOAT_TAG",
    "INT_TAG",
    "MERGE_TAG",
    "NULL_TAG",
    "STR_TAG",
    "TAG_PREFIX",
    "Document",
    "Entries",
    "compose_document",
    "decode_source",
    "describe_node",
    "describe_tag",
    "scalar_value",
    "scalar_value_or_none",
]

TAG_PREFIX = "tag:yaml.org,2002:"
STR_TAG = TAG_PREFIX + "str"
INT_TAG = TAG_PREFIX + "int"
FLOAT_TAG = TAG_PREFIX + "float"
BOOL_TAG = TAG_PREFIX + "bool"
NULL_TAG = TAG_PREFIX + "null"
MERGE_TAG = TAG_PREFIX + "merge"

# Exactly the tags PyYAML's SafeConstructor builds (plus the merge key, which it
# resolves while constructing mappings); anything else would need an unsafe loader.
_SAFE_TAGS = frozenset(
    TAG_PREFIX + name
    for name in ("null", "bool", "int", "float", "binary", "timestamp",
                 "omap", "pairs", "set", "str", "seq", "map", "merge", "value")
)

_constructor = SafeConstructor()

ScalarValue = object
"""What ``scalar_value`` returns: str, int, float, bool, None, bytes or a date."""


Entries = tuple[dict[str, tuple[Node, Node]], list[Node]]
"""A mapping read for the parser: text keys → (key node, value node), and the keys that are not text."""


class Document:
    """A composed script: the top-level mapping node, the decoded text (and its lines), and the path shown in messages.

    Mappings are checked lazily, as the parser reads them (``pairs``): keys
    written twice are reported and merge keys resolved, once per node.  Doing
    this on the way, rather than in a walk of its own over every node, keeps
    our work small next to composing.  Problems found so go to ``problems``.
    """

    def __init__(self, root: MappingNode, text: str, path: str) -> None:
        self.root = root
        self.text = text
        self.path = path
        self.problems: list[Diagnostic] = []
        self._entries: dict[int, Entries] = {}

    @functools.cached_property
    def lines(self) -> list[str]:
        """The text's lines (split only when a message needs its source line)."""
        return self.text.splitlines()

    def position(self, node: Node) -> Position:
        """The 1-based position of a node."""
        mark = node.start_mark
        return Position(self.path, mark.line + 1, mark.column + 1)

    def line(self, line: int) -> str | None:
        """The text of a 1-based source line (for the caret snippet), or None past the end."""
        return self.lines[line - 1] if 0 < line <= len(self.lines) else None

    def diagnostic(self, node: Node, message: str) -> Diagnostic:
        """An error pointing at a node, with its source line."""
        return self.diagnostic_at(self.position(node), message)

    def diagnostic_at(self, position: Position, message: str) -> Diagnostic:
        """An error at a position of this file, with its source line."""
        return Diagnostic(position, "error", message, self.line(position.line))

    def entries(self, node: MappingNode) -> Entries:
        """A mapping's entries with text keys (name → key node, value node) and its other keys.

        Merge keys are resolved as PyYAML resolves them (``flatten_mapping``;
        later entries win).  The first time a mapping is read, keys written
        twice in it are reported (PyYAML would silently keep the last), and its
        merge sources are read the same way before they are merged.  Cached by
        node, so an aliased mapping is read once.
        """
        cached = self._entries.get(id(node))
        if cached is not None:
            return cached
        # Cached first (empty), so that a mapping merging itself ends the recursion.
        found: dict[str, tuple[Node, Node]] = {}
        others: list[Node] = []
        entries = self._entries[id(node)] = (found, others)
        seen: dict[object, Node] = {}
        merges = False
        for key, value in node.value:
            tag = key.tag
            if tag == STR_TAG and isinstance(key, ScalarNode):
                name: object = key.value
                found[key.value] = (key, value)
            elif tag == MERGE_TAG:
                merges = True
                for source in (value.value if isinstance(value, SequenceNode) else (value,)):
                    if isinstance(source, MappingNode):
                        self.entries(source)
                continue
            else:
                others.append(key)
                name = scalar_value_or_none(key) if isinstance(key, ScalarNode) else None
                if name is None or not _hashable(name):
                    continue
            if name in seen:
                earlier = seen[name].start_mark.line + 1
                self.problems.append(self.diagnostic(
                    key, f"duplicate key '{short_text(key.value)}' (first written on line {earlier})"))
            else:
                seen[name] = key
        if merges:
            try:
                _constructor.flatten_mapping(node)
            except yaml.MarkedYAMLError as error:
                mark = error.problem_mark or node.start_mark
                self.problems.append(self.diagnostic_at(
                    Position(self.path, mark.line + 1, mark.column + 1),
                    f"cannot merge: {error.problem} (a merge key '<<' takes a mapping or a list of mappings)"))
            found.clear()
            others.clear()
            for key, value in node.value:
                if key.tag == STR_TAG and isinstance(key, ScalarNode):
                    found[key.value] = (key, value)
                elif key.tag != MERGE_TAG:  # a merge that failed stays in place
                    others.append(key)
        return entries

    def check_subtree(self, node: Node) -> None:
        """Check every mapping under a node the parser will not read (an ``x-`` value): duplicates and merges."""
        seen: set[int] = set()
        stack = [node]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, MappingNode):
                found, others = self.entries(node)
                stack += others
                for pair in found.values():
                    stack += pair
            elif isinstance(node, SequenceNode):
                stack += node.value


def describe_tag(tag: str) -> str:
    """A tag as an author writes it: ``!!python/object`` rather than the full URI."""
    return "!!" + tag[len(TAG_PREFIX):] if tag.startswith(TAG_PREFIX) else tag


def _error(path: str, lines: list[str], line: int, column: int, message: str) -> ScriptError:
    source = lines[line - 1] if 0 < line <= len(lines) else None
    return ScriptError([Diagnostic(Position(path, line, column), "error", message, source)])


def decode_source(source: str | bytes, path: str) -> tuple[str, list[str]]:
    """Decode strictly as UTF-8 and reject characters YAML forbids; returns the text and its lines.

    Raises ``ScriptError`` positioned at the first bad byte or character.
    """
    text = _decode(source, path)
    return text, text.splitlines()


# What YAML allows of ASCII: tab, line feed, carriage return and the printable characters.
_ALLOWED_ASCII = b"\t\n\r" + bytes(range(0x20, 0x7F))


def _decode(source: str | bytes, path: str) -> str:
    """``decode_source`` without splitting lines, which only a message needs."""
    if isinstance(source, bytes):
        try:
            text = source.decode("utf-8")
        except UnicodeDecodeError as error:
            good = source[: error.start]
            line = good.count(b"\n") + 1
            line_start = good.rfind(b"\n") + 1
            column = len(good[line_start:].decode("utf-8")) + 1
            lines = good.decode("utf-8").splitlines() or [""]
            raise _error(path, lines, line, column,
                         f"the file is not UTF-8 text (byte 0x{source[error.start]:02x} cannot be decoded); "
                         "save it as UTF-8") from None
    else:
        text = source
    if text.startswith("\ufeff"):
        text = text[1:]
    if text.isascii() and not text.encode("ascii").translate(None, _ALLOWED_ASCII):
        return text  # the usual file: a byte-level test is ten times quicker than the regular expression
    bad = Reader.NON_PRINTABLE.search(text)
    if bad is not None:
        lines = text.splitlines()
        before = text[: bad.start()]
        line = before.count("\n") + 1
        column = bad.start() - (before.rfind("\n") + 1) + 1
        raise _error(path, lines, line, column,
                     f"the character U+{ord(bad.group()):04X} is not allowed in a YAML file")
    return text


def compose_document(source: str | bytes, path: str) -> Document:
    """Compose exactly one YAML document whose top level is a mapping.

    Raises ``ScriptError`` for text that is not UTF-8, invalid YAML, an empty
    file, several documents, a top level that is not a mapping, or tags that
    build objects (all of them).  Keys written twice and merges that cannot
    merge are found as mappings are read (``Document.pairs``).
    """
    text = _decode(source, path)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        lines = text.splitlines()
        explained = explain(error, lines)  # the usual mistakes in plain words, with the fix
        if explained is not None:
            raise _error(path, lines, explained.line, explained.column, explained.message) from None
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise _error(path, lines, line, column, _yaml_message(error)) from None
    except yaml.YAMLError as error:  # pragma: no cover - unmarked errors are not raised by the composer
        raise _error(path, text.splitlines(), 1, 1, f"invalid YAML: {error}") from None
    except RecursionError:  # the pure-Python composer on very deep nesting
        raise _error(path, text.splitlines(), 1, 1, "invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()
    if root is None:
        raise _error(path, text.splitlines(), 1, 1,
                     "the file is empty: a script needs at least 'voiceguide: 1', a 'title' and 'steps'")
    if "!" in text and _TAG_START.search(text):  # the plain test first: most files hold no "!" at all
        # Refuse object-building tags before anything else looks at the nodes.
        diagnostics = _check_tags(Document(root, text, path))
        if diagnostics:
            raise ScriptError(diagnostics)
    if not isinstance(root, MappingNode) or root.tag != TAG_PREFIX + "map":
        mark = root.start_mark
        raise _error(path, text.splitlines(), mark.line + 1, mark.column + 1,
                     "the top level must be a mapping with keys such as 'voiceguide', 'title' and 'steps', "
                     f"got {describe_node(root)}")
    return Document(root, text, path)


def _yaml_message(error: yaml.MarkedYAMLError) -> str:
    problem = error.problem or "invalid YAML"
    if isinstance(error, yaml.composer.ComposerError) and problem == "but found another document":
        return "the file holds more than one YAML document; a script is exactly one document"
    if error.context:
        context = error.context
        mark = error.context_mark
        if mark is not None and mark != error.problem_mark:
            context += f" that starts at line {mark.line + 1}, column {mark.column + 1}"
        return f"invalid YAML: {problem} ({context})"
    return f"invalid YAML: {problem}"


# A tag starts a node: at the start of a line, or after a blank or a flow indicator.
# A file without such a "!" cannot hold an explicit tag, so most files skip the walk.
_TAG_START = re.compile(r"(?:^|[\s\[\]{},:])!", re.MULTILINE)


def _check_tags(document: Document) -> list[Diagnostic]:
    """Every node whose tag the safe loader would refuse (aliases are shared, recursion is possible)."""
    diagnostics: list[Diagnostic] = []
    seen: set[int] = set()
    stack: list[Node] = [document.root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag not in _SAFE_TAGS:
            diagnostics.append(document.diagnostic(
                node, f"the tag '{describe_tag(node.tag)}' is not allowed: scripts hold plain YAML values only"))
        if isinstance(node, MappingNode):
            for key, value in node.value:
                stack += (value, key)
        elif isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
    return sorted(diagnostics, key=lambda d: (d.position.line, d.position.column))


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def scalar_value(node: ScalarNode) -> ScalarValue:
    """The Python value the safe loader would build for a scalar node (str, int, float, bool, None, bytes, date).

    Raises ``ValueError`` when the text does not fit an explicit tag (``!!int abc``).
    """
    tag = node.tag
    value = node.value
    if tag == STR_TAG:
        return value
    constructor = SafeConstructor.yaml_constructors.get(tag)
    if constructor is None or tag in (TAG_PREFIX + "seq", TAG_PREFIX + "map"):
        raise ValueError(f"the tag '{describe_tag(tag)}' does not fit a single value")
    if tag in (INT_TAG, FLOAT_TAG):
        try:  # base-60 integers (1:2:3:…) cost time quadratic in their length: bound them first
            check_number_text(value, exponent=tag == FLOAT_TAG)
        except NumberTooLarge as error:
            raise ValueError(f"'{short_text(value)}' {error}") from None
    try:
        return constructor(_constructor, node)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, yaml.YAMLError) as error:
        raise ValueError(f"'{short_text(node.value)}' cannot be read as {describe_tag(tag)}") from error


def scalar_value_or_none(node: ScalarNode) -> ScalarValue:
    """``scalar_value``, or the raw text when it cannot be converted."""
    try:
        return scalar_value(node)
    except ValueError:
        return node.value


def describe_node(node: Node) -> str:
    """How a value reads in a message: ``'abc'``, ``42``, ``yes (true/false)``, ``a list``."""
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, MappingNode):
        return "a mapping"
    tag = node.tag
    text = short_text(str(node.value))
    if tag == STR_TAG:
        return f"'{text}'"
    if tag == NULL_TAG:
        return "nothing (an empty value)"
    if tag == BOOL_TAG:
        return f"{text} (a true/false value)"
    if tag in (INT_TAG, FLOAT_TAG):
        return text
    if tag == TAG_PREFIX + "timestamp":
        try:
            kind = "a time" if isinstance(scalar_value(node), datetime.datetime) else "a date"
        except ValueError:
            kind = "a date"
        return f"{text} ({kind})"
    return f"{text} ({describe_tag(tag)})"
