"""Cue placement inside one step: where one cue's speech would still sound when another is due.

The spec's rules (revision 3, "Cue placement"), in the order they are applied:

1. The press, release and countdown cues keep their exact instants; if two of
   them collide, the one of higher priority (release, press, countdown; then
   the earlier) is kept.  A breathing phase's cue starts exactly at its phase.
2. A breathing cue whose words would not end before the next fixed instant
   (the next phase, a press, release or countdown cue, or the end of the step)
   is said in its short form; counted seconds yield to any other cue.
3. A time-left or halfway cue, or a step's ``say`` during a hold, moves to the
   nearest moment within ``MOVE_WINDOW_SECONDS`` of its instant where it fits
   whole (breathing cues around it shorten to make room if that is what it
   takes).  A cue moved away from its instant keeps ``MOVED_GAP_SECONDS`` from
   its neighbours, so that it is heard as a sentence of its own.
4. Only a cue that fits nowhere is lost; the caller names the key whose value
   would make room.

Pure, and in integer frames like the rest of the timeline.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

FIXED = ("release", "press", "countdown")
"""Cues that keep their instants, highest priority first."""
PHASES = frozenset({"inhale", "hold", "exhale", "rest"})
MOVABLE = ("remaining", "halfway", "say")
"""Cues that may move, highest priority first (placed in this order)."""

MOVE_WINDOW_SECONDS = Fraction(2)
MOVED_GAP_SECONDS = Fraction(1, 10)


@dataclass
class Cue:
    """A candidate sound inside one step, before placement; a breathing cue may carry its short form."""

    start: int
    length: int
    cue: str
    text: str | None
    sound: str | None = None
    side: str | None = None
    short_text: str | None = None
    short_length: int = 0
    moved: int = 0
    """Frames it was moved from its instant (signed; rule 3)."""
    pan: bool = True
    """False: a side's cue is centred (``pan: false``)."""

    @property
    def end(self) -> int:
        return self.start + self.length

    def shorten(self) -> None:
        """Say the short form instead of the words."""
        assert self.short_text is not None
        self.text, self.length, self.short_text = self.short_text, self.short_length, None


@dataclass(frozen=True)
class Lost:
    """A cue that fits nowhere, the cue in its way (if one), and the key whose value would make room."""

    cue: Cue
    blocker: Cue | None
    key: str


KeyFor = Callable[[Cue, "Cue | None"], str]


class _Kept:
    """Placed cues, sorted by start; they never overlap, so they are sorted by end too."""

    def __init__(self) -> None:
        self.cues: list[Cue] = []
        self.starts: list[int] = []

    def add(self, cue: Cue) -> None:
        index = bisect.bisect_left(self.starts, cue.start)
        self.starts.insert(index, cue.start)
        self.cues.insert(index, cue)

    def near(self, start: int, end: int) -> list[Cue]:
        """The kept cues that overlap ``[start, end)``, earliest first."""
        index = bisect.bisect_left(self.starts, end)
        found = []
        while index > 0 and self.cues[index - 1].end > start:
            index -= 1
            found.append(self.cues[index])
        return found[::-1]

    def next_start(self, after: int) -> int | None:
        index = bisect.bisect_right(self.starts, after)
        return self.starts[index] if index < len(self.starts) else None


def place(cues: list[Cue], *, sample_rate: int, key_for: KeyFor, end: int | None = None,
          bounds: tuple[int, int] | None = None) -> tuple[list[Cue], list[Lost]]:
    """Place one step's cues by the rules above: the cues kept (as said) and those lost.

    ``end`` is the step's last instant (a breathing cue must end by then);
    ``bounds`` the span a moved cue must stay within (a hold: press to release).
    """
    kept = _Kept()
    lost: list[Lost] = []
    for cue in sorted((c for c in cues if c.cue in FIXED), key=lambda c: (FIXED.index(c.cue), c.start)):
        blockers = kept.near(cue.start, cue.end)
        if blockers:
            lost.append(Lost(cue, blockers[0], key_for(cue, blockers[0])))
        else:
            kept.add(cue)
    _place_phases([c for c in cues if c.cue in PHASES], kept, lost, key_for, end)
    window = round(MOVE_WINDOW_SECONDS * sample_rate)
    gap = round(MOVED_GAP_SECONDS * sample_rate)
    low, high = bounds if bounds is not None else (min(c.start for c in cues), end or max(c.end for c in cues))
    for cue in sorted((c for c in cues if c.cue in MOVABLE), key=lambda c: (MOVABLE.index(c.cue), c.start)):
        at = _nearest_fit(kept, cue, window, gap, low, high, short=False)
        if at is None:
            at = _nearest_fit(kept, cue, window, gap, low, high, short=True)
            if at is not None:
                for other in kept.near(at - gap, at + cue.length + gap):
                    if other.short_text is not None and other.cue in PHASES:
                        other.shorten()
        if at is None:
            blockers = kept.near(cue.start, cue.end)
            blocker = blockers[0] if blockers else None
            lost.append(Lost(cue, blocker, key_for(cue, blocker)))
            continue
        cue.moved, cue.start = at - cue.start, at
        kept.add(cue)
    for cue in (c for c in cues if c.cue == "count"):
        if not kept.near(cue.start, cue.end):  # counted seconds yield to any other cue
            kept.add(cue)
    lost.sort(key=lambda item: item.cue.start)
    return kept.cues, lost


def _place_phases(phases: list[Cue], kept: _Kept, lost: list[Lost], key_for: KeyFor, end: int | None) -> None:
    """Rule 2: each breathing cue at its instant, in full or short, if it ends before the next fixed instant."""
    phases.sort(key=lambda c: c.start)
    for index, cue in enumerate(phases):
        sounding = kept.near(cue.start, cue.start + 1)
        if sounding:
            lost.append(Lost(cue, sounding[0], key_for(cue, sounding[0])))
            continue
        # The next fixed instant, and the cue due there (None: the end of the step).
        following = kept.next_start(cue.start)
        limits: list[tuple[int, Cue | None]] = []
        if following is not None:
            limits.append((following, kept.near(following, following + 1)[0]))
        if index + 1 < len(phases):
            limits.append((phases[index + 1].start, phases[index + 1]))
        if end is not None:
            limits.append((end, None))
        limit, due = min(limits, key=lambda item: item[0]) if limits else (None, None)
        if limit is not None and cue.end > limit:
            if cue.short_text is None or cue.start + cue.short_length > limit:
                lost.append(Lost(cue, due, key_for(cue, due)))
                continue
            cue.shorten()
        kept.add(cue)


def _nearest_fit(kept: _Kept, cue: Cue, window: int, gap: int, low: int, high: int, *, short: bool) -> int | None:
    """The start nearest ``cue.start`` (within ``window``, in ``[low, high - length]``) where the cue fits whole.

    At its own instant a cue only must not overlap; moved, it keeps ``gap`` from
    its neighbours.  ``short``: count breathing cues at their short length.
    """
    length = cue.length
    first, last = max(low, cue.start - window), min(high - length, cue.start + window)
    if first > last:
        return None
    around = kept.near(first - gap, last + length + gap)

    def extent(other: Cue) -> tuple[int, int]:
        if short and other.short_text is not None and other.cue in PHASES:
            return other.start, other.start + other.short_length
        return other.start, other.end

    spans = [extent(other) for other in around]
    if first <= cue.start <= last and all(e <= cue.start or s >= cue.start + length for s, e in spans):
        return cue.start
    forbidden = [(s - length - gap, e + gap) for s, e in spans]  # open intervals of starts that do not fit
    candidates = {first, last, cue.start, *(x for pair in forbidden for x in pair)}
    fitting = [x for x in candidates if first <= x <= last and all(not a < x < b for a, b in forbidden)]
    if not fitting:
        return None
    return min(fitting, key=lambda x: (abs(x - cue.start), x))


def press_key(lost: Cue, blocker: Cue | None) -> str:
    """The key of a press step whose value would make room for ``lost``."""
    if lost.cue in PHASES:
        return "breathe" if blocker is not None and blocker.cue in PHASES else "hold"
    return {"remaining": "cue_every", "halfway": "halfway", "say": "say", "countdown": "countdown"}.get(
        lost.cue, "hold")


def breathe_key(lost: Cue, blocker: Cue | None) -> str:
    """The key of a breathe step whose value would make room for ``lost``: the length of its phase."""
    return lost.cue if lost.cue in PHASES else "words"
