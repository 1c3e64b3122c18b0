"""The encoder behind a file sink: libsndfile (through soundfile) for most formats, PyAV for Opus.

``open_encoder`` opens the one ``sinks.FileSink`` writes to, on a descriptor the
sink owns; both kinds take float32 (or, for 16-bit files, int16) frames through
``write`` and finish with ``close``.
"""

from __future__ import annotations

from typing import Any

import soundfile

from voiceguide.audio.file_formats import FileFormat


class _UnsyncedSoundFile(soundfile.SoundFile):  # type: ignore[misc]  # soundfile has no types
    """A ``soundfile.SoundFile`` whose ``close`` does not wait for the disk.

    soundfile's ``close`` calls ``flush``, which is libsndfile's ``sf_write_sync``:
    an ``fsync``.  libsndfile writes straight to the file descriptor (it keeps
    nothing to flush), and the header is written by ``sf_close``; the fsync only
    waits for the disk, about 0.1-0.2 s after an hour of WAV.  Our files are atomic
    against failures and interruptions, not power loss (``base.AtomicFile``).
    ``FileSink`` also hands it a descriptor opened without ``O_TRUNC``: ext4 writes
    out, as it is closed, a file truncated to nothing (its guard for programs
    that rewrite a file in place), which took another 0.1 s.
    """

    def flush(self) -> None:
        """Nothing to do: see the class."""


def open_encoder(descriptor: int, file_format: FileFormat, sample_rate: int, channels: int, *,
                 bed: bool = False) -> Any:
    """The encoder for ``file_format`` writing to ``descriptor`` (left open): a SoundFile, or ``opus_file.OpusFile``."""
    bitrate = file_format.bitrate_for(channels, bed=bed)
    if file_format.library == "av":
        from voiceguide.audio.opus_file import OpusFile

        assert bitrate is not None
        return OpusFile(descriptor, channels, bitrate, sample_rate)
    return _UnsyncedSoundFile(descriptor, "w", closefd=False, samplerate=sample_rate, channels=channels,
                              format=file_format.format, subtype=file_format.subtype,
                              compression_level=file_format.compression_level)
