"""The plan: a timeline as the spec's JSON object, as readable text, and its warnings."""

from __future__ import annotations

from typing import Any

from voiceguide.base import clock
from voiceguide.errors import Diagnostic, Position, ScriptError
from voiceguide.printable import printable
from voiceguide.script.key_positions import key_position
from voiceguide.script.loader import Document, compose_document
from voiceguide.timeline.layout import Event, Timeline, file_chapters


def seconds(frames: int, sample_rate: int) -> float:
    """Frames as seconds for the JSON plan: rounded to the microsecond (finer than a sample)."""
    return round(frames / sample_rate, 6)


def _at(frames: int, sample_rate: int) -> str:
    """A time in the plan: ``M:SS.cc``, to the hundredth."""
    return clock(frames, sample_rate, decimals=2)


def _event_dict(event: Event, sample_rate: int) -> dict[str, Any]:
    """An event as the spec's JSON; ``spoken`` only where ``pronounce`` changed the words, ``moved`` only if moved."""
    result = {
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
    if event.spoken is not None:
        result["spoken"] = event.spoken
    if event.moved:
        result["moved"] = seconds(event.moved, sample_rate)
    return result


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
        "chapters": [{"t": seconds(chapter.start, rate), "title": chapter.title}
                     for chapter in file_chapters(timeline)],
    }


def format_plan(timeline: Timeline) -> str:
    """The timeline as text: one line per cue (time, step, cue, side, text), section headings, labels, total length."""
    rate = timeline.sample_rate
    events = _sorted(timeline)
    cue_width = max([8, *(len(event.cue) for event in events)])
    # Steps numbered as in the JSON plan and for --from ("5", "5.2"); the title and cautions have none.
    step_width = max([0, *(len(event.step) for event in events if event.step != "0")])
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
        step = (event.step if event.step != "0" else "").ljust(step_width + 2) if step_width else ""
        lines.append(f"  {_at(event.start, rate):>7}  {step}{event.cue:<{cue_width}} {side:<6} {text}".rstrip())
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


def dropped_warnings(timeline: Timeline, path: str, source: bytes | None = None) -> list[Diagnostic]:
    """One positioned ``warning:`` per cue that fits nowhere (``path`` as the user named it).

    With the script's ``source``, each points at the key whose value would make
    room (``hold``, ``cue_every``, …), with its line; else at the step.
    """
    if not timeline.dropped:
        return []
    document = _document(source, path)
    rate = timeline.sample_rate
    warnings = []
    for dropped in timeline.dropped:
        lost, kept = dropped.dropped, dropped.kept
        if kept is None:
            why = "it would not end before the step does"
        elif kept.start > lost.start:
            why = f"it would not end before the {kept.cue} cue {_quote(kept)} at {_at(kept.start, rate)}"
        else:
            why = f"the {kept.cue} cue {_quote(kept)} at {_at(kept.start, rate)} is sounding then"
        fix = f"; change '{dropped.key}' to make room" if dropped.key else ""
        message = f"the {lost.cue} cue {_quote(lost)} at {_at(lost.start, rate)} is dropped: {why}{fix}"
        position = Position(path, dropped.line, dropped.column)
        if document is not None and dropped.key:
            position = key_position(document, position, dropped.key) or position
        line = document.line(position.line) if document is not None else None
        warnings.append(Diagnostic(position, "warning", message, line))
    return warnings


def _document(source: bytes | None, path: str) -> Document | None:
    if source is None:
        return None
    try:
        return compose_document(source, path)
    except ScriptError:
        return None


def _quote(event: Event) -> str:
    return f'"{event.text}"' if event.text is not None else f"({event.sound})"
