"""paperlake: research-paper feeds kept as a Delta Lake."""

from settings import __version__, memory_defaults  # noqa: F401  (the version lives at the bottom of the import graph)

memory_defaults()  # before any command imports Polars or deltalake (their allocators read it once)
