"""The sessions shipped with voiceguide, and turning a SCRIPT argument into a file.

An installed wheel carries the repository's top-level ``scripts/`` folder as
``voiceguide/scripts/`` (hatch ``force-include``); a source or editable
checkout has no such folder inside the package, so we fall back to
``<repo>/scripts``.
"""

from __future__ import annotations

import difflib
import itertools
import os
from dataclasses import dataclass
from pathlib import Path

from voiceguide.errors import UsageError

__all__ = ["SCRIPT_SUFFIXES", "ShippedSession", "resolve_script", "shipped_dir", "shipped_scripts", "shipped_sessions",
           "shown_path"]

SCRIPT_SUFFIXES = (".yaml", ".yml")

_PACKAGE = Path(__file__).resolve().parent.parent


def shipped_dir() -> Path:
    """The folder holding the shipped session scripts."""
    inside = _PACKAGE / "scripts"
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / "scripts"


def shipped_scripts() -> list[Path]:
    """The shipped session scripts, sorted by name."""
    folder = shipped_dir()
    if not folder.is_dir():
        return []
    # By name, so that "sciatica" comes before "sciatica-de" (as paths, "-" sorts before ".yaml").
    return sorted((path for path in folder.iterdir() if path.suffix in SCRIPT_SUFFIXES and path.is_file()),
                  key=lambda path: (path.stem, path.suffix))


def resolve_script(arg: str) -> Path:
    """A SCRIPT argument → a file: an existing path, or the name of a shipped session (``sciatica``).

    A folder can never be a script, so a folder named like a shipped session
    (``./sciatica/``) does not hide the session; any other existing path is
    that file, whatever it holds.  Raises ``UsageError`` (with the shipped
    names as a hint) when the argument is empty or neither.
    """
    if not arg:
        raise UsageError("the script's name is empty",
                         hint="give the path of a script file (.yaml) or the name of a shipped session")
    path = Path(arg)
    shipped = {script.stem: script for script in shipped_scripts()}
    if arg in shipped and path.is_dir():
        return shipped[arg]
    if path.exists() or path.is_symlink():
        return path
    if arg in shipped:
        return shipped[arg]
    near = _near_file(arg)
    if near is not None:
        raise UsageError(f"no script or shipped session named '{arg}'", hint=f"did you mean '{near}'?")
    names = sorted(shipped)
    close = difflib.get_close_matches(path.stem if path.suffix in SCRIPT_SUFFIXES else arg, names, n=1)
    if close:
        hint = f"did you mean '{close[0]}'? Shipped sessions: {', '.join(names)}"
    elif names:
        hint = f"shipped sessions: {', '.join(names)} (see 'voiceguide list')"
    else:
        hint = "give the path of a script file (.yaml)"
    raise UsageError(f"no script or shipped session named '{arg}'", hint=hint)


def _near_file(arg: str) -> str | None:
    """A script file beside a mistyped path (``mine.yml``, ``./mine`` for ``mine.yaml``), as the user would type it."""
    folder, name = os.path.split(arg)
    try:
        with os.scandir(folder or os.curdir) as entries:  # a bounded look: a huge folder is not read whole
            scripts = [entry.name for entry in itertools.islice(entries, 5000) if entry.name.endswith(SCRIPT_SUFFIXES)]
    except OSError:
        return None
    same_stem = [script for script in scripts if os.path.splitext(script)[0] == name]
    close = same_stem or difflib.get_close_matches(name, scripts, n=1, cutoff=0.85)
    return os.path.join(folder, close[0]) if close else None


def shown_path(arg: str, full: str) -> str:
    """How a script is named in messages: as typed, or a shipped session's file (relative when under cwd)."""
    if os.path.lexists(arg) and not os.path.isdir(arg):
        return arg
    relative = os.path.relpath(full)
    return full if relative.startswith(os.pardir) else relative


@dataclass(frozen=True)
class ShippedSession:
    """One line of ``voiceguide list``: a shipped session's name, language, title, rough length, description."""

    name: str
    language: str
    title: str
    minutes: int
    description: str


def shipped_sessions() -> list[ShippedSession]:
    """Every shipped session, read and estimated (no engine), sorted by name."""
    from voiceguide.script.limits import estimate_session
    from voiceguide.script.parse import load_script

    sessions = []
    for path in shipped_scripts():
        script = load_script(path)
        minutes = max(1, round(float(estimate_session(script).seconds) / 60))
        sessions.append(ShippedSession(path.stem, script.language or "en", script.title, minutes,
                                       " ".join((script.description or "").split())))
    return sessions
