"""Warnings about valid scripts that probably do not do what their author meant, or ask too much of a body.

- Text cut short by a comment: in ``- Press point #2 firmly`` YAML reads
  ``#2 firmly`` as a comment, so only "Press point" is spoken.
- Risky patterns a careful teacher would not ask of a beginner: long breath
  holds, sustained very fast breathing, one point pressed for many minutes.
  Each can be silenced on purpose with ``# check: allow NAME`` on the step's
  first line (or on a line of its own, for the whole file); a NAME that is
  none of ``ALLOW_NAMES`` allows nothing, and is warned about.  The thresholds
  and their sources are in docs/writing-sessions.md ("Risky patterns").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from voiceguide.errors import Diagnostic, Position
from voiceguide.script.durations import format_seconds, short_text
from voiceguide.script.loader import STR_TAG, Document
from voiceguide.script.model import Breathe, BreathPattern, Press, Repeat, Script, Step
from voiceguide.script.problems import did_you_mean, one_of

BREATH_HOLD_LIMIT_SECONDS = Fraction(15)
"""A hold after breathing in (or an empty-lung ``rest``) longer than this is warned about."""

FAST_BREATHS_PER_MINUTE = 20
"""Paced breathing faster than this (a cycle shorter than 3 s) ..."""

FAST_BREATHING_LIMIT_SECONDS = Fraction(60)
"""... kept up for longer than this is warned about (hyperventilation)."""

PRESS_HOLD_LIMIT_SECONDS = Fraction(180)
"""One point pressed for longer than this, on one side, is warned about."""

ALLOW_NAMES = ("long-breath-hold", "fast-breathing", "long-press")
"""The risky patterns, by the names a ``# check: allow NAME`` comment gives them."""

_ALLOW = re.compile(r"#\s*check:\s*allow\s+([a-z, -]+)")
_COMMENT_IN_TEXT = re.compile(r"[ \t]#[^\s#]")
"""A ``#`` that starts a comment (after a blank) and is followed at once by a word: ``#2``, ``#tip``."""


def comment_warnings(document: Document) -> list[Diagnostic]:
    """A warning for each unquoted text cut short by a comment that looks like part of it."""
    if not _COMMENT_IN_TEXT.search(document.text):  # the usual file: nothing to walk
        return []
    warnings = []
    for node in _text_values(document.root):
        end = node.end_mark
        line = document.line(end.line + 1) or ""
        match = re.match(r"[ \t]+#(\S.*)$", line[end.column:])
        if match is None:
            continue
        comment = "#" + match.group(1).rstrip()
        if " " not in node.value and not comment[1:2].isdigit():
            continue  # `pause: 2s #long` is a value with a note, not a sentence cut short
        whole = f"{node.value} {comment}"
        position = Position(document.path, end.line + 1, end.column + len(match.group(0)) - len(match.group(1)))
        warnings.append(Diagnostic(position, "warning", (
            f"'{short_text(comment)}' is read as a comment, so only '{short_text(node.value)}' is spoken; "
            f"if it belongs to the text, put the whole text in quotes: \"{short_text(whole)}\""), line))
    return warnings


def _text_values(root: Node) -> Iterator[ScalarNode]:
    """Every unquoted text value (not a key) under ``root``, each node once."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            stack.extend(value for _, value in node.value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, ScalarNode) and node.tag == STR_TAG and not node.style:
            yield node


# --------------------------------------------------------------------------
# risky patterns


@dataclass(frozen=True)
class _Risk:
    name: str
    position: Position
    message: str


def risk_warnings(script: Script, document: Document) -> list[Diagnostic]:
    """A warning for each risky pattern, unless allowed by a ``# check: allow NAME`` comment."""
    risks = list(_risks(script.steps))
    if not risks:
        return []
    everywhere = {name for line in document.lines if line.startswith("#") for name in _allowed(line)}
    warnings = []
    seen: set[tuple[str, int, int]] = set()
    for risk in risks:
        key = (risk.name, risk.position.line, risk.position.column)
        if key in seen or risk.name in everywhere:
            continue
        seen.add(key)
        line = document.line(risk.position.line)
        if line is not None and risk.name in _allowed(line):
            continue
        message = (f"{risk.message}; if you mean it, add '# check: allow {risk.name}' at the end of this line")
        warnings.append(Diagnostic(risk.position, "warning", message, line))
    return warnings


def allow_warnings(document: Document) -> list[Diagnostic]:
    """A warning for each name in a ``# check: allow`` comment that is no pattern's: it would allow nothing."""
    if "check:" not in document.text:  # the usual file: nothing to look at
        return []
    warnings = []
    for number, line in enumerate(document.lines, start=1):
        match = _ALLOW.search(line)
        if match is None:
            continue
        for name in re.finditer(r"[^\s,]+", match.group(1)):
            if name.group() in ALLOW_NAMES:
                continue
            close = did_you_mean(name.group(), ALLOW_NAMES)
            hint = f"did you mean '{close}'? " if close else ""
            position = Position(document.path, number, match.start(1) + name.start() + 1)
            warnings.append(Diagnostic(position, "warning", (
                f"'# check: allow {name.group()}' allows nothing: no warning has that name; {hint}"
                f"the names are {one_of(ALLOW_NAMES)}"), line))
    return warnings


def _allowed(line: str) -> set[str]:
    match = _ALLOW.search(line)
    if match is None:
        return set()
    return {name for name in re.split(r"[\s,]+", match.group(1)) if name}


def _risks(steps: tuple[Step, ...]) -> Iterator[_Risk]:
    seen: set[int] = set()
    stack = list(reversed(steps))
    while stack:
        step = stack.pop()
        if id(step) in seen:  # an aliased step is one object: looked at once
            continue
        seen.add(id(step))
        if isinstance(step, Repeat):
            stack.extend(reversed(step.steps))
        elif isinstance(step, Breathe):
            yield from _breathing_risks(step.pattern, step.position, step.cycle_count() * step.pattern.cycle_seconds)
        elif isinstance(step, Press):
            if step.hold > PRESS_HOLD_LIMIT_SECONDS:
                yield _Risk("long-press", step.position, (
                    f"one point pressed for {format_seconds(step.hold)} is far longer than acupressure guides "
                    f"advise (one to three minutes a point); long pressure can bruise the skin or numb the area"))
            if step.breathe is not None:
                yield from _breathing_risks(step.breathe, step.position, step.hold)


def _breathing_risks(pattern: BreathPattern, position: Position, lasting: Fraction) -> Iterator[_Risk]:
    for phase, seconds in (("after breathing in", pattern.hold), ("after breathing out (rest)", pattern.rest)):
        if seconds > BREATH_HOLD_LIMIT_SECONDS:
            yield _Risk("long-breath-hold", position, (
                f"a breath hold of {format_seconds(seconds)} {phase} is far beyond what beginners tolerate "
                f"(their techniques hold for 4 to 7 seconds; voiceguide warns above "
                f"{format_seconds(BREATH_HOLD_LIMIT_SECONDS)}): it can bring dizziness or fainting"))
    per_minute = 60 / pattern.cycle_seconds
    if per_minute > FAST_BREATHS_PER_MINUTE and lasting > FAST_BREATHING_LIMIT_SECONDS:
        yield _Risk("fast-breathing", position, (
            f"{float(per_minute):.3g} breaths a minute for {format_seconds(lasting)} is sustained very fast "
            f"breathing (above {FAST_BREATHS_PER_MINUTE} a minute for over "
            f"{format_seconds(FAST_BREATHING_LIMIT_SECONDS)}): it can cause hyperventilation, with dizziness, "
            "tingling and fainting"))
