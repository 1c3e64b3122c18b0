"""Speech synthesis, side by side: our speech bank vs naive pyttsx3 vs raw libespeak-ng.

The same ~100 distinct utterances of the shipped sessions are synthesized by

  (a) ours: ``Pyttsx3Synthesizer`` (worker process, batched) + ``SpeechBank``,
      with an empty disk cache (cold: includes starting the worker, trimming,
      checking and writing the cache), one ``clip()`` per text instead of the
      batched ``prefetch`` (cold too), and again with the cache filled (warm);
  (b) the naive route: one pyttsx3 engine in a process, ``save_to_file`` +
      ``runAndWait`` per cue, each file read back with soundfile;
  (c) the floor: libespeak-ng called through ctypes, synchronously, no files.

(b) and (c) each run in a fresh child process (espeak can be initialized once
per process, and pyttsx3 prints to stdout).  Run: ``python benchmarks/bench_synth.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RATE_WPM = 160
VOICE_ID = "gmw/en"
COUNT = 100


def session_utterances(count: int = COUNT) -> list[str]:
    """The first ``count`` distinct texts the shipped sessions speak (at two paces)."""
    from voiceguide.script.parse import load_script
    from voiceguide.timeline.compiler import utterances

    texts: dict[str, None] = {}
    for pace in (Fraction(1), Fraction(3, 2), Fraction(1, 2)):
        for path in sorted((REPO / "scripts").glob("*.yaml")):
            for text in utterances(load_script(path), pace=pace):
                texts.setdefault(text, None)
    result = list(texts)[:count]
    if len(result) < count:  # pad with plain session-like sentences
        result += [f"Hold the point for {n} more breaths." for n in range(count - len(result))]
    return result


# -- child processes ---------------------------------------------------------------


def naive_child(texts: list[str]) -> dict[str, float]:
    """(b): one pyttsx3 engine in this process, a file per cue, as the pyttsx3 docs suggest."""
    import pyttsx3
    import soundfile

    frames = 0
    with tempfile.TemporaryDirectory() as directory, open(os.devnull, "w") as devnull, \
            contextlib.redirect_stdout(devnull):
        started = time.perf_counter()
        engine = pyttsx3.init()
        engine.setProperty("voice", VOICE_ID)
        engine.setProperty("rate", RATE_WPM)
        for index, text in enumerate(texts):
            path = os.path.join(directory, f"{index}.wav")
            engine.save_to_file(text, path)
            engine.runAndWait()
            with contextlib.suppress(Exception):  # bug 1 can lose the first file
                frames += len(soundfile.read(path, dtype="float32")[0])
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "frames": frames}


def floor_child(texts: list[str]) -> dict[str, float]:
    """(c): libespeak-ng through ctypes, synchronous mode, samples collected in memory."""
    import ctypes

    import numpy as np

    lib = ctypes.CDLL("libespeak-ng.so.1")
    audio_output_synchronous, espeak_rate, chars_utf8, end_pause = 2, 1, 1, 0x1000
    callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
    chunks: list[bytes] = []

    def collect(wav: ctypes._Pointer[ctypes.c_short], count: int, events: object) -> int:
        if count > 0:
            chunks.append(ctypes.string_at(wav, count * 2))
        return 0

    callback = callback_type(collect)
    lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                 ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    started = time.perf_counter()
    if lib.espeak_Initialize(audio_output_synchronous, 0, None, 0) <= 0:
        raise RuntimeError("espeak_Initialize failed")
    lib.espeak_SetSynthCallback(callback)
    lib.espeak_SetVoiceByName(VOICE_ID.encode())
    lib.espeak_SetParameter(espeak_rate, RATE_WPM, 0)
    frames = 0
    for text in texts:
        chunks.clear()
        data = text.encode("utf-8")
        lib.espeak_Synth(data, len(data) + 1, 0, 1, 0, chars_utf8 | end_pause, None, None)
        samples = np.frombuffer(b"".join(chunks), dtype=np.int16).astype(np.float32) / 32768
        frames += samples.size
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "frames": frames}


def run_child(mode: str, texts: list[str]) -> dict[str, float]:
    """Run ``mode`` in a fresh interpreter; its JSON result."""
    completed = subprocess.run(
        [sys.executable, __file__, "--child", mode], input=json.dumps(texts), capture_output=True,
        text=True, check=True, cwd=REPO,
    )
    result: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


# -- ours -----------------------------------------------------------------------------------


def ours(texts: list[str], cache: Path, *, batched: bool) -> tuple[float, float, int]:
    """Seconds to have every clip (including the worker's start), seconds of that start, frames."""
    from voiceguide.speech.clips import SpeechBank
    from voiceguide.speech.pyttsx3_engine import Pyttsx3Synthesizer

    started = time.perf_counter()
    with Pyttsx3Synthesizer(voice=VOICE_ID, rate=RATE_WPM) as synth:
        ready = time.perf_counter()
        bank = SpeechBank(synth, cache)
        if batched:
            bank.prefetch(texts)
        else:
            for text in texts:
                bank.clip(text)
        frames = sum(bank.measure(text) for text in texts)
        elapsed = time.perf_counter() - started
    return elapsed, ready - started, frames


def main() -> None:
    """Run every route once, side by side, and print the table."""
    from voiceguide.base import SAMPLE_RATE

    texts = session_utterances()
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as directory:
        cold_batched, start_seconds, trimmed_frames = ours(texts, Path(directory) / "a", batched=True)
        cold_single, _, _ = ours(texts, Path(directory) / "b", batched=False)
        warm, warm_start, _ = ours(texts, Path(directory) / "a", batched=True)
    naive = run_child("naive", texts)
    floor = run_child("floor", texts)

    speech_seconds = naive["frames"] / SAMPLE_RATE
    print(f"{len(texts)} distinct utterances from the shipped sessions; pyttsx3/espeak-ng at {RATE_WPM} wpm, "
          f"voice {VOICE_ID}")
    print(f"untrimmed speech: {speech_seconds:.1f} s; trimmed clips: {trimmed_frames / SAMPLE_RATE:.1f} s")
    print(f"our worker starts in {start_seconds * 1000:.0f} ms (included below)")
    print()
    rows = [
        ("ours, cold cache, batched prefetch", cold_batched),
        ("ours, cold cache, one clip() per text", cold_single),
        ("ours, warm cache", warm),
        ("naive pyttsx3: save_to_file + runAndWait per cue", naive["seconds"]),
        ("floor: raw libespeak-ng via ctypes", floor["seconds"]),
    ]
    print(f"{'route':<50} {'seconds':>8} {'ms/text':>8} {'x real time':>12} {'vs naive':>9}")
    for name, seconds in rows:
        print(f"{name:<50} {seconds:>8.3f} {seconds / len(texts) * 1000:>8.2f} "
              f"{speech_seconds / seconds:>11.0f}x {naive['seconds'] / seconds:>8.2f}x")
    print()
    print(f"warm cache without the worker start: {(warm - warm_start) * 1000:.0f} ms "
          f"({speech_seconds / (warm - warm_start):.0f}x real time)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child_texts = json.loads(sys.stdin.read())
        outcome = naive_child(child_texts) if sys.argv[2] == "naive" else floor_child(child_texts)
        print(json.dumps(outcome))
    else:
        main()
