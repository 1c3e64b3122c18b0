"""Sessions without writing YAML first: quick ``breathe`` and ``press`` sessions, and ``new`` starter scripts."""
