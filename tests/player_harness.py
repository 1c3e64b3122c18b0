"""The player driven by hand: a session of a few steps, its fake output, clips and speaker.

Shared by the player's tests (``test_player.py``, ``test_answers.py``): the
output's clock moves only when a test advances it, so every sample played can
be checked against the mixer's render of the session.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction

import numpy as np

from tests.fakes import FakeClips, FakeOutput, fake_measure
from voiceguide.audio.mixer import Mixer
from voiceguide.base import SAMPLE_RATE, Audio
from voiceguide.errors import Position
from voiceguide.play.player import Player
from voiceguide.play.program import Program, Snapshot
from voiceguide.play.program_view import Renderer
from voiceguide.play.transport import FEEDBACK_GAP_SECONDS
from voiceguide.script.model import Chime, Press, Say, Script, Section
from voiceguide.timeline.compiler import compile_timeline
from voiceguide.timeline.layout import Timeline

RATE = SAMPLE_RATE
BLOCK = 256
PLAYER_CLIPS = FakeClips(amplitude=0.3)
"""The session's clips: deterministic noise per text or sound."""
GAP = round(FEEDBACK_GAP_SECONDS * RATE)
HERE = Position("test.yaml", 1, 1)


def tone(key: str, frames: int) -> Audio:
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:2], "big")
    t = np.arange(frames) / RATE
    return (0.3 * np.sin(2 * np.pi * (200 + seed % 300) * t)).astype(np.float32)


class FakeSpeaker:
    """Speaks feedback as a tone of ``fake_measure`` length; remembers what it said."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def __call__(self, text: str) -> Audio:
        self.said.append(text)
        return tone("feedback:" + text, fake_measure(text))


def player_script() -> Script:
    return Script(
        title="Test session",
        position=HERE,
        steps=(
            Say("Welcome.", HERE, pause=Fraction(1)),
            Section("Neck", HERE),
            Press(Fraction(10), HERE, point="GB20", side="both", prepare=Fraction(1), countdown=3,
                  rest=Fraction(1), label="Neck point"),
            Chime(1, HERE),
            Say("Done.", HERE),
        ),
    )


def player_timeline() -> Timeline:
    return compile_timeline(player_script(), fake_measure)


def make_renderer(snapshot: Snapshot) -> Renderer:
    return Mixer(snapshot.events, PLAYER_CLIPS, length=snapshot.ready_until)


def make_player(program: Program | None = None, **kwargs: object) -> tuple[Player, FakeOutput, FakeSpeaker, Timeline]:
    timeline = player_timeline()
    output = FakeOutput()
    speaker = FakeSpeaker()
    player = Player(program or Program.from_timeline(timeline), make_renderer, output, speaker, **kwargs)  # type: ignore[arg-type]
    player.pump()
    return player, output, speaker, timeline


def play_for(player: Player, output: FakeOutput, frames: int) -> None:
    """Let ``frames`` of output play, keeping the queue fed as the real loop does."""
    done = 0
    while done < frames:
        output.advance(BLOCK)
        done += BLOCK
        player.pump()


def play_to_end(player: Player, output: FakeOutput, limit: int = 10**8) -> None:
    while not player.done:
        output.advance(BLOCK)
        player.pump()
        assert output.position < limit


def find_audio(haystack: Audio, needle: Audio, start: int = 0) -> int:
    """Where ``needle`` occurs exactly in ``haystack`` (from ``start``), or -1."""
    n = len(needle)
    for i in range(start, len(haystack) - n + 1):
        if haystack[i] == needle[0] and np.array_equal(haystack[i:i + n], needle):
            return i
    return -1


def render_fake(timeline: Timeline, start: int = 0, end: int | None = None, volume: float = 1.0) -> Audio:
    stop = timeline.length if end is None else end
    return Mixer(timeline.events, PLAYER_CLIPS, volume, length=timeline.length).render(start, stop - start)


def feedback_audio(text: str, volume: float = 1.0) -> Audio:
    clip = tone("feedback:" + text, fake_measure(text)) * np.float32(volume)
    return np.concatenate([clip, np.zeros(GAP, np.float32)])
