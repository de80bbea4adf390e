"""Schema evolution: a lake written by an older paperlake gains the columns declared since, in place.

Only additive, nullable columns are ever declared after a table exists (lake/schemas.py), so
adding them is a metadata-only commit: existing files read the new columns as null.
"""

from __future__ import annotations

from deltalake import Schema

from lake.store import Lake
from lake.table_spec import TableSpec


def missing_columns(lake: Lake, spec: TableSpec) -> list[str]:
    present = {field.name for field in lake.delta(spec.name).schema().fields}
    return [c.name for c in spec.columns if c.name not in present and not c.rebuilt]


def add_missing_columns(lake: Lake, spec: TableSpec, commit_properties=None) -> list[str]:
    """Add the declared columns the table lacks (at the end, in declared order); return their names."""
    missing = missing_columns(lake, spec)
    if missing:
        import pyarrow as pa

        arrow = spec.arrow_schema()
        fields = Schema.from_arrow(pa.schema([arrow.field(name) for name in missing])).fields
        lake.delta(spec.name).alter.add_columns(fields, commit_properties=commit_properties)
    return missing
