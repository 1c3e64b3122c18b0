"""What makes a warm render fast keeps its samples: any cut of the mix, and clips read only as they are mixed.

A file is written in longer blocks than the live stream plays, so a mix with a
bed must not depend on where blocks start; a warm session's speech is laid out
from the cache's headers and each clip read (and checked) once, as it is mixed.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.fakes import FakeClips, FakeSynthesizer, busy_events, speech
from voiceguide.audio import wav_file
from voiceguide.audio.bed import Bed, BedSpan
from voiceguide.audio.loudness import session_key
from voiceguide.audio.mixer import Layout, Mixer, SessionClips
from voiceguide.audio.pcm_mix import PcmMix, to_pcm16
from voiceguide.audio.sinks import FileSink
from voiceguide.audio.sounds import Generator
from voiceguide.audio.tags import FileTags
from voiceguide.base import SAMPLE_RATE
from voiceguide.play.render import render_session
from voiceguide.speech import clips as clips_module
from voiceguide.speech.clips import SpeechBank
from voiceguide.timeline.layout import Event, Timeline

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


def _sparse_events() -> list[Event]:
    """Cues with silence between them, some over each other (loud enough together for the limiter), some
    repeated, some from a side."""
    events = [dataclasses.replace(event, start=event.start * 3) for event in busy_events()]
    events += [dataclasses.replace(speech(9_000 + 40_000 * i, "side", 3_000), side=("left", "right")[i % 2])
               for i in range(6)]
    return sorted(events, key=lambda event: event.start)


@pytest.mark.parametrize("channels", [1, 2])
def test_a_file_mix_is_the_mixers_blocks_quantized_with_only_the_sound_made(channels: int) -> None:
    events = _sparse_events()
    mixer = Mixer(events, FakeClips(amplitude=0.7), volume=0.9, layout=Layout(channels=channels))
    whole = to_pcm16(mixer.render(0, mixer.length))
    pcm = PcmMix(mixer, max_cached_frames=5_000)  # smaller than the cues: some are quantized again
    made = np.zeros_like(whole)
    covered = 0
    for start in range(0, mixer.length, 4099):
        for offset, piece in pcm.pieces(start, min(4099, mixer.length - start)):
            assert not made[start + offset : start + offset + len(piece)].any()  # pieces do not overlap
            made[start + offset : start + offset + len(piece)] = piece
            covered += len(piece)
    np.testing.assert_array_equal(made, whole)
    sounding = np.zeros(mixer.length, dtype=bool)
    for event in events:
        sounding[event.start : event.end] = True
    assert covered == sounding.sum()  # every frame something sounds in, once; no silence


def test_a_wav_file_is_libsndfiles_layout_with_its_silence_left_unwritten(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    events = _sparse_events()
    timeline = Timeline(title="Sparse", description="Cues and silence", sample_rate=RATE,
                        length=events[-1].end + 3 * RATE, events=tuple(events), spans=(), chapters=(), dropped=())
    written: list[int] = []
    real_pwrite = os.pwrite

    def counted(descriptor: int, data: memoryview, offset: int) -> int:
        written.append(len(data))
        return real_pwrite(descriptor, data, offset)

    monkeypatch.setattr(wav_file, "_pwrite", counted)
    ours = tmp_path / "ours.wav"
    sink = FileSink(ours, RATE)
    sink.tags = FileTags(title="Sparse", description="Cues and silence", language="en", chapters=())
    render_session(timeline, FakeClips(), sink, stage=None, block_frames=RATE)
    samples, _ = soundfile.read(ours, dtype="int16")
    mixer = Mixer(events, FakeClips(), length=timeline.length)
    np.testing.assert_array_equal(samples, to_pcm16(mixer.render(0, timeline.length)))
    sounding = len({frame for event in events for frame in range(event.start, event.end)})
    tags = 2 * wav_file.HEADER_BYTES + 200  # the header twice and the INFO chunk
    assert sounding * 2 <= sum(written) <= sounding * 2 + tags
    theirs = tmp_path / "theirs.wav"
    with soundfile.SoundFile(theirs, "w", RATE, 1, subtype="PCM_16") as file:
        file.write(samples)
        file.title, file.artist, file.comment = "Sparse", "voiceguide", "Cues and silence"
    ours_bytes, theirs_bytes = ours.read_bytes(), theirs.read_bytes()
    data_end = wav_file.HEADER_BYTES + samples.nbytes
    assert ours_bytes[8:data_end] == theirs_bytes[8:data_end]  # (the RIFF size counts our ID3 tags too)
    info = wav_file.info_chunk([("title", "Sparse"), ("artist", "voiceguide"), ("comment", "Cues and silence")])
    assert theirs_bytes[data_end:] == info
