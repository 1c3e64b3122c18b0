"""Voice commands, measured in one run: recognition, the room's sounds, the player's own voice, barge-in, delay.

- **Recognition**: every command phrase (the alternatives too) said by voices
  nobody tuned with (``tests.voices.TEST_VOICES``: seven espeak-ng voices and
  variants at 130-200 words a minute, hibari at four speeds), through the live
  path (WebRTC VAD segmenter, the judge, Whisper tiny.en, exact phrases): clean,
  with white noise at 20 dB SNR, with a background bed (rain-like noise) playing
  in the room, and both; beside the whole recording given to the recognizer.
  Goal: >= 98 % each.
- **The real beds** (alone: ``--only-bed-stages``): every built-in sound
  (``voiceguide.audio.sounds``) echoing into the microphone through a simulated
  room, at the level a session plays it (20 LU under the voice, not ducked:
  the user speaks between cues): recognition beside the clean takes, quiet or
  far voices, and false commands from minutes of each bed alone; the shipped
  listening stage beside it without denoising and WebRTC's detector alone.  Goals: within 3 points of
  clean; quiet voices not worse; 0.
- **Cancelling the bed** (alone: ``--only-beds``): every built-in bed under
  the takes in one long stream, through a simulated room into a microphone on
  its own drifting clock, heard as it is and after the shipped canceller
  (``voiceguide.play.echo_canceller``, the reference handed over as the live
  path does); false commands from minutes of each bed alone, both ways.  Goal:
  the mean over the beds within 3 points of clean; 0.  The uncancelled beds by
  listening stage, with quiet voices: ``--only-bed-stages``.
- **The room**: minutes of generated bells, ring tones, music, television,
  a conversation and rain (``tests.room_sounds``), and 40 spoken remarks, through
  the same path: false commands per hour, beside what the recognizer alone would
  have taken for commands.  Goal: 0.
- **The player's own voice**: the whole rendered sciatica session fed to the
  microphone as the room's echo, with the gate ``play --listen`` uses (built
  from the plan's sounds) and without it.  Goal: 0 with the gate.
- **Barge-in** (an experiment, not shipped): the same session through a
  simulated reverberant room and an adaptive echo canceller
  (``listen_echo``), with no gate: commands from the own voice, and commands
  said over the voice recognised with and without cancelling.
- **Delay and CPU, live**: ``play --listen`` in a private PulseAudio room (the
  speaker looped back into the microphone); commands by two voices that are not
  the session's, said in its quiet moments; the delay from the end of each
  command to the start of its answer, from a recording of the speaker; the
  player's CPU over the session against the same session without ``--listen``.
  Goals: median <= 0.8 s, max <= 1.0 s; CPU <= 50 % of one core.

- **The canceller's CPU, live** (alone: ``--only-cpu``): ``play --listen``
  with the built-in ``rain`` and without a bed, each with the echo canceller
  and with it patched out, alternated: the player's CPU over its wall time.
  Goal: a bed costs <= 5 points of a core more than no bed.

Needs the ``listen`` and ``natural`` extras and PulseAudio (``./dev bench listen``).
Usage: python benchmarks/bench_listen.py [--skip-live | --only-live | --only-beds | --only-bed-stages |
--only-cpu]
[--skip-beds] [--room-minutes 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "benchmarks"):  # run from a checkout without installing
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from listen_beds import beds_cancelled, real_beds  # noqa: E402
from listen_echo import cancel_echo, echo_return_loss_enhancement, room_echo, suppress_residual  # noqa: E402

from tests.room_sounds import ROOM_SOUNDS, rain  # noqa: E402
from tests.voices import TEST_VOICES, say  # noqa: E402
from voiceguide.play.command_words import SUGGESTED  # noqa: E402
from voiceguide.play.listen import (  # noqa: E402
    FRAME_SAMPLES,
    LISTEN_RATE,
    VOICE_COMMANDS,
    Heard,
    Judge,
    Segment,
    Segmenter,
    SoundGate,
    match_command,
)
from voiceguide.play.recognizer import WhisperRecognizer, listening_vad  # noqa: E402

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

SAY_PHRASES = list(VOICE_COMMANDS)
"""What the voices say: every command phrase."""


def with_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator, bed: np.ndarray | None = None) -> np.ndarray:
    """``audio`` with ``bed`` (or white noise) under it at ``snr_db`` below the voice's power."""
    loud = np.abs(audio) > 1e-4
    power = float(np.mean(np.square(audio[loud]))) if loud.any() else 1e-6
    noise = rng.standard_normal(audio.size) if bed is None else bed[:audio.size]
    noise = noise * np.sqrt(power / 10 ** (snr_db / 10) / float(np.mean(np.square(noise))))
    return (audio + noise).astype(np.float32)


def padded(audio: np.ndarray, before: float = 1.0, after: float = 1.0) -> np.ndarray:
    return np.concatenate([np.zeros(round(before * LISTEN_RATE), np.float32), audio,
                           np.zeros(round(after * LISTEN_RATE), np.float32)])


def shipped_stage() -> Segmenter:
    return Segmenter(listening_vad())


def heard(judge: Judge, audio: np.ndarray, offset: float = 0.0,
          stage: Callable[[], Segmenter] = shipped_stage) -> list[Heard]:
    """Every segment the live path cuts from ``audio`` (its first sample at ``offset`` s), as judged; ``stage``
    makes the segmenter (the shipped one unless told)."""
    segmenter = stage()
    found = []
    for index in range(audio.size // FRAME_SAMPLES):
        frame = audio[index * FRAME_SAMPLES:(index + 1) * FRAME_SAMPLES]
        segment = segmenter.push(frame, offset + (index + 1) * FRAME_SAMPLES / LISTEN_RATE)
        if segment is not None:
            found.append(judge.hear(segment))
    return found


def actions(judge: Judge, audio: np.ndarray) -> list[str]:
    return [item.action for item in heard(judge, audio) if item.action is not None]


def recognition(recognizer: WhisperRecognizer) -> None:
    judge = Judge(recognizer, SoundGate())
    takes = [(voice, phrase, say(phrase.capitalize() + ".", voice)) for voice in TEST_VOICES for phrase in SAY_PHRASES]
    bed = rain(20.0, seed=11)
    rng = np.random.default_rng(20)
    print(f"  {len(TEST_VOICES)} voices x {len(SAY_PHRASES)} phrases = {len(takes)} commands; goal >= 98 % each")
    for label, whisper in (("whole recording, Whisper's 30-s window", WhisperRecognizer(context_seconds=30.0)),
                           ("whole recording, the 8-s window", recognizer)):
        started = time.perf_counter()
        whole = sum(match_command(whisper.hear(padded(audio, 0.25, 0.25)).text) == VOICE_COMMANDS[phrase]
                    for _, phrase, audio in takes)
        each = (time.perf_counter() - started) / len(takes)
        print(f"    {label:<37} {whole:>4} / {len(takes)} = {whole / len(takes):6.1%}  ({each:.2f} s each)")
    clean_misses: list[str] = []
    sizes = Counter(voice.split(":")[0] for voice, _, _ in takes)
    suggested_takes = sum(phrase in SUGGESTED for _, phrase, _ in takes)
    conditions = (("live, clean", None, None), ("live, white noise 20 dB SNR", 20.0, None),
                  ("live, rain bed 20 dB under the voice", None, 20.0), ("live, rain bed and noise 20 dB", 20.0, 20.0))
    for label, snr, bed_snr in conditions:
        right = suggested = 0
        families: Counter[str] = Counter()
        for voice, phrase, audio in takes:
            sound = padded(audio)
            if bed_snr is not None:
                sound = with_noise(sound, bed_snr, rng, np.roll(bed, int(rng.integers(bed.size))))
            if snr is not None:
                sound = with_noise(sound, snr, rng)
            got = heard(judge, sound)
            ok = [item.action for item in got if item.action is not None] == [VOICE_COMMANDS[phrase]]
            right += ok
            suggested += ok and phrase in SUGGESTED
            families[voice.split(":")[0]] += ok
            if not ok and snr is None and bed_snr is None:
                clean_misses.append(f"{phrase} by {voice}: {[item.text or item.ignored for item in got]}")
        print(f"    {label:<37} {right:>4} / {len(takes)} = {right / len(takes):6.1%}  ("
              + ", ".join(f"{family} {count}/{sizes[family]}" for family, count in families.items())
              + f"; the words help suggests {suggested}/{suggested_takes} = {suggested / suggested_takes:.1%})")
    print("    missed, clean: " + ("; ".join(clean_misses) or "none"))


def room(recognizer: WhisperRecognizer, minutes: float) -> None:
    judge = Judge(recognizer, SoundGate())
    total_hours, total_fired, total_naive = 0.0, 0, 0
    print(f"  {minutes:g} minutes of each sound; false commands (recognizer alone, every segment transcribed):")
    for name, make in ROOM_SOUNDS.items():
        audio = padded(make(minutes * 60, 31))
        found = heard(judge, audio)
        fired = [item for item in found if item.action is not None]
        ignored = Counter(item.ignored for item in found if item.ignored)
        naive = 0
        segmenter = Segmenter(listening_vad())
        for index in range(audio.size // FRAME_SAMPLES):
            segment = segmenter.push(audio[index * FRAME_SAMPLES:(index + 1) * FRAME_SAMPLES], index * 0.03)
            if segment is not None:
                naive += match_command(recognizer.hear(segment.samples).text) is not None
        hours = audio.size / LISTEN_RATE / 3600
        total_hours, total_fired, total_naive = total_hours + hours, total_fired + len(fired), total_naive + naive
        print(f"    {name:<13} {len(found):>4} segments ({', '.join(f'{k} {v}' for k, v in ignored.items()) or '-'})"
              f": {len(fired)} commands {[item.text for item in fired] if fired else ''} ({naive} alone)")
    voice_takes = [padded(say(remark, TEST_VOICES[index % len(TEST_VOICES)])) for index, remark in enumerate(REMARKS)]
    remarks = sum(len(actions(judge, take)) for take in voice_takes)
    print(f"    40 remarks said to the player: {remarks} commands")
    print(f"  false commands per hour of room sound: {total_fired / total_hours:.1f} "
          f"(recognizer alone: {total_naive / total_hours:.1f}); goal 0")


def rendered_session(work: Path) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """The sciatica session at 16 kHz as one microphone hears it (its bed included, folded to mono), and when
    each of its sounds plays (seconds)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), VOICEGUIDE_CACHE_DIR=str(work / "cache-own"))
    wav = work / "sciatica.wav"
    run = [sys.executable, "-m", "voiceguide"]
    subprocess.run([*run, "render", "sciatica", "--mono", "-o", str(wav)], env=env, check=True,
                   capture_output=True)
    plan = json.loads(subprocess.run([*run, "plan", "sciatica", "--json"], env=env, check=True, capture_output=True,
                                     text=True).stdout)
    audio, rate = soundfile.read(str(wav), dtype="float32")
    import soxr

    mic = np.asarray(soxr.resample(audio, rate, LISTEN_RATE), dtype=np.float32)
    return mic, [(event["t"], event["t"] + event["duration"]) for event in plan["events"]]


def gate_of(sounds: list[tuple[float, float]], kind: type[SoundGate] = SoundGate) -> SoundGate:
    """A gate that knows every sound of the session before any is heard."""
    gate = kind(keep_seconds=float("inf"))
    for start, end in sounds:
        gate.note_sound(start, end)
    return gate


def own_voice(recognizer: WhisperRecognizer, mic: np.ndarray, sounds: list[tuple[float, float]]) -> None:
    gated = heard(Judge(recognizer, gate_of(sounds)), mic)
    ungated = heard(Judge(recognizer, SoundGate()), mic)
    fired = [item.text for item in ungated if item.action is not None]
    print(f"  {len(mic) / LISTEN_RATE / 60:.1f} min of sciatica as the room's echo:")
    print(f"    with the gate (as played)      {sum(item.action is not None for item in gated):>4} commands from "
          f"{len(gated)} segments (goal 0)")
    print(f"    without it                     {len(fired):>4} commands: {', '.join(map(repr, fired))}")


class CancelledEchoGate(SoundGate):
    """The gate for speaking over the voice: our own sound no longer hides a segment (its echo was cancelled),
    but voice heard during it is still not the room's talk."""

    def covers(self, segment: Segment) -> bool:
        return False


def barge_in(recognizer: WhisperRecognizer, mic: np.ndarray, sounds: list[tuple[float, float]]) -> None:
    echo = np.convolve(mic, room_echo())[:mic.size].astype(np.float32)
    rng = np.random.default_rng(4)
    noisy_echo = echo + 1e-3 * rng.standard_normal(echo.size).astype(np.float32)
    cleaned = cancel_echo(noisy_echo, mic)
    print(f"  echo cancelled by {echo_return_loss_enhancement(echo, cleaned):.1f} dB (simulated room, RT60 0.3 s, "
          "partitioned block NLMS), then frames left 10 dB quieter than the microphone silenced:")
    gate = gate_of(sounds)
    judge = Judge(recognizer, gate_of(sounds, CancelledEchoGate))
    own = [item.text for item in heard(judge, suppress_residual(cleaned, noisy_echo).astype(np.float32))
           if item.action is not None]
    print(f"    own voice, whole session, no gate: {len(own)} commands {own if own else ''} (goal 0)")
    # Commands said over the voice: at 20 moments when the session speaks, as loud as its echo there.
    moments = [t for t in np.arange(10.0, mic.size / LISTEN_RATE - 5, 7.0) if gate.overlaps(t, t + 0.5)][:20]
    spoken = np.zeros_like(echo)
    expected = []
    for index, at in enumerate(moments):
        phrase = SAY_PHRASES[index % len(SAY_PHRASES)]
        voice = say(phrase.capitalize() + ".", TEST_VOICES[index % len(TEST_VOICES)])
        start = round(at * LISTEN_RATE)
        level = np.sqrt(np.mean(np.square(echo[start:start + voice.size])) / np.mean(np.square(voice)))
        spoken[start:start + voice.size] += voice * min(float(level), 1.0)
        expected.append((at, at + voice.size / LISTEN_RATE + 1.0, VOICE_COMMANDS[phrase]))
    results = []
    both = noisy_echo + spoken
    cancelled = cancel_echo(both, mic)
    for label, signal in (("echo not cancelled", both), ("cancelled", cancelled),
                          ("cancelled and suppressed", suppress_residual(cancelled, both))):
        found = [item for item in heard(judge, np.asarray(signal, np.float32)) if item.action is not None]
        right = sum(any(start <= item.end_time <= end and item.action == action for item in found)
                    for start, end, action in expected)
        stray = sum(not any(start <= item.end_time <= end for start, end, _ in expected) for item in found)
        results.append(f"{label} {right} ({stray} other commands)")
    print(f"    {len(moments)} commands said over the voice, as loud as its echo, heard: " + ", ".join(results))


LIVE_SCRIPT = """\
voiceguide: 1
title: Listening benchmark
steps:
  - say: Lie still. I will be quiet for a while.
  - press: {point: GB30, hold: 90s, prepare: 1s, cue_every: 30s}
  - say: That is the end.
"""

LIVE_COMMANDS = (("Time left.", "espeak:en-us+m7@165"), ("Pause.", "hibari:12@1.0"),
                 ("Pause.", "espeak:en-us+m7@165"), ("Continue.", "hibari:12@1.0"),
                 ("Louder.", "espeak:en-us+m7@165"), ("Volume down.", "hibari:12@1.0"),
                 ("Quieter.", "espeak:en-us+m7@165"), ("Volume up.", "hibari:12@1.0"),
                 ("How long?", "espeak:en-us+m7@165"), ("Repeat.", "hibari:12@1.0"),
                 ("Stop.", "espeak:en-us+m7@165"), ("Stop.", "hibari:12@1.0"))
"""Said in the live room by two voices that are not the session's (an espeak-ng variant and hibari)."""


def _collect(process: subprocess.Popen[str], lines: list[str]) -> None:
    lines.extend(process.stdout or [])


def live(work: Path) -> None:
    from tests.onsets import detect_onsets
    from tests.pulse import start_pulse
    from tests.room import wait_for_answer_to_end

    script = work / "live.yaml"
    script.write_text(LIVE_SCRIPT)
    commands = []
    for index, (text, voice) in enumerate(LIVE_COMMANDS):
        path = work / f"command-{index}.wav"
        soundfile.write(str(path), padded(say(text, voice), 0.1, 0.1), LISTEN_RATE)
        commands.append((text, path))
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
                    for text, path in commands:
                        room.say_into_microphone(path).wait()
                        said.append((text, time.monotonic() - 0.1))  # the file ends with 0.1 s of silence
                        heard_lines = len(lines)
                        while (text == "Repeat." and process.poll() is None
                               and not any("Press now" in line for line in lines[heard_lines:])):
                            time.sleep(0.05)  # the step said again: a person waits for "Press now"
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
                    print(f"    median {statistics.median(finite):.2f} s, mean {statistics.mean(finite):.2f} s, "
                          f"worst {max(finite):.2f} s; {len(finite)} of {len(delays)} answered "
                          "(goal: median <= 0.8 s, max <= 1.0 s)")


CPU_SCRIPT = """\
voiceguide: 1
title: Listening CPU
steps:
  - say: Lie still.
  - press: {point: LI4, hold: 40s, prepare: 1s}
  - say: That is the end.
"""

NO_CANCELLER = ("import runpy, sys, voiceguide.play.echo_canceller as e; "
                "e.AlignedCanceller.clean = lambda self, frame: frame; "
                "runpy.run_module('voiceguide', run_name='__main__', alter_sys=True)")
"""``python -m voiceguide`` with the listener's canceller patched out (the reference is still collected)."""


def live_cpu(work: Path, rounds: int = 2) -> None:
    """``play --listen`` in the PulseAudio room, with the built-in rain and without a bed, with the echo
    canceller and without it, alternated: the player's CPU (all its threads) over the session's wall time."""
    from tests.pulse import start_pulse

    script = work / "cpu.yaml"
    script.write_text(CPU_SCRIPT)
    runs: dict[tuple[str | None, bool], list[float]] = {(bed, cancel): [] for bed in ("rain", None)
                                                       for cancel in (True, False)}
    with start_pulse(work / "pulse-cpu", microphone=True, echo=True) as room:
        env = dict(room.env, VOICEGUIDE_CACHE_DIR=str(work / "cache-cpu"), PYTHONPATH=str(ROOT))
        env.pop("VOICEGUIDE_CANCEL_ECHO", None)  # the canceller on, as shipped; NO_CANCELLER patches it out
        subprocess.run([sys.executable, "-m", "voiceguide", "render", str(script), "-o", str(work / "warm.wav")],
                       env=env, check=True, capture_output=True)  # the speech cache filled first
        for _ in range(rounds):
            for (bed, cancel), shares in runs.items():
                start = [sys.executable, "-m", "voiceguide"] if cancel else [sys.executable, "-c", NO_CANCELLER]
                background = ["--background", bed] if bed else ["--no-background"]
                started = time.monotonic()
                process = subprocess.Popen([*start, "play", str(script), "--listen", "--plain", *background],
                                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                _, status, usage = os.wait4(process.pid, 0)
                shares.append((usage.ru_utime + usage.ru_stime) / (time.monotonic() - started))
    for (bed, cancel), shares in runs.items():
        print(f"  {'rain' if bed else 'no bed':<7} {'canceller on' if cancel else 'canceller off':<14} "
              + " ".join(f"{share:6.1%}" for share in shares) + f"  mean {statistics.mean(shares):6.1%} of a core")
    cost = {bed: statistics.mean(runs[bed, True]) - statistics.mean(runs[bed, False]) for bed in ("rain", None)}
    bed_cost = statistics.mean(runs["rain", True]) - statistics.mean(runs[None, True])
    print(f"  the canceller costs {100 * cost['rain']:+.1f} points of a core with rain, {100 * cost[None]:+.1f} "
          f"without a bed; with it on, rain costs {100 * bed_cost:+.1f} points over no bed (goal <= 5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-live", action="store_true", help="skip the live PulseAudio part")
    parser.add_argument("--only-live", action="store_true", help="only the live PulseAudio part")
    parser.add_argument("--only-beds", action="store_true", help="only the built-in beds, as heard and cancelled")
    parser.add_argument("--skip-beds", action="store_true", help="skip the built-in beds and quiet voices part")
    parser.add_argument("--only-cpu", action="store_true",
                        help="only the CPU of play --listen with and without the echo canceller, live")
    parser.add_argument("--only-bed-stages", action="store_true",
                        help="only the beds not cancelled, and quiet voices, by listening stage")
    parser.add_argument("--bed-minutes", type=float, default=10.0, help="minutes of each bed alone (default 10)")
    parser.add_argument("--bed-voices", type=int, default=len(TEST_VOICES), help="voices for the bed recognition")
    parser.add_argument("--room-minutes", type=float, default=3.0, help="minutes of each room sound (default 3)")
    options = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} on {os.cpu_count()} cores")
    recognizer = WhisperRecognizer()
    with tempfile.TemporaryDirectory(prefix="voiceguide-bench-listen-") as scratch:
        work = Path(scratch)
        if options.only_cpu:
            print("CPU of play --listen, with and without the echo canceller, live (PulseAudio room):")
            live_cpu(work)
            return
        if options.only_beds:
            print("the built-in beds echoing into the microphone, as heard and cancelled (the shipped canceller):")
            beds_cancelled(recognizer, heard, options.bed_minutes, TEST_VOICES[:options.bed_voices])
            return
        if options.only_bed_stages:
            print("the built-in beds echoing into the microphone (not cancelled), and quiet voices, by stage:")
            real_beds(recognizer, heard, options.bed_minutes, TEST_VOICES[:options.bed_voices])
            return
        if not options.only_live:
            started = time.perf_counter()
            print("recognition (the live path: VAD segmenter, judge, Whisper tiny.en, exact phrases):")
            recognition(recognizer)
            print("the room's sounds (nothing in them is a command):")
            room(recognizer, options.room_minutes)
            if not options.skip_beds:
                print("the built-in beds echoing into the microphone, as heard and cancelled (the shipped canceller):")
                beds_cancelled(recognizer, heard, options.bed_minutes, TEST_VOICES[:options.bed_voices])
                print("the built-in beds echoing into the microphone (not cancelled), and quiet voices, by stage:")
                real_beds(recognizer, heard, options.bed_minutes, TEST_VOICES[:options.bed_voices])
            print("the player's own voice:")
            mic, sounds = rendered_session(work)
            own_voice(recognizer, mic, sounds)
            print("barge-in, an experiment (not shipped):")
            barge_in(recognizer, mic, sounds)
            print(f"  ({time.perf_counter() - started:.0f} s)")
        if not options.skip_live:
            print("live (PulseAudio room, speaker looped into the microphone):")
            live(work)


if __name__ == "__main__":
    main()
