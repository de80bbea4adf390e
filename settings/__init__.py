"""The version and the settings every layer may read: the bottom of the import graph.

lake/, feeds/ and transforms/ import these from here, never from the command-line package
`paperlake` (which would pull Typer, Rich and the CLI's imports into every worker). Nothing here
imports any other paperlake package. Only entry points (CLI, flows) call the resolvers; the lake
and the transforms take the resolved values as arguments.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Literal, Mapping

# Keep in step with pyproject.toml's [project] version (tests/test_settings.py checks).
__version__ = "0.1.0"
VERSION = __version__

DEFAULT_LAKE_URI = "./data/lake"
LAKE_ENV = "PAPERLAKE_LAKE"
DOCS_ENV = "PAPERLAKE_DOCS"
# A lake on object storage keeps its Data Docs here, relative to the working directory.
REMOTE_LAKE_DOCS_DIR = "data/validation"

LakeUriOrigin = Literal["flag", "env", "default"]


@dataclass(frozen=True)
class LakeUri:
    """A lake URI and where it came from, so a command can say why it opened that lake."""

    uri: str
    origin: LakeUriOrigin

    def describe(self) -> str:
        how = {"flag": "--lake", "env": f"${LAKE_ENV}", "default": "the default"}[self.origin]
        return f"{self.uri} (from {how})"


def lake_uri_of(flag_value: str | None = None, environ: Mapping[str, str] = os.environ) -> LakeUri:
    """`--lake` wins, then $PAPERLAKE_LAKE, then ./data/lake."""
    if flag_value:
        return LakeUri(flag_value, "flag")
    if environ.get(LAKE_ENV):
        return LakeUri(environ[LAKE_ENV], "env")
    return LakeUri(DEFAULT_LAKE_URI, "default")


def resolve_lake_uri(flag_value: str | None = None) -> str:
    """`--lake` wins, then $PAPERLAKE_LAKE, then ./data/lake."""
    return lake_uri_of(flag_value).uri


def validation_docs_dir(lake_uri: str, environ: Mapping[str, str] = os.environ) -> str:
    """Where Great Expectations Data Docs go: $PAPERLAKE_DOCS, else a folder beside a local lake, one per lake:
    `validation/` beside a lake folder named `lake` (./data/lake: ./data/validation), `NAME-validation/`
    beside any other (two lakes in one folder never share a site).

    A lake on object storage keeps its docs locally in ./data/validation unless told otherwise.
    """
    if environ.get(DOCS_ENV):
        return environ[DOCS_ENV]
    if "://" in lake_uri and not lake_uri.startswith("file://"):
        return os.path.abspath(REMOTE_LAKE_DOCS_DIR)
    local = os.path.abspath(lake_uri.removeprefix("file://").rstrip("/"))
    name = os.path.basename(local)
    return os.path.join(os.path.dirname(local), "validation" if name == "lake" else f"{name}-validation")


# Polars and deltalake each bundle their own jemalloc, which by default keeps freed pages for ten
# seconds: pages one library frees cannot serve the other's next allocation, so a load's peak was the
# sum of both libraries' high-water marks (a year of page copies: 1.13 GB instead of 1.06 with the same
# work; the bare floor 0.62 GB instead of 0.51). Freed pages go back at once, for a little system time.
# Read when the libraries load: entry points call this before anything imports Polars.
JEMALLOC_CONF_ENV = "_RJEM_MALLOC_CONF"
JEMALLOC_CONF = "dirty_decay_ms:0,muzzy_decay_ms:0"


# Short reads are held to no memory target, and returning every freed page at once costs them page
# faults (the ten-year `report`: about a million, 2.9 s of system time): they keep jemalloc's default.
READ_COMMANDS = frozenset({"query", "papers", "show", "new", "trending", "history", "report", "tables", "status",
                           "changes", "authors", "topics", "digest", "quarantine"})
# `dupes` streams every abstract of the lake through Polars (4.8 GB on ten years), freeing and taking
# memory all along: returning each freed page at once cost it 9 million page faults (12 s of system
# time, a fifth of its CPU) for a peak 3 % lower (1.88 GB, not 1.95), so it keeps the default too.
ALLOCATOR_DEFAULT_COMMANDS = READ_COMMANDS | {"dupes"}


def memory_defaults(environ: dict[str, str] | None = None, argv: list[str] | None = None) -> None:
    """Return freed memory to the system at once (a setting of the user's own wins), except in the
    read commands and `dupes`, judged from `argv` (the process's command line unless given)."""
    if command_of(sys.argv if argv is None else argv) in ALLOCATOR_DEFAULT_COMMANDS:
        return
    (os.environ if environ is None else environ).setdefault(JEMALLOC_CONF_ENV, JEMALLOC_CONF)


def command_of(argv: list[str]) -> str | None:
    """The subcommand of a `paperlake ...` command line (its first word that is not an option), if it is one."""
    # `-m` while `python -m paperlake.cli` imports the package, then the module's path
    if not argv or not (argv[0] == "-m" or os.path.basename(argv[0]).startswith(("paperlake", "cli.py"))):
        return None
    return next((word for word in argv[1:] if not word.startswith("-")), None)


def quiet_prefect_defaults() -> None:
    """Defaults that keep Prefect's embedded server usable on one machine (entry points call this).

    The ephemeral server logs a "database is locked" telemetry error unless analytics are off.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
