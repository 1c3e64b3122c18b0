"""Script bytes → one composed YAML document whose nodes keep their positions.

PyYAML's *safe* machinery does the reading (libyaml's C parser where it is
installed, for speed), but we stop at the node graph instead of constructing
Python objects: every node keeps ``start_mark`` (0-based line and column), which
is where every later error message points.  On top of composing, this module

- decodes strictly as UTF-8 (a leading byte-order mark is allowed),
- refuses any tag the safe loader would not accept (``!!python/object``,
  ``!custom``), wherever it appears,
- finds keys written twice in one mapping (PyYAML silently keeps the last),
- resolves merge keys (``<<: *base``) in place, with PyYAML's own rules, so
  the parser sees plain mappings, and
- converts scalars by the safe constructor's rules (``scalar_value``).

Every failure is a ``ScriptError`` with positioned diagnostics; nothing here
prints.  Aliases stay shared nodes: nothing is expanded.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import Reader

from voiceguide.durations import short_text
from voiceguide.errors import Diagnostic, Position, ScriptError

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


@dataclass(frozen=True)
class Document:
    """A composed script: its top-level mapping node, the decoded text's lines, and the path shown in messages."""

    root: MappingNode
    lines: list[str]
    path: str

    def position(self, node: Node) -> Position:
        """The 1-based position of a node."""
        mark = node.start_mark
        return Position(self.path, mark.line + 1, mark.column + 1)

    def line(self, line: int) -> str | None:
        """The text of a 1-based source line (for the caret snippet), or None past the end."""
        return self.lines[line - 1] if 0 < line <= len(self.lines) else None

    def diagnostic(self, node: Node, message: str, severity: str = "error") -> Diagnostic:
        """A diagnostic pointing at a node, with its source line."""
        return self.diagnostic_at(self.position(node), message, severity)

    def diagnostic_at(self, position: Position, message: str, severity: str = "error") -> Diagnostic:
        """A diagnostic at a position of this file, with its source line."""
        assert severity in ("error", "warning")
        return Diagnostic(position, "error" if severity == "error" else "warning",
                          message, self.line(position.line))


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
    lines = text.splitlines()
    bad = Reader.NON_PRINTABLE.search(text)
    if bad is not None:
        before = text[: bad.start()]
        line = before.count("\n") + 1
        column = bad.start() - (before.rfind("\n") + 1) + 1
        raise _error(path, lines, line, column,
                     f"the character U+{ord(bad.group()):04X} is not allowed in a YAML file")
    return text, lines


def compose_document(source: str | bytes, path: str) -> Document:
    """Compose exactly one YAML document whose top level is a mapping.

    Raises ``ScriptError`` for text that is not UTF-8, invalid YAML, an empty
    file, several documents, a top level that is not a mapping, a tag that
    builds objects, a key written twice, or a merge key that cannot merge.
    All tag and duplicate-key problems of the file are reported together.
    """
    text, lines = decode_source(source, path)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise _error(path, lines, line, column, _yaml_message(error)) from None
    except yaml.YAMLError as error:  # pragma: no cover - unmarked errors are not raised by the composer
        raise _error(path, lines, 1, 1, f"invalid YAML: {error}") from None
    except RecursionError:  # the pure-Python composer on very deep nesting
        raise _error(path, lines, 1, 1, "invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()
    if root is None:
        raise _error(path, lines, 1, 1,
                     "the file is empty: a script needs at least 'voiceguide: 1', a 'title' and 'steps'")
    document = Document(root, lines, path)
    if not isinstance(root, MappingNode) or root.tag != TAG_PREFIX + "map":
        mark = root.start_mark
        raise _error(path, lines, mark.line + 1, mark.column + 1,
                     "the top level must be a mapping with keys such as 'voiceguide', 'title' and 'steps', "
                     f"got {describe_node(root)}")
    diagnostics = _check_nodes(document)
    if diagnostics:
        raise ScriptError(diagnostics)
    return document


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


def _check_nodes(document: Document) -> list[Diagnostic]:
    """Walk every node once (aliases are shared, recursion is possible): tags, duplicate keys, merges."""
    diagnostics: list[Diagnostic] = []
    seen: set[int] = set()
    mappings: list[MappingNode] = []
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
            mappings.append(node)
            first: dict[object, Node] = {}
            for key, value in node.value:
                stack.append(value)
                stack.append(key)
                if not isinstance(key, ScalarNode) or key.tag == MERGE_TAG:
                    continue
                name = scalar_value_or_none(key)
                if not _hashable(name):
                    continue
                if name in first:
                    earlier = first[name].start_mark.line + 1
                    diagnostics.append(document.diagnostic(
                        key, f"duplicate key '{short_text(key.value)}' (first written on line {earlier})"))
                else:
                    first[name] = key
        elif isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
    if diagnostics:
        return sorted(diagnostics, key=lambda d: (d.position.line, d.position.column))
    for mapping in mappings:
        try:
            _constructor.flatten_mapping(mapping)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or mapping.start_mark
            diagnostics.append(document.diagnostic_at(
                Position(document.path, mark.line + 1, mark.column + 1),
                f"cannot merge: {error.problem} (a merge key '<<' takes a mapping or a list of mappings)"))
        except RecursionError:
            diagnostics.append(document.diagnostic(mapping, "cannot merge: the mapping merges itself"))
    return diagnostics


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
    if tag == STR_TAG:
        return node.value
    constructor = SafeConstructor.yaml_constructors.get(tag)
    if constructor is None or tag in (TAG_PREFIX + "seq", TAG_PREFIX + "map"):
        raise ValueError(f"the tag '{describe_tag(tag)}' does not fit a single value")
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
