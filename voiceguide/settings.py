"""The user's settings: defaults for the command line, in a small TOML file in the platform's config folder.

``$VOICEGUIDE_CONFIG_DIR/config.toml`` when that variable is set (tests),
else ``config.toml`` in ``platformdirs.user_config_dir("voiceguide")``
(``~/.config/voiceguide`` on Linux).  A missing file means the defaults.
Every key is optional; ``SETTINGS`` below lists them with their checks, and
``voiceguide settings`` prints what is in effect and where each value comes
from.  An option given on the command line wins over the file.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from voiceguide.audio import DEFAULT_LOUDNESS_LUFS
from voiceguide.bounded import Refused, read_bounded
from voiceguide.errors import VoiceguideError
from voiceguide.printable import printable, shown_path
from voiceguide.speech import DEFAULT_ENGINE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_FILE_NAME = "config.toml"
MAX_CONFIG_BYTES = 64 * 1024
"""A settings file is a few lines; anything larger is refused without reading it whole."""

FROM_DEFAULT = "default"
FROM_FILE = "settings file"


class ConfigError(VoiceguideError):
    """The settings file cannot be read or holds something it should not."""


# -- the checks: each returns the value as the program uses it, or raises ValueError("must be ...") --


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise ValueError("must be a short text in quotes")
    return value


def _engine(value: object) -> str:
    from voiceguide.speech import ENGINES

    if value not in ENGINES:
        raise ValueError(f"must be one of {', '.join(repr(e) for e in ENGINES)}")
    return str(value)


def _rate(value: object) -> int:
    from voiceguide.script.model import MAX_RATE_WPM, MIN_RATE_WPM

    if isinstance(value, bool) or not isinstance(value, int) or not MIN_RATE_WPM <= value <= MAX_RATE_WPM:
        raise ValueError(f"must be a whole number of words per minute from {MIN_RATE_WPM} to {MAX_RATE_WPM}")
    return value


def _pace(value: object) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.1 <= value <= 10:
        raise ValueError("must be a number from 0.1 to 10")
    return Fraction(str(value))


def _device(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.strip() and len(value) <= 200:
        return value
    raise ValueError("must be a device's number or part of its name (see 'voiceguide devices')")


def _background(value: object) -> str | None:
    from pathlib import PurePath

    from voiceguide.script.vocabulary import BACKGROUND_FILE_TYPES, BACKGROUND_SOUNDS

    if value is False:
        return None
    if isinstance(value, str) and value.strip() and len(value) <= 1000 and (
            value in BACKGROUND_SOUNDS or PurePath(value).suffix.lower() in BACKGROUND_FILE_TYPES):
        return value
    raise ValueError("must be false or a sound's name (see 'voiceguide sounds') or an audio file's path")


def _loudness(value: object) -> float:
    from voiceguide.audio import MAX_LOUDNESS_LUFS, MIN_LOUDNESS_LUFS

    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            or not MIN_LOUDNESS_LUFS <= value <= MAX_LOUDNESS_LUFS):
        raise ValueError(f"must be a number of LUFS from {MIN_LOUDNESS_LUFS:g} to {MAX_LOUDNESS_LUFS:g}")
    return float(value)


RENDER_FORMATS = ("opus", "ogg", "mp3", "flac", "wav")
"""The file formats ``render`` writes, by extension (without the dot); ``audio.sinks`` writes each
(tests/test_settings.py holds the two lists together)."""


def _format(value: object) -> str:
    text = value.lstrip(".").lower() if isinstance(value, str) else None
    if text not in RENDER_FORMATS:
        raise ValueError(f"must be one of {', '.join(repr(f) for f in RENDER_FORMATS)}")
    return text


@dataclass(frozen=True)
class SettingSpec:
    """One key of the settings file: where it lives, its check, its default, and what it does."""

    table: str
    key: str
    check: Callable[[object], Any]
    default: Any
    meaning: str

    @property
    def name(self) -> str:
        """``table.key``, as messages and ``Settings.values`` name it."""
        return f"{self.table}.{self.key}"


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("play", "engine", _engine, DEFAULT_ENGINE, "the speech engine (--engine)"),
    SettingSpec("play", "voice", _text, None, "a voice id or part of its name (--voice); unset: the script's"),
    SettingSpec("play", "rate", _rate, None, "words per minute (--rate); unset: the script's"),
    SettingSpec("play", "pace", _pace, Fraction(1), "multiplies every timed duration (--pace)"),
    SettingSpec("play", "cautions", _bool, True, "false: skip the spoken cautions (--no-cautions)"),
    SettingSpec("play", "device", _device, None, "the output device (--device); unset: the system's"),
    SettingSpec("play", "listen", _bool, False, "true: obey spoken commands (--listen)"),
    SettingSpec("play", "background", _background, None,
                "a sound under the voice (--background), or false (--no-background); unset: the script's"),
    SettingSpec("render", "loudness", _loudness, DEFAULT_LOUDNESS_LUFS, "the file's loudness in LUFS (--loudness)"),
    SettingSpec("render", "format", _format, "opus", "the file type when 'render' is given no -o"),
    SettingSpec("log", "enabled", _bool, True, "false: no session is logged (--no-log)"),
    SettingSpec("log", "ask_pain", _bool, False, "true: every 'play' asks the pain questions (--ask-pain)"),
)
SPECS_BY_NAME = {spec.name: spec for spec in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """What the settings file says (the defaults where it says nothing), and where each value came from."""

    engine: str = DEFAULT_ENGINE
    voice: str | None = None
    rate: int | None = None
    pace: Fraction = Fraction(1)
    cautions: bool = True
    device: str | None = None
    listen: bool = False
    background: str | None = None
    loudness: float = DEFAULT_LOUDNESS_LUFS
    format: str = "opus"
    log_enabled: bool = True
    ask_pain: bool = False
    path: Path | None = field(default=None, compare=False)
    """The settings file read (None: the defaults, without looking)."""
    from_file: frozenset[str] = field(default=frozenset(), compare=False)
    """The names (``play.rate``) the file set."""

    @property
    def background_off(self) -> bool:
        """True when the file says ``background = false`` (as ``--no-background``)."""
        return "play.background" in self.from_file and self.background is None

    def value(self, name: str) -> Any:
        """The value of the setting ``name`` (``play.rate``)."""
        return getattr(self, _attribute(name))

    def source(self, name: str) -> str:
        """Where the value of ``name`` comes from: ``FROM_FILE`` or ``FROM_DEFAULT``."""
        return FROM_FILE if name in self.from_file else FROM_DEFAULT


def _attribute(name: str) -> str:
    return {"log.enabled": "log_enabled", "log.ask_pain": "ask_pain"}.get(name, name.split(".", 1)[1])


def config_path() -> Path:
    """Where the settings file is (it may not exist)."""
    override = os.environ.get("VOICEGUIDE_CONFIG_DIR")
    if override:
        return Path(override) / CONFIG_FILE_NAME
    import platformdirs

    return Path(platformdirs.user_config_dir("voiceguide")) / CONFIG_FILE_NAME


def _read_text(path: Path) -> str | None:
    """The file's text, None when there is none; through the bounded reader, so a FIFO, a device or a huge
    file is refused at once; a byte-order mark is dropped."""
    try:
        data = read_bounded(path, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        return None
    except Refused as refused:
        raise ConfigError(f"The settings file {shown_path(path)} cannot be read: {refused.reason}.",
                          hint="it holds a few lines of settings; delete it to go back to the defaults") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConfigError(f"The settings file {shown_path(path)} is not UTF-8 text: {error.reason}.") from None


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file; the defaults when there is none.  Raises ConfigError."""
    path = config_path() if path is None else path
    text = _read_text(path)
    if text is None:
        return Settings(path=path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"The settings file {shown_path(path)} is not valid TOML: {error}.",
                          hint="fix it, or delete it to go back to the defaults") from error
    values = _checked(data, path)
    return Settings(path=path, from_file=frozenset(values),
                    **{_attribute(name): value for name, value in values.items()})


def _checked(data: Mapping[str, object], path: Path) -> dict[str, Any]:
    """The file's values by name, checked; refuses unknown tables and keys and values of the wrong type."""
    tables = {spec.table for spec in SETTINGS}
    values: dict[str, Any] = {}
    for table, entries in data.items():
        if table not in tables or not isinstance(entries, dict):
            raise ConfigError(f"The settings file {shown_path(path)} has an unknown entry {_quoted(table)}.",
                              hint=f"it may hold: {_allowed()}")
        for key, value in entries.items():
            spec = SPECS_BY_NAME.get(f"{table}.{key}")
            if spec is None:
                raise ConfigError(f"The settings file {shown_path(path)} has an unknown key "
                                  f"{_short(f'{table}.{key}')}.", hint=_did_you_mean(table, key))
            try:
                values[spec.name] = spec.check(value)
            except ValueError as error:
                raise ConfigError(f"In the settings file {shown_path(path)}, {spec.name} {error}, "
                                  f"not {_quoted(value)}.") from None
    return values


def _did_you_mean(table: str, key: str) -> str:
    import difflib

    names = [spec.key for spec in SETTINGS if spec.table == table]
    close = difflib.get_close_matches(key, names, n=1)
    known = f"[{table}] may hold: {', '.join(names)}"
    return f"did you mean {close[0]}? {known}" if close else known


def _allowed() -> str:
    tables: dict[str, list[str]] = {}
    for spec in SETTINGS:
        tables.setdefault(spec.table, []).append(spec.key)
    return "; ".join(f"[{table}] {', '.join(keys)}" for table, keys in tables.items())


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Fraction):
        return f"{float(value):g}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value)
    import json

    return json.dumps(value, ensure_ascii=False)  # a TOML basic string is a JSON string


def format_settings(settings: Settings) -> str:
    """The settings in effect as TOML, each key commented with where it comes from; unset keys commented out."""
    path = settings.path if settings.path is not None else config_path()
    lines = [f"# {path}" + ("" if path.exists() else " (no such file: every value is a default)")]
    table = None
    for spec in SETTINGS:
        if spec.table != table:
            table = spec.table
            lines += ["", f"[{table}]"]
        value = settings.value(spec.name)
        source = settings.source(spec.name)
        if spec.name == "play.background" and settings.background_off:
            value = False
        if value is None:
            lines.append(f"# {spec.key} =   [{source}: unset] {spec.meaning}")
        else:
            lines.append(f"{spec.key} = {_toml_value(value)}   # [{source}] {spec.meaning}")
    return "\n".join(lines) + "\n"


QUOTED_CHARS = 40
"""The most of a key or value quoted back in a message (a 3 MB value is not echoed whole)."""


def _short(text: str) -> str:
    """A key or value shown in a message: at most ``QUOTED_CHARS`` characters of it, safe to show."""
    return printable(text, one_line=True, max_chars=QUOTED_CHARS)


def _quoted(value: object) -> str:
    """A key or value quoted in a message, as ``_short``."""
    return repr(_short(value)) if isinstance(value, str) else _short(repr(value)[:QUOTED_CHARS * 2])
