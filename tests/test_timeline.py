"""The spec's timing rules, checked on the pure timeline with a predictable ``measure``."""

from __future__ import annotations

import dataclasses
from fractions import Fraction as F

import pytest

from tests.fakes import fake_measure
from voiceguide.errors import Position
from voiceguide.script.model import (
    PRESS_SAY_GAP,
    TONE_SECONDS,
    Breathe,
    BreathPattern,
    BreathWords,
    Chime,
    Pause,
    Press,
    PressWords,
    Repeat,
    Say,
    Script,
    Section,
    Step,
)
from voiceguide.timeline.compiler import (
    BREATHE_SAY_GAP,
    CAUTION_GAP,
    ROUND_GAP,
    SAMPLE_RATE,
    SECTION_GAP,
    TITLE_GAP,
    compile_timeline,
    iter_timeline,
    utterances,
)
from voiceguide.timeline.layout import Chapter, Event, Timeline, file_chapters
from voiceguide.timeline.least_length import least_length

P = Position("t.yaml", 3, 5)
SR = SAMPLE_RATE


def frames(seconds: F | int | float) -> int:
    return round(F(seconds) * SR)


def script(*steps: Step, cautions: tuple[str, ...] = ()) -> Script:
    return Script(title="T", steps=steps, position=P, cautions=cautions)


def compile_steps(*steps: Step, pace: F = F(1), measure=fake_measure) -> Timeline:
    return compile_timeline(script(*steps), measure, pace=pace)


def body(tl: Timeline) -> list[Event]:
    return [e for e in tl.events if e.step != "0"]


def first_step_start(tl: Timeline) -> int:
    return next(s.start for s in tl.spans if s.step == "1")


def by_cue(tl: Timeline, cue: str) -> list[Event]:
    return [e for e in tl.events if e.cue == cue]


# -- intro --------------------------------------------------------------------------


def test_title_then_cautions_then_steps_end_to_end() -> None:
    tl = compile_timeline(script(Say("Hello", P), cautions=("Careful.", "Stop if it hurts.")), fake_measure)
    title, c1, c2, say = tl.events
    assert (title.cue, title.start, title.step, title.text) == ("title", 0, "0", "T")
    assert c1.start == title.end + frames(TITLE_GAP)
    assert c2.start == c1.end + frames(CAUTION_GAP)
    assert say.start == c2.end + frames(CAUTION_GAP)
    assert [e.cue for e in tl.events] == ["title", "caution", "caution", "say"]


def test_cautions_can_be_skipped() -> None:
    s = script(Say("Hello", P), cautions=("Careful.",))
    tl = compile_timeline(s, fake_measure, cautions=False)
    assert [e.cue for e in tl.events] == ["title", "say"]


# -- say, pause, chime, section -----------------------------------------------------------


def test_say_lasts_speech_plus_pause_and_steps_are_end_to_end() -> None:
    tl = compile_steps(Say("One", P, pause=F(2)), Pause(F("2.5"), P), Say("Two", P))
    one, two = body(tl)
    assert two.start == one.start + fake_measure("One") + frames(2) + frames(F("2.5"))
    assert tl.length == two.end + frames(F(1, 2))  # default pause 0.5 s


def test_chime_tones_follow_each_other() -> None:
    tl = compile_steps(Chime(3, P, sound="gong"), Say("after", P))
    tones = by_cue(tl, "chime")
    start = first_step_start(tl)
    assert [t.start - start for t in tones] == [0, frames(TONE_SECONDS), 2 * frames(TONE_SECONDS)]
    assert all(t.kind == "tone" and t.sound == "gong" and t.text is None for t in tones)
    assert by_cue(tl, "say")[0].start == start + 3 * frames(TONE_SECONDS)


def test_sections_mark_chapters_and_tag_later_events() -> None:
    tl = compile_steps(Section("Warm up", P), Say("a", P), Section("Quiet", P, announce=False), Say("b", P))
    sec, a, b = body(tl)
    assert (sec.cue, sec.text, sec.section) == ("section", "Warm up", "Warm up")
    assert a.start == sec.end + frames(SECTION_GAP) and a.section == "Warm up"
    assert b.section == "Quiet" and b.start == a.end + frames(F(1, 2))
    assert [(c.title, c.start) for c in tl.chapters] == [("Warm up", sec.start), ("Quiet", b.start)]
    # Files and the plan: the first section starts after the title, so a chapter named after the
    # title covers 0:00 up to it.
    assert [(c.title, c.start) for c in file_chapters(tl)] == [("T", 0), ("Warm up", sec.start), ("Quiet", b.start)]


def test_no_opening_chapter_without_sections_or_when_a_section_opens_the_session() -> None:
    assert file_chapters(compile_steps(Say("a", P))) == ()
    opening = compile_timeline(Script(title="T", steps=(Section("First", P), Say("a", P)), position=P),
                               fake_measure, cautions=False)
    assert opening.chapters[0].start > 0  # after the title
    untitled = dataclasses.replace(opening, chapters=(Chapter("First", 0),))
    assert file_chapters(untitled) == (Chapter("First", 0),)


# -- breathing ----------------------------------------------------------------------------


def test_breathing_phases_start_at_t0_plus_k_cycles() -> None:
    pattern = BreathPattern(inhale=F("4.1"), hold=F("1.3"), exhale=F("6.7"), rest=F("0.9"))
    tl = compile_steps(Breathe(pattern, P, cycles=50))
    t0 = first_step_start(tl)
    c = pattern.cycle_seconds
    for k in range(50):
        cycle = [e for e in tl.events if e.start >= t0 + frames(k * c) and e.start < t0 + frames((k + 1) * c)]
        assert [e.cue for e in cycle] == ["inhale", "hold", "exhale", "rest"]
        assert [e.start - t0 for e in cycle] == [
            frames(k * c), frames(k * c + F("4.1")), frames(k * c + F("5.4")), frames(k * c + F("12.1"))]
    assert tl.spans[-1].end - t0 == frames(50 * c)


def test_zero_phases_have_no_cue_and_words_can_change() -> None:
    words = BreathWords(inhale="In", exhale="Out")
    tl = compile_steps(Breathe(BreathPattern(inhale=F(3), exhale=F(3)), P, cycles=2, words=words))
    assert [(e.cue, e.text) for e in body(tl)] == [("inhale", "In."), ("exhale", "Out.")] * 2


def test_for_gives_floor_of_cycles_at_least_one() -> None:
    pattern = BreathPattern(inhale=F(4), exhale=F(6))
    assert len(by_cue(compile_steps(Breathe(pattern, P, for_seconds=F(59))), "inhale")) == 5
    assert len(by_cue(compile_steps(Breathe(pattern, P, for_seconds=F(3))), "inhale")) == 1


def test_counting_speaks_each_whole_second_on_its_second() -> None:
    tl = compile_steps(Breathe(BreathPattern(inhale=F(4), exhale=F("2.5")), P, cycles=1, count=True))
    t0 = first_step_start(tl)
    assert [(e.cue, e.text, e.start - t0) for e in body(tl)] == [
        ("inhale", "Breathe in.", 0), ("count", "Two.", frames(1)), ("count", "Three.", frames(2)),
        ("count", "Four.", frames(3)),
        ("exhale", "Breathe out.", frames(4)), ("count", "Two.", frames(5)), ("count", "Three.", frames(6))]


def test_breathe_say_comes_first_and_the_step_lasts_cycles_times_c_after_it() -> None:
    pattern = BreathPattern(inhale=F(2), exhale=F(3))
    tl = compile_steps(Breathe(pattern, P, cycles=3, say="Let us breathe."), Say("done", P))
    say, inhale = body(tl)[:2]
    assert say.cue == "say" and inhale.start == say.end + frames(BREATHE_SAY_GAP)
    assert by_cue(tl, "say")[1].start == inhale.start + frames(3 * 5)


def test_a_count_that_would_overlap_the_phase_cue_yields_without_a_warning() -> None:
    slow = lambda text: frames(F("1.2")) if text.startswith("Breathe") else frames(F("0.3"))  # noqa: E731
    tl = compile_steps(Breathe(BreathPattern(inhale=F(3), exhale=F(3)), P, cycles=1, count=True), measure=slow)
    assert [e.text for e in body(tl)] == ["Breathe in.", "Three.", "Breathe out.", "Three."]
    assert tl.dropped == ()  # counted seconds yield to any other cue: the spec's rule 2, not a loss


def test_a_breathing_cue_that_would_run_into_the_next_phase_is_said_in_its_short_form() -> None:
    # "Breathe in." takes 0.66 s with the fake measure: it does not end before a 0.5 s phase does.
    tl = compile_steps(Breathe(BreathPattern(inhale=F(1, 2), exhale=F(3)), P, cycles=2))
    assert [(e.cue, e.text) for e in body(tl)] == [
        ("inhale", "In."), ("exhale", "Breathe out."), ("inhale", "In."), ("exhale", "Breathe out.")]
    t0 = first_step_start(tl)
    assert [e.start - t0 for e in body(tl)] == [0, frames(F(1, 2)), frames(F(7, 2)), frames(4)]
    assert tl.dropped == ()


def test_the_steps_own_short_words_come_before_the_phrasebooks() -> None:
    words = BreathWords(inhale="Breathe in slowly", short=BreathWords(inhale="Now in"))
    tl = compile_steps(Breathe(BreathPattern(inhale=F(1), exhale=F(3)), P, cycles=1, words=words))
    assert [e.text for e in body(tl)] == ["Now in.", "Breathe out."]


def test_the_steps_own_words_have_no_short_form_but_their_own() -> None:
    # A rest cued "Hold" must not become the phrasebook's "Rest.": without words.short it has no short form.
    words = BreathWords(rest="Hold your breath")
    tl = compile_steps(Breathe(BreathPattern(inhale=F(3), exhale=F(3), rest=F(1, 2)), P, cycles=1, words=words))
    assert [e.text for e in body(tl)] == ["Breathe in.", "Breathe out."]
    assert [(d.dropped.text, d.key) for d in tl.dropped] == [("Hold your breath.", "rest")]


def test_a_breathing_cue_that_fits_nowhere_names_the_phase_to_lengthen() -> None:
    tl = compile_steps(Breathe(BreathPattern(inhale=F(1, 10), exhale=F(3)), P, cycles=1))
    assert [e.cue for e in body(tl)] == ["exhale"]
    (lost,) = tl.dropped
    assert (lost.dropped.cue, lost.key, lost.kept.cue if lost.kept else None) == ("inhale", "inhale", "exhale")


# -- pressure holds --------------------------------------------------------------------------


def press(**kw: object) -> Press:
    base: dict[str, object] = {"hold": F(60), "position": P}
    base.update(kw)
    return Press(**base)  # type: ignore[arg-type]


def test_release_comes_exactly_hold_after_the_press_cue() -> None:
    tl = compile_steps(press(hold=F("37.3"), point="GB30", where="The hollow", prepare=F(4)))
    announce, press_cue, release = body(tl)
    assert announce.text == "GB30. The hollow."
    assert press_cue.start == announce.end + frames(4)
    assert release.start - press_cue.start == frames(F("37.3"))
    assert (press_cue.text, release.text) == ("Press now.", "Release.")
    assert tl.length == release.end + frames(5)  # rest after the release cue


def test_no_announcement_when_nothing_to_announce() -> None:
    tl = compile_steps(press(hold=F(10), prepare=F(0), words=PressWords(press="Go", release="Stop")))
    go, stop = body(tl)
    assert go.start == first_step_start(tl) and (go.text, stop.text) == ("Go.", "Stop.")


def test_time_left_halfway_and_countdown_at_fixed_offsets() -> None:
    tl = compile_steps(press(hold=F(90), cue_every=F(20), halfway=True, countdown=3))
    tp = by_cue(tl, "press")[0].start
    assert [(e.start - tp, e.text) for e in by_cue(tl, "remaining")] == [
        (frames(10), "One minute twenty seconds left."), (frames(30), "One minute left."),
        (frames(50), "Forty seconds left."), (frames(70), "Twenty seconds left.")]
    assert [e.start - tp for e in by_cue(tl, "halfway")] == [frames(45)]
    assert [(e.start - tp, e.text) for e in by_cue(tl, "countdown")] == [
        (frames(87), "Three."), (frames(88), "Two."), (frames(89), "One.")]


def test_both_sides_left_then_right_with_rest_between() -> None:
    tl = compile_steps(press(hold=F(20), side="both", point="GB30", rest=F(7)))
    events = body(tl)
    assert [(e.cue, e.side) for e in events] == [
        ("announce", "left"), ("press", "left"), ("release", "left"),
        ("announce", "right"), ("press", "right"), ("release", "right")]
    assert events[0].text == "Left side. GB30." and events[3].text == "Right side. GB30."
    assert events[3].start == events[2].end + frames(7)
    assert events[5].start - events[4].start == frames(20)


def test_breathing_in_a_hold_starts_on_the_whole_second_after_press_and_say() -> None:
    pattern = BreathPattern(inhale=F(4), exhale=F(6))
    tl = compile_steps(press(hold=F(45), say="Firmly, not painfully.", breathe=pattern))
    tp = by_cue(tl, "press")[0].start
    say = by_cue(tl, "say")[0]
    assert say.start == by_cue(tl, "press")[0].end + frames(PRESS_SAY_GAP)
    whole = -(-(say.end - tp) // SR)
    tb = tp + whole * SR
    starts = [(e.cue, e.start) for e in tl.events if e.cue in ("inhale", "exhale")]
    expected = []
    for k in range(5):
        expected += [("inhale", tb + frames(10 * k)), ("exhale", tb + frames(10 * k + 4))]
    expected = [(c, s) for c, s in expected if s < tp + frames(45)]
    assert starts == expected


@pytest.mark.parametrize("pace", [F(1), F(3, 2), F(1, 2)])
def test_pace_stretches_durations_but_not_speech_or_real_seconds(pace: F) -> None:
    tl = compile_steps(press(hold=F(30), prepare=F(2), cue_every=F(10), countdown=2, point="P"), pace=pace)
    announce, press_cue = body(tl)[:2]
    assert announce.length == fake_measure("P.")
    assert press_cue.start - announce.end == frames(2 * pace)
    release = by_cue(tl, "release")[0]
    assert release.start - press_cue.start == frames(30 * pace)
    assert [release.start - e.start for e in by_cue(tl, "countdown")] == [frames(2), frames(1)]
    assert [e.text for e in by_cue(tl, "remaining")][0].startswith(
        {F(1): "Twenty", F(3, 2): "Thirty", F(1, 2): "Ten"}[pace])


def test_halfway_moves_beside_a_time_left_cue_due_at_the_same_instant() -> None:
    tl = compile_steps(press(hold=F(60), cue_every=F(30), halfway=True, countdown=0))
    assert [e.cue for e in body(tl)] == ["press", "halfway", "remaining", "release"]
    remaining, halfway = by_cue(tl, "remaining")[0], by_cue(tl, "halfway")[0]
    tp = by_cue(tl, "press")[0].start
    assert remaining.start == tp + frames(30) and remaining.moved == 0  # the time left has priority
    # "Halfway." (0.54 s) moves to the nearest moment clear of it: just before, 0.1 s apart.
    assert halfway.end == remaining.start - frames(F(1, 10))
    assert halfway.moved == halfway.start - (tp + frames(30)) and -frames(2) <= halfway.moved < 0
    assert tl.dropped == ()


def test_a_time_left_cue_moves_to_the_nearest_gap_between_breathing_cues() -> None:
    pattern = BreathPattern(inhale=F(2), exhale=F(2))
    # Breathing from tp + 1 s: cues at 1, 3, 5, ... s; "Ten seconds left." (1.02 s) is due at 10 s, where
    # none of the 0.66 s breathing cues can make room but a shorter "In." would.
    tl = compile_steps(press(hold=F(20), cue_every=F(10), breathe=pattern, words=PressWords(press="Go")))
    tp = by_cue(tl, "press")[0].start
    remaining = by_cue(tl, "remaining")[0]
    assert abs(remaining.moved) <= frames(2) and remaining.moved != 0
    assert remaining.start == tp + frames(10) + remaining.moved
    breathing = [e for e in tl.events if e.cue in ("inhale", "exhale")]
    assert all(e.end <= remaining.start or e.start >= remaining.end for e in breathing)
    assert all(e.start - tp in {frames(k) for k in range(1, 20, 2)} for e in breathing)  # no phase moved
    assert len(breathing) == 10 and tl.dropped == ()


def test_breathing_in_a_hold_stops_where_the_countdown_begins() -> None:
    pattern = BreathPattern(inhale=F(4), exhale=F(6))
    tl = compile_steps(press(hold=F(60), breathe=pattern, countdown=3, words=PressWords(press="Go")))
    tp = by_cue(tl, "press")[0].start
    countdown = by_cue(tl, "countdown")
    assert [e.start - tp for e in countdown] == [frames(57), frames(58), frames(59)]
    breathing = [e for e in tl.events if e.cue in ("inhale", "exhale")]
    assert max(e.start for e in breathing) <= countdown[0].start - frames(1)  # the 57 s in-breath is not cued
    assert all(e.end <= countdown[0].start for e in breathing) and tl.dropped == ()


def test_a_cue_that_fits_nowhere_is_reported_at_the_key_that_would_make_room() -> None:
    slow = lambda text: frames(F("1.5"))  # noqa: E731
    tl = compile_steps(press(hold=F(10), cue_every=F(1), countdown=0), measure=slow)
    assert tl.dropped and {d.key for d in tl.dropped} == {"cue_every"}
    assert all((d.line, d.column) == (P.line, P.column) for d in tl.dropped)


def test_release_beats_countdown_when_speech_is_slow() -> None:
    slow = lambda text: frames(F("1.5"))  # noqa: E731
    tl = compile_steps(press(hold=F(10), countdown=3), measure=slow)
    # equal priority: the earlier cue is already speaking, so the later one gives way
    assert [e.text for e in body(tl)] == ["Press now.", "Three.", "Release."]
    assert sorted(d.dropped.text or "" for d in tl.dropped) == ["One.", "Two."]


# -- repeat -----------------------------------------------------------------------------------


def test_repeat_announces_rounds_and_numbers_nested_steps() -> None:
    tl = compile_steps(Say("a", P), Repeat(3, (Say("b", P), Chime(1, P)), P, announce=True))
    rounds = by_cue(tl, "round")
    assert [e.text for e in rounds] == ["Round one of three.", "Round two of three.", "Round three of three."]
    assert {e.step for e in rounds} == {"2"}
    b = by_cue(tl, "say")[1:]
    assert [e.step for e in b] == ["2.1"] * 3 and {e.step for e in by_cue(tl, "chime")} == {"2.2"}
    assert b[0].start == rounds[0].end + frames(ROUND_GAP)
    assert rounds[1].start == by_cue(tl, "chime")[0].end


def test_repeat_without_announce_is_silent_between_rounds() -> None:
    tl = compile_steps(Repeat(2, (Pause(F(1), P), Say("x", P)), P))
    xs = by_cue(tl, "say")
    assert xs[1].start == xs[0].end + frames(F(1, 2)) + frames(1)


# -- the whole ---------------------------------------------------------------------------------


def test_events_sorted_spans_contiguous_and_length_covers_every_sound() -> None:
    tl = compile_steps(
        Section("S", P), Breathe(BreathPattern(inhale=F(2), exhale=F(2)), P, cycles=2, count=True),
        press(hold=F(20), side="both", cue_every=F(5), countdown=3, breathe=BreathPattern(inhale=F(2), exhale=F(2))),
        Repeat(2, (Chime(2, P), Say("z", P)), P, announce=True))
    starts = [e.start for e in tl.events]
    assert starts == sorted(starts)
    assert all(a.end == b.start for a, b in zip(tl.spans, tl.spans[1:], strict=False))
    assert tl.length >= max(e.end for e in tl.events) and tl.length == tl.spans[-1].end


def test_iter_timeline_is_lazy_about_measuring() -> None:
    calls: list[str] = []

    def measure(text: str) -> int:
        calls.append(text)
        return fake_measure(text)

    walk = iter_timeline(script(Say("first", P), Say("second", P)), measure)
    next(walk)
    assert calls == ["T"]
    next(walk)
    assert calls == ["T", "first"]


def test_utterances_lists_every_distinct_text_in_order() -> None:
    s = script(Say("a", P), press(hold=F(5), countdown=2), Say("a", P), cautions=("c",))
    assert utterances(s) == ["T", "c", "a", "Press now.", "Release.", "Two.", "One."]


def test_the_title_is_laid_out_before_the_cautions_are_measured() -> None:
    calls: list[str] = []

    def measure(text: str) -> int:
        calls.append(text)
        return fake_measure(text)

    walk = iter_timeline(script(Say("x", P), cautions=("one", "two")), measure)
    title = next(walk)
    assert (title.span.kind, [e.cue for e in title.events], calls) == ("title", ["title"], ["T"])
    cautions = next(walk)
    assert (cautions.span.kind, cautions.span.step, cautions.span.start) == ("cautions", "0", title.span.end)
    assert calls == ["T", "one", "two"]


# -- the least length, known before any speech ------------------------------------------


@pytest.mark.parametrize("pace", [F(1), F(3, 2)])
def test_least_length_is_never_more_than_the_laid_out_length_of_the_shipped_sessions(pace: F) -> None:
    from tests.shipped import SHIPPED, load_script

    for path in SHIPPED:
        session = load_script(path)
        least = least_length(session, pace=pace)
        for measure in (lambda text: 1, fake_measure, lambda text: 5 * SR):
            assert least <= compile_timeline(session, measure, pace=pace).length, path.name
        assert least > frames(60)  # each is minutes of holds, pauses and breathing: the bound is not trivial


def test_least_length_is_the_length_of_a_session_of_gaps_pauses_bells_and_breathing() -> None:
    breathe = Breathe(pattern=BreathPattern(inhale=F(2), exhale=F(3)), position=P, cycles=2)
    steps = (Section("Start", P, announce=False), Section("Next", P), Say("Now.", P, pause=F(3, 2)),
             Pause(F(5, 2), P), Chime(2, P),
             Repeat(times=3, steps=(Pause(F(1), P), breathe), position=P, announce=True))
    session = script(*steps, cautions=("Careful.", "Slowly."))
    for pace in (F(1), F(7, 4)):
        laid_out = compile_timeline(session, lambda text: 0, pace=pace).length
        assert least_length(session, pace=pace) == laid_out
    assert least_length(session, cautions=False) == compile_timeline(session, lambda text: 0, cautions=False).length
