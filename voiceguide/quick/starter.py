"""``voiceguide new``: a short, commented starter script in one of the shipped languages."""

from __future__ import annotations

import errno
import os
from importlib import resources

from voiceguide.errors import OutputError, UsageError


def starter_languages() -> tuple[str, ...]:
    """The languages a starter is written in."""
    folder = resources.files("voiceguide.quick").joinpath("starters")
    names = sorted(item.name for item in folder.iterdir() if item.name.startswith("new-"))
    return tuple(name.removeprefix("new-").removesuffix(".yaml") for name in names)


def starter_text(language: str = "en") -> str:
    """The starter script in ``language`` (its primary subtag); UsageError when there is none."""
    from voiceguide.phrases import primary_language

    primary = primary_language(language)
    if primary not in starter_languages():
        raise UsageError(f"voiceguide has no starter script in '{language[:20]}'",
                         hint=f"choose one of: {', '.join(starter_languages())}")
    text = resources.files("voiceguide.quick").joinpath("starters").joinpath(f"new-{primary}.yaml").read_text(
        encoding="utf-8")
    if primary != language:  # pt-BR: the tag as asked, so the voice is chosen for it
        text = text.replace(f"language: {primary} ", f"language: {language} ", 1)
    return text


def write_new_script(path: str, text: str) -> None:
    """Write a new script to ``path``, atomically; OutputError when a file (or anything) is already there."""
    from voiceguide.base import write_atomically

    if os.path.isdir(path):
        raise OutputError(f"{path} is a folder, not a file name",
                          hint=f"name the new script, e.g. {os.path.join(path, 'mine.yaml')}")
    if os.path.lexists(path):
        raise OutputError(f"{path} already exists; voiceguide never replaces a file",
                          hint="choose another name, or delete that file first")
    try:
        write_atomically(path, text.encode("utf-8"), replace=False)
    except FileExistsError:
        raise OutputError(f"{path} already exists; voiceguide never replaces a file",
                          hint="choose another name, or delete that file first") from None
    except OSError as error:
        folder = os.path.dirname(os.path.abspath(path))
        if error.errno == errno.ENOENT:
            raise OutputError(f"{path} could not be written: the folder {folder} does not exist",
                              hint="create it first, or choose another folder") from None
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise OutputError(f"{path} could not be written: no permission to write in {folder}",
                              hint="choose a folder you can write to") from None
        raise OutputError(f"{path} could not be written: {error.strerror or error}") from error
