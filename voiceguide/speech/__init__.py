"""speech stage: text → trimmed, levelled, cached clips, from an engine behind one protocol."""

ENGINES = ("pyttsx3", "hibari")
"""The engines ``--engine`` chooses: ``pyttsx3`` (the default: espeak-ng, SAPI5 or the system voices;
many languages) and ``hibari`` (an optional, offline neural English voice)."""

DEFAULT_ENGINE = "pyttsx3"
