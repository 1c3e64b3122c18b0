"""The two speech engines side by side, in one run: 1-hour renders cold and warm, and hibari against its floor.

- ``voiceguide render --engine pyttsx3`` and ``--engine hibari`` of the same
  generated 60-minute session (``bench_render.fitted_session``) to WAV, with an
  empty speech cache (cold) and again with it filled (warm), each as wall time
  and as a multiple of real time;
- hibari's synthesis of the session's distinct texts: ours (``HibariSynthesizer``:
  model, resampling to 22,050 Hz) and ours through the speech bank (trim,
  level, cache write), against the floor: the raw ``hibari.Hibari()`` call on
  the same texts in the same process.

Usage: python benchmarks/bench_engines.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:  # run from a checkout without installing
        sys.path.insert(0, str(path))

from bench_render import fitted_session  # noqa: E402


def render(script: Path, output: Path, cache: Path, engine: str) -> tuple[float, float]:
    """``voiceguide render --engine ENGINE`` in a child process: (wall seconds, audio seconds)."""
    env = dict(os.environ, VOICEGUIDE_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "voiceguide", "render", str(script), "-o", str(output), "--engine", engine]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"render --engine {engine} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    info = soundfile.info(str(output))
    return wall, info.frames / info.samplerate


def distinct_texts(script: Path, cache: Path) -> list[str]:
    """The session's distinct spoken texts (from the plan, with the warm hibari cache)."""
    env = dict(os.environ, VOICEGUIDE_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    import json

    done = subprocess.run([sys.executable, "-m", "voiceguide", "plan", str(script), "--json", "--engine", "hibari"],
                          env=env, capture_output=True, text=True, check=True)
    events = json.loads(done.stdout)["events"]
    return list(dict.fromkeys(e["text"] for e in events if e["kind"] == "speech"))


def synthesis_against_floor(texts: list[str], work: Path, rounds: int = 3) -> list[tuple[str, float]]:
    """Best-of-``rounds`` wall times, interleaved: raw hibari (the floor), ours, ours through a cold bank."""
    import hibari

    from voiceguide.speech.clips import SpeechBank
    from voiceguide.speech.hibari_engine import SEED, HibariSynthesizer

    raw = hibari.Hibari(threads=1)
    ours = HibariSynthesizer()
    for text in texts:  # onnxruntime's first run of each input length is slower: warm both up alike
        raw(text, seed=SEED)
    best = {"floor": float("inf"), "ours": float("inf"), "bank": float("inf")}
    for round_number in range(rounds):
        start = time.perf_counter()
        for text in texts:
            raw(text, seed=SEED)
        best["floor"] = min(best["floor"], time.perf_counter() - start)
        start = time.perf_counter()
        for text in texts:
            ours.synthesize(text)
        best["ours"] = min(best["ours"], time.perf_counter() - start)
        bank = SpeechBank(ours, work / f"bank-cache-{round_number}")
        start = time.perf_counter()
        bank.prefetch(texts)
        best["bank"] = min(best["bank"], time.perf_counter() - start)
    return [("raw hibari.Hibari() (the floor)", best["floor"]), ("HibariSynthesizer (model + soxr)", best["ours"]),
            ("SpeechBank cold (+ trim, level, cache)", best["bank"])]


def main() -> None:
    rounds, text = fitted_session(3600)
    with tempfile.TemporaryDirectory(prefix="voiceguide-bench-engines-") as scratch:
        work = Path(scratch)
        script = work / "hour.yaml"
        script.write_text(text)
        print(f"session: {rounds} rounds (about an hour)")
        rows = []
        for engine in ("pyttsx3", "hibari"):
            cache = work / f"cache-{engine}"
            cold = render(script, work / f"{engine}-cold.wav", cache, engine)
            warm = render(script, work / f"{engine}-warm.wav", cache, engine)
            rows.append((f"{engine}: render WAV, cold cache", *cold))
            rows.append((f"{engine}: render WAV, warm cache", *warm))
        print(f"\n{'':<44} {'wall':>9} {'x real time':>12} {'length':>8}")
        for label, wall, audio in rows:
            print(f"{label:<44} {wall:>8.2f}s {audio / wall:>11,.0f}x {audio / 60:>6.1f}m")
        texts = distinct_texts(script, work / "cache-hibari")
        seconds = synthesis_against_floor(texts, work)
        floor = seconds[0][1]
        print(f"\nhibari, {len(texts)} distinct texts (best of 3, interleaved, after a warm-up pass):")
        for label, wall in seconds:
            print(f"  {label:<42} {wall:>7.2f}s  {wall / floor:5.2f} x floor")


if __name__ == "__main__":
    main()
