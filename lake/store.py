"""Where the tables live and how to read them."""

from __future__ import annotations

import os
from datetime import datetime

import polars as pl
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from lake.schemas import TABLES, TableSpec


class UnknownTableError(KeyError):
    def __str__(self) -> str:
        return f"no table {self.args[0]!r}; the lake's tables are: {', '.join(TABLES)}"


def spec_of(name: str) -> TableSpec:
    try:
        return TABLES[name]
    except KeyError:
        raise UnknownTableError(name) from None


class Lake:
    """A lake root (a local folder or an object-store URI) holding one Delta table per TableSpec."""

    def __init__(self, uri: str, storage_options: dict[str, str] | None = None):
        self.uri = uri if "://" in uri else os.path.abspath(uri)
        self.storage_options = storage_options or None

    def __repr__(self) -> str:
        return f"Lake({self.uri!r})"

    def table_uri(self, name: str) -> str:
        spec_of(name)
        return f"{self.uri.rstrip('/')}/{name}"

    def has_table(self, name: str) -> bool:
        return DeltaTable.is_deltatable(self.table_uri(name), storage_options=self.storage_options)

    def delta(self, name: str, as_of: int | str | datetime | None = None) -> DeltaTable:
        """The Delta table, optionally at a version number or a timestamp (time travel)."""
        try:
            table = DeltaTable(self.table_uri(name), storage_options=self.storage_options)
        except TableNotFoundError:
            raise FileNotFoundError(f"table {name!r} does not exist yet in {self.uri} (ingest something first)") from None
        if as_of is not None:
            table.load_as_version(as_of)
        return table

    def scan(self, name: str, as_of: int | str | datetime | None = None) -> pl.LazyFrame:
        """The table as a LazyFrame; an empty frame of the declared schema if it does not exist yet."""
        if not self.has_table(name):
            if as_of is not None:
                self.delta(name)  # raises the clear "does not exist" error
            return spec_of(name).empty_frame().lazy()
        return pl.scan_delta(self.delta(name, as_of))

    def read(self, name: str, as_of: int | str | datetime | None = None) -> pl.DataFrame:
        return self.scan(name, as_of).collect()

    def tables(self) -> dict[str, pl.LazyFrame]:
        return {name: self.scan(name) for name in TABLES}

    def history(self, name: str, limit: int | None = None) -> list[dict]:
        return self.delta(name).history(limit)


def open_lake(uri: str | None = None, storage_options: dict[str, str] | None = None) -> Lake:
    """The lake at `uri` (default: --lake / $PAPERLAKE_LAKE / ./data/lake)."""
    from paperlake.config import resolve_lake_uri

    return Lake(resolve_lake_uri(uri), storage_options)
