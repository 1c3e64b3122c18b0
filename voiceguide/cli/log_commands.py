"""``log``: the private session log as a table, CSV or chart, or ``--forget`` it.

Stages are imported inside the command, so that start-up loads only what it needs.
"""

from __future__ import annotations

import sys

from voiceguide.cli.options import LogOptions
from voiceguide.errors import ExitStatus, VoiceguideError


def cmd_log(options: LogOptions) -> int:
    """``log``: the table, ``--csv``, ``--plot`` (a picture or a text chart), or ``--forget``."""
    from voiceguide.log import views
    from voiceguide.log.store import Damage, log_path
    from voiceguide.printable import shown_path

    if options.forget:
        return _forget_log(options.yes)
    if options.plot:
        from voiceguide.log.plot import check_plot_path

        check_plot_path(options.plot)  # a wrong name is refused before the log is read
    damage = Damage()
    if options.plot:
        drawn = views.picture(options.plot, options.since, damage)
        print(f"wrote {shown_path(options.plot)}: pain before and after for {drawn} "
              f"session{'' if drawn == 1 else 's'}")
    elif options.plot is not None:
        sys.stdout.write(views.chart_text(options.since, damage))
    else:
        pieces = views.csv_text if options.csv else views.table_text
        for piece in pieces(options.since, damage):
            sys.stdout.write(piece)
    if damage.lines:
        print(f"voiceguide: note: {damage.lines} damaged line(s) in {shown_path(log_path())} were skipped "
              "(a session cut off while it was being written, or an edit)", file=sys.stderr)
    return ExitStatus.OK


def _forget_log(assume_yes: bool) -> int:
    from voiceguide.log.store import forget_log, log_path, read_last
    from voiceguide.printable import shown_path

    path = log_path()
    if not path.exists():
        print("The session log is already empty.")
        return ExitStatus.OK
    if not assume_yes:
        if not sys.stdin.isatty():
            raise VoiceguideError("--forget asks before deleting the log, but there is no terminal to ask on.",
                                  hint="add --yes to delete it without asking")
        count = read_last(0).total  # its lines: nothing is parsed before asking
        try:
            answer = input(f"Delete the session log ({count} session{'' if count == 1 else 's'}, "
                           f"{shown_path(path)})? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Kept the session log.")
            return ExitStatus.OK
    forget_log(path)
    print(f"Deleted the session log ({shown_path(path)}).")
    return ExitStatus.OK
