"""Are a press's side cues heard from their side, and everything else from the centre?

Renders a session with sides (default ``quick-relief``: left side then right
side) as stereo WAV without a bed, stereo with its own bed, and ``--mono``,
and measures, from the plan's events:

- each cue's channel level difference (left minus right RMS, dB) over its
  stretch, grouped by side and by whether the spec pans it (announcement,
  press, time-left, countdown, release: "clearly but not only in one ear";
  everything else, the breathing inside a hold too, centred);
- the bed's balance between the cues (left minus right, dB, over 1-s windows);
- the integrated loudness (BS.1770) of each file: ``--mono`` must keep it.

Usage: python benchmarks/side_cues.py [SESSION]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from voiceguide.timeline.compiler import PANNED_CUES  # noqa: E402


def voiceguide(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "voiceguide", *args], capture_output=True, text=True,
                          check=True).stdout


def level_db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(samples.astype(np.float64) ** 2) + 1e-20))


def main() -> None:
    import pyloudnorm

    name = sys.argv[1] if len(sys.argv) > 1 else "quick-relief"
    events = json.loads(voiceguide("plan", name, "--json", "--no-background"))["events"]
    print(f"load {os.getloadavg()[0]:.1f}; {name}")
    with tempfile.TemporaryDirectory(prefix="voiceguide-side-cues-") as scratch:
        files = {label: Path(scratch) / f"{label}.wav" for label in ("stereo", "bed", "mono")}
        voiceguide("render", name, "-o", str(files["stereo"]), "--no-background")
        voiceguide("render", name, "-o", str(files["bed"]))
        voiceguide("render", name, "-o", str(files["mono"]), "--no-background", "--mono")
        audio = {label: soundfile.read(path, dtype="float32", always_2d=True) for label, path in files.items()}
    stereo, rate = audio["stereo"]
    by_side: dict[str, list[float]] = defaultdict(list)
    for event in events:
        if event["duration"] <= 0:
            continue
        stretch = stereo[int(event["t"] * rate):int((event["t"] + event["duration"]) * rate)]
        difference = level_db(stretch[:, 0]) - level_db(stretch[:, 1])
        panned = event["side"] and event["cue"] in PANNED_CUES
        key = f"{event['side'] or 'no side'}, {'panned' if panned else 'centred'}: {event['kind']}"
        by_side[key].append(difference)
    print("cues (side, the spec's, kind)      count   left - right, dB: median (min to max)")
    for key, values in sorted(by_side.items()):
        print(f"  {key:<32}{len(values):>5}   {np.median(values):+6.1f} ({min(values):+.1f} to {max(values):+.1f})")
    bed, _ = audio["bed"]
    voiced = np.zeros(len(bed), dtype=bool)
    for event in events:
        voiced[max(0, int((event["t"] - 0.5) * rate)):int((event["t"] + event["duration"] + 1.5) * rate)] = True
    balance = [level_db(bed[i:i + rate, 0]) - level_db(bed[i:i + rate, 1])
               for i in range(0, len(bed) - rate, rate) if not voiced[i:i + rate].any()]
    print(f"bed alone between cues: {len(balance)} s, left - right {np.median(balance):+.2f} dB median "
          f"({np.percentile(balance, 5):+.2f} to {np.percentile(balance, 95):+.2f}, 5th-95th percentile)")
    for label, (samples, file_rate) in audio.items():
        loudness = pyloudnorm.Meter(file_rate).integrated_loudness(samples.astype(np.float64))
        print(f"{label:<7} {samples.shape[1]} channel(s): {loudness:6.1f} LUFS integrated")


if __name__ == "__main__":
    main()
