"""The user's settings: a small TOML file in the platform's config folder (platformdirs).

``$VOICEGUIDE_CONFIG_DIR/config.toml`` when that variable is set (tests),
else ``config.toml`` in ``platformdirs.user_config_dir("voiceguide")``
(``~/.config/voiceguide`` on Linux).  A missing file means the defaults.
Keys, all optional::

    [log]
    enabled = true     # false: no session is written to the log (as 'play --no-log')
    ask_pain = false   # true: every 'play' asks the pain questions (as 'play --ask-pain')
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from voiceguide.errors import VoiceguideError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_FILE_NAME = "config.toml"

_KEYS: dict[str, dict[str, type]] = {"log": {"enabled": bool, "ask_pain": bool}}
"""The known tables and keys, with the type each value must have."""


class ConfigError(VoiceguideError):
    """The settings file cannot be read or holds something it should not."""


@dataclass(frozen=True)
class Settings:
    """What the settings file says (the defaults where it says nothing)."""

    log_enabled: bool = True
    ask_pain: bool = False


def config_path() -> Path:
    """Where the settings file is (it may not exist)."""
    override = os.environ.get("VOICEGUIDE_CONFIG_DIR")
    if override:
        return Path(override) / CONFIG_FILE_NAME
    import platformdirs

    return Path(platformdirs.user_config_dir("voiceguide")) / CONFIG_FILE_NAME


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file; the defaults when there is none.  Raises ConfigError."""
    path = config_path() if path is None else path
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"The settings file {path} could not be read: {error}.") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"The settings file {path} is not valid TOML: {error}.",
                          hint="fix it, or delete it to go back to the defaults") from error
    _check(data, path)
    log = data.get("log", {})
    return Settings(log_enabled=log.get("enabled", True), ask_pain=log.get("ask_pain", False))


def _check(data: dict[str, object], path: Path) -> None:
    """Refuse unknown tables and keys, and values of the wrong type, naming what is allowed."""
    for table, values in data.items():
        known = _KEYS.get(table)
        if known is None or not isinstance(values, dict):
            raise ConfigError(f"The settings file {path} has an unknown entry {table!r}.",
                              hint=f"it may hold: {_allowed()}")
        for key, value in values.items():
            wanted = known.get(key)
            if wanted is None:
                raise ConfigError(f"The settings file {path} has an unknown key {table}.{key}.",
                                  hint=f"it may hold: {_allowed()}")
            if not isinstance(value, wanted):
                raise ConfigError(f"In the settings file {path}, {table}.{key} must be true or false, "
                                  f"not {value!r}.")


def _allowed() -> str:
    return ", ".join(f"[{table}] {key}" for table, keys in _KEYS.items() for key in keys)
