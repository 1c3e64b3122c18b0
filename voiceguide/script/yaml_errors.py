"""libyaml's syntax errors in plain words, with the fix.

"mapping values are not allowed in this context" or "did not find expected key
(while parsing a block mapping…)" tell a script's author nothing.  The few
mistakes behind nearly all of them are recognised here from the error and the
source lines: a colon in an unquoted sentence, a line indented more or less
than its neighbours, a tab, a quote that is never closed.  Anything else keeps
libyaml's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

_KEY = re.compile(r"^(?P<indent> *)(?P<dash>(?:- +)*)(?P<key>[^\s#'\"{}\[\],&*!|>%@`][^:#]*?):(?: |$)")
"""A block-mapping line: indentation, any list dashes, and a plain key followed by ': '."""


@dataclass(frozen=True)
class Explained:
    """Where to point (1-based) and what to say."""

    line: int
    column: int
    message: str


def explain(error: yaml.MarkedYAMLError, lines: list[str]) -> Explained | None:
    """A plain-words message for a YAML syntax error, or None when it is not one we recognise."""
    mark = error.problem_mark
    if mark is None:
        return None
    line, column = mark.line + 1, mark.column + 1
    problem = error.problem or ""
    context = error.context or ""
    if "quoted scalar" in context and "end of stream" in problem and error.context_mark is not None:
        return _unclosed_quote(error.context_mark.line + 1, error.context_mark.column + 1, lines)
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if "cannot start any token" in problem and column <= len(text) and text[column - 1] == "\t":
        return Explained(line, column, "a tab is used here for indentation, but YAML allows only spaces: "
                                       "replace the tab with spaces")
    quoted = _unbalanced_quote(lines, line)
    if quoted is not None:
        return quoted
    if problem == "mapping values are not allowed in this context":
        return _colon(line, column, lines)
    if problem == "found undefined alias":
        name = re.match(r"\*([^\s,\[\]{}]*)", text[column - 1:])
        alias = name.group(1) if name else ""
        return Explained(line, column, f"'*{alias}' refers to an anchor '&{alias}' that is not defined above it: "
                                       f"define it first (for example under a top-level 'x-' key), or, if the * "
                                       "is part of a text, put the text in quotes")
    if "cannot start any token" in problem and column <= len(text) and text[column - 1] in "@`":
        return Explained(line, column, f"YAML does not allow a text to start with '{text[column - 1]}': "
                                       "put the text in quotes")
    flow = re.search(r"while parsing a flow (sequence|mapping)", context)
    if flow is not None and error.context_mark is not None:
        opened = {"sequence": "[", "mapping": "{"}[flow.group(1)]
        closing = {"[": "]", "{": "}"}[opened]
        kind = "list" if opened == "[" else "mapping"
        return Explained(error.context_mark.line + 1, error.context_mark.column + 1, (
            f"the {kind} '{opened}…{closing}' that starts here does not end where YAML expects: separate its "
            f"items with ', ' and close it with '{closing}'; if it is meant as text, put the text in quotes"))
    if "while scanning a simple key" in context and error.context_mark is not None:
        start = error.context_mark.line + 1
        return Explained(start, error.context_mark.column + 1, (
            "this line is neither a key ('name: value') nor a list item ('- …'): if it goes on with the text "
            "of the line above, indent it more than that line's key, or put the whole text on one line"))
    if "while parsing a block" in context or "expected <block end>" in problem:
        return _indentation(line, column, lines)
    return None


def _colon(line: int, column: int, lines: list[str]) -> Explained:
    """A ': ' where YAML cannot start a key: in an unquoted value, or on a line indented too deep."""
    text = lines[line - 1]
    before = text[: column - 1]
    key = _KEY.match(text)
    if key is not None and key.end() <= len(before):
        # `say: Note: sit comfortably`: the value itself holds ': '.
        value = text[key.end():].split(" #", 1)[0].strip()
        fixed = f"{text[:key.end()].rstrip()} {_quoted(value)}"
        return Explained(line, column, "this text holds a colon followed by a space, which YAML reads as the start "
                                       f"of a new key: put the text in quotes, as in {fixed.strip()}")
    above = _previous_content_line(lines, line)
    above_key = _KEY.match(lines[above - 1]) if above is not None else None
    if above_key is not None and key is not None:
        # `pause: 2s` indented deeper than `say:` above it: YAML read it as more of say's text.
        name, above_name = key.group("key").strip(), above_key.group("key").strip()
        start = len(key.group("indent")) + len(key.group("dash")) + 1
        want = len(above_key.group("indent")) + len(above_key.group("dash")) + 1
        return Explained(line, start, f"wrong indentation: '{name}' is indented more than '{above_name}' on line "
                                      f"{above}, so YAML reads it as more of that line's text; line it up with "
                                      f"'{above_name}' (column {want}), or, if this line goes on with the sentence "
                                      "above, put the sentence in quotes")
    return Explained(line, column, "a colon followed by a space is not allowed here: if it is part of a "
                                   "sentence, put the sentence in quotes")


def _indentation(line: int, column: int, lines: list[str]) -> Explained:
    """A line that lines up with none of the lines above it."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    indent = len(text) - len(text.lstrip(" "))
    columns = sorted({len(lines[i]) - len(lines[i].lstrip(" ")) + 1
                      for i in range(line - 1) if lines[i].strip() and not lines[i].lstrip().startswith("#")})
    used = ", ".join(str(c) for c in columns)
    return Explained(line, indent + 1, f"wrong indentation: this line starts at column {indent + 1}, which does not "
                                       "fit the lines above it (their items and keys start at column "
                                       f"{used}); items of one list, and keys of one mapping, must start in the "
                                       "same column, indented with spaces")


def _unclosed_quote(line: int, column: int, lines: list[str]) -> Explained:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    quote = text[column - 1] if column <= len(text) else '"'
    return Explained(line, column, f"the quote {quote} that starts this text is never closed: end the text with "
                                   f"{quote} on the same line ({_quoting_rule(quote)})")


_QUOTED_VALUE = re.compile(r"""^ *(?:- +)*(?:[^\s#'"{}\[\],&*!|>%@`][^:#]*?: +)?(?P<quote>["'])""")
"""A line whose value (or list item) starts with a quote."""


def _unbalanced_quote(lines: list[str], upto: int) -> Explained | None:
    """The first quoted value up to line ``upto`` that is never closed on its line, or closed too early."""
    for number in range(1, min(upto, len(lines)) + 1):
        text = lines[number - 1]
        match = _QUOTED_VALUE.match(text)
        if match is None:
            continue
        quote = match.group("quote")
        column = match.start("quote") + 1
        close = _closing_quote(text, match.end(), quote)
        if close is None:
            return _unclosed_quote(number, column, lines)
        after = text[close + 1:].strip()
        if after and after[0] not in "#,]}:":  # text goes on after the closing quote
            return Explained(number, column, f"the text in quotes {quote}…{quote} ends early: it holds a {quote} "
                                             f"of its own; {_quoting_rule(quote)}, or use the other kind of quotes")
    return None


def _closing_quote(text: str, start: int, quote: str) -> int | None:
    """The index of the quote that closes a quoted text opened just before ``start`` (escapes skipped)."""
    index = start
    while index < len(text):
        char = text[index]
        if quote == '"' and char == "\\":
            index += 2
            continue
        if char == quote:
            if quote == "'" and text[index + 1:index + 2] == "'":
                index += 2  # '' is an apostrophe inside single quotes
                continue
            return index
        index += 1
    return None


def _quoting_rule(quote: str) -> str:
    return ("inside single quotes, write an apostrophe twice ('')" if quote == "'"
            else 'inside double quotes, write a quote mark as \\"')


def _quoted(value: str) -> str:
    """``value`` in the quotes YAML needs for it."""
    if '"' not in value:
        return f'"{value}"'
    return "'" + value.replace("'", "''") + "'"


def _previous_content_line(lines: list[str], line: int) -> int | None:
    for number in range(line - 1, 0, -1):
        stripped = lines[number - 1].strip()
        if stripped and not stripped.startswith("#"):
            return number
    return None
