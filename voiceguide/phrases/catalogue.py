"""Every phrase key voiceguide speaks on its own: its placeholders, and when it is spoken.

The table is the contract between the phrasebooks (``<language>.yaml`` beside
this module), the ``phrases:`` of scripts, and the code that speaks them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PhraseKey:
    """One key: the placeholders its value must use, those it may use, and when it is spoken."""

    name: str
    when: str
    placeholders: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    fragment: bool = False
    """True for a piece of another phrase (a time, a place): no capital, no full stop added."""


def _key(name: str, when: str, *required: str, optional: tuple[str, ...] = (), fragment: bool = False) -> PhraseKey:
    return PhraseKey(name, when, frozenset(required), frozenset(optional), fragment)


_UNIT_WHEN = "part of a spoken time (time-left cues, resuming, status)"

KEYS: tuple[PhraseKey, ...] = (
    # -- breathing ---------------------------------------------------------------
    _key("inhale", "breathing: the in-breath cue (a breathe step's words.inhale comes first)"),
    _key("hold", "breathing: the cue to hold the breath (words.hold comes first)"),
    _key("exhale", "breathing: the out-breath cue (words.exhale comes first)"),
    _key("rest", "breathing: the cue to rest after the out-breath (words.rest comes first)"),
    _key("inhale_short", "breathing: the in-breath cue where its words would not end before the next fixed cue "
                         "(a breathe step's words.short.inhale comes first)"),
    _key("hold_short", "breathing: the short hold cue, likewise (words.short.hold comes first)"),
    _key("exhale_short", "breathing: the short out-breath cue, likewise (words.short.exhale comes first)"),
    _key("rest_short", "breathing: the short rest cue, likewise (words.short.rest comes first)"),
    _key("count", "breathing with count: true: each whole second of a phase, from two; {n} is the number", "n"),
    # -- pressure holds --------------------------------------------------------------
    _key("left_side", "press on the left side (side: left or both): starts the announcement; also the side "
                      "in the status during a hold"),
    _key("right_side", "press on the right side (side: right or both): starts the announcement; also the side "
                       "in the status during a hold"),
    _key("press", "press: the cue to start pressing (a press step's words.press comes first)"),
    _key("release", "press: the cue to let go (words.release comes first)"),
    _key("time_left_one", "press with cue_every: the time left when it is one of a unit (one minute); {time}",
         "time"),
    _key("time_left_other", "press with cue_every: the time left otherwise (forty seconds); {time}", "time"),
    _key("halfway", "press with halfway: true: half of the hold has passed"),
    _key("countdown", "press with countdown: the last seconds of the hold, counted down; {n}", "n"),
    # -- repeat ----------------------------------------------------------------------
    _key("round", "repeat with announce: true: at the start of each round; {round} of {rounds}",
         "round", "rounds"),
    # -- times -----------------------------------------------------------------------
    _key("second_one", f"one second, {_UNIT_WHEN}", optional=("n",), fragment=True),
    _key("second_other", f"{{n}} seconds, {_UNIT_WHEN}", "n", fragment=True),
    _key("minute_one", f"one minute, {_UNIT_WHEN}", optional=("n",), fragment=True),
    _key("minute_other", f"{{n}} minutes, {_UNIT_WHEN}", "n", fragment=True),
    _key("hour_one", f"one hour, {_UNIT_WHEN}", optional=("n",), fragment=True),
    _key("hour_other", f"{{n}} hours, {_UNIT_WHEN}", "n", fragment=True),
    _key("time_and", "joins two parts of a time ({a}: hours or minutes, {b}: what follows)", "a", "b",
         fragment=True),
    # -- answers to keys while playing ---------------------------------------------------
    _key("paused", "space pauses the session (also starts the spoken status while paused)"),
    _key("resuming", "space resumes: where the session is ({place}) and the time left there ({time})",
         "place", "time"),
    _key("resuming_short", "space resumes in a press's announcement, which is then said again whole (it names "
                           "the side and the point)"),
    _key("resuming_before_press", "space resumes before a press: where ({place}) and what is next, a hold of "
                                  "{time}", "place", "time"),
    _key("already_paused", "the voice command pause while paused: nothing changes"),
    _key("already_playing", "the voice command continue while playing: nothing changes"),
    _key("next_step", "n: skip to the next step"),
    _key("next_side", "n on the left side of a press on both sides: to the right side (whose announcement "
                      "names the side, so this does not)"),
    _key("last_step", "n on the last step: there is no next one"),
    _key("restart_step", "p: restart the step"),
    _key("previous_step", "p twice: go back to the previous step"),
    _key("first_step", "p twice on the first step: there is no previous one (it restarts)"),
    _key("restart_right_side", "p on the right side of a press on both sides: restart that side (its "
                               "announcement names the side, so this does not)"),
    _key("back_to_left_side", "p twice on the right side of a press on both sides: back to the left side (its "
                              "announcement names the side, so this does not)"),
    _key("stopping", "q or Escape: the session ends"),
    _key("volume", "+ or -: the new volume; {n} percent", "n"),
    _key("volume_full", "+ at full volume: nothing changes"),
    _key("volume_lowest", "- at the lowest volume: nothing changes"),
    _key("keys_help", "h, ? or a key that means nothing: which keys do what"),
    _key("status_point", "s: the point of a press step that has a label; {point}", "point"),
    _key("status_hold_side", "s during a hold on one side: the short status; {side} is left_side or right_side, "
                             "{time} the hold's time left", "side", "time"),
    _key("status_hold", "s during a hold without a side: the short status; {time} is the hold's time left",
         "time"),
    _key("status_hold_left", "s twice during a hold (the full status): the time left in it; {time}", "time"),
    _key("status_step_left", "s: the time left in the step; {time}", "time"),
    _key("status_session_left", "s: the time left in the session; {time}", "time"),
    _key("place_left", "resuming and s: a step on the left side; {place} is the step", "place", fragment=True),
    _key("place_right", "resuming and s: a step on the right side; {place} is the step", "place", fragment=True),
    _key("place_title", "resuming and s: the title at the start, as a step name", fragment=True),
    _key("place_cautions", "resuming and s: the safety cautions, as a step name", fragment=True),
    _key("place_say", "resuming and s: a say step without a label", fragment=True),
    _key("place_pause", "resuming and s: a pause step without a label", fragment=True),
    _key("place_chime", "resuming and s: a chime step without a label", fragment=True),
    _key("place_section", "resuming and s: a section step without a label", fragment=True),
    _key("place_breathe", "resuming and s: a breathe step without a label", fragment=True),
    _key("place_press", "resuming and s: a press step without a label or point", fragment=True),
    _key("place_round", "resuming and s: a round announcement", fragment=True),
    _key("place_end", "s after the last step, as a step name", fragment=True),
    # -- voice commands (play --listen) ---------------------------------------------------
    _key("voice_stop_confirm", "the voice command stop, once: asks to confirm; {stop} is the command word", "stop"),
    _key("voice_help", "the voice command help; {commands} lists the command words", "commands"),
    _key("voice_help_english", "the voice command help when only English commands are understood; {commands}",
         "commands"),
    # -- session log (play --ask-pain) ----------------------------------------------------------
    _key("pain_before", "play --ask-pain: the question before the session"),
    _key("pain_after", "play --ask-pain: the question after the session"),
    _key("pain_answer", "play --ask-pain: the answer given, repeated back; {n}", "n"),
    _key("pain_skipped", "play --ask-pain: no answer came"),
    _key("pain_safety", "play --ask-pain: after pain_answer, when the pain after the session is higher than "
                        "before, or 8 and above"),
)
"""Every key, in the order ``voiceguide phrases`` prints them."""

KEYS_BY_NAME: dict[str, PhraseKey] = {key.name: key for key in KEYS}
