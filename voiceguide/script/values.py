"""Readers of one scalar value each (text, numbers, durations, choices): report and raise ``Bad`` when it does not fit.

Every reader takes the value's node and its dotted name (``press.hold``), which
messages show, and states what is allowed when the value is refused.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from fractions import Fraction
from typing import Any

from yaml.nodes import ScalarNode, SequenceNode

from voiceguide.script.durations import WHAT_IS_ALLOWED, DurationError, parse_duration, short_text
from voiceguide.script.loader import BOOL_TAG, FLOAT_TAG, INT_TAG, NULL_TAG, STR_TAG, describe_node, scalar_value
from voiceguide.script.numeric import NumberTooLarge, check_number_text
from voiceguide.script.problems import Node, Reporter, did_you_mean, one_of
from voiceguide.script.texts import text_problem


class ValueReader:
    """Reads scalar values and lists of one document, reporting into its ``Reporter``."""

    def __init__(self, report: Reporter) -> None:
        self.report = report
        self._seconds: dict[tuple[str, str], Fraction] = {}  # valid durations by (tag, text)

    def scalar(self, node: Node, name: str, tags: Collection[str], expected: str) -> Any:
        """The value of a scalar whose tag is one of ``tags`` (``expected`` says what is allowed)."""
        if not isinstance(node, ScalarNode) or node.tag not in tags:
            hint = ""
            if STR_TAG in tags and isinstance(node, ScalarNode) and node.tag not in (STR_TAG, NULL_TAG):
                hint = "; put it in quotes to use it as text"
            raise self.report.bad(node, f"{name} must be {expected}, got {describe_node(node)}{hint}")
        try:
            return scalar_value(node)
        except ValueError as error:
            raise self.report.bad(node, f"{name}: {error}") from None

    def text(self, node: Node, name: str) -> str:
        """Text that is not blank and follows the rules of ``texts`` (bounded, speakable, no control characters)."""
        value: str = self.scalar(node, name, (STR_TAG,), "text")
        if not value.strip():
            raise self.report.bad(node, f"{name} must not be empty")
        problem = text_problem(value, name)
        if problem is not None:
            raise self.report.bad(node, problem)
        return value

    def boolean(self, node: Node, name: str) -> bool:
        """true or false."""
        value: bool = self.scalar(node, name, (BOOL_TAG,), "true or false")
        return value

    def integer(self, node: Node, name: str, minimum: int, maximum: int | None = None, unit: str = "") -> int:
        """A whole number in a range (``unit`` is shown after the bounds)."""
        allowed = f"between {minimum} and {maximum}{unit}" if maximum is not None else f"at least {minimum}{unit}"
        value: int
        if isinstance(node, ScalarNode) and node.tag == FLOAT_TAG:
            value = self._whole(node, name, allowed)  # 3.0 is the whole number 3
        else:
            value = self.scalar(node, name, (INT_TAG,), f"a whole number ({allowed})")
        if value < minimum or (maximum is not None and value > maximum):
            raise self.report.bad(node, f"{name} must be {allowed}, got {short_text(node.value)}")
        return value

    def _whole(self, node: ScalarNode, name: str, allowed: str) -> int:
        """A float node that is exactly a whole number (``3.0``, ``1e2``); anything else is refused."""
        exact: Fraction | None = None
        if len(node.value) <= 40:  # no exact reading of a thousand-digit number: it is refused anyway
            text = node.value.replace("_", "").lower().lstrip("+-")
            if text not in (".inf", ".nan"):
                exact = self._exact_number(node, name)
        if exact is None or exact.denominator != 1:
            raise self.report.bad(node, f"{name} must be a whole number ({allowed}), got {short_text(node.value)}")
        return int(exact)

    def count(self, node: Node, name: str) -> int:
        """A whole number, at least 1."""
        return self.integer(node, name, 1)

    def natural(self, node: Node, name: str) -> int:
        """A whole number, at least 0."""
        return self.integer(node, name, 0)

    def number(self, node: Node, name: str, minimum: float, maximum: float) -> float:
        """A number (whole or not) in a range."""
        allowed = f"between {minimum:g} and {maximum:g}"
        value = self.scalar(node, name, (INT_TAG, FLOAT_TAG), f"a number {allowed}")
        if not minimum <= value <= maximum:  # also refuses .nan
            raise self.report.bad(node, f"{name} must be {allowed}, got {short_text(node.value)}")
        return float(value)

    def choice(self, node: Node, name: str, choices: Sequence[str]) -> str:
        """One of the words in ``choices``, with a guess when misspelt."""
        value: str = self.scalar(node, name, (STR_TAG,), f"one of {one_of(choices)}")
        if value not in choices:
            guess = did_you_mean(value, choices)
            hint = f"; did you mean '{guess}'?" if guess else ""
            raise self.report.bad(node, f"{name} must be one of {one_of(choices)}, got '{short_text(value)}'{hint}")
        return value

    def sequence(self, node: Node, name: str, what: str) -> list[Node]:
        """The items of a value that must be a list (``what`` says of what)."""
        if not isinstance(node, SequenceNode):
            raise self.report.bad(node, f"{name} must be {what}, got {describe_node(node)}")
        return list(node.value)

    def positive(self, node: Node, name: str) -> Fraction:
        """A duration more than zero."""
        return self.duration(node, name, zero=False)

    def nonnegative(self, node: Node, name: str) -> Fraction:
        """A duration, zero allowed."""
        return self.duration(node, name, zero=True)

    def duration(self, node: Node, name: str, *, zero: bool) -> Fraction:
        """A duration in exact seconds; ``zero`` says whether the field allows 0."""
        # Scripts write the same few durations over and over: parse each text once.
        seconds = self._seconds.get((node.tag, node.value)) if isinstance(node, ScalarNode) else None
        if seconds is None:
            if not isinstance(node, ScalarNode) or node.tag not in (INT_TAG, FLOAT_TAG, STR_TAG):
                raise self.report.bad(node, f"{name} must be {WHAT_IS_ALLOWED}, got {describe_node(node)}")
            try:
                if node.tag == STR_TAG:
                    seconds = parse_duration(node.value, name)
                else:
                    seconds = parse_duration(self._exact_number(node, name), name)
            except DurationError as error:
                raise self.report.bad(node, str(error)) from None
            self._seconds[(node.tag, node.value)] = seconds
        if not zero and seconds == 0:
            raise self.report.bad(node, f"{name} must be more than zero, got {describe_node(node)}")
        return seconds

    def _exact_number(self, node: ScalarNode, name: str) -> Fraction:
        """An int or float node as an exact Fraction of what is written (``2.5`` → 5/2), YAML 1.1 forms included."""
        if node.tag == INT_TAG:
            value = self.scalar(node, name, (INT_TAG,), "a whole number")
            return Fraction(value)
        try:  # bounded before any exact conversion: Fraction("1e999999") would take minutes
            check_number_text(node.value)
        except NumberTooLarge as error:
            raise self.report.bad(node, f"{name}: '{short_text(node.value)}' {error}") from None
        text = node.value.replace("_", "").lower()
        sign = -1 if text.startswith("-") else 1
        text = text.lstrip("+-")
        if text in (".inf", ".nan"):
            raise self.report.bad(node, f"{name} must be a finite number of seconds, got {node.value}")
        try:
            if ":" in text:  # YAML 1.1 base 60: 1:30.5 is 90.5
                total = Fraction(0)
                for part in text.split(":"):
                    total = total * 60 + Fraction(part)
                return sign * total
            return sign * Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise self.report.bad(node, f"{name}: '{short_text(node.value)}' cannot be read as a number") from None
