"""``log``: the private session log as a table, CSV or chart, or ``--forget`` it.

Stages are imported inside the command, so that start-up loads only what it needs.
"""

from __future__ import annotations

import sys

from voiceguide.cli.options import LogOptions
from voiceguide.errors import ExitStatus, VoiceguideError

LOG_TABLE_ROWS = 20
"""Sessions the ``log`` table shows without ``--since``."""


def cmd_log(options: LogOptions) -> int:
    """``log``: the table, ``--csv``, ``--plot`` (a picture or a text chart), or ``--forget``."""
    from voiceguide.log import tables
    from voiceguide.log.store import log_path, read_log

    if options.forget:
        return _forget_log(options.yes)
    if options.plot:
        from voiceguide.log.plot import check_plot_path

        check_plot_path(options.plot)  # a wrong name is refused before the log is read
    contents = read_log()
    if contents.damaged_lines:
        print(f"voiceguide: note: {contents.damaged_lines} damaged line(s) in {log_path()} were skipped "
              "(a session cut off while it was being written)", file=sys.stderr)
    records = list(contents.records)
    if options.since is not None:
        records = tables.since(records, options.since)
    if options.plot:
        from voiceguide.log.plot import write_plot

        drawn = write_plot(records, options.plot)
        print(f"wrote {options.plot}: pain before and after for {drawn} session{'' if drawn == 1 else 's'}")
    elif options.plot is not None:
        sys.stdout.write(tables.format_chart(records))
    elif options.csv:
        sys.stdout.write(tables.format_csv(records))
    elif not records:
        print("No sessions in the log yet." if not contents.records else "No sessions since then.")
    else:
        from datetime import datetime

        sys.stdout.write(tables.format_summary(contents.records, datetime.now().astimezone()))
        shown = records[-LOG_TABLE_ROWS:] if options.since is None else records
        sys.stdout.write(tables.format_table(shown))
        if len(shown) < len(records):
            print(f"(the last {len(shown)} of {len(records)} sessions; --since DATE or --csv shows more)")
    return ExitStatus.OK


def _forget_log(assume_yes: bool) -> int:
    from voiceguide.log.store import forget_log, log_path, read_log

    path = log_path()
    if not path.exists():
        print("The session log is already empty.")
        return ExitStatus.OK
    if not assume_yes:
        if not sys.stdin.isatty():
            raise VoiceguideError("--forget asks before deleting the log, but there is no terminal to ask on.",
                                  hint="add --yes to delete it without asking")
        count = len(read_log().records)
        try:
            answer = input(f"Delete the session log ({count} session{'' if count == 1 else 's'}, {path})? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Kept the session log.")
            return ExitStatus.OK
    forget_log(path)
    print(f"Deleted the session log ({path}).")
    return ExitStatus.OK
