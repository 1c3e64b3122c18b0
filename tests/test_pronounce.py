"""Spoken forms (``pronounce:``): what is replaced, where it is read, what keeps the written form, the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_harness import run_cli
from tests.fakes import FakeSynthesizer, fake_measure, start_engine
from voiceguide.script.parse import parse_script
from voiceguide.script.pronounce import spoken_forms
from voiceguide.speech.clips import SpeechBank
from voiceguide.timeline.compiler import compile_timeline
from voiceguide.timeline.plan import plan_dict

FORMS = spoken_forms([("GB30", "G B thirty"), ("GB30 (Huantiao)", "G B thirty, hwahn tyow"), ("B", "bee")])


@pytest.mark.parametrize(("written", "spoken"), [
    ("GB30 (Huantiao).", "G B thirty, hwahn tyow."),  # the longer written form wins
    ("Press GB30 now.", "Press G B thirty now."),
    ("GB300 and xGB30 stay.", "GB300 and xGB30 stay."),  # whole words only
    ("gb30 stays.", "gb30 stays."),  # case-sensitive
    ("Plan B, GB30.", "Plan bee, G B thirty."),  # one pass: "G B thirty" is not read again for "B"
    ("No form here.", "No form here."),
])  # fmt: skip
def test_a_written_form_is_replaced_as_a_whole_word_or_phrase_with_its_capitals(written: str, spoken: str) -> None:
    assert FORMS.spoken(written) == spoken


SCRIPT = """voiceguide: 1
title: Point GB30
pronounce:
  GB30: G B thirty
  Huantiao: hwahn tyow
  Breathe: Breeethe
  Nowhere: no where
steps:
  - press:
      point: GB30 (Huantiao)
      hold: 20s
      breathe: {inhale: 4s, exhale: 6s}
"""


def test_the_map_is_read_and_a_form_that_occurs_nowhere_is_a_warning_at_its_key() -> None:
    result = parse_script(SCRIPT, "p.yaml")
    assert result.script is not None
    assert result.script.pronounce == (("GB30", "G B thirty"), ("Huantiao", "hwahn tyow"),
                                       ("Breathe", "Breeethe"), ("Nowhere", "no where"))  # fmt: skip
    # "Breathe" occurs in a phrasebook phrase ("Breathe in"): only "Nowhere" is warned about.
    assert [(d.position.line, d.position.column, d.severity) for d in result.diagnostics] == [(7, 3, "warning")]
    assert "'Nowhere' occurs in no text this session speaks" in result.diagnostics[0].message


@pytest.mark.parametrize(("entry", "message"), [
    ("30: thirty", "2:3: error: pronounce: a written form must be text, got 30; put it in quotes"),
    ("GB30: ''", "2:9: error: pronounce.GB30 must not be empty"),
    ("'...': dots", "2:3: error: pronounce key has nothing to speak: it needs a letter or a digit, got '...'"),
])  # fmt: skip
def test_keys_and_values_follow_the_text_rules(entry: str, message: str) -> None:
    source = f"pronounce:\n  {entry}\nvoiceguide: 1\ntitle: T\nsteps: [Hello]\n"
    result = parse_script(source, "p.yaml")
    assert result.script is None
    assert [f"{d.position.line}:{d.position.column}: {d.severity}: {d.message}" for d in result.errors] == [message]


def test_the_plan_keeps_the_written_text_and_adds_what_is_spoken_where_it_differs() -> None:
    script = parse_script(SCRIPT, "p.yaml").script
    assert script is not None
    timeline = compile_timeline(script, fake_measure)
    events = plan_dict(timeline)["events"]
    title, announce = events[0], events[1]
    assert (title["text"], title["spoken"]) == ("Point GB30", "Point G B thirty")
    assert (announce["text"], announce["spoken"]) == ("GB30 (Huantiao).", "G B thirty (hwahn tyow).")
    inhale = next(e for e in events if e["cue"] == "inhale")
    assert (inhale["text"], inhale["spoken"]) == ("Breathe in.", "Breeethe in.")  # phrasebook phrases too
    press = next(e for e in events if e["cue"] == "press")
    assert "spoken" not in press
    assert timeline.title == "Point GB30"  # what the screen, tags and chapters show


def test_the_bank_speaks_and_caches_the_spoken_form(tmp_path: Path) -> None:
    synth = FakeSynthesizer()
    forms = spoken_forms([("GB30", "G B thirty"), ("GB-30", "G B thirty")])
    bank = SpeechBank(synth, tmp_path, spoken=forms.spoken)
    first = bank.clip("Press GB30.")
    assert synth.calls == ["Press G B thirty."]
    assert bank.clip("Press GB-30.") is first and synth.calls == ["Press G B thirty."]  # one clip for both
    plain = SpeechBank(FakeSynthesizer(), tmp_path)
    assert bank.cache_path("Press GB30.") == plain.cache_path("Press G B thirty.")  # keyed on what is spoken
    assert bank.measure("Press GB30.") == first.size


@pytest.mark.engine
def test_plan_and_render_speak_the_spoken_form_with_the_real_engine(tmp_path: Path) -> None:
    start_engine().close()
    path = tmp_path / "p.yaml"
    path.write_text("voiceguide: 1\ntitle: GB30\npronounce: {GB30: G B thirty}\nsteps: [Press GB30.]\n",
                    encoding="utf-8")
    result = run_cli("plan", str(path), "--json")
    assert result.exit_status == 0, result.stderr
    title, say = json.loads(result.stdout)["events"]
    assert (title["text"], title["spoken"], say["spoken"]) == ("GB30", "G B thirty", "Press G B thirty.")
    # The clip is the spoken form's: as long as that text said plainly.
    plain = tmp_path / "plain.yaml"
    plain.write_text("voiceguide: 1\ntitle: G B thirty\nsteps: [Press G B thirty.]\n", encoding="utf-8")
    plain_result = run_cli("plan", str(plain), "--json")
    assert [e["duration"] for e in json.loads(plain_result.stdout)["events"]] == [title["duration"],
                                                                                 say["duration"]]
