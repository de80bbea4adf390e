"""paperlake: research-paper feeds kept as a Delta Lake."""

from settings import __version__  # noqa: F401  (the version lives at the bottom of the import graph)
