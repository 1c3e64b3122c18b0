"""argparse's usage errors as one sentence and a hint ("did you mean 'play'?"), not the whole usage."""

from __future__ import annotations

import difflib
import re

from voiceguide.printable import printable

_ARGUMENT = re.compile(r"argument (?P<name>[^:]+): (?P<rest>.*)", re.DOTALL)
_CHOICE = re.compile(r"invalid choice: (?P<given>'.*') \(choose from (?P<choices>.*)\)", re.DOTALL)


def usage_error(prog: str, message: str) -> tuple[str, str]:
    """The sentence and the hint for argparse's ``message`` about a command line of ``prog``
    (``voiceguide play``).  Text from the command line is shown, never obeyed (``printable``)."""
    sentence = message
    help_hint = f"'{prog} --help' lists " + ("every command" if prog == "voiceguide" else "its options")
    hint = help_hint
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
            choices = [_unquote(item) for item in re.findall(r"'(?:[^'\\\\]|\\\\.)*'", choice["choices"])]
            what = "a voiceguide command" if name == "COMMAND" else f"a choice of {name}"
            sentence = f"'{given}' is not {what} (" + ", ".join(choices) + ")"
            close = difflib.get_close_matches(given, choices, n=1)
            if close:
                hint = f"did you mean '{close[0]}'? {help_hint}"
    return printable(sentence, one_line=True), printable(hint, one_line=True)


def _unquote(quoted: str) -> str:
    return quoted[1:-1] if len(quoted) >= 2 and quoted[0] == quoted[-1] == "'" else quoted
