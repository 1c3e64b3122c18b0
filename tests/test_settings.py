"""The settings file: every key the spec lists, checked; where each value comes from; the command line wins."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from voiceguide.settings import SETTINGS, ConfigError, Settings, format_settings, load_settings

FULL = """\
[play]
engine = "hibari"
voice = "Sage"
rate = 140
pace = 1.25
cautions = false
device = 3
listen = true
background = "rain"

[render]
loudness = -18
format = ".mp3"

[log]
enabled = false
ask_pain = true
"""


def test_every_key_of_the_spec_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(FULL)
    settings = load_settings(path)
    assert settings == Settings(engine="hibari", voice="Sage", rate=140, pace=Fraction(5, 4), cautions=False,
                                device="3", listen=True, background="rain", loudness=-18.0, format="mp3",
                                log_enabled=False, ask_pain=True)
    assert settings.from_file == {spec.name for spec in SETTINGS}
    assert {spec.name for spec in SETTINGS} == {
        "play.engine", "play.voice", "play.rate", "play.pace", "play.cautions", "play.device", "play.listen",
        "play.background", "render.loudness", "render.format", "log.enabled", "log.ask_pain"}


def test_background_false_turns_the_background_off(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[play]\nbackground = false\n")
    settings = load_settings(path)
    assert settings.background is None and settings.background_off
    assert not Settings().background_off


@pytest.mark.parametrize(("text", "words"), [
    ("[play]\nrate = 'fast'\n", "play.rate must be a whole number of words per minute from 80 to 400, not 'fast'"),
    ("[play]\nrate = 1000\n", "from 80 to 400, not 1000"),
    ("[play]\npace = 0\n", "play.pace must be a number from 0.1 to 10"),
    ("[play]\nengine = 'festival'\n", "play.engine must be one of 'pyttsx3', 'hibari'"),
    ("[play]\ncautions = 'no'\n", "play.cautions must be true or false"),
    ("[play]\nbackground = true\n", "play.background must be false or a sound"),
    ("[play]\nbackground = 'rian'\n", "play.background must be false or a sound's name"),
    ("[play]\nlisten = 1\n", "play.listen must be true or false, not 1"),
    ("[render]\nformat = 'aiff'\n", "render.format must be one of 'opus'"),
    ("[render]\nloudness = -5\n", "render.loudness must be a number of LUFS from -40 to -12"),
    ("[render]\nloudness = nan\n", "render.loudness must be a number of LUFS"),
    ("[play]\nspeed = 2\n", "unknown key play.speed"),
    ("[sound]\n", "unknown entry 'sound'"),
    ("play = 3\n", "unknown entry 'play'"),
])
def test_a_wrong_key_or_type_is_one_sentence_naming_the_file(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = caught.value.message
    assert words in message and str(path) in message
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence


def test_a_misspelt_key_gets_a_did_you_mean(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[play]\ncaution = false\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.hint is not None and caught.value.hint.startswith("did you mean cautions?")


def test_the_settings_shown_say_where_each_value_comes_from(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[play]\nrate = 140\nbackground = false\n")
    shown = format_settings(load_settings(path)).splitlines()
    assert shown[0] == f"# {path}"
    assert any(line.startswith("rate = 140   # [settings file] words per minute") for line in shown)
    assert any(line.startswith("background = false   # [settings file] ") for line in shown)
    assert any(line.startswith('engine = "pyttsx3"   # [default] the speech engine') for line in shown)
    assert any(line.startswith("# voice =   [default: unset] ") for line in shown)
    assert "[render]" in shown and "[log]" in shown


def test_the_settings_shown_are_valid_toml_that_reads_back_the_same(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(FULL)
    again = tmp_path / "again.toml"
    again.write_text(format_settings(load_settings(path)))
    assert load_settings(again) == load_settings(path)


def test_no_file_means_the_defaults_and_says_so(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "config.toml")
    assert settings == Settings() and settings.from_file == frozenset()
    assert "(no such file: every value is a default)" in format_settings(settings).splitlines()[0]


def test_the_render_formats_are_those_the_file_sinks_write() -> None:
    from voiceguide.audio.file_formats import output_format
    from voiceguide.settings import RENDER_FORMATS

    for extension in RENDER_FORMATS:
        output_format(f"x.{extension}")  # raises for a format it cannot write
