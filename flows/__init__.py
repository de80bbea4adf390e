"""Prefect flows: orchestration only. Each flow body reads like the data-flow diagram."""
