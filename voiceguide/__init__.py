"""voiceguide: an offline, voice-guided session player."""

__version__ = "0.1.0"
