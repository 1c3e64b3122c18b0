"""argparse's usage errors as one sentence and a hint ("did you mean 'play'?"), not the whole usage."""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Sequence

from voiceguide.printable import printable

_ARGUMENT = re.compile(r"argument (?P<name>[^:]+): (?P<rest>.*)", re.DOTALL)
_CHOICE = re.compile(r"invalid choice: (?P<given>'.*') \(choose from (?P<choices>.*)\)", re.DOTALL)


def command_parser(parser: argparse.ArgumentParser, words: Sequence[str]) -> argparse.ArgumentParser | None:
    """The parser of the command named in ``words`` when ``parser`` is the top-level one (else None): the
    top-level parser reports the options no command knew ("unrecognized arguments")."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            name = next((word for word in words if word in action.choices), None)
            chosen: argparse.ArgumentParser | None = action.choices.get(name) if name is not None else None
            return chosen
    return None


def usage_error(prog: str, message: str, options: Sequence[str] = ()) -> tuple[str, str]:
    """The sentence and the hint for argparse's ``message`` about a command line of ``prog``
    (``voiceguide play``), whose options are ``options``.  Text from the command line is shown, never obeyed
    (``printable``)."""
    sentence = message
    help_hint = f"'{prog} --help' lists " + ("every command" if prog == "voiceguide" else "its options")
    hint = help_hint
    unknown = message.removeprefix("unrecognized arguments: ")
    if unknown != message:
        named = [word.split("=")[0] for word in unknown.split() if word.startswith("-")]
        sentence = f"'{prog}' has no option {', '.join(named)}" if named else f"'{prog}' does not take {unknown}"
        long_options = [option for option in options if option.startswith("--")]
        near = difflib.get_close_matches(named[0], long_options, n=1, cutoff=0.7) if named else []
        if near:
            hint = f"did you mean {near[0]}? {help_hint}"
    required = message.removeprefix("the following arguments are required: ")
    if required != message:
        sentence = f"'{prog}' needs {required}"
    argument = _ARGUMENT.fullmatch(message)
    if argument is not None:
        name, rest = argument["name"], argument["rest"]
        # "argument --pace: --pace must be between ...": the sentence already names its option.
        sentence = rest if rest.startswith(name.split("/")[0]) else f"{name}: {rest}"
        if rest.startswith("expected one argument"):
            sentence = f"{name.split('/')[-1]} needs a value"
        choice = _CHOICE.fullmatch(rest)
        if choice is not None:
            given = _unquote(choice["given"])
            choices = re.findall(r"'([^']*)'", choice["choices"])
            what = "a voiceguide command" if name == "COMMAND" else f"a choice of {name}"
            sentence = f"'{given}' is not {what} (" + ", ".join(choices) + ")"
            close = difflib.get_close_matches(given, choices, n=1)
            if close:
                hint = f"did you mean '{close[0]}'? {help_hint}"
    return printable(sentence, one_line=True), printable(hint, one_line=True)


def _unquote(quoted: str) -> str:
    return quoted[1:-1] if len(quoted) >= 2 and quoted[0] == quoted[-1] == "'" else quoted
