"""Stereo Opus bit rates, measured: a lossless render with a bed encoded as ``render`` does at each rate.

The session (default: the shipped ``sciatica``, whose bed is ``rain``) is rendered to FLAC; each
rate is encoded from those samples as ``FileSink`` does (soxr to 48 kHz, ``opus_file.OpusFile``:
FFmpeg's libopus, unconstrained VBR, coupled stereo; until 2026-12-07 libsndfile's Opus, constrained
VBR), decoded, and compared with them: the bed's level and spectrum where it plays alone, its
texture (20-ms band envelopes), energy above the source's top, and 30 spoken cues transcribed by the
shipped Whisper tiny.en.  Figures in docs/performance.md, "Opus in stereo".

Usage: python benchmarks/opus_stereo_rates.py [--script sciatica] [RATE ...]   (rates in b/s, both channels)
"""

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile
import soxr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voiceguide.audio.opus_file import OpusFile  # noqa: E402
from voiceguide.play.recognizer import model_directory  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--script", default="sciatica")
parser.add_argument("rates", nargs="*", type=int, default=[16000, 24000, 32000, 40000, 48000])
args = parser.parse_args()
work = Path(tempfile.mkdtemp(prefix="opus-rates-"))
env = dict(os.environ, PYTHONPATH=str(ROOT))
subprocess.run(
    [sys.executable, "-m", "voiceguide", "render", args.script, "-o", str(work / "ref.flac"), "--plain"],
    env=env,
    check=True,
)
R = 48000
ref22, rate = soundfile.read(work / "ref.flac", dtype="float32", always_2d=True)
ref = soxr.resample(ref22, rate, R, quality="HQ")
plan = json.loads(
    subprocess.run(
        [sys.executable, "-m", "voiceguide", "plan", args.script, "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
)
events = [e for e in plan["events"] if e["duration"] > 0]
speech = [e for e in events if e["kind"] == "speech"]
spans = sorted((e["t"], e["t"] + e["duration"]) for e in events)
gaps, end = [], 0.0
for a, b in spans:
    if a - end > 4:
        gaps.append((end + 1.5, a - 1.0))
    end = max(end, b)


def ebur(path):
    d = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", path, "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
    ).stderr
    s = d[d.rindex("Summary:") :]
    return float(re.search(r"I:\s+(-?[\d.]+) LUFS", s).group(1)), float(
        re.search(r"Peak:\s+(-?[\d.]+) dBFS", s).group(1)
    )


n = 4096
w = np.hanning(n)
fr = np.fft.rfftfreq(n, 1 / R)


def ltas(x):
    acc = 0
    for a, b in gaps:
        for ch in range(x.shape[1]):
            f = np.lib.stride_tricks.sliding_window_view(x[int(a * R) : int(b * R), ch], n)[:: n // 2] * w
            acc = acc + (np.abs(np.fft.rfft(f, axis=1)) ** 2).sum(0)
    return acc


def texture(x):
    """Mean |dB| difference of 20-ms band envelopes (8 bands, 250 Hz-11 kHz) from the reference's, bed alone."""
    edges = [250, 500, 1000, 2000, 3000, 4500, 6500, 8500, 11000]
    hop = 960
    diffs = []
    for a, b in gaps[:20]:
        s, e = int(a * R), int(b * R)
        for ch in range(2):
            A = (
                np.abs(
                    np.fft.rfft(
                        np.lib.stride_tricks.sliding_window_view(ref[s:e, ch], 1920)[::hop] * np.hanning(1920), axis=1
                    )
                )
                ** 2
            )
            B = (
                np.abs(
                    np.fft.rfft(
                        np.lib.stride_tricks.sliding_window_view(x[s:e, ch], 1920)[::hop] * np.hanning(1920), axis=1
                    )
                )
                ** 2
            )
            f = np.fft.rfftfreq(1920, 1 / R)
            for lo, hi in zip(edges, edges[1:], strict=False):
                m = (f >= lo) & (f < hi)
                diffs.append(
                    np.mean(np.abs(10 * np.log10(A[:, m].sum(1) + 1e-12) - 10 * np.log10(B[:, m].sum(1) + 1e-12)))
                )
    return float(np.mean(diffs))


from faster_whisper import WhisperModel  # noqa: E402

model = WhisperModel(str(model_directory()), device="cpu", compute_type="int8", cpu_threads=1)
chosen = [e for e in speech if e["duration"] > 1.0][::2][:40]


def words(t):
    return re.findall(r"[a-z0-9']+", t.lower().replace("-", " "))


def transcripts(x):
    out = []
    for e in chosen:
        s, f = int((e["t"] - 0.2) * R), int((e["t"] + e["duration"] + 0.3) * R)
        segs, _ = model.transcribe(
            soxr.resample(x[s:f].mean(1), R, 16000),
            language="en",
            beam_size=1,
            vad_filter=False,
            condition_on_previous_text=False,
            temperature=0.0,
        )
        out.append(words(" ".join(g.text for g in segs)))
    return out


def wer(hyp, refs):
    errs = total = 0
    for h, r in zip(hyp, refs, strict=False):
        sm = difflib.SequenceMatcher(a=r, b=h)
        errs += max(len(r), len(h)) - sum(b.size for b in sm.get_matching_blocks())
        total += len(r)
    return errs / total


ref_words = transcripts(ref)
said = [words(e["text"]) for e in chosen]
L0 = ltas(ref)
print(
    f"{len(chosen)} cues transcribed; {len(gaps)} bed stretches ({sum(b - a for a, b in gaps):.0f} s); "
    f"reference: Whisper WER vs the text {100 * wer(ref_words, said):.1f} %, "
    f"ffmpeg {ebur(str(work / 'ref.flac'))}",
    flush=True,
)
centres = 100 * 2 ** (np.arange(0, 21) / 3)
for total in args.rates:
    path = str(work / f"{total // 1000}k.opus")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    encoder = OpusFile(descriptor, 2, total, R)
    encoder.write(ref)
    encoder.close()
    os.close(descriptor)
    dec, r = soundfile.read(path, dtype="float32", always_2d=True)
    m = min(len(dec), len(ref))
    dec = dec[:m]
    L = ltas(dec)
    bands = []
    for c in centres:
        mm = (fr >= c / 2 ** (1 / 6)) & (fr < c * 2 ** (1 / 6))
        bands.append(10 * np.log10(L[mm].sum() / L0[mm].sum()))
    hf = fr > 11500
    hyp = transcripts(dec)
    num = den = 0.0
    for e in speech:
        s, f = int(e["t"] * R), min(int((e["t"] + e["duration"]) * R), m)
        num += float(((ref[s:f] - dec[s:f]) ** 2).sum())
        den += float((ref[s:f] ** 2).sum())
    size = os.path.getsize(path)
    print(
        f"\n{total // 1000} kb/s stereo: {size / 1e6:.2f} MB ({size * 8 / plan['duration'] / 1000:.1f} kb/s), "
        f"ffmpeg {ebur(path)}",
        flush=True,
    )
    print(
        f"  bed long-term spectrum vs lossless, 100 Hz-10 kHz third octaves: max |{max(abs(b) for b in bands):.2f}| dB "
        f"(mean {np.mean(bands):+.2f}); per band: {' '.join(f'{b:+.1f}' for b in bands)}"
    )
    print(f"  bed texture (20-ms band envelopes, 250 Hz-11 kHz): mean |diff| {texture(dec):.2f} dB")
    print(f"  energy above 11.5 kHz (the source has none): {10 * np.log10(L[hf].sum() / L.sum()):.1f} dB re the bed")
    left, right = dec[:, 0], dec[:, 1]
    stretch = np.concatenate([np.arange(int(a * R), int(b * R)) for a, b in gaps])
    correlation = float(np.corrcoef(left[stretch], right[stretch])[0, 1])
    print(
        f"  bed: correlation of the two ears {correlation:+.2f} (lossless "
        f"{float(np.corrcoef(ref[stretch, 0], ref[stretch, 1])[0, 1]):+.2f})"
    )
    print(
        f"  speech: waveform SNR {10 * np.log10(den / num):.1f} dB; Whisper WER vs text {100 * wer(hyp, said):.1f} %, "
        f"unlike the lossless one's: {sum(h != r for h, r in zip(hyp, ref_words, strict=True))}/{len(chosen)}",
        flush=True,
    )
