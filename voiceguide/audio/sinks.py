"""Where mixed blocks go: the ``Sink`` protocol and an atomic audio file sink.

``FileSink`` writes to a hidden temporary file beside the target and moves it
into place with ``os.replace`` only when ``close()`` succeeds, so a failed or
interrupted render never leaves a partial file (and never a temporary one).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import soundfile
from mutagen import MutagenError

from voiceguide.audio.block_writer import BlockWriter
from voiceguide.audio.file_encoders import open_encoder
from voiceguide.audio.file_formats import output_error, output_format
from voiceguide.audio.resampling import StreamResampler
from voiceguide.audio.tags import ARTIST, ENCODER, FileTags, write_tags
from voiceguide.base import AtomicFile, Audio, write_atomically
from voiceguide.errors import OutputError

MAX_WRITE_SECONDS = 2
"""Largest single write handed to libsndfile: libvorbis overflows its stack on huge writes."""

FILE_BLOCK_SECONDS = 4
"""A file is written in blocks this long: a warm 1-h stereo render took 0.40 s of CPU to mix and write in
1-s blocks, 0.33 s in 2-s blocks (fewer trips through Python), and no less in 4-s ones (a block and its
temporaries no longer fit in the processor's cache).  Since blocks are written on a thread of their own
(``block_writer``), 4-s blocks cost the mixing thread ~9 % less than 2-s ones (fewer hand-overs; 3 s and
6 s in between).  The samples do not depend on it (``mixer``)."""

RESAMPLED_BLOCK_SECONDS = 1
"""The blocks of a file written at a rate of its own (Opus, 48 kHz): each block is also held resampled and
in PyAV's frames, and encoding (~50 x the mixing's CPU) hides the extra trips.  A 10-min stereo ``.opus``
over rain peaked at 94 MB in 4-s blocks, 88 MB in 1-s ones (docs/performance.md, "Render memory")."""

WAV_MAX_BYTES = 2**32 - 1 - 4096
"""RIFF's sizes are 32-bit: the sound a WAV file can hold, less room for its header (~27 h at 22,050 Hz)."""


class Sink(Protocol):
    """Where the block loop (``play.transport``) writes: a file, or the live stream.

    ``position`` counts the written frames the sink has consumed (a file: all of
    them, at once; the live stream: those the device has taken), the clock the
    loop reads back.  ``close`` commits; ``abort`` discards.
    """

    @property
    def block_frames(self) -> int:
        """Frames per block the sink wants written."""
        ...

    @property
    def position(self) -> int:
        """Written frames consumed so far."""
        ...

    def free_frames(self) -> int:
        """How many frames may be written now without waiting."""
        ...

    def write(self, block: Audio) -> None:
        """Append one block of float32 samples (at most ``block_frames``): mono 1-D, else ``(frames, channels)``.

        The sink may keep the block (a file's writer thread): the caller must not change it afterwards.
        """
        ...

    def discard(self) -> int:
        """Drop every written frame not consumed yet; returns how many."""
        ...

    def close(self) -> None:
        """Finish successfully: the output becomes visible (or audible to its end)."""
        ...

    def abort(self) -> None:
        """Give up: discard everything not consumed; safe to call more than once, or after close."""
        ...


def to_pcm16(samples: Audio) -> npt.NDArray[np.int16]:
    """Float samples as 16-bit integers: ``round(x * 32768)``, clipped to the int16 range.

    We quantize ourselves rather than let libsndfile do it: one vectorized pass
    is several times faster than its per-sample loop, and the result does not
    depend on its version (1.2.2 floors for WAV and rounds, as here, for FLAC).
    """
    scaled = samples * np.float32(32768.0)
    np.rint(scaled, out=scaled)
    np.clip(scaled, -32768, 32767, out=scaled)
    pcm: npt.NDArray[np.int16] = scaled.astype(np.int16)
    return pcm


def _space_error(folder: Path) -> OSError | None:
    """An ENOSPC error if ``folder``'s disk has (almost) no room left; libsndfile hides errno."""
    try:
        free = shutil.disk_usage(folder).free  # os.statvfs does not exist on Windows
    except OSError:
        return None
    if free < 64 * 1024:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return None


def _write_error(path: Path, error: BaseException) -> OutputError:
    """The error for a write that failed part way; libsndfile rarely says why."""
    if isinstance(error, OSError) and error.errno is not None:
        return output_error(path, error)
    full = _space_error(path.parent)
    if full is not None:
        return output_error(path, full)
    return OutputError(
        f"Cannot write {os.fspath(path)}: the disk stopped accepting data part way.",
        hint="Check the free space on that disk (and any file size limit), or write somewhere else.",
    )


class FileSink:
    """Writes blocks to an audio file, atomically; the format comes from the extension.

    Raises ``UsageError`` for an unsupported extension and ``OutputError`` when
    the file cannot be created or written.  A format with a rate of its own
    (Opus) gets the blocks resampled on the way (``resampling.StreamResampler``).
    ``tags`` (title, chapters, ...) are written into the temporary file before
    it is moved into place, so the file appears complete or not at all.
    ``before_commit``, when set, is called with the finished temporary file
    before it is moved into place; an exception from it aborts the file.
    """

    def __init__(self, path: str | os.PathLike[str], sample_rate: int, tags: FileTags | None = None, *,
                 block_frames: int | None = None, channels: int = 1, bed: bool = False) -> None:
        self.path = Path(path)
        self.format = output_format(self.path)
        seconds = RESAMPLED_BLOCK_SECONDS if self.format.sample_rate not in (None, sample_rate) else FILE_BLOCK_SECONDS
        self._block_frames = block_frames if block_frames is not None else seconds * sample_rate
        self.sample_rate = sample_rate
        self.tags = tags
        self.before_commit: Callable[[Path], None] | None = None
        self.channels = channels
        self.bed = bed  # a bed under the voice: Opus then needs its stereo rate even in mono (file_formats)
        self._file_rate = file_rate = self.format.sample_rate or sample_rate
        self._resampler = StreamResampler(sample_rate, file_rate, channels) if file_rate != sample_rate else None
        self._max_write_frames = MAX_WRITE_SECONDS * file_rate
        if self.path.is_dir():
            raise output_error(self.path, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
        try:
            self._target: AtomicFile | None = AtomicFile(self.path)
        except OSError as error:
            raise output_error(self.path, error) from error
        self._file: Any = None  # a soundfile.SoundFile, or an opus_file.OpusFile (file_encoders)
        self._writer: BlockWriter[tuple[npt.NDArray[Any], bool]] | None = None
        self._zeros: npt.NDArray[Any] | None = None
        self._descriptor: int | None = None
        self._open()
        self.frames_written = 0

    def _open(self) -> None:
        assert self._target is not None
        with self._libsndfile(output_error):
            # The temporary is new and empty: opened without O_TRUNC (see file_encoders._UnsyncedSoundFile).
            self._descriptor = os.open(self._target.temporary,
                                       os.O_WRONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
            self._file = open_encoder(self._descriptor, self.format, self._file_rate, self.channels, bed=self.bed)

    def set_channels(self, channels: int, *, bed: bool = False) -> None:
        """Write ``channels`` channels, over a ``bed`` or not (before any frame is written: the file is begun again)."""
        if (channels, bed) == (self.channels, self.bed):
            return
        if self._file is None or self.frames_written:
            raise ValueError(f"{self.path}: the channels can change only before anything is written")
        with self._libsndfile(output_error):
            self._close_file()
            # A new temporary rather than this one emptied: see file_encoders._UnsyncedSoundFile.
            assert self._target is not None
            self._target.discard()
            self._target = AtomicFile(self.path)
        self.channels, self.bed = channels, bed
        if self._resampler is not None:
            self._resampler = StreamResampler(self.sample_rate, self._file_rate, channels)
        self._open()

    def _close_file(self) -> None:
        """Finish the libsndfile file (its header) and close its descriptor."""
        self._stop_writer()
        file, self._file = self._file, None
        descriptor, self._descriptor = self._descriptor, None
        try:
            if file is not None:
                file.close()
        finally:
            if descriptor is not None:
                os.close(descriptor)

    @property
    def block_frames(self) -> int:
        """Frames per block (``FILE_BLOCK_SECONDS`` unless told otherwise)."""
        return self._block_frames

    @property
    def position(self) -> int:
        """Frames written: a file takes every frame at once."""
        return self.frames_written

    def free_frames(self) -> int:
        """Always room: writing a file never waits for a device."""
        return sys.maxsize

    def discard(self) -> int:
        """Nothing to drop: every written frame is already in the file."""
        return 0

    @property
    def max_frames(self) -> int | None:
        """The most frames this file's format can hold, or None without a limit that matters."""
        if self.format.format != "WAV":
            return None
        return WAV_MAX_BYTES // (2 * self.channels)  # PCM_16: two bytes a sample

    def check_length(self, frames: int) -> None:
        """``OutputError`` (and the sink aborted) if ``frames`` would not fit in this file's format."""
        limit = self.max_frames
        if limit is not None and frames > limit:
            self.abort()
            hours = frames / self.sample_rate / 3600
            most = limit / self.sample_rate / 3600
            raise OutputError(f"Cannot write {os.fspath(self.path)}: {hours:.1f} h of audio is more than a "
                              f"{self.format.format} file can hold (about {most:.1f} h).",
                              hint="Use .flac, which has no such limit.")

    def write(self, block: Audio) -> None:
        """Append ``block``, in pieces small enough for every encoder; never past the format's limit."""
        if self._file is None:
            raise ValueError(f"{self.path} is already closed")
        self.check_length(self.frames_written + len(block))
        floats = np.asarray(block, dtype=np.float32)
        if self._resampler is not None:
            floats = self._resampler.process(floats)
        self._write_file(floats)
        self.frames_written += len(block)

    def write_silence(self, frames: int) -> None:
        """Append ``frames`` frames of silence: zeros as the file takes them, neither mixed nor quantized."""
        if self._resampler is not None:  # the resampler's state must see them go by
            self.write(np.zeros((frames, self.channels) if self.channels > 1 else frames, dtype=np.float32))
            return
        if self._file is None:
            raise ValueError(f"{self.path} is already closed")
        self.check_length(self.frames_written + frames)
        self._write_file(self._silence(frames), quantized=True)
        self.frames_written += frames

    def _silence(self, frames: int) -> npt.NDArray[Any]:
        """``frames`` of zeros in the type the file is written from (kept: a file's blocks are all alike)."""
        if self._zeros is None or len(self._zeros) < frames:
            dtype = np.int16 if self.format.subtype == "PCM_16" else np.float32
            self._zeros = np.zeros((frames, self.channels) if self.channels > 1 else frames, dtype=dtype)
        return self._zeros[:frames]

    def _write_file(self, floats: npt.NDArray[Any], *, quantized: bool = False) -> None:
        """Write float samples (or ``quantized`` ones) at the file's rate: queued for the writer thread, which
        quantizes and writes them while the next block is mixed (``block_writer``); its failures surface here."""
        assert self._file is not None
        if self._writer is None:
            file = self._file
            self._writer = BlockWriter(lambda item: self._write_now(file, *item))
        with self._libsndfile(_write_error):
            self._writer.put((floats, quantized))

    def _write_now(self, file: Any, floats: npt.NDArray[Any], quantized: bool) -> None:
        """On the writer thread: quantize (16-bit files) and write, in pieces small enough for every encoder."""
        samples = to_pcm16(floats) if self.format.subtype == "PCM_16" and not quantized else floats
        for offset in range(0, len(samples), self._max_write_frames):
            file.write(samples[offset : offset + self._max_write_frames])

    def _stop_writer(self) -> None:
        """End the writer thread, dropping what it has not written yet (after ``finish``: nothing)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.cancel()

    def close(self) -> None:
        """Finish the file and move it into place; on failure nothing is left behind."""
        if self._file is None or self._target is None:
            raise ValueError(f"{self.path} is already closed")
        if self._resampler is not None:
            self._write_file(self._resampler.flush())
        with self._libsndfile(_write_error):
            if self._writer is not None:
                self._writer.finish()  # everything written, or the writer thread's failure raised here
            if self.tags is not None and self.format.format == "WAV":
                # RIFF INFO (INAM, IART, ICMT, ISFT), by libsndfile as it finishes
                # the file (the tags may be set after the sink is made): mutagen
                # writes only an ID3 chunk into WAV.  libsndfile writes no RIFF
                # language: tags.write_tags adds ILNG.
                self._file.title = self.tags.title
                self._file.artist = ARTIST
                self._file.software = ENCODER
                if self.tags.description:
                    self._file.comment = self.tags.description
            self._close_file()
            if self.tags is not None:
                # Tagged before the rename: the file appears complete or not at all.
                write_tags(self._target.temporary, self.format.format, self.tags)
            if self.before_commit is not None:
                self.before_commit(self._target.temporary)  # may refuse the file: it is then aborted
            self._target.commit()
            self._target = None

    @contextlib.contextmanager
    def _libsndfile(self, explain: Callable[[Path, BaseException], OutputError]) -> Iterator[None]:
        """The one place libsndfile's (and, for tags, mutagen's) failures become ``OutputError``; aborts first."""
        try:
            yield
        except (soundfile.LibsndfileError, RuntimeError, OSError, AssertionError, MutagenError) as error:
            # soundfile reports a short write (a full disk, a file size limit) as a
            # bare AssertionError and libsndfile keeps errno to itself.
            self.abort()
            raise explain(self.path, error) from error
        except BaseException:
            # A Ctrl-C or SIGTERM here (while the encoder opens, say, before the
            # caller holds this sink to abort it): the temporary file goes now.
            self.abort()
            raise

    def abort(self) -> None:
        """Discard the temporary file; the target is left as it was."""
        writer, self._writer = getattr(self, "_writer", None), None
        if writer is not None:  # stopped before its file is closed under it
            writer.cancel()
        file, self._file = getattr(self, "_file", None), None
        if file is not None:
            # We are discarding the file: a failure to finish it does not matter.
            with contextlib.suppress(Exception):
                file.close()
        descriptor, self._descriptor = getattr(self, "_descriptor", None), None
        if descriptor is not None:
            with contextlib.suppress(OSError):
                os.close(descriptor)
        target, self._target = getattr(self, "_target", None), None
        if target is not None:
            target.discard()

    def __enter__(self) -> FileSink:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def write_text_atomically(path: str | os.PathLike[str], text: str) -> None:
    """Write a UTF-8 text file through a temporary beside it, so a failure leaves nothing partial."""
    target = Path(path)
    if target.is_dir():
        raise output_error(target, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    try:
        write_atomically(target, text.encode("utf-8"))
    except OSError as error:
        raise output_error(target, error) from error
