"""How many renders a lossy file takes, and each render's decoded true peak (``render``'s PeakOver retry).

Usage: ``.venv/bin/python benchmarks/lossy_passes.py quick-relief:.opus breathing:.ogg ...``
(no argument: every shipped session in .opus, .ogg and .mp3; an Opus render of a bed
session costs about 20 s of CPU a pass).  For each: the passes, the decoded true peak
each checked pass measured, and the shipped file's ffmpeg loudness and true peak.
Measurement only: it wraps ``render._mix`` and ``loudness.file_true_peak_dbtp``.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import voiceguide.audio.loudness as loudness
import voiceguide.play.render as render
from voiceguide.play.requests import RenderOptions, SessionOptions
from voiceguide.script.shipped import shipped_scripts


def ffmpeg_meter(path: Path) -> str:
    """ffmpeg's ebur128 integrated loudness and true peak of ``path``, as printed."""
    result = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true",
                             "-f", "null", "-"], capture_output=True, text=True, check=False)
    summary = result.stderr.split("Summary:")[-1].splitlines()
    picked = [line.split(":", 1)[1].strip() for line in summary if line.strip().startswith(("I:", "Peak:"))]
    return " / ".join(picked)


def main(arguments: list[str]) -> None:
    peaks: list[float] = []
    passes: list[int] = []
    measure, mix = loudness.file_true_peak_dbtp, render._mix

    def measured(path: Any) -> float:
        peaks.append(measure(path))
        return peaks[-1]

    def counted(*args: Any, **kwargs: Any) -> None:
        passes.append(1)
        mix(*args, **kwargs)

    loudness.file_true_peak_dbtp = measured  # type: ignore[assignment]
    render._mix = counted  # type: ignore[assignment]
    names = [path.stem for path in shipped_scripts()]
    jobs = arguments or [f"{name}:{ext}" for name in names for ext in (".opus", ".ogg", ".mp3")]
    with tempfile.TemporaryDirectory() as folder:
        for job in jobs:
            name, ext = job.split(":")
            peaks.clear()
            passes.clear()
            out = Path(folder) / f"{name}{ext}"
            started = time.process_time()
            render.render_files(RenderOptions(SessionOptions(name), str(out)), None, lambda _: None)
            cpu = time.process_time() - started
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            checked = ", ".join(f"{peak:+.2f}" for peak in peaks)
            print(f"{name}{ext}: {len(passes)} pass(es), decoded dBTP checked [{checked}], "
                  f"shipped (ffmpeg I / peak) {ffmpeg_meter(out)}, {cpu:.1f} s CPU, max RSS so far {rss} MB",
                  flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
