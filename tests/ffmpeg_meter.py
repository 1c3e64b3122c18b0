"""ffmpeg's ebur128 meter: an independent reading of a file's loudness and true peak (BS.1770)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.required import required


def ebur128(path: Path) -> tuple[float, float]:
    """``path``'s integrated loudness (LUFS) and true peak (dBTP) as ffmpeg's ``ebur128=peak=true`` reads them."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        required("no ffmpeg (Debian package ffmpeg; ./dev test installs it)")
    done = subprocess.run([ffmpeg, "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true",
                           "-f", "null", "-"], capture_output=True, text=True, check=True, timeout=120)
    summary = done.stderr[done.stderr.rindex("Summary:"):]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    assert integrated is not None and peak is not None, summary
    return float(integrated.group(1)), float(peak.group(1))
