"""Reading a mapping through a table: known keys only (unknown ones reported with a hint), each value by its reader.

A table maps each key a mapping allows to ``(reader, field)``: the reader reads
the value, and the value fills that field of the model object.  A reader that
returns a dict (``""`` as the field) fills several fields.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from yaml.nodes import MappingNode

from voiceguide.script.durations import short_text
from voiceguide.script.loader import Document, describe_node
from voiceguide.script.problems import Bad, Node, Reporter, did_you_mean, one_of

Reader = Callable[[Node, str], Any]
"""Reads one value: (value node, dotted name for messages) → value; raises ``Bad`` after reporting."""
Table = dict[str, tuple[Reader, str]]
"""Key → (its reader, the model field it fills, or "" when the reader returns several fields)."""


def check_table(keys: Sequence[str], table: Table) -> Table:
    """``table``, after checking that it has a reader for exactly the ``keys`` a mapping allows."""
    if set(table) != set(keys):
        raise AssertionError(f"readers for {sorted(table)} but keys {sorted(keys)}")
    return table


@functools.cache
def _key_set(keys: tuple[str, ...]) -> frozenset[str]:
    return frozenset(keys)


class MappingReader:
    """Reads the mappings of one document; ``key`` is the key whose value is being read."""

    def __init__(self, document: Document, report: Reporter) -> None:
        self.document = document
        self.report = report
        self.key: Node = document.root  # missing keys inside a value point at its key

    def entries(self, node: MappingNode, where: str, allowed: tuple[str, ...], *,
                extensions: bool = False, nested: dict[str, tuple[str, ...]] | None = None
                ) -> dict[str, tuple[Node, Node]]:
        """Known keys of a mapping → (key node, value node); unknown keys reported with a hint."""
        found, others = self.document.entries(node)
        for key in others:
            self.report.error(key, f"keys must be text, got {describe_node(key)}")
        if found.keys() <= _key_set(allowed):
            return found  # the usual case: nothing unknown
        known: dict[str, tuple[Node, Node]] = {}
        for name, (key, value) in found.items():
            if name in allowed:
                known[name] = (key, value)
            elif extensions and name.startswith("x-"):
                self.document.check_subtree(value)  # not read, but duplicates and merges still count
            else:
                self.report.error(key, _unknown_key(name, where, allowed, extensions, nested))
        return known

    def fields(self, node: Node, where: str, allowed: tuple[str, ...], anchor: Node | None = None,
               what: str = "a mapping") -> Fields:
        """The entries of a value that must be a mapping (raises ``Bad`` otherwise)."""
        if not isinstance(node, MappingNode):
            raise self.report.bad(node, f"{where} must be {what}, got {describe_node(node)}")
        return Fields(self, where, anchor if anchor is not None else node, self.entries(node, where, allowed))


def _unknown_key(name: str, where: str, allowed: Sequence[str], extensions: bool,
                 nested: dict[str, tuple[str, ...]] | None) -> str:
    """The message for a key the mapping does not take: where it belongs, a guess, or what is allowed."""
    place = f" in {where}" if where else " at the top level"
    name = short_text(name)
    for kind, keys in (nested or {}).items():
        if name in keys:
            return (f"unknown key '{name}'{place}: '{name}' belongs inside the '{kind}' mapping; "
                    f"indent it under '{kind}:'")
    guess = did_you_mean(name, allowed)
    if guess is not None:
        return f"unknown key '{name}'{place}; did you mean '{guess}'?"
    tail = "; keys starting with 'x-' are ignored" if extensions else ""
    return f"unknown key '{name}'{place} (allowed: {one_of(allowed)}){tail}"


class Fields:
    """One mapping's known entries (unknown keys already reported), read field by field."""

    def __init__(self, maps: MappingReader, where: str, anchor: Node, entries: dict[str, tuple[Node, Node]]) -> None:
        self.maps = maps
        self.where = where
        self.anchor = anchor  # what a "missing key" error points at
        self.entries = entries
        self.ok = True

    def has(self, key: str) -> bool:
        """Whether the mapping has this (known) key."""
        return key in self.entries

    def read(self, table: Table) -> dict[str, Any]:
        """Read every present entry with its reader from ``table``: model field → value (bad ones left out)."""
        values: dict[str, Any] = {}
        maps = self.maps
        where = self.where
        for key, (key_node, value_node) in self.entries.items():
            reader, field = table[key]
            maps.key = key_node
            try:
                value = reader(value_node, f"{where}.{key}" if where and key != where else key)
            except Bad:
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
                self.maps.report.error(self.anchor, f"missing required key '{key}'{where} ({meaning})")
                self.ok = False

    def check(self) -> None:
        """Raise ``Bad`` if any entry was bad or a required key missing (each already reported)."""
        if not self.ok:
            raise Bad()
