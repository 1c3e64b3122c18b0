"""play stage."""
