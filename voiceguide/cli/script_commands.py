"""Commands of the script language: ``check``, ``schema``, ``phrases``.

Stages are imported inside each command, so that start-up loads only what the command needs.
"""

from __future__ import annotations

import sys

from voiceguide.cli.options import CheckOptions
from voiceguide.cli.printing import print_diagnostics, print_error
from voiceguide.errors import ExitStatus, UsageError, VoiceguideError


def cmd_check(options: CheckOptions) -> int:
    """``check``: each script's problems, then one ``ok`` line for each valid one."""
    from voiceguide.printable import printable
    from voiceguide.script.durations import format_seconds
    from voiceguide.speech.script_check import check_script_file

    status = ExitStatus.OK
    for arg in options.scripts:
        try:
            checked = check_script_file(arg)
        except VoiceguideError as error:
            if options.traceback:
                raise
            print_error(error)
            status = ExitStatus.INVALID
            continue
        print_diagnostics(checked.diagnostics)
        script = checked.script
        if script is None:
            status = ExitStatus.INVALID
            continue
        count = len(script.steps)
        print(printable(f'{checked.shown}: ok: "{script.title}", {count} step{"" if count == 1 else "s"}, '
                        f"about {format_seconds(checked.length_seconds)}", one_line=True))
    return status


def cmd_phrases(language: str | None) -> int:
    """``phrases``: a phrasebook as YAML."""
    import re

    from voiceguide.phrases import phrasebook_yaml
    from voiceguide.script.vocabulary import LANGUAGE_PATTERN

    if language is not None and not re.fullmatch(LANGUAGE_PATTERN, language):
        raise UsageError(f"'{language}' is not a BCP-47 language tag",
                         hint="give a tag such as en, de, fr-CA or pt-BR")
    sys.stdout.write(phrasebook_yaml(language))
    return ExitStatus.OK


def cmd_schema(options: None) -> int:
    """``schema``: the script format's JSON Schema."""
    import json

    from voiceguide.script.schema import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return ExitStatus.OK
