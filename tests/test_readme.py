"""What the README and docs/ tell a user is true: the example's stated length, quoting, the links."""

from __future__ import annotations

import re
from pathlib import Path

from voiceguide.script.limits import estimate_session
from voiceguide.script.model import Say, Section
from voiceguide.script.parse import parse_script

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
GUIDE = (REPO / "docs" / "writing-sessions.md").read_text(encoding="utf-8")
DOCS = sorted((REPO / "docs").glob("*.md"))
README_MAX_LINES = 360
"""The README is for people who use voiceguide; the long reference lives in docs/."""


def _section(heading: str) -> str:
    return README.split(heading, 1)[1].split("\n## ", 1)[0]


def _yaml_blocks(text: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)


def test_the_example_says_how_long_it_lasts_and_it_does() -> None:
    example = _yaml_blocks(_section("## Writing your own session"))[0]
    stated = re.search(r"about ([\d.]+) minutes", example.splitlines()[0])
    assert stated, "the example's first line should say how long it lasts"
    result = parse_script(example.encode(), "wrist-break.yaml")
    assert result.script is not None
    minutes = float(estimate_session(result.script).seconds) / 60
    assert abs(minutes - float(stated.group(1))) <= 0.5, f"the example lasts about {minutes:.1f} minutes"


def test_the_quoting_example_keeps_colons_and_hashes() -> None:
    rules = GUIDE.split("**Quoting text.**", 1)[1]
    snippet = _yaml_blocks(rules)[0]
    document = "voiceguide: 1\ntitle: Quoting\n" + snippet
    result = parse_script(document.encode(), "quoting.yaml")
    assert result.script is not None, [d.format() for d in result.diagnostics]
    texts = [step.text if isinstance(step, Say) else step.title
             for step in result.script.steps if isinstance(step, (Say, Section))]
    assert texts == ["Note: sit comfortably.", "Press point #2 firmly.", "Closing: a calm finish"]


def test_the_format_reference_ships_in_the_repository_and_is_linked() -> None:
    assert (REPO / "docs" / "script-format.md").is_file()
    assert "](docs/script-format.md)" in _section("## Writing your own session")
    pages = [REPO / "README.md", *DOCS]
    assert [page.name for page in pages if "shared/spec" in page.read_text(encoding="utf-8")] == []


def test_the_readme_stays_short_and_links_every_page_of_the_docs() -> None:
    assert len(README.splitlines()) <= README_MAX_LINES
    linked = set(re.findall(r"\]\(docs/([\w.-]+\.md)", README))
    assert {path.name for path in DOCS} - {"package-readme.md"} <= linked


def test_every_relative_link_in_the_readme_and_docs_leads_to_a_file() -> None:
    broken = []
    for page in [REPO / "README.md", *DOCS]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO)}: {target}")
    assert broken == []
