"""Other sounds of a room, generated here: bells, ring tones, music, a television, a conversation, noise.

None of them holds a command; a listener that hears one in them has been fooled.
All are float32 mono at 16 kHz (``tests.voices.RATE``), made from a seed, so a
benchmark or a test can replay exactly what fooled it.  ``room_sounds(seconds)``
gives a named mix of every kind.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tests.voices import RATE, Samples, say

TV_SENTENCES = (
    "Good evening, and welcome to the news at six.", "The council met again today to discuss the new bridge.",
    "Rain is expected over the weekend, with sunny spells on Monday.", "And now, the sport.",
    "The home side won by two goals to one.", "Stay with us after the break.", "Thank you, and good night.",
    "Tonight on the programme, we visit a farm in the hills.", "Prices rose again last month.",
    "Scientists say the discovery could change how we see the universe.", "Traffic is heavy on the ring road.",
    "Now, here is the weather.", "He said he would never go back.", "She opened the door and looked outside.",
    "Next week, the final episode.", "Coming up later: the best of the festival.",
)
"""A television or radio: announcers and actors, none of it a command phrase."""

CONVERSATION = (
    "Did you call your mother?", "Yes, this morning.", "Okay.", "What did she say?", "Not much.",
    "Are we going out later?", "Maybe.", "I'm tired.", "Me too.", "Shall I make tea?", "Yes please.",
    "Where are the keys?", "On the table.", "Thanks.", "Really?", "I think so.", "Wait a minute.",
    "Hold on.", "Go ahead.", "Not now.", "See you later.", "All right.", "Next week, maybe.", "Sure.",
    "Turn it off.", "Come here.", "Look at this.", "That's funny.", "I know.", "Never mind.",
)
"""Two people talking near the listener: many short remarks, none of them a command phrase."""

TV_VOICES = ("espeak:en-GB-x-rp+m3@175", "espeak:en-us+f4@165", "espeak:en-US-nyc+m1@185", "hibari:21@1.05")
CONVERSATION_VOICES = ("espeak:en+f3@160", "espeak:en-GB-scotland+m6@150", "hibari:22@1.0", "hibari:23@1.1")


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _fit(audio: Samples, seconds: float) -> Samples:
    size = round(seconds * RATE)
    if audio.size >= size:
        return audio[:size].astype(np.float32)
    return np.concatenate([audio, np.zeros(size - audio.size, np.float32)]).astype(np.float32)


def _tone(frequencies: list[float], seconds: float, decay: float | None = None,
          amplitudes: list[float] | None = None) -> Samples:
    t = np.arange(round(seconds * RATE)) / RATE
    weights = amplitudes or [1.0] * len(frequencies)
    wave = sum(w * np.sin(2 * np.pi * f * t) for f, w in zip(frequencies, weights, strict=True))
    envelope = np.exp(-t / decay) if decay else np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)
    return np.asarray(wave * envelope / max(1.0, sum(weights)), dtype=np.float32)


def bells(seconds: float, seed: int = 1) -> Samples:
    """Doorbells (ding-dong), a clock's chime and a meditation bowl, struck at random moments."""
    rng, out = _rng(seed), np.zeros(round(seconds * RATE), np.float32)
    at = rng.uniform(0.5, 3.0)
    while at < seconds:
        base = float(rng.choice([440.0, 523.0, 659.0, 784.0, 330.0]))
        kind = rng.integers(3)
        if kind == 0:  # ding-dong
            sound = np.concatenate([_tone([base, base * 2.76], 0.6, 0.4, [1, 0.3]),
                                    _tone([base * 0.8, base * 0.8 * 2.76], 1.5, 0.6, [1, 0.3])])
        elif kind == 1:  # a church or clock bell: inharmonic partials
            sound = _tone([base * r for r in (0.5, 1.0, 1.19, 1.5, 2.0, 2.52)], 3.0, 1.0, [1, 0.8, 0.5, 0.4, 0.3, 0.2])
        else:  # a singing bowl
            sound = _tone([base * 0.5, base * 1.36, base * 2.7], 5.0, 2.0, [1, 0.5, 0.2])
        end = min(out.size, round(at * RATE) + sound.size)
        out[round(at * RATE):end] += 0.5 * sound[:end - round(at * RATE)]
        at += sound.size / RATE + rng.uniform(0.5, 6.0)
    return out


def ring_tones(seconds: float, seed: int = 2) -> Samples:
    """Telephones: a North American ring, a British double ring, a melodic mobile tone, a vibrating buzz."""
    rng, parts = _rng(seed), []
    while sum(p.size for p in parts) < seconds * RATE:
        kind = rng.integers(4)
        if kind == 0:  # 440 + 480 Hz, 2 s on, 4 s off
            ring = np.concatenate([_tone([440, 480], 2.0), np.zeros(4 * RATE, np.float32)])
        elif kind == 1:  # 400 + 450 Hz, 0.4 on, 0.2 off, 0.4 on, 2 off
            burst = _tone([400, 450], 0.4)
            ring = np.concatenate([burst, np.zeros(RATE // 5, np.float32), burst, np.zeros(2 * RATE, np.float32)])
        elif kind == 2:  # a melody of square-ish notes
            notes = rng.choice([523.0, 587.0, 659.0, 784.0, 880.0, 1047.0], size=8)
            ring = np.concatenate([_tone([f, 3 * f, 5 * f], 0.15, None, [1, 0.33, 0.2]) for f in notes]
                                  + [np.zeros(RATE, np.float32)])
        else:  # a phone vibrating on a table: a rough 150 Hz buzz
            t = np.arange(RATE) / RATE
            buzz = np.sign(np.sin(2 * np.pi * 150 * t)) * (0.5 + 0.5 * rng.standard_normal(t.size) * 0.3)
            ring = np.concatenate([0.3 * buzz.astype(np.float32), np.zeros(RATE, np.float32)] * 2)
        parts.append(0.4 * ring.astype(np.float32))
    return _fit(np.concatenate(parts), seconds)


def music(seconds: float, seed: int = 3) -> Samples:
    """A tune: chords and a melody of plucked notes over a beat (additive synthesis)."""
    rng, out = _rng(seed), np.zeros(round(seconds * RATE), np.float32)
    beat = 60 / float(rng.uniform(80, 130))
    scale = 261.63 * 2 ** (np.array([0, 2, 4, 5, 7, 9, 11, 12]) / 12)
    at = 0.0
    while at < seconds:
        start = round(at * RATE)
        note = _tone([float(rng.choice(scale)) * k for k in (1, 2, 3)], beat * 2, beat * 0.5, [1, 0.5, 0.25])
        if rng.random() < 0.25:  # a chord under it
            root = float(rng.choice(scale[:4])) / 2
            note = note + _tone([root, root * 1.26, root * 1.5], beat * 2, beat, [0.5, 0.4, 0.4])
        kick = _tone([60.0, 90.0], 0.15, 0.04) * 1.5
        end = min(out.size, start + note.size)
        out[start:end] += 0.3 * note[:end - start]
        end = min(out.size, start + kick.size)
        out[start:end] += 0.3 * kick[:end - start]
        at += beat
    return out


def _speech(sentences: tuple[str, ...], voices: tuple[str, ...], seconds: float, seed: int,
            gaps: tuple[float, float]) -> Samples:
    rng, parts, size = _rng(seed), [], 0
    turn = 0
    while size < seconds * RATE:
        sentence = sentences[int(rng.integers(len(sentences)))]
        voice = voices[turn % len(voices)] if gaps[1] < 1.5 else voices[int(rng.integers(len(voices)))]
        audio = say(sentence, voice) * float(rng.uniform(0.5, 1.0))
        gap = np.zeros(round(float(rng.uniform(*gaps)) * RATE), np.float32)
        parts += [audio, gap]
        size += audio.size + gap.size
        turn += 1
    return _fit(np.concatenate(parts), seconds)


def television(seconds: float, seed: int = 4) -> Samples:
    """A television or radio: sentences by several voices, the short pauses of broadcast speech, a little hiss."""
    speech = _speech(TV_SENTENCES, TV_VOICES, seconds, seed, (0.2, 0.9))
    return (speech + 0.003 * _rng(seed).standard_normal(speech.size)).astype(np.float32)


def conversation(seconds: float, seed: int = 5) -> Samples:
    """Two or more people talking nearby: short remarks, turns 0.3-2.5 s apart."""
    return _speech(CONVERSATION, CONVERSATION_VOICES, seconds, seed, (0.3, 2.5))


def rain(seconds: float, seed: int = 6) -> Samples:
    """A steady bed: low-passed noise with random drops (also the benchmark's background sound)."""
    rng = _rng(seed)
    noise = rng.standard_normal(round(seconds * RATE))
    smooth = np.convolve(noise, np.ones(8) / 8, mode="same")
    drops = (rng.random(noise.size) < 40 / RATE) * rng.uniform(0.5, 1.0, noise.size)
    drops = np.convolve(drops, np.exp(-np.arange(80) / 15), mode="same")
    return np.asarray(0.05 * smooth + 0.1 * drops * rng.standard_normal(noise.size), dtype=np.float32)


ROOM_SOUNDS: dict[str, Callable[[float, int], Samples]] = {
    "bells": bells, "ring tones": ring_tones, "music": music, "television": television,
    "conversation": conversation, "rain": rain,
}
"""Every kind of room sound, by name: ``ROOM_SOUNDS[name](seconds, seed)``."""
