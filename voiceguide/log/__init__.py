"""The private session log: one JSON line per played session, read back as a table, CSV or chart."""
