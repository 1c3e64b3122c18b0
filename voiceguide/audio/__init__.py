"""audio stage: tones, the block mixer, loudness, sinks and the files a session is written to."""

DEFAULT_LOUDNESS_LUFS = -16.0
"""``render --loudness``'s default: the usual target for speech on phones."""

MIN_LOUDNESS_LUFS = -40.0
MAX_LOUDNESS_LUFS = -12.0
"""The range ``--loudness`` accepts: quieter is inaudible on a phone; louder, espeak's voice (a crest of
~17 dB) cannot keep its true peaks at -1 dBTP without being squashed (measured: a long sentence tops
out at -11.4 LUFS through the limiter)."""

__all__ = ["DEFAULT_LOUDNESS_LUFS", "MAX_LOUDNESS_LUFS", "MIN_LOUDNESS_LUFS"]
