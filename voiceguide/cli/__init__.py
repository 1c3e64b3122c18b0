"""The command line: the one composition root, and the only place that prints or exits.

After httpie: ``core`` holds ``main()`` and the one error shell, ``options`` the
typed options, ``argtypes`` the argument types, ``definition`` the parser, and
one module per group of commands (``script_commands``, ``session_commands``,
``live_commands``, ``log_commands``).  A command parses, calls one public
function of a stage, and prints.
"""

from voiceguide.cli.core import main, parse_options

__all__ = ["main", "parse_options"]
