"""What makes a warm render fast keeps its samples: any cut of the mix, and clips read only as they are mixed.

A file is written in longer blocks than the live stream plays, so a mix with a
bed must not depend on where blocks start; a warm session's speech is laid out
from the cache's headers and each clip read (and checked) once, as it is mixed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.fakes import FakeClips, FakeSynthesizer, speech
from voiceguide.audio.bed import Bed, BedSpan
from voiceguide.audio.loudness import session_key
from voiceguide.audio.mixer import Layout, Mixer, SessionClips
from voiceguide.audio.sounds import Generator
from voiceguide.base import SAMPLE_RATE
from voiceguide.speech import clips as clips_module
from voiceguide.speech.clips import SpeechBank

RATE = SAMPLE_RATE
TEXTS = ["Breathe in.", "Breathe out.", "Press firmly and hold.", "Release."]


def _bed_mixer(channels: int) -> Mixer:
    # Long cues: some blocks lie wholly under the duck, others across its ramps or the fades.
    events = [speech(6 * RATE, "a", 5 * RATE), speech(12 * RATE + RATE // 3, "b", 7 * RATE),
              speech(31 * RATE, "c", RATE)]
    span = BedSpan(Generator("rain"), 0, 40 * RATE, 3 * RATE, 2 * RATE, 0.05, 10 ** (-7.3 / 20))
    layout = Layout(channels=channels, bed=Bed([span], events, channels))
    return Mixer(events, FakeClips(), volume=0.83, layout=layout)


@pytest.mark.parametrize("channels", [1, 2])
def test_a_mix_with_a_bed_is_the_same_however_it_is_cut(channels: int) -> None:
    mixer = _bed_mixer(channels)
    whole = mixer.render(0, mixer.length)
    for block in (1024, 4099, RATE, 2 * RATE):
        pieces = np.concatenate(list(mixer.blocks(block)))
        assert np.array_equal(pieces, whole), f"blocks of {block} frames"


def _warm_bank(folder: Path) -> tuple[SpeechBank, FakeSynthesizer]:
    SpeechBank(FakeSynthesizer(), folder).prefetch(TEXTS)
    synth = FakeSynthesizer()
    return SpeechBank(synth, folder), synth


def test_a_warm_prefetch_reads_no_samples_and_knows_every_length(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    made = {text: SpeechBank(FakeSynthesizer(), tmp_path).clip(text) for text in TEXTS}
    bank, synth = _warm_bank(tmp_path)
    reads: list[Path] = []
    real_read = clips_module.read_entry

    def counted(path: Path) -> bytes | None:
        reads.append(path)
        return real_read(path)

    monkeypatch.setattr(clips_module, "read_entry", counted)
    bank.prefetch(TEXTS)
    assert reads == []
    assert [bank.measure(text) for text in TEXTS] == [made[text].size for text in TEXTS]
    assert np.array_equal(bank.clip(TEXTS[2]), made[TEXTS[2]])
    assert len(reads) == 1  # read when asked for
    assert synth.calls == []


def test_a_clip_damaged_after_the_prefetch_is_made_again_at_its_length(tmp_path: Path) -> None:
    bank, synth = _warm_bank(tmp_path)
    bank.prefetch(TEXTS)
    length = bank.measure("Release.")
    entry = bank.cache_path("Release.")
    assert entry is not None
    data = bytearray(entry.read_bytes())
    data[-5] ^= 0x40  # one sample flipped: the header still looks whole
    entry.write_bytes(bytes(data))
    again = bank.clip("Release.")
    assert synth.calls == ["Release."]
    assert again.size == length


def test_the_session_key_is_the_same_from_the_cache_headers_as_from_the_samples(tmp_path: Path) -> None:
    events = [speech(index * RATE, text, RATE) for index, text in enumerate(TEXTS)]
    bank, _ = _warm_bank(tmp_path)
    bank.prefetch(TEXTS)
    source = SessionClips(bank)
    assert all(source.digest(event) is not None for event in events)

    class SamplesOnly:  # the same clips, with no digest to offer
        def clip(self, event: object) -> object:
            return source.clip(event)  # type: ignore[arg-type]

    assert session_key(events, source) == session_key(events, SamplesOnly())  # type: ignore[arg-type]
