"""Captions (WebVTT, SRT) and chapter marks (cue sheet, WebVTT chapters track)."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceguide.audio.captions import (
    check_captions_path,
    check_chapters_path,
    format_chapters_webvtt,
    format_cue_sheet,
    format_srt,
    format_webvtt,
    write_captions,
    write_chapters,
    write_cue_sheet,
)
from voiceguide.base import SAMPLE_RATE
from voiceguide.errors import OutputError, UsageError
from voiceguide.timeline.layout import Chapter, Event, Timeline

SR = SAMPLE_RATE


def speech(start: int, length: int, text: str, cue: str = "say") -> Event:
    return Event(start, length, "speech", cue, text, None, "1", None, None)


def timeline(chapters: tuple[Chapter, ...] = (Chapter("Buttock point", 10 * SR),)) -> Timeline:
    events = (
        speech(0, SR + 1, "Sciatica relief", "title"),
        Event(2 * SR, 3 * SR // 2, "tone", "chime", None, "bell", "1", None, None),
        speech(10 * SR, SR, "Buttock point.", "section"),
        speech(SR * 29 // 2, 13_671, "Press <firmly> & breathe,\n  slowly.", "press"),
        speech(3723 * SR + 12, 441, "Release."),
    )
    return Timeline("Sciatica relief", None, SR, 3725 * SR, events, (), chapters, ())


def test_webvtt_has_every_spoken_cue_with_exact_times_and_chapter_notes() -> None:
    assert format_webvtt(timeline()) == (
        "WEBVTT\n"
        "\n"
        "1\n00:00:00.000 --> 00:00:01.000\nSciatica relief\n"
        "\n"
        "NOTE Chapter 1: Buttock point (00:00:10.000)\n"
        "\n"
        "2\n00:00:10.000 --> 00:00:11.000\nButtock point.\n"
        "\n"
        "3\n00:00:14.500 --> 00:00:15.120\nPress &lt;firmly&gt; &amp; breathe, slowly.\n"
        "\n"
        "4\n01:02:03.001 --> 01:02:03.021\nRelease.\n"
    )


def test_srt_numbers_cues_with_comma_milliseconds() -> None:
    assert format_srt(timeline()) == (
        "1\n00:00:00,000 --> 00:00:01,000\nSciatica relief\n"
        + "\n2\n00:00:10,000 --> 00:00:11,000\nButtock point.\n"
        + "\n3\n00:00:14,500 --> 00:00:15,120\nPress <firmly> & breathe, slowly.\n"
        + "\n4\n01:02:03,001 --> 01:02:03,021\nRelease.\n"
    )


def test_caption_times_round_frames_to_the_nearest_millisecond() -> None:
    # 11 frames = 0.4988 ms -> 0; 12 frames = 0.544 ms -> 1; 441 frames = exactly 20 ms.
    tl = Timeline("T", None, SR, SR, (speech(11, 441, "a"), speech(12, 441, "b")), (), (), ())
    assert "00:00:00.000 --> 00:00:00.020" in format_webvtt(tl)
    assert "00:00:00.001 --> 00:00:00.021" in format_webvtt(tl)


def test_chapters_without_a_following_cue_are_still_noted() -> None:
    text = format_webvtt(timeline((Chapter("Buttock point", 10 * SR), Chapter("Closing", 3724 * SR))))
    assert text.endswith("Release.\n\nNOTE Chapter 2: Closing (01:02:04.000)\n")


def test_cue_sheet_has_a_track_per_section_after_an_opening_track(tmp_path: Path) -> None:
    tl = timeline((Chapter("Buttock point", 10 * SR), Chapter('The "end"', 3723 * SR + 300)))
    sheet = format_cue_sheet(tl, tmp_path / "session.flac", tmp_path / "session.cue")
    assert sheet == (
        'TITLE "Sciatica relief"\n'
        'PERFORMER "voiceguide"\n'
        'FILE "session.flac" WAVE\n'
        "  TRACK 01 AUDIO\n"
        '    TITLE "Sciatica relief"\n'
        "    INDEX 01 00:00:00\n"
        "  TRACK 02 AUDIO\n"
        '    TITLE "Buttock point"\n'
        "    INDEX 01 00:10:00\n"
        "  TRACK 03 AUDIO\n"
        "    TITLE \"The 'end'\"\n"
        "    INDEX 01 62:03:01\n"
    )


def test_cue_sheet_names_the_audio_relative_to_itself(tmp_path: Path) -> None:
    sheet = format_cue_sheet(timeline(), tmp_path / "audio" / "s.mp3", tmp_path / "marks" / "s.cue")
    assert 'FILE "../audio/s.mp3" MP3' in sheet


def test_a_section_at_the_start_needs_no_opening_track(tmp_path: Path) -> None:
    sheet = format_cue_sheet(timeline((Chapter("Start", 0),)), "s.wav", "s.cue")
    assert sheet.count("TRACK") == 1 and 'TITLE "Start"' in sheet


def test_too_many_chapters_for_a_cue_sheet_is_an_output_error() -> None:
    chapters = tuple(Chapter(f"c{i}", i * SR) for i in range(100))
    with pytest.raises(OutputError, match="at most 99 tracks"):
        format_cue_sheet(timeline(chapters), "s.wav", "s.cue")


def test_webvtt_chapters_track_spans_each_chapter() -> None:
    assert format_chapters_webvtt(timeline()) == (
        "WEBVTT\n\n"
        "chapter-1\n00:00:00.000 --> 00:00:10.000\nSciatica relief\n\n"
        "chapter-2\n00:00:10.000 --> 01:02:05.000\nButtock point\n"
    )


def test_writers_choose_the_format_by_extension_and_leave_no_temporary(tmp_path: Path) -> None:
    tl = timeline()
    write_captions(tl, tmp_path / "c.vtt")
    write_captions(tl, tmp_path / "c.SRT")
    write_cue_sheet(tl, tmp_path / "s.wav", tmp_path / "s.cue")
    write_chapters(tl, tmp_path / "s.wav", tmp_path / "ch.vtt")
    write_chapters(tl, tmp_path / "s.wav", tmp_path / "ch.cue")
    assert (tmp_path / "c.vtt").read_text() == format_webvtt(tl)
    assert (tmp_path / "c.SRT").read_text() == format_srt(tl)
    assert (tmp_path / "ch.vtt").read_text() == format_chapters_webvtt(tl)
    assert (tmp_path / "ch.cue").read_text() == (tmp_path / "s.cue").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.SRT", "c.vtt", "ch.cue", "ch.vtt", "s.cue"]


def test_wrong_extensions_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="not a captions format"):
        check_captions_path("c.txt")
    with pytest.raises(UsageError) as caught:
        check_chapters_path("chapters")
    assert caught.value.message == "chapters has no extension, so it does not say which chapters format to write."
    assert caught.value.hint == "End it with .cue or .vtt, e.g. chapters.cue."
    check_captions_path("x.VTT")
    check_chapters_path("x.cue")


def test_an_unwritable_place_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist"):
        write_captions(timeline(), tmp_path / "missing" / "c.vtt")
    with pytest.raises(OutputError, match="it is a folder"):
        (tmp_path / "d.vtt").mkdir()
        write_captions(timeline(), tmp_path / "d.vtt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.vtt"]


def test_a_section_title_with_an_arrow_does_not_break_its_webvtt_note() -> None:
    # WebVTT forbids "-->" in a NOTE: a reader takes that line for a cue timing and drops the block.
    text = format_webvtt(timeline((Chapter("Inhale --> exhale --->", 10 * SR),)))
    notes = [block for block in text.split("\n\n") if block.startswith("NOTE")]
    assert len(notes) == 1 and "-->" not in notes[0] and "Inhale" in notes[0]
