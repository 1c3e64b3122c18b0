"""The wheel a user installs, built once: its licence, its description, the sessions and phrasebooks it carries."""

from __future__ import annotations

import email
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.required import required

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    if importlib.util.find_spec("hatchling") is None:
        required("hatchling is not installed in this environment (./dev installs it)")
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--quiet", "--wheel-dir", str(folder), str(REPO)],
        check=True, capture_output=True, timeout=120,
    )
    [path] = folder.glob("voiceguide-*.whl")
    return zipfile.ZipFile(path)


def _metadata(wheel: zipfile.ZipFile) -> email.message.Message:
    [name] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return email.message_from_bytes(wheel.read(name))


def test_the_wheel_carries_the_mit_license(wheel: zipfile.ZipFile) -> None:
    licenses = [n for n in wheel.namelist() if ".dist-info/" in n and n.rsplit("/", 1)[-1] == "LICENSE"]
    assert licenses, "no LICENSE file in the wheel's metadata"
    text = wheel.read(licenses[0]).decode()
    assert text.startswith("MIT License") and text == (REPO / "LICENSE").read_text()


def test_the_wheel_carries_the_package_the_shipped_sessions_and_the_phrasebooks(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert "voiceguide/cli/__init__.py" in names and "voiceguide/cli/core.py" in names
    shipped = sorted((REPO / "scripts").glob("*.yaml"))
    assert shipped
    for path in shipped:
        member = f"voiceguide/scripts/{path.name}"
        assert member in names
        assert wheel.read(member) == path.read_bytes()
    for book in sorted((REPO / "voiceguide" / "phrases").glob("*.yaml")):
        member = f"voiceguide/phrases/{book.name}"
        assert member in names, member  # the phrasebooks travel with the package
        assert wheel.read(member) == book.read_bytes()


def test_the_long_description_is_about_using_voiceguide(wheel: zipfile.ZipFile) -> None:
    description = _metadata(wheel).get_payload()
    assert isinstance(description, str)
    assert "./dev" not in description and ".venv" not in description
    for words in ("python3 -m pip install .", "pip install dist/voiceguide-", "voiceguide play", "voiceguide render",
                  "voiceguide breathe", "libespeak-ng1", "not tested"):
        assert words in description
    # No package index has voiceguide: the page must not send people to one.
    assert "pip install voiceguide" not in description
