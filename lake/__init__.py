"""The lake: the only code that knows table paths, write modes and commit properties."""

from lake.store import Lake, open_lake

__all__ = ["Lake", "open_lake"]
