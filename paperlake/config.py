"""Where things live, resolved once from flags and the environment.

Only entry points (CLI, flows) read the environment; transforms and the lake package take
these values as arguments.
"""

from __future__ import annotations

import os

DEFAULT_LAKE_URI = "./data/lake"
LAKE_ENV = "PAPERLAKE_LAKE"


def resolve_lake_uri(flag_value: str | None = None) -> str:
    """`--lake` wins, then $PAPERLAKE_LAKE, then ./data/lake."""
    return flag_value or os.environ.get(LAKE_ENV) or DEFAULT_LAKE_URI


def quiet_prefect_defaults() -> None:
    """Defaults that keep Prefect's embedded server usable on one machine.

    The ephemeral server logs a "database is locked" telemetry error unless analytics are off.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")

DOCS_ENV = "PAPERLAKE_DOCS"


def validation_docs_dir(lake_uri: str) -> str:
    """Where Great Expectations Data Docs go: $PAPERLAKE_DOCS, else a folder beside a local lake, one per lake:
    `validation/` beside a lake folder named `lake` (./data/lake: ./data/validation), `NAME-validation/`
    beside any other (two lakes in one folder never share a site).

    A lake on object storage keeps its docs locally in ./data/validation unless told otherwise.
    """
    if os.environ.get(DOCS_ENV):
        return os.environ[DOCS_ENV]
    if "://" in lake_uri and not lake_uri.startswith("file://"):
        return os.path.abspath("data/validation")
    local = os.path.abspath(lake_uri.removeprefix("file://").rstrip("/"))
    name = os.path.basename(local)
    return os.path.join(os.path.dirname(local), "validation" if name == "lake" else f"{name}-validation")
