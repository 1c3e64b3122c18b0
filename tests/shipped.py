"""Reading the shipped sessions for content tests: every step, every spoken text, the estimated length."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

from voiceguide.script.model import Breathe, Press, Repeat, Say, Script, Section, Step

REPO = Path(__file__).resolve().parent.parent
SCRIPTS_DIR = REPO / "scripts"
SHIPPED = sorted(SCRIPTS_DIR.glob("*.yaml"))
MINUTE = 60


def load_script(path: Path) -> Script:
    # Imported here so that the rest of the suite still collects while the parser is missing.
    from voiceguide.script.parse import load_script

    return load_script(path)


def load(name: str) -> Script:
    return load_script(SCRIPTS_DIR / f"{name}.yaml")


def walk(steps: tuple[Step, ...]) -> Iterator[Step]:
    """Every step, nested ones included (a shared aliased step is visited once per use)."""
    for step in steps:
        yield step
        if isinstance(step, Repeat):
            yield from walk(step.steps)


def spoken_texts(script: Script) -> list[str]:
    """Everything the session speaks apart from the cautions."""
    texts = [script.title]
    for step in walk(script.steps):
        if isinstance(step, Say):
            texts.append(step.text)
        elif isinstance(step, Section):
            texts.append(step.title)
        elif isinstance(step, Breathe):
            texts += [step.say or "", *vars(step.words).values()]
        elif isinstance(step, Press):
            texts += [step.point or "", step.where or "", step.say or "", *vars(step.words).values()]
    return [text for text in texts if text]


def estimated_minutes(script: Script) -> Fraction:
    from voiceguide.script.limits import estimate_session

    return Fraction(estimate_session(script).seconds) / MINUTE
