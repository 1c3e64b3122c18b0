"""Would a bed tire a listener over an hour?  Each built-in sound alone, measured as a listener would hear it.

For every built-in sound, ``--minutes`` (default 10) of the bed alone, in
stereo, straight from its generator (what a render plays between cues, before
the file's gain), and per sound:

- loudness stability: short-term loudness (BS.1770, 3-s windows every second)
  over the whole render: its spread (10th to 90th percentile, and min to max);
- clicks: the largest sample-to-sample step (first difference) against the
  local level of the steps (RMS over the surrounding 20 ms), over the render:
  Gaussian noise reaches about 6 in 13 million samples, a click 10 or more;
- repetition: 0.5-s stretches' band-energy patterns (24 bands, 20-ms frames,
  in dB, each band's level over the surrounding
  0.5 s removed, so a swell's or gust's shape does not count) compared with every stretch up to ``--minutes`` earlier;
  the highest correlation found, and how often one exceeds 0.9 (a stretch
  heard again), against the same measure of fresh noise of the same spectrum
  (never repeats: the chance level);
- spectral balance: the energy above 8 kHz and 4-8 kHz relative to the whole
  (hiss), and the spectral centroid.

Then the duck of the shipped sessions' own beds, measured in their renders
(``--before COMMIT``: also as that commit renders them, side by side): the
bed's level just before and after a cue against its level away from cues; and
in every gap between sounds (where the mix is the bed alone) how far the bed
rises above its level at the gap's ends, in 0.2-s windows: a rise of 3 dB or
more in a gap under 3 s is a swell that goes down again within a second or
two, pumping.

Usage: python benchmarks/bed_comfort.py [--minutes M] [--sounds NAME ...] [--sessions NAME ...] [--before COMMIT]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from voiceguide.audio.sounds import SOUND_NAMES, Generator  # noqa: E402
from voiceguide.base import SAMPLE_RATE  # noqa: E402

Array = npt.NDArray[np.float64]


def short_term_lufs(planar: npt.NDArray[np.float32]) -> Array:
    """BS.1770 short-term loudness (3-s windows, 1-s hop) of ``(channels, frames)``."""
    import pyloudnorm

    meter = pyloudnorm.Meter(SAMPLE_RATE)
    weighted = np.stack([meter._filters["high_shelf"].apply_filter(channel) for channel in planar.astype(np.float64)])
    weighted = np.stack([meter._filters["high_pass"].apply_filter(channel) for channel in weighted])
    power = (weighted**2).sum(axis=0)
    window, hop = 3 * SAMPLE_RATE, SAMPLE_RATE
    cumulative = np.concatenate([[0.0], np.cumsum(power)])
    starts = np.arange(0, len(power) - window + 1, hop)
    mean = (cumulative[starts + window] - cumulative[starts]) / window
    return np.asarray(-0.691 + 10 * np.log10(np.maximum(mean, 1e-20)))


def click_score(channel: npt.NDArray[np.float32]) -> tuple[float, int]:
    """The largest first-difference step against the RMS of the steps around it (20 ms), and steps over 10."""
    from scipy.ndimage import uniform_filter1d

    step = np.diff(channel.astype(np.float64))
    local = np.sqrt(uniform_filter1d(step**2, size=round(0.02 * SAMPLE_RATE)) + 1e-30)
    ratio = np.abs(step) / local
    return float(ratio.max()), int((ratio > 10).sum())


def band_pattern(channel: npt.NDArray[np.float32]) -> Array:
    """20-ms frames × 24 log-spaced bands (100 Hz-10 kHz), in dB."""
    frame = round(0.02 * SAMPLE_RATE)
    count = len(channel) // frame
    spectra = np.abs(np.fft.rfft(channel[:count * frame].reshape(count, frame) * np.hanning(frame), axis=1)) ** 2
    freqs = np.fft.rfftfreq(frame, 1 / SAMPLE_RATE)
    edges = np.geomspace(100, 10000, 25)
    bands = np.stack([spectra[:, (freqs >= lo) & (freqs < hi)].sum(axis=1)
                      for lo, hi in zip(edges, edges[1:], strict=False)], axis=1)
    return np.asarray(10 * np.log10(bands + 1e-12))


def repetition(channel: npt.NDArray[np.float32]) -> tuple[float, float]:
    """Highest correlation of a 0.5-s band pattern with any earlier one (hop 0.25 s), and the share over 0.9."""
    pattern = band_pattern(channel)
    from scipy.ndimage import uniform_filter1d

    # Each band's fine grain only (around its own level over the surrounding 0.5 s): a swell or a gust,
    # which changes the level and the balance of the bands slowly, is not a repeat; a drop pattern is.
    pattern -= uniform_filter1d(pattern, 25, axis=0)
    span, hop = 25, 12  # 0.5 s of 20-ms frames, every 0.24 s
    starts = range(0, len(pattern) - span, hop)
    vectors = np.stack([pattern[s:s + span].ravel() for s in starts])
    vectors -= vectors.mean(axis=1, keepdims=True)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
    vectors32 = vectors.astype(np.float32)
    best = np.full(len(vectors32), -1.0, dtype=np.float32)
    for first in range(0, len(vectors32), 512):
        block = vectors32[first:first + 512] @ vectors32.T
        rows = np.arange(first, min(first + 512, len(vectors32)))
        # Earlier stretches only, and not overlapping this one (at least 0.5 s before).
        mask = np.arange(len(vectors32))[None, :] >= (rows[:, None] - 2)
        block[mask] = -1.0
        best[first:first + 512] = block.max(axis=1)
    valid = best[3:]
    return float(valid.max()), float((valid > 0.9).mean())


def fresh_noise_like(channel: npt.NDArray[np.float32], seed: int = 1) -> npt.NDArray[np.float32]:
    """Noise with the long-term spectrum of ``channel`` and random phases: never repeats."""
    spectrum = np.abs(np.fft.rfft(channel.astype(np.float64)))
    phases = np.exp(2j * np.pi * np.random.default_rng(seed).random(len(spectrum)))
    return np.fft.irfft(spectrum * phases, n=len(channel)).astype(np.float32)


def balance(planar: npt.NDArray[np.float32]) -> tuple[float, float, float]:
    """Energy above 8 kHz and in 4-8 kHz relative to the whole (dB), and the spectral centroid (Hz)."""
    from scipy.signal import welch

    freqs, power = welch(planar.astype(np.float64), SAMPLE_RATE, nperseg=4096, axis=1)
    power = power.sum(axis=0)
    total = power.sum()
    above = power[freqs >= 8000].sum() / total
    mid = power[(freqs >= 4000) & (freqs < 8000)].sum() / total
    return 10 * np.log10(above + 1e-20), 10 * np.log10(mid + 1e-20), float((freqs * power).sum() / total)


def measure_sound(name: str, minutes: float) -> dict[str, float]:
    frames = round(minutes * 60 * SAMPLE_RATE)
    generator = Generator(name)
    began = time.process_time()
    planar = np.concatenate([generator.render(start, min(SAMPLE_RATE * 10, frames - start), 2)
                             for start in range(0, frames, SAMPLE_RATE * 10)], axis=1)
    made = time.process_time() - began
    lufs = short_term_lufs(planar)
    click, clicks = max(click_score(planar[0]), click_score(planar[1]))
    top, reference_top = repetition(planar[0]), repetition(fresh_noise_like(planar[0]))
    above, mid, centroid = balance(planar)
    return {"made": made, "p10": float(np.percentile(lufs, 10)), "p90": float(np.percentile(lufs, 90)),
            "min": float(lufs.min()), "max": float(lufs.max()), "step": float(np.abs(np.diff(lufs)).max()),
            "click": click, "clicks": clicks, "rep": top[0], "rep_share": top[1], "ref_rep": reference_top[0],
            "ref_share": reference_top[1], "above8": above, "mid": mid, "centroid": centroid}


SWELL_DB = 3.0
"""A gap's bed rising this far above its level at the gap's ends counts as a swell (half the default duck)."""
SHORT_GAP_SECONDS = 3.0
"""A swell in a gap shorter than this is pumping: up and down again within a second or two."""


def render_own_bed(name: str, root: Path, folder: Path) -> tuple[list[dict[str, float]], npt.NDArray[np.float64]]:
    """``name`` rendered with its own bed by the checkout at ``root``: its events and ``(frames, channels)``."""
    import json
    import subprocess

    import soundfile

    def run(*args: str) -> str:
        # Run in ``root``: ``-m`` puts the working folder before PYTHONPATH.
        return subprocess.run([sys.executable, "-m", "voiceguide", *args], capture_output=True, text=True,
                              check=True, cwd=root, env=dict(os.environ, PYTHONPATH=str(root))).stdout

    events = [e for e in json.loads(run("plan", name, "--json"))["events"] if e["duration"] > 0]
    path = folder / f"{name}.wav"
    run("render", name, "-o", str(path), "--plain")
    audio, _ = soundfile.read(path, dtype="float64", always_2d=True)
    return events, audio


def gap_swells(events: list[dict[str, float]], power: Array, rate: int) -> list[tuple[float, float]]:
    """Every gap between sounds: (its length, how far the bed in it rises above its level at the gap's ends).

    In a gap the mix is the bed alone; its level in 0.2-s windows (in 50 ms brown noise alone varies by
    3 dB), against the higher of the first and the last window (the bed still or already ducked there):
    0 dB where it stays down, up to the duck where it comes back up.
    """
    window = round(0.2 * rate)
    found = []
    for a, b in zip(events, events[1:], strict=False):
        first, last = round((a["t"] + a["duration"]) * rate), round(b["t"] * rate)
        count = (last - first) // window
        if count < 3:
            continue
        levels = 10 * np.log10(power[first:first + count * window].reshape(count, window).mean(axis=1) + 1e-20)
        found.append(((last - first) / rate, float(levels.max() - max(levels[0], levels[-1]))))
    return found


def duck_in_render(name: str, versions: dict[str, Path], folder: Path) -> None:
    """A shipped session rendered with its own bed, by each version: the bed around the cues, and its swells."""
    for version, root in versions.items():
        events, audio = render_own_bed(name, root, folder)
        report_duck(name, version, events, (audio**2).sum(axis=1), SAMPLE_RATE)


def report_duck(name: str, version: str, events: list[dict[str, float]], power: Array, rate: int) -> None:
    """The bed's level around the cues and its swells in the gaps, from the mix's power per frame."""

    def level(a: float, b: float) -> float:
        return float(10 * np.log10(power[int(a * rate):int(b * rate)].mean() + 1e-20))

    before, after = [], []
    for previous, event, following in zip(events, events[1:], events[2:], strict=False):
        end = event["t"] + event["duration"]
        if event["t"] - (previous["t"] + previous["duration"]) > 3.0:  # the bed is up before this cue
            up = level(event["t"] - 2.0, event["t"] - 1.0)
            before.append((level(event["t"] - 0.7, event["t"] - 0.35) - up,
                           level(event["t"] - 0.05, event["t"]) - up))
        if following["t"] - end > 3.0:  # and comes back after it
            up = level(end + 1.5, end + 2.5)
            after.append((level(end + 0.05, end + 0.15) - up, level(end + 0.5, end + 0.6) - up))
    swells = np.array(gap_swells(events, power, rate))
    short = swells[swells[:, 0] < SHORT_GAP_SECONDS]
    rising = short[short[:, 1] >= SWELL_DB]
    minutes = (events[-1]["t"] + events[-1]["duration"]) / 60
    b, a = np.median(np.array(before), axis=0), np.median(np.array(after), axis=0)
    print(f"{name:<15}{version:<7} before a cue (re the bed 1-2 s before): {b[0]:+5.1f} dB at -0.7..-0.35 s, "
          f"{b[1]:+5.1f} dB in the last 50 ms; after one (re 1.5-2.5 s after): {a[0]:+5.1f} dB at 0.05-0.15 s, "
          f"{a[1]:+5.1f} dB at 0.5-0.6 s; gaps under {SHORT_GAP_SECONDS:g} s: {len(short)} "
          f"({len(short) / minutes:.1f}/min), the bed rising in them (median, max) "
          f"{np.median(short[:, 1]) if len(short) else 0:+.1f}, {short[:, 1].max() if len(short) else 0:+.1f} dB, "
          f"{len(rising)} swells of {SWELL_DB:g} dB or more ({len(rising) / minutes:.1f}/min); "
          f"all gaps: {(swells[:, 1] >= SWELL_DB).sum() / minutes:.1f} swells/min", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sounds", nargs="*", default=list(SOUND_NAMES))
    parser.add_argument("--sessions", nargs="*", default=["quick-relief", "breathing", "sciatica"],
                        help="shipped sessions whose duck is measured in a render with their own bed")
    parser.add_argument("--before", metavar="COMMIT", help="also measure the duck as COMMIT renders it")
    options = parser.parse_args()
    print(f"load {os.getloadavg()[0]:.1f}; {options.minutes:g} min of each bed alone, stereo, {SAMPLE_RATE} Hz")
    if options.sounds:
        print(f"{'sound':<8}{'ST LUFS p10-p90':>16}{'min-max':>9}{'max 1-s step':>13}{'click max':>10}{'>10':>5}"
              f"{'repeat max':>11}{'>0.9':>7}{'fresh noise':>12}{'>8 kHz':>8}{'4-8 kHz':>8}{'centroid':>9}")
    for name in options.sounds:
        r = measure_sound(name, options.minutes)
        print(f"{name:<8}{r['p90'] - r['p10']:>13.1f} LU{r['max'] - r['min']:>6.1f} LU{r['step']:>10.1f} LU"
              f"{r['click']:>10.1f}{r['clicks']:>5}{r['rep']:>11.2f}{r['rep_share']:>7.1%}"
              f"{r['ref_rep']:>7.2f} {r['ref_share']:>4.1%}{r['above8']:>6.0f} dB{r['mid']:>5.0f} dB"
              f"{r['centroid']:>6.0f} Hz", flush=True)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="voiceguide-bed-comfort-") as scratch:
        versions = {"now": ROOT}
        if options.before:
            from before_after import pristine_copy

            versions[options.before[:7]] = pristine_copy(options.before, Path(scratch) / "before")
        for session in options.sessions:
            duck_in_render(session, versions, Path(scratch))
    print(f"load {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
