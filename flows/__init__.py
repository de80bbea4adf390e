"""Prefect flows: orchestration only. Each flow body reads like the data-flow diagram."""

from settings import memory_defaults

memory_defaults()  # a worker or `serve` process imports a flow before Polars: the same allocator settings as the CLI
