"""How many renders a lossy file takes, each render's decoded true peak, and the shipped file by ffmpeg's meter.

Usage: ``.venv/bin/python benchmarks/lossy_passes.py [--before REV|FOLDER] [NAME:EXT ...]``
(no job: every shipped session as ``.opus``, then as ``.ogg`` for the CPU to compare with).

Each render runs in a fresh process (so its CPU and peak memory are its own) on the
working tree; with ``--before REV`` the same job runs first on that revision (``git
archive`` into a temporary folder, the same interpreter and packages), and the two
are printed side by side.  Per render: the passes, the decoded true peak each
measured pass read (our meter, on libsndfile's decoder, without the 0.25-dB margin
``render`` adds for other meters), "(warned)" if ``render`` warned that the file
is over the ceiling, the shipped file's integrated loudness and true peak on ffmpeg's
``ebur128`` (an independent meter), its size, the CPU time of ``render_files``
and the process's peak RSS.  Measurement only: the child wraps ``render._mix``
and ``loudness.file_peaks`` to count.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def ffmpeg_meter(path: Path) -> tuple[float, float]:
    """ffmpeg's ebur128 integrated loudness (LUFS) and true peak (dBTP) of ``path``."""
    result = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true",
                             "-f", "null", "-"], capture_output=True, text=True, check=True)
    summary = result.stderr.split("Summary:")[-1].splitlines()
    values = {line.split(":")[0].strip(): float(line.split(":")[1].split()[0]) for line in summary
              if line.strip().startswith(("I:", "Peak:"))}
    return values["I"], values["Peak"]


def child(name: str, extension: str, output: str) -> None:
    """One render, in this process, of the tree on ``sys.path``; prints one JSON line."""
    import voiceguide.audio.loudness as loudness
    import voiceguide.play.render as render
    from voiceguide.play.requests import RenderOptions, SessionOptions

    peaks: list[float] = []
    passes: list[int] = []
    measure, mix = loudness.file_peaks, render._mix

    def measured(path: Any, over_dbtp: float) -> Any:
        found = measure(path, over_dbtp)
        peaks.append(found.peak_dbtp)
        return found

    def counted(*args: Any, **kwargs: Any) -> None:
        passes.append(1)
        mix(*args, **kwargs)

    loudness.file_peaks = measured
    render._mix = counted  # type: ignore[assignment]
    warnings: list[str] = []
    started = time.process_time()
    render.render_files(RenderOptions(SessionOptions(name), output), None,
                        lambda found: warnings.extend(d.message for d in found))
    cpu = time.process_time() - started
    print(json.dumps({"passes": len(passes), "peaks": peaks, "cpu": cpu, "warnings": warnings,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run(tree: Path, name: str, extension: str, folder: Path) -> str:
    """One job rendered by ``tree`` in a child process: its summary as one table cell."""
    output = folder / f"{tree.name}-{Path(name).stem}{extension}"  # a shipped name or a script's path
    environment = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, __file__, "--child", name, extension, str(output)], cwd=folder,
                          env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return f"failed: {done.stderr.strip().splitlines()[-1:]}"
    found = json.loads(done.stdout.strip().splitlines()[-1])
    integrated, peak = ffmpeg_meter(output)
    checked = ", ".join(f"{value:+.2f}" for value in found["peaks"])
    size = output.stat().st_size / 1e6
    output.unlink()
    warned = " (warned)" if any("true peak" in text for text in found["warnings"]) else ""
    return (f"{found['passes']} pass(es) [{checked}]{warned}, {integrated:.1f} LUFS / {peak:+.1f} dBTP, "
            f"{size:.2f} MB, {found['cpu']:.1f} s CPU, {found['rss_mb']:.0f} MB")


def main(arguments: list[str]) -> None:
    before = None
    if arguments[:1] == ["--before"]:
        before, arguments = arguments[1], arguments[2:]
    sys.path.insert(0, str(ROOT))
    from voiceguide.script.shipped import shipped_scripts

    names = [path.stem for path in shipped_scripts()]
    jobs = arguments or [f"{name}:{ext}" for ext in (".opus", ".ogg") for name in names]
    load = os.getloadavg()[0]
    print(f"load {load:.1f} at the start; before = {before or '-'}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        old = None
        if before is not None and Path(before).is_dir():
            old = Path(before).resolve()  # a tree already laid out
        elif before is not None:
            old = folder / "before"
            old.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", before], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        for job in jobs:
            name, extension = job.split(":")
            cells = [run(old, name, extension, folder)] if old is not None else []
            cells.append(run(ROOT, name, extension, folder))
            print(f"| {name}{extension} | " + " | ".join(cells) + " |", flush=True)
    print(f"load {os.getloadavg()[0]:.1f} at the end", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:5])
    else:
        main(sys.argv[1:])
