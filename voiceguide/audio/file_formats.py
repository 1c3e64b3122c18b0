"""The audio file formats ``render`` writes, chosen by extension, and what a failed write says.

``FileFormat`` names the container and encoding for an extension (and Opus's
rate and bit rates, and that PyAV writes it: ``opus_file``); ``output_error``
turns an ``OSError`` from writing into one plain sentence and a hint.  ``sinks.FileSink`` writes the file.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

import soundfile

from voiceguide.audio.resampling import OPUS_RATE
from voiceguide.errors import OutputError, UsageError

OPUS_SPEECH_BITRATE = 24_000
"""Opus for speech (mono, VBR): clear at 24 kb/s, and the silences between cues cost almost nothing."""
OPUS_STEREO_BITRATE = 64_000
"""Opus for a stereo session (a bed, or panned sides), both channels together (VBR, coupled stereo).

Chosen by measurement (docs/performance.md, "Opus render"): from 56 kb/s up libopus codes a stereo
session in CELT alone; at 32 kb/s it coded voice and bed in its hybrid SILK mode, which decoded over
the samples given (quick-relief: +1.3 dB with unconstrained VBR) at 2.5 x the CPU."""


@dataclass(frozen=True)
class FileFormat:
    """A container and encoding chosen by file extension, and the library that writes it."""

    extension: str
    format: str
    subtype: str
    sample_rate: int | None = None
    """The rate the file must be written at (Opus: 48 kHz), or None for the session's own."""
    bitrate: int | None = None
    """The target bit rate of a lossy codec that takes one (Opus), in bits per second; None: the codec's default."""
    stereo_bitrate: int | None = None
    """The target for both channels of a stereo file together, and for a mono one over a bed; None: ``bitrate``."""
    library: str = "libsndfile"
    """Who writes it: libsndfile (through soundfile), or PyAV (``opus_file``: FFmpeg's libopus)."""
    compression_level: float | None = None
    """libsndfile's compression level (0: best quality, 1: smallest), or None for its default."""

    def bitrate_for(self, channels: int = 1, *, bed: bool = False) -> int | None:
        """The bit rate of a file with ``channels`` (all together), over a ``bed`` or not; None: the codec's default.

        A voice alone in mono gets ``bitrate``; stereo, or a bed even in mono (``--mono``), ``stereo_bitrate``:
        at 24 kb/s libopus codes a bed in its hybrid mode, and ``quick-relief --mono`` took three renders.
        """
        if (channels > 1 or bed) and self.stereo_bitrate is not None:
            return self.stereo_bitrate
        return self.bitrate


VORBIS_COMPRESSION_LEVEL = 0.5
"""Vorbis at quality 0.5 (libsndfile's default is 0.4: level 0.6), about 89 kb/s for a stereo session at 22,050 Hz.

At libsndfile's default (74 kb/s) Vorbis's coding noise on espeak's sibilants decoded up to 1.9 dB over
the peaks it was given, more than the room a session with a bed leaves: ``sciatica-de`` and
``lower-back`` took two renders (three, before: docs/performance.md, "Lossy renders in one pass").
At 0.5 the same mixes decode 0.4-1.2 dB over, every shipped session renders once, for 12-21 % more bytes."""

LOSSY_SUBTYPES = frozenset({"VORBIS", "OPUS", "MPEG_LAYER_III"})
"""Encodings whose decoded peaks differ from the samples they were given (by up to ~2 dB, measured)."""

_CANDIDATES = (
    FileFormat(".wav", "WAV", "PCM_16"),
    FileFormat(".flac", "FLAC", "PCM_16"),
    FileFormat(".ogg", "OGG", "VORBIS", compression_level=VORBIS_COMPRESSION_LEVEL),
    FileFormat(".opus", "OGG", "OPUS", sample_rate=OPUS_RATE, bitrate=OPUS_SPEECH_BITRATE,
               stereo_bitrate=OPUS_STEREO_BITRATE, library="av"),
    FileFormat(".mp3", "MP3", "MPEG_LAYER_III"),
)


def supported_formats() -> tuple[FileFormat, ...]:
    """The output formats this platform's libsndfile (and, for Opus, PyAV) can write."""
    from voiceguide.audio.opus_file import opus_available

    formats = soundfile.available_formats()
    return tuple(
        candidate
        for candidate in _CANDIDATES
        if (opus_available() if candidate.library == "av" else
            candidate.format in formats and candidate.subtype in soundfile.available_subtypes(candidate.format))
    )


def output_format(path: str | os.PathLike[str]) -> FileFormat:
    """The format for ``path``'s extension, or ``UsageError`` naming the supported ones."""
    extension = Path(path).suffix.lower()
    formats = supported_formats()
    for candidate in formats:
        if candidate.extension == extension:
            return candidate
    names = [candidate.extension for candidate in formats] or [".wav"]
    listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    shown = os.fspath(path)
    if not extension:
        raise UsageError(f"{shown} has no extension, so it does not say which audio format to write.",
                         hint=f"End it with {listed}, e.g. -o {shown}{names[0]}.")
    raise UsageError(
        f"Cannot write audio to {shown}: '{extension}' is not a supported format.",
        hint=f"Use {listed}, e.g. -o session{names[0]}.",
    )


def output_error(path: str | os.PathLike[str], error: BaseException) -> OutputError:
    """One plain sentence and a hint for a failure to write ``path``."""
    shown = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(shown))
    code = error.errno if isinstance(error, OSError) else None
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return OutputError(f"Cannot write {shown}: the disk is full.", hint="Free some space or write to another disk.")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputError(
            f"Cannot write {shown}: no permission to write in {folder}.",
            hint="Choose a folder you can write to, e.g. -o ~/session.wav.",
        )
    if code == errno.ENOENT:
        return OutputError(f"Cannot write {shown}: the folder {folder} does not exist.", hint="Create it first.")
    if code == errno.ENOTDIR:
        return OutputError(f"Cannot write {shown}: part of that path is a file, not a folder.")
    if code == errno.EISDIR:
        return OutputError(f"Cannot write {shown}: it is a folder.", hint="Name a file, e.g. -o session.wav.")
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error) or type(error).__name__
    return OutputError(f"Cannot write {shown}: {reason}.", hint="Check the path and the free space on that disk.")
