"""The session library beyond sciatica: each session's content rules, checked as the sciatica session's are.

Lower back, neck and shoulders, and winding down for sleep (English), and the
sciatica session in French and Spanish: cautions that send people to a doctor
with the red flags of their condition, no promise of a cure in any language,
every point announced with where to find it, the pregnancy warning said before
a point that references warn about, and every cue in the script's language.
"""

from __future__ import annotations

import re

import pytest

from tests.fakes import GENERATED, vocabulary, words
from tests.shipped import SHIPPED, estimated_minutes, load, spoken_texts, walk
from voiceguide.cli import main
from voiceguide.script.limits import estimated_measure
from voiceguide.script.model import Breathe, Press, Say, Script
from voiceguide.timeline.compiler import compile_timeline

NEW_SESSIONS = ("lower-back", "neck-shoulders", "sleep")
TRANSLATIONS = ("sciatica-fr", "sciatica-es")

# Words that would promise more than the sessions can give, per language.
PROMISE = {
    "en": re.compile(r"\b(cure[sd]?|curing|guarantee[sd]?|heal(s|ed|ing)?)\b", re.IGNORECASE),
    "fr": re.compile(r"\b(gu[ée]ri[rst]?|gu[ée]rison|garanti\w*)\b", re.IGNORECASE),
    "es": re.compile(r"\b(cura[rn]?|curaci[óo]n|sana[rn]?|garantiza\w*)\b", re.IGNORECASE),
}
NOT_A_CURE = {
    "en": re.compile(r"\bdoes not (cure|treat)\b.*\bdoes not replace\b", re.IGNORECASE),
    "fr": re.compile(r"\bn'en supprime pas\b.*\bne remplace pas\b", re.IGNORECASE),
    "es": re.compile(r"\bno elimina\b.*\bni sustituye\b", re.IGNORECASE),
}

# The warning signs each session's cautions must name (the red flags of its guidance).
RED_FLAGS = {
    "lower-back": ("genitals", "bladder", "bowels", "weakness", "fever", "fall", "few weeks", "stop at once"),
    "neck-shoulders": ("fall", "fever", "headache", "balance", "few weeks", "numbness", "weakness", "stop at once"),
    "sleep": ("months", "snoring", "dizzy", "doctor"),
    "sciatica-fr": ("urgence", "engourdissement", "vessie", "intestins", "faible", "blessure", "fièvre",
                    "semaines", "arrêtez tout de suite", "enceinte", "enflammée", "médecin"),
    "sciatica-es": ("urgencias", "adormecimiento", "vejiga", "intestino", "debilita", "lesión", "fiebre",
                    "semanas", "deténgase", "embarazada", "inflamada", "médico"),
}

# Points that acupressure references warn about in pregnancy.
PREGNANCY_POINTS = ("LI4", "SP6", "GB21", "BL60", "BL67", "BL31", "BL32")
PREGNANT = {"en": "pregnant", "fr": "enceinte", "es": "embarazada"}

# Common words of the other languages: a translated session must contain none of them.
FOREIGN = {
    "fr": {"the", "and", "your", "breathe", "press", "side", "you", "und", "sie", "ihr", "el", "su", "usted", "pero"},
    "es": {"the", "and", "your", "breathe", "press", "side", "point", "you", "und", "sie", "vous", "votre", "avec",
           "mais"},
}


# A point's code as charts write it ("GB30", "BL23").
POINT_CODE = re.compile(r"\b[A-Z]{2}\d+\b")
WITH_POINTS = [path.stem for path in SHIPPED if "point:" in path.read_text(encoding="utf-8")]


def presses_with_the_says_before(script: Script) -> list[tuple[Press, str]]:
    """Each press, with everything said since the previous press (where its point is introduced)."""
    found: list[tuple[Press, str]] = []
    said: list[str] = []
    for step in walk(script.steps):
        if isinstance(step, Say):
            said.append(step.text)
        elif isinstance(step, Press):
            found.append((step, " ".join(said)))
            said = []
    return found


@pytest.mark.parametrize("name", NEW_SESSIONS + TRANSLATIONS)
def test_session_lasts_5_to_20_minutes(name: str) -> None:
    assert 5 <= estimated_minutes(load(name)) <= 20


@pytest.mark.parametrize("name", NEW_SESSIONS + TRANSLATIONS)
def test_cautions_say_what_it_is_not_and_name_the_red_flags(name: str) -> None:
    script = load(name)
    language = script.language or "en"
    cautions = " ".join(script.cautions)
    assert NOT_A_CURE[language].search(cautions), cautions
    for flag in RED_FLAGS[name]:
        assert flag in cautions.lower(), flag


@pytest.mark.parametrize("name", NEW_SESSIONS + TRANSLATIONS)
def test_no_promise_of_a_cure(name: str) -> None:
    script = load(name)
    promise = PROMISE[script.language or "en"]
    for text in spoken_texts(script):
        assert not promise.search(text), text


@pytest.mark.parametrize("name", NEW_SESSIONS + TRANSLATIONS)
def test_every_point_is_announced_with_where_to_find_it(name: str) -> None:
    script = load(name)
    for press, said_before in presses_with_the_says_before(script):
        assert press.point and press.where, press
        code, _, rest = press.point.partition(" ")
        name_of_point = rest.strip("()")
        # Introduced before the hold by its spoken name, and found with `where` in the announcement.
        assert name_of_point and name_of_point in said_before, (press.point, said_before)
        if code in PREGNANCY_POINTS:
            assert PREGNANT[script.language or "en"] in said_before.lower(), press.point
        if any(code in PREGNANCY_POINTS for code in re.findall(r"\b[A-Z]{2}\d+\b", press.point)):
            assert PREGNANT[script.language or "en"] in " ".join(script.cautions).lower()


@pytest.mark.parametrize("name", WITH_POINTS)
def test_every_point_is_said_in_words(name: str) -> None:
    """Each point's code and Chinese name have a spoken form, and no event says a code or a name as written."""
    script = load(name)
    written = {form for form, _ in script.pronounce}
    names: set[str] = set()
    for press in (step for step in walk(script.steps) if isinstance(step, Press)):
        assert press.point, press
        code, _, rest = press.point.partition(" ")
        names |= {code, rest.strip("()")}
        assert press.point in written or {code, rest.strip("()")} <= written, (press.point, sorted(written))
    timeline = compile_timeline(script, estimated_measure(script.voice.rate, 22050), sample_rate=22050)
    said = [event.spoken or event.text for event in timeline.events if event.kind == "speech" and event.text]
    assert any(event.spoken for event in timeline.events)
    for text in said:
        assert not POINT_CODE.search(text) and not words(text) & {name.lower() for name in names}, text


@pytest.mark.parametrize("name", NEW_SESSIONS + TRANSLATIONS)
def test_every_cue_is_in_the_scripts_language(name: str) -> None:
    script = load(name)
    language = script.language or "en"
    timeline = compile_timeline(script, estimated_measure(script.voice.rate, 22050), sample_rate=22050)
    known = vocabulary(language) | words(" ".join(spoken_texts(script)))
    cues = [event.text or "" for event in timeline.events if event.cue in GENERATED and event.cue != "announce"]
    assert cues
    for text in cues:
        assert words(text) <= known, text


def test_sleep_asks_for_no_pressure_and_slows_the_breath() -> None:
    script = load("sleep")
    steps = list(walk(script.steps))
    assert not any(isinstance(step, Press) for step in steps)
    breaths = [step for step in steps if isinstance(step, Breathe)]
    assert breaths and all(step.pattern.exhale > step.pattern.inhale for step in breaths)
    spoken = " ".join(spoken_texts(script)).lower()
    for region in ("feet", "knees", "hips", "belly", "chest", "shoulders", "neck", "face"):
        assert region in spoken, region


def test_neck_session_warns_before_the_shoulder_point_in_pregnancy() -> None:
    [(_, _), (shoulder, said_before)] = presses_with_the_says_before(load("neck-shoulders"))
    assert shoulder.point is not None and shoulder.point.startswith("GB21")
    assert "if you are pregnant, skip this point" in said_before.lower()


@pytest.mark.parametrize("name", TRANSLATIONS)
def test_translation_has_the_shape_and_teaching_of_sciatica(name: str) -> None:
    english, translated = load("sciatica"), load(name)
    assert translated.language == name.rsplit("-", 1)[1]
    assert [type(step) for step in walk(translated.steps)] == [type(step) for step in walk(english.steps)]
    assert len(translated.cautions) == len(english.cautions)
    presses = [step for step in walk(translated.steps) if isinstance(step, Press)]
    twins = [step for step in walk(english.steps) if isinstance(step, Press)]
    for press, twin in zip(presses, twins, strict=True):
        assert (press.side, press.point, press.prepare, press.cue_every, press.countdown, press.rest) == (
            twin.side, twin.point, twin.prepare, twin.cue_every, twin.countdown, twin.rest)
        assert press.breathe == twin.breathe and abs(press.hold - twin.hold) <= 1
    assert any(isinstance(step, Breathe) and step.count for step in walk(translated.steps))
    spoken = " ".join(spoken_texts(translated)).lower()
    assert "tai chi" in spoken and "qi gong" in spoken


@pytest.mark.parametrize("name", TRANSLATIONS)
def test_translation_speaks_no_other_language(name: str) -> None:
    script = load(name)
    foreign = FOREIGN[script.language or "en"]
    for text in spoken_texts(script) + list(script.cautions):
        assert not words(text) & foreign, text


def test_list_shows_every_session_with_its_language_and_length(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    listed = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    for name in NEW_SESSIONS + TRANSLATIONS:
        script = load(name)
        assert f" {script.language or 'en'} " in listed[name], listed[name]
        assert re.search(r"~\d+ min", listed[name]), listed[name]
