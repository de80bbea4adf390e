"""How a lake table is declared, as data: its columns (name, type, required, description) and key.

lake/schemas.py declares every table with these (the gold ones in lake/gold_schemas.py); Polars
schemas, Arrow/Delta schemas, not-null rules and merge keys are all derived from a TableSpec.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

UTC_TIMESTAMP = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    required: bool = False
    description: str = ""
    # Only a rewrite of the table gives this column: added empty to an older table (lake/evolve.py),
    # it would claim of the older rows what they lack.
    rebuilt: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    partition_by: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def polars_schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})

    def empty_frame(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema)

    def arrow_schema(self):
        return self.empty_frame().to_arrow().schema

    def conform(self, df: pl.DataFrame) -> pl.DataFrame:
        """Select the declared columns in declared order and types; missing optional ones become null."""
        missing = [c for c in self.required_columns if c not in df.columns]
        if missing:
            raise ValueError(f"table {self.name}: batch lacks required columns {missing}")
        return df.select(
            pl.col(c.name).cast(c.dtype) if c.name in df.columns else pl.lit(None, dtype=c.dtype).alias(c.name)
            for c in self.columns
        )
