"""paperlake: research-paper feeds kept as a Delta Lake."""

__version__ = "0.1.0"
