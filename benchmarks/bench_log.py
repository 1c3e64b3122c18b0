"""Benchmark ``voiceguide log`` on a generated log of a million sessions: this checkout beside another (main).

Run: ``.venv/bin/python benchmarks/bench_log.py [--records N] [--before REF] [--timeout S]``

Writes a log of N records (default 1,000,000; a session every 30 minutes,
most with pain answers) into a temporary data folder, exports the git ref
``--before`` (default ``main``) into a temporary folder with ``git archive``,
and runs each command with both codes in turn, under ``/usr/bin/time -v``
(when present): ``log``, ``log --csv`` (to /dev/null), ``log --plot`` (the
text chart), ``log --plot FILE.png``.  Prints wall time, peak memory and the
exit status side by side; a run past ``--timeout`` seconds is killed and
shown as such.  Targets: ``log`` under 1 s and 100 MB, ``--csv`` in flat
memory, ``--plot`` in a few seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMANDS = (("log",), ("log", "--csv"), ("log", "--plot"), ("log", "--plot", "{tmp}/chart.png"))


def write_log(path: Path, count: int) -> None:
    """A log of ``count`` records, written the way the recorder writes them (one JSON line each)."""
    sys.path.insert(0, str(REPO))
    from voiceguide.log.record import Record, format_record

    start = datetime(2020, 1, 1, 7, 0, tzinfo=timezone(timedelta(hours=1)))
    with open(path, "wb") as file:
        for n in range(count):
            record = Record(started_at=start + timedelta(minutes=30 * n), session=f"Sciatica relief {n % 7}",
                            script="sciatica", script_sha256="0" * 64, planned_seconds=812.4,
                            played_seconds=812.4, completed=1.0, ended="done",
                            pain_before=None if n % 5 == 0 else 3 + n % 6, pain_after=None if n % 5 == 0 else 2)
            file.write(format_record(record))


def export(ref: str, folder: Path) -> Path:
    """The code of ``ref`` in ``folder`` (its ``voiceguide`` package only)."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "voiceguide"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def measure(code: Path, args: tuple[str, ...], env: dict[str, str], timeout: float,
            memory_mb: int) -> tuple[str, str, str]:
    """(seconds, peak MiB, exit status) of ``python -m voiceguide ARGS`` run with the code in ``code``.

    Run in a session of its own, under an address-space limit of ``memory_mb``
    (the machine is shared: the old ``--plot`` of a million records grew to
    8.5 GB), and killed as a group past ``timeout``.
    """
    command = [sys.executable, "-m", "voiceguide", *args]
    if os.path.exists("/usr/bin/time"):
        command = ["/usr/bin/time", "-v", *command]

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))

    begin = time.monotonic()
    # cwd: the code's own folder, which "python -m" puts first on the path (not this checkout's).
    with subprocess.Popen(command, env={**env, "PYTHONPATH": str(code)}, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, errors="replace", cwd=code,
                          start_new_session=True, preexec_fn=limit) as process:
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return f"killed at {timeout:.0f} s", "-", "-"
    seconds = time.monotonic() - begin
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    status = re.search(r"Exit status: (\d+)", stderr)
    memory_error = " (MemoryError)" if "MemoryError" in stderr else ""
    return (f"{seconds:.2f} s", f"{int(peak.group(1)) / 1024:.0f} MB" if peak else "?",
            (status.group(1) if status else str(process.returncode)) + memory_error)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--before", default="main", help="the git ref to compare with (default: main)")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--log", type=Path, help="an existing log to measure instead of writing one")
    parser.add_argument("--memory-mb", type=int, default=3000, help="address-space limit of each run (MB)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp, "data")
        data.mkdir()
        began = time.monotonic()
        if options.log is not None:
            (data / "sessions.jsonl").symlink_to(options.log.resolve())
        else:
            write_log(data / "sessions.jsonl", options.records)
        size = (data / "sessions.jsonl").stat().st_size
        print(f"log of {options.records:,} records, {size / 2**20:.0f} MiB, ready in "
              f"{time.monotonic() - began:.1f} s; load: {os.getloadavg()[0]:.1f}")
        before = export(options.before, Path(tmp, "before"))
        env = {**os.environ, "VOICEGUIDE_DATA_DIR": str(data), "MPLBACKEND": "Agg"}
        print(f"{'command':<28} {'before (' + options.before + ')':<34} {'after (this checkout)':<34}")
        for args in COMMANDS:
            args = tuple(arg.format(tmp=tmp) for arg in args)
            shown = " ".join("FILE.png" if arg.endswith(".png") else arg for arg in args)
            old = measure(before, args, env, options.timeout, options.memory_mb)
            new = measure(REPO, args, env, options.timeout, options.memory_mb)
            print(f"{shown:<28} {', '.join(old):<34} {', '.join(new):<34}")


if __name__ == "__main__":
    main()
