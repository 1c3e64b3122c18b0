"""The block mixer: exact placement, block-size independence, limiter, flat memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from tests.fakes import FakeClips, busy_events, noise, speech, tone_event
from voiceguide.audio.mixer import LIMIT_THRESHOLD, Mixer, SessionClips, soft_limit
from voiceguide.base import SAMPLE_RATE, Audio
from voiceguide.timeline.layout import Event


class FakeBank:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def clip(self, text: str) -> Audio:
        self.calls.append(text)
        return noise(text, 1000 + len(text))


def fake_tone(sound: str) -> Audio:
    return noise("tone:" + sound, 3000)


def test_an_event_sounds_exactly_from_its_start_frame() -> None:
    clips = FakeClips()
    event = speech(1000, "hello", 500)
    mixer = Mixer([event], clips, length=2000)
    out = mixer.render(0, 2000)
    expected = clips.clip(event)
    assert out.dtype == np.float32
    assert np.all(out[:1000] == 0)
    np.testing.assert_array_equal(out[1000:1500], expected)
    assert np.all(out[1500:] == 0)


def test_overlapping_events_are_summed() -> None:
    clips = FakeClips(amplitude=0.3)
    a, b = speech(0, "a", 800), tone_event(500, 800)
    out = Mixer([a, b], clips).render(0, 1300)
    np.testing.assert_array_equal(out[:500], clips.clip(a)[:500])
    np.testing.assert_array_equal(out[500:800], clips.clip(a)[500:] + clips.clip(b)[:300])
    np.testing.assert_array_equal(out[800:], clips.clip(b)[300:])


def test_a_clip_longer_than_its_event_is_cut_and_a_shorter_one_padded() -> None:
    class Odd:
        def clip(self, event: Event) -> Audio:
            return np.full(event.length + 50 if event.text == "long" else event.length - 50, 0.25, np.float32)

    out = Mixer([speech(0, "long", 100), speech(200, "short", 100)], Odd()).render(0, 400)
    assert np.all(out[:100] == 0.25) and np.all(out[100:200] == 0)
    assert np.all(out[200:250] == 0.25) and np.all(out[250:] == 0)


@pytest.mark.parametrize("block", [1, 37, 512, 22050, 130_000])
def test_blocks_of_any_size_give_identical_samples(block: int) -> None:
    events = busy_events()
    mixer = Mixer(events, FakeClips(), volume=0.8)
    whole = mixer.render(0, mixer.length)
    joined = np.concatenate(list(mixer.blocks(block)))
    assert len(joined) == mixer.length
    np.testing.assert_array_equal(joined, whole)


def test_render_is_stateless_in_any_order() -> None:
    mixer = Mixer(busy_events(), FakeClips())
    spans = [(5000, 777), (0, 100), (90_000, 3000), (5000, 777), (4000, 2000)]
    first = [mixer.render(s, n) for s, n in spans]
    again = [mixer.render(s, n) for s, n in reversed(spans)][::-1]
    for x, y in zip(first, again, strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(mixer.render(4000, 2000)[1000:1777], first[0][:777])


def test_blocks_between_start_and_end() -> None:
    mixer = Mixer(busy_events(), FakeClips())
    whole = mixer.render(0, mixer.length)
    part = np.concatenate(list(mixer.blocks(1000, start=12_345, end=40_000)))
    np.testing.assert_array_equal(part, whole[12_345:40_000])
    assert [len(b) for b in mixer.blocks(1000, start=0, end=2500)] == [1000, 1000, 500]
    assert list(mixer.blocks(1000, start=10, end=10)) == []


def test_outside_the_events_is_silence() -> None:
    mixer = Mixer([speech(100, "x", 50)], FakeClips(), length=1000)
    assert np.all(mixer.render(-500, 500) == 0)
    assert np.all(mixer.render(150, 10_000) == 0)
    assert len(mixer.render(0, 0)) == 0
    assert Mixer([], FakeClips()).length == 0


def test_the_mix_never_reaches_full_scale() -> None:
    loud = [speech(0, "a", 5000), speech(10, "b", 5000), tone_event(20, 5000), speech(30, "c", 5000)]
    out = Mixer(loud, FakeClips(amplitude=1.0)).render(0, 6000)
    assert np.max(np.abs(out)) < 1.0
    raw = sum(FakeClips(amplitude=1.0).clip(e)[:4970] for e in loud)
    assert np.max(np.abs(raw)) > 2.0  # the test really overloads the mix


def test_the_limiter_passes_quiet_samples_and_squeezes_loud_ones_smoothly() -> None:
    x = np.linspace(-4, 4, 80_001, dtype=np.float32)
    y = x.copy()
    soft_limit(y)
    quiet = np.abs(x) <= LIMIT_THRESHOLD
    np.testing.assert_array_equal(y[quiet], x[quiet])
    assert np.all(np.abs(y) < 1.0)
    assert np.all(np.diff(y) >= 0)  # monotonic: no folding, no harsh edge
    assert np.all(np.sign(y) == np.sign(x))
    assert np.max(np.diff(y)) <= np.max(np.diff(x))  # slope never above 1: continuous at the knee


def test_volume_scales_and_can_change_between_blocks() -> None:
    clips = FakeClips(amplitude=0.4)
    event = speech(0, "v", 4000)
    mixer = Mixer([event], clips, volume=0.5)
    np.testing.assert_array_equal(mixer.render(0, 4000), clips.clip(event) * np.float32(0.5))
    blocks = mixer.blocks(2000)
    first = next(blocks)
    mixer.volume = 0.25
    second = next(blocks)
    np.testing.assert_array_equal(first, clips.clip(event)[:2000] * np.float32(0.5))
    np.testing.assert_array_equal(second, clips.clip(event)[2000:] * np.float32(0.25))
    with pytest.raises(ValueError):
        mixer.volume = 1.5


def test_memory_stays_flat_for_a_long_session() -> None:
    # Two hours of cues every 2.5 s; the whole session as float32 would be ~635 MB.
    hours = 2
    events = [speech(i * SAMPLE_RATE * 5 // 2, f"cue {i % 20}", SAMPLE_RATE) for i in range(hours * 1440)]
    clip_cache: dict[str, Audio] = {}

    class Cached:
        def clip(self, event: Event) -> Audio:
            assert event.text is not None
            if event.text not in clip_cache:
                clip_cache[event.text] = noise(event.text, event.length)
            return clip_cache[event.text]

    mixer = Mixer(events, Cached(), length=hours * 3600 * SAMPLE_RATE)
    tracemalloc.start()
    frames = 0
    for block in mixer.blocks(SAMPLE_RATE):
        frames += len(block)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert frames == hours * 3600 * SAMPLE_RATE
    assert peak < 5 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_session_clips_takes_speech_from_the_bank_and_tones_from_tone() -> None:
    bank = FakeBank()
    clips = SessionClips(bank, fake_tone)
    np.testing.assert_array_equal(clips.clip(speech(0, "Press now.", 1)), noise("Press now.", 1010))
    np.testing.assert_array_equal(clips.clip(tone_event(0, 1, "gong")), fake_tone("gong"))
    clips.clip(speech(5, "Press now.", 1))
    assert bank.calls == ["Press now."]  # cached: a clip spanning blocks is fetched once


def test_session_clips_cache_is_bounded() -> None:
    bank = FakeBank()
    clips = SessionClips(bank, fake_tone, max_cached_frames=2500)
    for text in ["a", "b", "c", "a"]:
        clips.clip(speech(0, text, 1))
    assert bank.calls == ["a", "b", "c", "a"]  # "a" was evicted by "b" and "c"


def test_session_clips_rejects_events_without_text_or_sound() -> None:
    clips = SessionClips(FakeBank(), fake_tone)
    with pytest.raises(ValueError):
        clips.clip(Event(0, 1, "speech", "say", None, None, "1", None, None))
