"""Exports beside the audio: captions (WebVTT, SRT) of everything spoken, and chapter marks.

Times come from the timeline's frames, rounded once to the millisecond (cue
sheets: to the CD frame, 1/75 s).  Sections become chapters: ``NOTE Chapter``
blocks in WebVTT captions, and with ``write_chapters`` a WebVTT chapters track
(``<track kind="chapters">``) or a ``.cue`` sheet that players and editors read
as track marks.  SRT has no place for chapters.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from voiceguide.audio.sinks import write_text_atomically
from voiceguide.base import frames_to_milliseconds
from voiceguide.errors import OutputError, UsageError
from voiceguide.printable import printable
from voiceguide.timeline.layout import Timeline, file_chapters

CAPTION_EXTENSIONS = (".vtt", ".srt")
CHAPTER_EXTENSIONS = (".cue", ".vtt")
MAX_CUE_SHEET_TRACKS = 99
CD_FRAMES_PER_SECOND = 75


def _extension(path: str | os.PathLike[str], allowed: tuple[str, ...], what: str) -> str:
    extension = Path(path).suffix.lower()
    if not extension:
        raise UsageError(f"{os.fspath(path)} has no extension, so it does not say which {what} format to write.",
                         hint=f"End it with {' or '.join(allowed)}, e.g. {os.fspath(path)}{allowed[0]}.")
    if extension not in allowed:
        raise UsageError(
            f"Cannot write {what} to {os.fspath(path)}: '{extension}' is not a {what} format.",
            hint=f"Use {' or '.join(allowed)}.",
        )
    return extension


def check_captions_path(path: str | os.PathLike[str]) -> None:
    """``UsageError`` unless ``path`` ends in ``.vtt`` or ``.srt`` (check before a long render)."""
    _extension(path, CAPTION_EXTENSIONS, "captions")


def check_chapters_path(path: str | os.PathLike[str]) -> None:
    """``UsageError`` unless ``path`` ends in ``.cue`` or ``.vtt``."""
    _extension(path, CHAPTER_EXTENSIONS, "chapters")


def _timestamp(frames: int, sample_rate: int, decimal: str) -> str:
    ms = frames_to_milliseconds(frames, sample_rate)
    seconds, ms = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{decimal}{ms:03d}"


def _one_line(text: str) -> str:
    # Blank lines end a cue in both formats; the player wraps long lines itself.
    # The files are read on terminals too (cat): no live control characters.
    return printable(re.sub(r"\s+", " ", text).strip(), one_line=True)


def _vtt_text(text: str) -> str:
    return _one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class _Mark:
    title: str
    start: int
    end: int


def _chapter_marks(timeline: Timeline) -> list[_Mark]:
    """Chapters covering the whole session: the timeline's (which start at 0:00), or the title for all of it."""
    chapters = file_chapters(timeline)
    starts = [(timeline.title, 0)] if not chapters else []
    starts += [(chapter.title, chapter.start) for chapter in chapters]
    marks = []
    for index, (title, start) in enumerate(starts):
        end = starts[index + 1][1] if index + 1 < len(starts) else timeline.length
        marks.append(_Mark(_one_line(title), start, max(start, end)))
    return marks


def format_webvtt(timeline: Timeline) -> str:
    """Every speech event as a WebVTT cue; each section as a ``NOTE Chapter`` block before its first cue."""
    rate = timeline.sample_rate
    speech = sorted((e for e in timeline.events if e.kind == "speech" and e.text), key=lambda e: e.start)
    chapters = sorted(timeline.chapters, key=lambda chapter: chapter.start)
    blocks = ["WEBVTT"]
    next_chapter = 0

    def note(position: int) -> str:
        chapter = chapters[position]
        # A NOTE may not contain "-->" (readers take it for a cue timing line).
        title = re.sub(r"-{2,}>", "->", _one_line(chapter.title))
        return f"NOTE Chapter {position + 1}: {title} ({_timestamp(chapter.start, rate, '.')})"

    for number, event in enumerate(speech, start=1):
        while next_chapter < len(chapters) and chapters[next_chapter].start <= event.start:
            blocks.append(note(next_chapter))
            next_chapter += 1
        timing = f"{_timestamp(event.start, rate, '.')} --> {_timestamp(event.end, rate, '.')}"
        blocks.append(f"{number}\n{timing}\n{_vtt_text(event.text or '')}")
    blocks += [note(position) for position in range(next_chapter, len(chapters))]
    return "\n\n".join(blocks) + "\n"


def format_srt(timeline: Timeline) -> str:
    """Every speech event as a numbered SubRip cue."""
    rate = timeline.sample_rate
    speech = sorted((e for e in timeline.events if e.kind == "speech" and e.text), key=lambda e: e.start)
    blocks = []
    for number, event in enumerate(speech, start=1):
        timing = f"{_timestamp(event.start, rate, ',')} --> {_timestamp(event.end, rate, ',')}"
        blocks.append(f"{number}\n{timing}\n{_one_line(event.text or '')}\n")
    return "\n".join(blocks)


def format_chapters_webvtt(timeline: Timeline) -> str:
    """A WebVTT chapters track: one cue per chapter, spanning it, titled by its section."""
    rate = timeline.sample_rate
    blocks = ["WEBVTT"]
    for number, mark in enumerate(_chapter_marks(timeline), start=1):
        timing = f"{_timestamp(mark.start, rate, '.')} --> {_timestamp(mark.end, rate, '.')}"
        blocks.append(f"chapter-{number}\n{timing}\n{_vtt_text(mark.title)}")
    return "\n\n".join(blocks) + "\n"


def _cue_sheet_time(frames: int, sample_rate: int) -> str:
    cd_frames = (frames * CD_FRAMES_PER_SECOND + sample_rate // 2) // sample_rate
    seconds, ff = divmod(cd_frames, CD_FRAMES_PER_SECOND)
    minutes, ss = divmod(seconds, 60)
    return f"{minutes:02d}:{ss:02d}:{ff:02d}"


def _cue_string(text: str) -> str:
    # Cue sheets have no escape for a double quote.
    return '"' + _one_line(text).replace('"', "'") + '"'


def format_cue_sheet(timeline: Timeline, audio_path: str | os.PathLike[str], cue_path: str | os.PathLike[str]) -> str:
    """A cue sheet naming ``audio_path`` (relative to the sheet), one TRACK/INDEX per chapter."""
    marks = _chapter_marks(timeline)
    if len(marks) > MAX_CUE_SHEET_TRACKS:
        raise OutputError(
            f"Cannot write {os.fspath(cue_path)}: a cue sheet holds at most {MAX_CUE_SHEET_TRACKS} tracks "
            f"and this session has {len(marks)} chapters.",
            hint="Write the chapters as WebVTT instead, e.g. --chapters chapters.vtt.",
        )
    audio = os.path.relpath(os.path.abspath(audio_path), os.path.dirname(os.path.abspath(cue_path)))
    kind = "MP3" if Path(audio_path).suffix.lower() == ".mp3" else "WAVE"
    lines = [
        f"TITLE {_cue_string(timeline.title)}",
        'PERFORMER "voiceguide"',
        f"FILE {_cue_string(audio)} {kind}",
    ]
    for number, mark in enumerate(marks, start=1):
        lines += [
            f"  TRACK {number:02d} AUDIO",
            f"    TITLE {_cue_string(mark.title)}",
            f"    INDEX 01 {_cue_sheet_time(mark.start, timeline.sample_rate)}",
        ]
    return "\n".join(lines) + "\n"


def write_captions(timeline: Timeline, path: str | os.PathLike[str]) -> None:
    """Write WebVTT (``.vtt``) or SRT (``.srt``) captions, atomically."""
    extension = _extension(path, CAPTION_EXTENSIONS, "captions")
    write_text_atomically(path, format_webvtt(timeline) if extension == ".vtt" else format_srt(timeline))


def write_cue_sheet(timeline: Timeline, audio_path: str | os.PathLike[str], path: str | os.PathLike[str]) -> None:
    """Write a ``.cue`` sheet for ``audio_path`` with a track per section, atomically."""
    write_text_atomically(path, format_cue_sheet(timeline, audio_path, path))


def write_chapters(timeline: Timeline, audio_path: str | os.PathLike[str], path: str | os.PathLike[str]) -> None:
    """Write chapter marks as a cue sheet (``.cue``) or a WebVTT chapters track (``.vtt``), atomically."""
    if _extension(path, CHAPTER_EXTENSIONS, "chapters") == ".cue":
        write_cue_sheet(timeline, audio_path, path)
    else:
        write_text_atomically(path, format_chapters_webvtt(timeline))
