"""Is there a lake where the user pointed? One check that every command reading the lake runs first.

Without it a typo in `--lake`, an empty folder or a table's own folder reads as a lake whose
tables are empty, and every command answers "0 rows" with exit code 0.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from deltalake import DeltaTable

from lake.schemas import TABLES

MAKE_ONE = (
    "make one with `paperlake run` (fetch today's feeds), `paperlake ingest FILES` (saved page copies) "
    "or `make run` in the clone (the offline demo, into ./data/lake); or point --lake or $PAPERLAKE_LAKE at an existing lake"
)


@dataclass(frozen=True)
class LakeLocation:
    """Where the lake is meant to be, and which setting said so (`--lake`, `$PAPERLAKE_LAKE` or the default)."""

    uri: str
    source: str

    @property
    def is_local(self) -> bool:
        return "://" not in self.uri or self.uri.startswith("file://")

    @property
    def path(self) -> Path:
        return Path(self.uri.removeprefix("file://")).absolute()

    def describe(self) -> str:
        where = str(self.path) if self.is_local else self.uri
        if self.source == "default":
            return f"{where} (the default ./data/lake, from the current folder {Path.cwd()})"
        return f"{where} (from {self.source})"


class NoLakeError(Exception):
    """No lake at the location: the message names the path, its source, what is there instead and how to make one."""


def locate(flag_value: str | None) -> LakeLocation:
    """`--lake` wins, then $PAPERLAKE_LAKE, then ./data/lake (as settings.resolve_lake_uri)."""
    from settings import DEFAULT_LAKE_URI, LAKE_ENV

    if flag_value:
        return LakeLocation(flag_value, "--lake")
    if os.environ.get(LAKE_ENV):
        return LakeLocation(os.environ[LAKE_ENV], f"${LAKE_ENV}")
    return LakeLocation(DEFAULT_LAKE_URI, "default")


def check_lake(location: LakeLocation, storage_options: dict[str, str] | None = None) -> None:
    """Raise NoLakeError unless at least one of the lake's tables is at `location`."""
    problem = _local_problem(location.path) if location.is_local else _remote_problem(location.uri, storage_options)
    if problem:
        raise NoLakeError(f"no lake at {location.describe()}: {problem}.\n{MAKE_ONE}.")


def _local_problem(path: Path) -> str | None:
    if not path.exists():
        return "there is no such folder"
    if not path.is_dir():
        return "that is a file, not a lake folder"
    if (path / "_delta_log").is_dir():
        name = path.name if path.name in TABLES else None
        what = f"the lake's {name!r} table" if name else "a Delta table"
        return f"that is {what}, not a lake: the lake is the folder holding its tables, e.g. --lake {path.parent}"
    if not any(DeltaTable.is_deltatable(str(path / name)) for name in TABLES):
        content = "an empty folder" if not any(path.iterdir()) else "a folder"
        return f"{content} without any of the lake's tables ({', '.join(TABLES)})"
    return None


def _remote_problem(uri: str, storage_options: dict[str, str] | None) -> str | None:
    from lake import storage

    options = storage_options or storage.options_for(uri)
    root = uri.rstrip("/")
    if any(DeltaTable.is_deltatable(f"{root}/{name}", storage_options=options) for name in TABLES):
        return None
    return f"none of the lake's tables ({', '.join(TABLES)}) is there"


def missing_table_note(lake_uri: str, name: str, why_missing: str) -> str:
    """What to say when the lake exists but one table was not created yet (not an error: no rows yet)."""
    return f"the lake at {lake_uri} has no {name!r} table yet: {why_missing}"
