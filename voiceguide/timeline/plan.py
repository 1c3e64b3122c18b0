"""The plan: a timeline as the spec's JSON object, as readable text, and its warnings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voiceguide.base import clock
from voiceguide.errors import Diagnostic, Position
from voiceguide.printable import printable
from voiceguide.timeline.compiler import Event, Timeline


def seconds(frames: int, sample_rate: int) -> float:
    """Frames as seconds for the JSON plan: rounded to the microsecond (finer than a sample)."""
    return round(frames / sample_rate, 6)


def _at(frames: int, sample_rate: int) -> str:
    """A time in the plan: ``M:SS.cc``, to the hundredth."""
    return clock(frames, sample_rate, decimals=2)


def _event_dict(event: Event, sample_rate: int) -> dict[str, Any]:
    return {
        "t": seconds(event.start, sample_rate),
        "duration": seconds(event.length, sample_rate),
        "kind": event.kind,
        "cue": event.cue,
        "text": event.text,
        "step": event.step,
        "side": event.side,
        "section": event.section,
        "label": event.label,
    }


def _sorted(timeline: Timeline) -> list[Event]:
    # Stable: events starting together keep the compiler's order.
    return sorted(timeline.events, key=lambda event: event.start)


def plan_dict(timeline: Timeline) -> dict[str, Any]:
    """The spec's JSON plan: ``title``, ``duration``, ``language``, ``voice`` (engine voice id), ``engine``,
    ``events`` and ``chapters`` (the sections: ``t`` and ``title``)."""
    rate = timeline.sample_rate
    return {
        "title": timeline.title,
        "duration": seconds(timeline.length, rate),
        "language": timeline.language,
        "voice": timeline.voice,
        "engine": timeline.engine,
        "events": [_event_dict(event, rate) for event in _sorted(timeline)],
        "chapters": [{"t": seconds(chapter.start, rate), "title": chapter.title} for chapter in timeline.chapters],
    }


def format_plan(timeline: Timeline) -> str:
    """The timeline as text: one line per cue (time, cue, side, text), section headings, labels, total length."""
    rate = timeline.sample_rate
    events = _sorted(timeline)
    cue_width = max([8, *(len(event.cue) for event in events)])
    # Script text is shown, never obeyed (no live control characters), and a cue keeps to its line.
    lines = [printable(timeline.title, one_line=True)]
    if timeline.description:
        lines.append(printable(timeline.description))
    lines.append("")
    chapters = sorted(timeline.chapters, key=lambda chapter: chapter.start)
    next_chapter = 0

    def heading(title: str, start: int) -> None:
        if lines[-1]:
            lines.append("")
        lines.append(f"{printable(title, one_line=True)}  (from {_at(start, rate)})")

    labels = _label_marks(timeline)
    next_label = 0
    for event in events:
        while next_chapter < len(chapters) and chapters[next_chapter].start <= event.start:
            heading(chapters[next_chapter].title, chapters[next_chapter].start)
            next_chapter += 1
        while next_label < len(labels) and labels[next_label][0] <= event.start:
            lines.append(f"  {_at(labels[next_label][0], rate):>7}  [{labels[next_label][1]}]")
            next_label += 1
        side = event.side if event.side not in (None, "none") else ""
        text = printable(event.text or "", one_line=True) if event.kind == "speech" else f"({event.sound or 'tone'})"
        lines.append(f"  {_at(event.start, rate):>7}  {event.cue:<{cue_width}} {side:<6} {text}".rstrip())
    for chapter in chapters[next_chapter:]:
        heading(chapter.title, chapter.start)
    for start, label in labels[next_label:]:
        lines.append(f"  {_at(start, rate):>7}  [{label}]")
    cues = len(events)
    lines += ["", f"Total length {_at(timeline.length, rate)}, {cues} cue{'' if cues == 1 else 's'}."]
    return "\n".join(lines) + "\n"


def _label_marks(timeline: Timeline) -> list[tuple[int, str]]:
    """(start frame, label) where a labelled run of steps begins: a repeat's label once, not per step."""
    marks: list[tuple[int, str]] = []
    previous: str | None = None
    for span in sorted(timeline.spans, key=lambda span: span.start):
        if span.label is not None and span.label != previous:
            marks.append((span.start, span.label))
        previous = span.label
    return marks


def dropped_warnings(timeline: Timeline, path: str, source_lines: Sequence[str] = ()) -> list[Diagnostic]:
    """One positioned ``warning:`` per cue the timeline dropped in a collision (``path`` as the user named it).

    Each warning shows its line of ``source_lines`` (the script's lines) under it, when there is one.
    """
    rate = timeline.sample_rate
    warnings = []
    for dropped in timeline.dropped:
        lost, kept = dropped.dropped, dropped.kept
        message = (
            f"the {lost.cue} cue {_quote(lost)} at {_at(lost.start, rate)} is dropped: it would collide "
            f"with the {kept.cue} cue {_quote(kept)} at {_at(kept.start, rate)}, which has priority"
        )
        line = dropped.line
        source_line = source_lines[line - 1] if 0 < line <= len(source_lines) else None
        warnings.append(Diagnostic(Position(path, line, dropped.column), "warning", message, source_line))
    return warnings


def _quote(event: Event) -> str:
    return f'"{event.text}"' if event.text is not None else f"({event.sound})"
