"""A lossy file's decoded true peak is checked before it is moved into place, on every pass (``peak_check``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import voiceguide.audio.loudness as loudness
from tests.fakes import start_engine
from voiceguide.audio.sinks import FileSink
from voiceguide.base import SAMPLE_RATE
from voiceguide.play.peak_check import PEAK_PASSES, PeakCheck, PeakOver, next_ceiling_dbtp


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
    # The encoder got peaks at -3 dBTP (the voice's ceiling) and they decoded at -0.5: 0.5 dB over -1.
    assert next_ceiling_dbtp(-3.0, 0.0, PeakOver(-0.5)) == pytest.approx(-3.0 - 0.5 - 0.6)
    # A file gain under the headroom limits the peaks given instead: -1 - 2 + (-1.5) = -4.5.
    assert next_ceiling_dbtp(-3.0, -1.5, PeakOver(-0.5)) == pytest.approx(-4.5 - 0.5 - 0.6)


@pytest.mark.engine
def test_a_file_still_over_after_the_last_pass_is_kept_with_a_warning(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from voiceguide.play.render import render_files
    from voiceguide.play.requests import RenderOptions, SessionOptions

    start_engine().close()
    script = tmp_path / "short.yaml"
    script.write_text("voiceguide: 1\ntitle: Short\nsteps:\n  - Breathe in slowly.\n", encoding="utf-8")
    readings: list[Path] = []

    def always_over(path: Path) -> float:  # a meter that always reads 0 dBTP: every pass is over
        readings.append(Path(path))
        return 0.0

    monkeypatch.setattr(loudness, "file_true_peak_dbtp", always_over)
    warnings: list[str] = []
    output = tmp_path / "short.ogg"
    render_files(RenderOptions(SessionOptions(str(script)), str(output)), None,
                 lambda found: warnings.extend(d.message for d in found))
    assert len(readings) == PEAK_PASSES  # every pass measured, the last one too
    assert output.exists()
    assert [w for w in warnings if "true peak of +0.2 dBTP" in w and "over -1 dBTP" in w]
