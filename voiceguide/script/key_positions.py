"""Where a key of a step is written: for messages that point at the value to change.

The model keeps each step's position; a message about one of its keys
(``hold``, ``cue_every``, ``inhale`` …) finds the key in the composed document:
in the step's own mapping, in the mapping its kind key holds (``press: {hold:
…}``), including what an alias or a merge key (``<<: *calm-breath``) brings in,
where the key is written in the anchored block.
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, SequenceNode

from voiceguide.errors import Position
from voiceguide.script.loader import Document
from voiceguide.script.vocabulary import STEP_KINDS

__all__ = ["key_position"]


def key_position(document: Document, step: Position, key: str) -> Position | None:
    """The position of ``key`` in the step written at ``step`` (its mapping or its kind's), or None."""
    node = _mapping_at(document, step)
    if node is None:
        return None
    found = document.entries(node)[0]
    for kind in STEP_KINDS:
        if kind in found:
            value = found[kind][1]
            if isinstance(value, MappingNode) and key in document.entries(value)[0]:
                return document.position(document.entries(value)[0][key][0])
    if key in found:
        return document.position(found[key][0])
    return None


def _mapping_at(document: Document, position: Position) -> MappingNode | None:
    """The mapping node that starts at ``position`` (1-based line and column)."""
    line, column = position.line - 1, position.column - 1
    seen: set[int] = set()
    stack: list[Node] = [document.root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        mark = node.start_mark
        if isinstance(node, MappingNode):
            if mark.line == line and mark.column == column:
                return node
            for key, value in node.value:
                stack += (value, key)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return None
