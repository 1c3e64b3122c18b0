"""A lossy file's decoded true peak is checked before it is moved into place, on every pass (``peak_check``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import voiceguide.audio.loudness as loudness
from tests.fakes import start_engine
from voiceguide.audio.loudness import clip_key
from voiceguide.audio.sinks import FileSink
from voiceguide.base import SAMPLE_RATE
from voiceguide.dsp.limiter import METER_MARGIN_DB
from voiceguide.play.peak_check import PEAK_PASSES, PEAK_STEP_DB, PeakCheck, PeakOver, next_ceiling_dbtp, quieter_clips
from voiceguide.timeline.layout import Event


def _ogg(path: Path, peak: float) -> Path:
    noise = np.random.default_rng(3).uniform(-1, 1, 3 * SAMPLE_RATE).astype(np.float32)
    sink = FileSink(path, SAMPLE_RATE)
    sink.write(noise * np.float32(peak / np.abs(noise).max()))
    sink.close()
    return path


def test_a_lossy_file_over_the_ceiling_is_refused_and_a_quiet_one_kept(tmp_path: Path) -> None:
    loud, quiet = _ogg(tmp_path / "loud.ogg", 0.99), _ogg(tmp_path / "quiet.ogg", 0.3)
    with pytest.raises(PeakOver) as refused:
        PeakCheck(refuse=True)(loud)
    assert refused.value.peak_dbtp > -1.0
    measured = PeakCheck(refuse=False)  # the last pass: measured, kept, and flagged
    measured(loud)
    assert measured.over and measured.peak_dbtp == pytest.approx(refused.value.peak_dbtp)
    kept = PeakCheck(refuse=True)
    kept(quiet)
    assert not kept.over and kept.peak_dbtp is not None and kept.peak_dbtp < -1.0


def test_the_next_pass_is_limited_below_the_overshoot() -> None:
    # No clip where it was over (a bed alone): the encoder got peaks at -3 dBTP and they decoded at -0.5.
    assert next_ceiling_dbtp(-3.0, 0.0, PeakOver(-0.5)) == pytest.approx(-3.0 - 0.5 - PEAK_STEP_DB)
    # A file gain under the headroom limits the peaks given instead: -1 - 2 + (-1.5) = -4.5.
    assert next_ceiling_dbtp(-3.0, -1.5, PeakOver(-0.5)) == pytest.approx(-4.5 - 0.5 - PEAK_STEP_DB)


def _event(start: float, length: float, text: str) -> Event:
    return Event(start=round(start * SAMPLE_RATE), length=round(length * SAMPLE_RATE), kind="speech", cue="say",
                 text=text, sound=None, step="1", side=None, section=None)


def test_the_next_pass_makes_only_the_clips_where_it_was_over_quieter() -> None:
    events = [_event(0.0, 1.0, "Breathe in."), _event(4.62, 0.9, "Jetzt drücken."), _event(5.68, 5.0, "Kräftig."),
              _event(30.45, 0.9, "Jetzt drücken.")]
    over = PeakOver(-0.6, ((4.4, 5.1),))  # 0.4 dB over -1 dBTP, within the first "Jetzt drücken."
    quieter = quieter_clips(events, SAMPLE_RATE, over, {})
    assert quieter == {clip_key(events[1]): pytest.approx(0.4 + PEAK_STEP_DB)}  # both of its plays: one clip
    # Over again where the next clip starts: that one too, and the first one further.
    again = quieter_clips(events, SAMPLE_RATE, PeakOver(-0.9, ((5.0, 6.0),)), quieter)
    assert again[clip_key(events[1])] == pytest.approx(0.4 + 0.1 + 2 * PEAK_STEP_DB)
    assert again[clip_key(events[2])] == pytest.approx(0.1 + PEAK_STEP_DB)
    assert quieter_clips(events, SAMPLE_RATE, PeakOver(-0.6, ((20.0, 25.0),)), {}) == {}  # nothing playing there


def test_the_file_peaks_say_where_a_file_is_over(tmp_path: Path) -> None:
    path = tmp_path / "two.flac"
    noise = np.random.default_rng(5).uniform(-0.1, 0.1, 20 * SAMPLE_RATE).astype(np.float32)
    noise[12 * SAMPLE_RATE : 12 * SAMPLE_RATE + 2000] *= 9  # about -1.0 dBFS for 90 ms at 12 s
    with FileSink(path, SAMPLE_RATE) as sink:
        sink.write(noise)
    found = loudness.file_peaks(path, -6.0)
    assert found.peak_dbtp > -6.0
    assert len(found.over) == 1
    start, end = found.over[0]
    assert start <= 12.0 and end >= 12.09 and end - start < 1.2  # the block over, and the one before it
    assert loudness.file_peaks(path, found.peak_dbtp + 0.01).over == ()  # nothing over its own peak
    assert loudness.file_true_peak_dbtp(path) == pytest.approx(found.peak_dbtp)


GERMAN_PRESS = """\
voiceguide: 1
title: Druck
language: de
background: rain
steps:
  - press:
      point: der Punkt
      side: both
      prepare: 2s
      hold: 20s
      say: Kräftig drücken, aber nie unangenehm. Atmen Sie tief und bleiben Sie ganz beim Punkt.
      cue_every: 10s
      breathe: {inhale: 4s, exhale: 6s}
      rest: 2s
"""
"""A press of ``sciatica-de`` in 53 s: at libsndfile's Vorbis quality its "Jetzt drücken." decoded 1.9 dB over
the peaks it was given (-0.59 dBTP; the session took three renders)."""


def _render_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> tuple[list[float], Path]:
    from voiceguide.play.render import render_files
    from voiceguide.play.requests import RenderOptions, SessionOptions

    start_engine().close()
    script = tmp_path / "press.yaml"
    script.write_text(GERMAN_PRESS, encoding="utf-8")
    readings: list[float] = []
    measure = loudness.file_peaks

    def counted(path: Path, over_dbtp: float) -> loudness.FilePeaks:
        found = measure(path, over_dbtp)
        readings.append(found.peak_dbtp + METER_MARGIN_DB)
        return found

    monkeypatch.setattr(loudness, "file_peaks", counted)
    output = tmp_path / name
    render_files(RenderOptions(SessionOptions(str(script)), str(output)), None, lambda found: None)
    return readings, output


@pytest.mark.engine
def test_a_german_press_as_vorbis_renders_once_under_the_ceiling(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    readings, output = _render_counted(tmp_path, monkeypatch, "press.ogg")
    assert len(readings) == 1 and readings[0] <= -1.25  # one render, with a quarter of a dB to spare
    assert loudness.file_true_peak_dbtp(output) + METER_MARGIN_DB == pytest.approx(readings[0])


@pytest.mark.engine
def test_a_file_over_once_renders_under_the_second_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from voiceguide.audio import file_formats

    # libsndfile's own Vorbis quality: the first render decodes over the ceiling at "Jetzt drücken.".
    default = dataclasses.replace(file_formats.output_format("a.ogg"), compression_level=None)
    monkeypatch.setattr(file_formats, "_CANDIDATES", (default,))
    readings, output = _render_counted(tmp_path, monkeypatch, "press.ogg")
    assert len(readings) == 2 and readings[0] > -1.0
    assert readings[1] <= -1.0  # only the clips where it was over, quieter: the rest decodes as it did
    assert output.exists()


@pytest.mark.engine
def test_a_file_still_over_after_the_last_pass_is_kept_with_a_warning(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from voiceguide.play.render import render_files
    from voiceguide.play.requests import RenderOptions, SessionOptions

    start_engine().close()
    script = tmp_path / "short.yaml"
    script.write_text("voiceguide: 1\ntitle: Short\nsteps:\n  - Breathe in slowly.\n", encoding="utf-8")
    readings: list[Path] = []

    def always_over(path: Path, over_dbtp: float) -> loudness.FilePeaks:  # reads 0 dBTP: every pass is over
        readings.append(Path(path))
        return loudness.FilePeaks(0.0, ((0.0, 1.0),))

    monkeypatch.setattr(loudness, "file_peaks", always_over)
    warnings: list[str] = []
    output = tmp_path / "short.ogg"
    render_files(RenderOptions(SessionOptions(str(script)), str(output)), None,
                 lambda found: warnings.extend(d.message for d in found))
    assert len(readings) == PEAK_PASSES  # every pass measured, the last one too
    assert output.exists()
    assert [w for w in warnings if "true peak of +0.2 dBTP" in w and "over -1 dBTP" in w]
