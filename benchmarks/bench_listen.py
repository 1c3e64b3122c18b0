"""Voice commands, measured in one run: recognition, false triggers, the player's own voice, delay and CPU.

- **Recognition**: every command phrase said by voices that are not the app's
  (hibari at three speeds and three noise seeds, and espeak-ng's American
  voice), 120 commands, each run through the real pipeline (WebRTC VAD
  segmenter, Whisper tiny.en, exact-phrase match) clean and with white noise
  at 20 dB SNR.  Goal: >= 95 % each.
- **False triggers**: 40 remarks that are not commands, through the same
  pipeline.  Goal: <= 1.
- **The player's own voice**: the whole rendered sciatica session fed to the
  microphone pipeline as if it were the room's echo, with the gate that ``play
  --listen`` uses (built from the plan's sounds) and, for comparison, without
  it (what the recognizer alone would do).  Goal: 0 with the gate.
- **Delay and CPU, live**: ``play --listen`` in a private PulseAudio room (the
  speaker looped back into the microphone); six commands said in the
  session's quiet moments; the delay from the end of each command to the start
  of its answer, from a recording of the speaker; the player's CPU time over
  the session against the same session without ``--listen``.  Goals: delay
  <= 1.0 s (stretch 0.7 s); CPU <= 50 % of one core averaged.

Needs the ``listen`` and ``natural`` extras and PulseAudio (``./dev bench listen``).
Usage: python benchmarks/bench_listen.py [--skip-live]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from voiceguide.play.listen import (  # noqa: E402
    FRAME_SAMPLES,
    LISTEN_RATE,
    VOICE_COMMANDS,
    Segmenter,
    SoundGate,
    match_command,
    webrtc_vad,
)
from voiceguide.play.recognizer import WhisperRecognizer  # noqa: E402

REMARKS = [
    "I think my leg hurts a bit.", "That feels better now.", "Where was I?", "Okay, this is nice.",
    "My thumb is getting tired.", "Is it time to switch sides?", "The phone is ringing.", "Hold on a second.",
    "That is a lot of pressure.", "I can feel it in my knee.", "Should I breathe faster?", "It is warm in here.",
    "My back feels stiff today.", "I forgot to drink water.", "This mat is too hard.", "The dog is barking.",
    "I need to stretch my arm.", "How many rounds are there?", "Let me turn over.", "That was the left side.",
    "I am feeling sleepy.", "The light is too bright.", "Can you hear the rain?", "I will try again tomorrow.",
    "My foot is tingling.", "This is the second time today.", "The pain is going down.", "I like this voice.",
    "Where is the pillow?", "It is getting late.", "I should call the doctor.", "That point is sore.",
    "My neck is tense.", "Let me find the spot again.", "The music next door is loud.", "I am almost done.",
    "Breathing slowly helps.", "I moved my hand by mistake.", "The blanket fell off.", "Thank you, that was good.",
]


def hibari_voice() -> object:
    from hibari import Hibari

    return Hibari()


def to_listen_rate(audio: np.ndarray, rate: int) -> np.ndarray:
    import soxr

    return np.asarray(soxr.resample(np.asarray(audio, dtype=np.float32), rate, LISTEN_RATE), dtype=np.float32)


def command_takes() -> list[tuple[str, np.ndarray]]:
    """(expected action, 16 kHz audio) for every phrase and voice."""
    voice = hibari_voice()
    takes = []
    for phrase, action in VOICE_COMMANDS.items():
        text = phrase.capitalize() + "."
        for speed in (0.9, 1.0, 1.15):
            for seed in (1, 2, 3):
                takes.append((action, to_listen_rate(voice(text, speed=speed, seed=seed), 24000)))  # type: ignore[operator]
    from voiceguide.speech.pyttsx3_engine import Pyttsx3Synthesizer

    espeak = Pyttsx3Synthesizer(language="en-US")
    try:
        for phrase, action in VOICE_COMMANDS.items():
            takes.append((action, to_listen_rate(espeak.synthesize(phrase.capitalize() + "."), espeak.sample_rate)))
    finally:
        espeak.close()
    return takes


def with_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    power = float(np.mean(np.square(audio[np.abs(audio) > 1e-4]))) if np.any(np.abs(audio) > 1e-4) else 1e-6
    noise = rng.standard_normal(audio.size) * np.sqrt(power / 10 ** (snr_db / 10))
    return (audio + noise).astype(np.float32)


def heard_actions(recognizer: WhisperRecognizer, audio: np.ndarray, gate: SoundGate | None = None,
                  rng: np.random.Generator | None = None, snr_db: float | None = None,
                  texts: list[str] | None = None) -> list[str | None]:
    """Every segment the pipeline cuts from ``audio`` (padded with silence), as the action it matched."""
    padded = np.concatenate([np.zeros(LISTEN_RATE // 2, np.float32), audio, np.zeros(LISTEN_RATE, np.float32)])
    if snr_db is not None and rng is not None:
        padded = with_noise(padded, snr_db, rng)
    segmenter = Segmenter(webrtc_vad())
    actions: list[str | None] = []
    for index in range(padded.size // FRAME_SAMPLES):
        frame = padded[index * FRAME_SAMPLES:(index + 1) * FRAME_SAMPLES]
        segment = segmenter.push(frame, (index + 1) * FRAME_SAMPLES / LISTEN_RATE)
        if segment is None:
            continue
        if gate is not None and gate.covers(segment):
            continue
        text = recognizer.transcribe(segment.samples)
        actions.append(match_command(text))
        if texts is not None and actions[-1] is not None:
            texts.append(text)
    return actions


def recognition(recognizer: WhisperRecognizer) -> None:
    takes = command_takes()
    rng = np.random.default_rng(20)
    for label, snr in (("clean", None), ("white noise, 20 dB SNR", 20.0)):
        right = sum(heard_actions(recognizer, audio, rng=rng, snr_db=snr) == [action] for action, audio in takes)
        print(f"  commands recognised, {label:<24} {right:>4} / {len(takes)} = {right / len(takes):6.1%}"
              "  (goal >= 95 %)")
    voice = hibari_voice()
    fired = 0
    for remark in REMARKS:
        audio = to_listen_rate(voice(remark, seed=5), 24000)  # type: ignore[operator]
        fired += sum(action is not None for action in heard_actions(recognizer, audio))
    print(f"  false triggers on {len(REMARKS)} remarks {'':<14} {fired:>4}          (goal <= 1)")


def own_voice(recognizer: WhisperRecognizer, work: Path) -> None:
    """The rendered sciatica session as the microphone's input: with the gate (as played) and without."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), VOICEGUIDE_CACHE_DIR=str(work / "cache-own"))
    wav = work / "sciatica.wav"
    subprocess.run([sys.executable, "-m", "voiceguide", "render", "sciatica", "-o", str(wav)], env=env, check=True,
                   capture_output=True)
    plan = json.loads(subprocess.run([sys.executable, "-m", "voiceguide", "plan", "sciatica", "--json"], env=env,
                                     check=True, capture_output=True, text=True).stdout)
    audio, rate = soundfile.read(str(wav), dtype="float32")
    mic = to_listen_rate(audio, rate)
    offset = 0.5  # heard_actions pads half a second of silence in front
    gate = SoundGate(keep_seconds=float("inf"))  # every sound of the session is noted before any is heard
    for event in plan["events"]:
        gate.note_sound(offset + event["t"], offset + event["t"] + event["duration"])
    started = time.perf_counter()
    gated = heard_actions(recognizer, mic, gate)
    gated_seconds = time.perf_counter() - started
    fired: list[str] = []
    ungated = heard_actions(recognizer, mic, texts=fired)
    print(f"  the player's own voice, {len(mic) / LISTEN_RATE / 60:.1f} min of sciatica as the room's echo:")
    print(f"    with the gate (as played)      {sum(a is not None for a in gated):>4} commands from "
          f"{len(gated)} segments recognised  (goal 0; {gated_seconds:.1f} s to process)")
    print(f"    without it (recognizer alone)  {sum(a is not None for a in ungated):>4} commands from "
          f"{len(ungated)} segments: {', '.join(repr(text) for text in fired)}")


LIVE_SCRIPT = """\
voiceguide: 1
title: Listening benchmark
steps:
  - say: Lie still. I will be quiet for a while.
  - press: {point: GB30, hold: 90s, prepare: 1s, cue_every: 30s}
  - say: That is the end.
"""


def _collect(process: subprocess.Popen[str], lines: list[str]) -> None:
    lines.extend(process.stdout or [])


def live(work: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.onsets import detect_onsets
    from tests.pulse import start_pulse
    from tests.room import wait_for_answer_to_end

    script = work / "live.yaml"
    script.write_text(LIVE_SCRIPT)
    voice = hibari_voice()
    commands = {}
    for text in ("Time left.", "Pause.", "Continue.", "Louder.", "Softer.", "Next."):
        path = work / f"{text.strip('.').replace(' ', '_').lower()}.wav"
        soundfile.write(str(path), to_listen_rate(voice(text, seed=7), 24000), LISTEN_RATE)  # type: ignore[operator]
        commands[text] = path
    with start_pulse(work / "pulse", microphone=True, echo=True) as room:
        env = dict(room.env, VOICEGUIDE_CACHE_DIR=str(work / "cache"), PYTHONPATH=str(ROOT))
        for listen in (False, True):  # the first run also fills the speech cache
            extra = ["--listen"] if listen else []
            args = [sys.executable, "-m", "voiceguide", "play", str(script), "--plain", *extra]
            recording = work / f"speaker-{listen}.wav"
            with room.record(recording):
                recording_started = time.monotonic()
                process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                lines: list[str] = []
                threading.Thread(target=_collect, args=(process, lines), daemon=True).start()
                started = time.monotonic()
                said: list[tuple[str, float]] = []
                if listen:
                    while not any("Press now" in line for line in lines) and process.poll() is None:
                        time.sleep(0.05)
                    time.sleep(3)
                    for text in commands:
                        room.say_into_microphone(commands[text]).wait()
                        said.append((text, time.monotonic()))
                        wait_for_answer_to_end(recording)  # a person waits for the answer before speaking again
                _, status, usage = os.wait4(process.pid, 0)  # the player's own CPU time, all its threads
                process.returncode = os.waitstatus_to_exitcode(status)
                cpu = usage.ru_utime + usage.ru_stime
                wall = time.monotonic() - started
            label = "with --listen" if listen else "without --listen"
            print(f"  live play {label:<17}: {cpu:5.1f} s CPU over {wall:5.1f} s = {cpu / wall:6.1%} of one core"
                  + ("  (goal <= 50 %)" if listen else ""))
            if listen:
                audio, rate = soundfile.read(str(recording), dtype="float64")
                onsets = [recording_started + frame / rate for frame in detect_onsets(np.asarray(audio), rate)]
                delays = [(text, next((t - ended for t in onsets if t > ended), float("nan"))) for text, ended in said]
                print("  delay from the end of a command to its answer: "
                      + ", ".join(f"{text.rstrip('.').lower()} {delay:.2f} s" for text, delay in delays))
                finite = [delay for _, delay in delays if delay == delay]
                if finite:
                    print(f"    mean {sum(finite) / len(finite):.2f} s, worst {max(finite):.2f} s "
                          "(goal <= 1.0 s, stretch 0.7 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-live", action="store_true", help="skip the live PulseAudio part")
    parser.add_argument("--only-live", action="store_true", help="only the live PulseAudio part")
    options = parser.parse_args()
    recognizer = WhisperRecognizer()
    with tempfile.TemporaryDirectory(prefix="voiceguide-bench-listen-") as scratch:
        work = Path(scratch)
        if not options.only_live:
            print("recognition (the real pipeline: VAD segmenter, Whisper tiny.en, exact phrases):")
            recognition(recognizer)
            own_voice(recognizer, work)
        if not options.skip_live:
            print("live (PulseAudio room, speaker looped into the microphone):")
            live(work)


if __name__ == "__main__":
    main()
