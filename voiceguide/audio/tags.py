"""Tags and embedded chapters for rendered files, written with mutagen.

What a phone's podcast or audiobook player shows: the title, the description
(as a comment), the language, ``voiceguide`` and its version as the encoder
(and as the artist), and one chapter per section at the section's time in the
plan.  MP3 gets ID3v2.4 frames (``TIT2``, ``COMM``, ``TLAN``, ``TSSE``,
``TPE1``, and ``CHAP`` + an ordered top-level ``CTOC``); Ogg Vorbis, Opus and
FLAC get Vorbis comments (``TITLE``, ``COMMENT``/``DESCRIPTION``, ``LANGUAGE``,
``ENCODER``, ``ARTIST``, and ``CHAPTERnnn=HH:MM:SS.mmm`` + ``CHAPTERnnnNAME``);
WAV gets an ID3 chunk, and RIFF INFO: libsndfile writes ``INAM``, ``IART``,
``ICMT``, ``ISFT`` as the sink finishes the file, and ``ILNG`` is added here.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any

from voiceguide import __version__
from voiceguide.base import frames_to_milliseconds
from voiceguide.timeline.layout import Timeline, file_chapters

ENCODER = f"voiceguide {__version__}"
"""What every file names as its encoder."""

ARTIST = "voiceguide"
"""What every file names as its artist (players show the artist, rarely the encoder)."""


@dataclass(frozen=True)
class ChapterMark:
    """One embedded chapter: its title and its span in milliseconds."""

    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class FileTags:
    """Everything written into a rendered file besides the audio."""

    title: str
    description: str | None = None
    language: str | None = None
    chapters: tuple[ChapterMark, ...] = ()


def session_tags(timeline: Timeline, language: str | None) -> FileTags:
    """The tags of a rendered session: its title, description, language and one chapter per section."""
    starts = [(chapter.title, chapter.start) for chapter in file_chapters(timeline)]
    return FileTags(
        title=" ".join(timeline.title.split()),
        description=" ".join(timeline.description.split()) if timeline.description else None,
        language=language,
        chapters=chapter_marks(starts, timeline.length, timeline.sample_rate),
    )


def chapter_marks(starts: list[tuple[str, int]], length: int, sample_rate: int) -> tuple[ChapterMark, ...]:
    """Chapters from ``(title, start frame)`` pairs: each ends where the next begins, the last at ``length``."""
    ordered = sorted(starts, key=lambda item: item[1])
    marks = []
    for index, (title, start) in enumerate(ordered):
        end = ordered[index + 1][1] if index + 1 < len(ordered) else length
        marks.append(ChapterMark(" ".join(title.split()), frames_to_milliseconds(start, sample_rate),
                                 frames_to_milliseconds(max(start, end), sample_rate)))
    return tuple(marks)


def vorbis_time(ms: int) -> str:
    """``HH:MM:SS.mmm``, the time format of ``CHAPTERnnn`` comments."""
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def vorbis_comments(tags: FileTags) -> list[tuple[str, str]]:
    """The Vorbis comments for ``tags``, in order."""
    comments = [("TITLE", tags.title), ("ARTIST", ARTIST), ("ENCODER", ENCODER)]
    if tags.description:
        comments += [("COMMENT", tags.description), ("DESCRIPTION", tags.description)]
    if tags.language:
        comments.append(("LANGUAGE", tags.language))
    for number, mark in enumerate(tags.chapters, start=1):
        comments += [(f"CHAPTER{number:03d}", vorbis_time(mark.start_ms)), (f"CHAPTER{number:03d}NAME", mark.title)]
    return comments


def write_tags(path: str | os.PathLike[str], container: str, tags: FileTags) -> None:
    """Write ``tags`` into the finished file ``path`` (libsndfile ``container``: WAV, FLAC, OGG, MP3)."""
    if container == "MP3":
        _write_id3(path, tags)
    elif container in ("OGG", "FLAC"):
        _write_vorbis(path, container, tags)
    elif container == "WAV":
        _write_wave(path, tags)


def _mutagen(name: str) -> Any:
    """A mutagen module, untyped: its partial annotations would make every call an error under --strict."""
    return importlib.import_module(f"mutagen.{name}")


def _vorbis_file(path: str | os.PathLike[str], container: str) -> Any:
    if container == "FLAC":
        return _mutagen("flac").FLAC(path)
    oggopus = _mutagen("oggopus")
    try:
        return oggopus.OggOpus(path)
    except oggopus.error:
        return _mutagen("oggvorbis").OggVorbis(path)


def _write_vorbis(path: str | os.PathLike[str], container: str, tags: FileTags) -> None:
    audio = _vorbis_file(path, container)
    if audio.tags is None:
        audio.add_tags()
    comments = audio.tags
    comments.clear()  # drops libsndfile's own ENCODER=libsndfile
    for key, value in vorbis_comments(tags):
        comments[key] = [value]
    # No padding after the comments in Ogg: mutagen leaves room there for later edits, which FFmpeg
    # (and so every player built on it) reports as "N bytes of comment header remain".  FLAC keeps
    # its padding, which is a metadata block of its own.
    audio.save(padding=(lambda info: 0) if container == "OGG" else None)


def _id3_frames(tags: FileTags) -> list[Any]:
    id3 = _mutagen("id3")
    frames: list[Any] = [
        id3.TIT2(encoding=3, text=[tags.title]),
        id3.TPE1(encoding=3, text=[ARTIST]),
        id3.TSSE(encoding=3, text=[ENCODER]),
    ]
    if tags.description:
        frames.append(id3.COMM(encoding=3, lang=_iso639_2(tags.language or "en"), desc="", text=[tags.description]))
    if tags.language:
        frames.append(id3.TLAN(encoding=3, text=[_iso639_2(tags.language)]))
    if tags.chapters:
        # mutagen orders frames by size, then by key; ffprobe lists CHAP frames in
        # file order.  Element ids padded to equal frame sizes keep them in order.
        sizes = [len(mark.title.encode()) for mark in tags.chapters]
        width = len(str(len(sizes)))
        ids = [f"chp{number:0{width}d}" + "_" * (max(sizes) - size) for number, size in enumerate(sizes, start=1)]
        frames.append(id3.CTOC(element_id="toc", flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                               child_element_ids=ids, sub_frames=[id3.TIT2(encoding=3, text=[tags.title])]))
        for element_id, mark in zip(ids, tags.chapters, strict=True):
            frames.append(id3.CHAP(element_id=element_id, start_time=mark.start_ms, end_time=mark.end_ms,
                                   start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                                   sub_frames=[id3.TIT2(encoding=3, text=[mark.title])]))
    return frames


def _write_id3(path: str | os.PathLike[str], tags: FileTags) -> None:
    id3 = _mutagen("id3")
    try:
        existing = id3.ID3(path)
    except id3.ID3NoHeaderError:
        existing = id3.ID3()
    existing.clear()
    for frame in _id3_frames(tags):
        existing.add(frame)
    existing.save(path, v2_version=4)


def _write_wave(path: str | os.PathLike[str], tags: FileTags) -> None:
    audio = _mutagen("wave").WAVE(path)
    if audio.tags is None:
        audio.add_tags()
    for frame in _id3_frames(tags):
        audio.tags.add(frame)
    audio.save(v2_version=4)
    if tags.language:
        _add_riff_language(path, tags.language)


def _add_riff_language(path: str | os.PathLike[str], language: str) -> None:
    """Add ``ILNG`` to the RIFF INFO list libsndfile wrote: ffprobe and most players read INFO, not the ID3 chunk."""
    with open(path, "r+b") as file:
        root = _mutagen("_riff").RiffFile(file).root
        info = next((c for c in root.subchunks() if c.id == "LIST" and c.name == "INFO"), None)
        if info is None:
            info = root.insert_chunk("LIST", b"INFO")
        info.insert_chunk("ILNG", language.encode("ascii", "replace") + b"\0")


_ISO639_2 = {
    "en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "nl": "nld", "pt": "por", "sv": "swe",
    "da": "dan", "nb": "nob", "no": "nor", "fi": "fin", "pl": "pol", "cs": "ces", "ru": "rus", "ja": "jpn",
    "zh": "zho", "ko": "kor", "tr": "tur", "el": "ell", "hu": "hun", "ro": "ron", "uk": "ukr", "ar": "ara",
}


def _iso639_2(language: str) -> str:
    """ID3's ``TLAN`` wants ISO 639-2 (three letters); a script gives a BCP 47 tag such as ``en`` or ``pt-BR``."""
    primary = language.split("-")[0].split("_")[0].lower()
    if len(primary) == 3:
        return primary
    return _ISO639_2.get(primary, primary)
