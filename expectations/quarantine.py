"""Quarantined rows: the row as JSON plus why it was held, and the way back into a typed frame.

Nothing here imports Great Expectations, so listing the quarantine stays fast.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable

import polars as pl

from lake.schemas import QUARANTINE
from lake.table_spec import TableSpec

if TYPE_CHECKING:
    from feeds.payload import ParseIssue

_REASON_VALUE_CHARS = 80


def row_to_json(row: dict[str, Any]) -> str:
    """One row as JSON a person can read: dates ISO, timestamps ISO in UTC, binary as base64."""
    return json.dumps(row, default=_json_value, ensure_ascii=False)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot put {type(value).__name__} into a quarantined row")


def rows_from_json(spec: TableSpec, row_jsons: Iterable[str]) -> pl.DataFrame:
    """The inverse of row_to_json: quarantined rows back into `spec`'s types, to re-check or release."""
    records = [json.loads(s) for s in row_jsons]
    for column in (c for c in spec.columns if _is_nested(c.dtype)):
        for record in records:  # dates inside lists and records come back as dates
            record[column.name] = _revive(record.get(column.name), column.dtype)
    wire = pl.Schema({c.name: _wire_dtype(c.dtype) for c in spec.columns})
    frame = pl.DataFrame(records, schema=wire)
    return frame.select(_from_wire(c.name, c.dtype) for c in spec.columns)


def _is_nested(dtype: pl.DataType) -> bool:
    return isinstance(dtype, (pl.List, pl.Struct))


def _revive(value: Any, dtype: pl.DataType) -> Any:
    if value is None:
        return None
    if dtype == pl.Date:
        return date.fromisoformat(value)
    if isinstance(dtype, pl.List):
        return [_revive(v, dtype.inner) for v in value]
    if isinstance(dtype, pl.Struct):
        return {f.name: _revive(value.get(f.name), f.dtype) for f in dtype.fields}
    return value


def _wire_dtype(dtype: pl.DataType) -> pl.DataType:
    # Schemas hold dtype classes (pl.Date) or instances (pl.Datetime("us", "UTC")); == matches both.
    return pl.String if any(dtype == t for t in (pl.Date, pl.Datetime, pl.Binary)) else dtype


def _from_wire(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if dtype == pl.Date:
        return column.str.to_date("%Y-%m-%d")
    if dtype == pl.Datetime:
        return column.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", time_unit="us", time_zone="UTC").cast(dtype)
    if dtype == pl.Binary:
        return column.str.decode("base64")
    return column.cast(dtype)


def quarantine_id(table: str, feed: str, snapshot_date: date, row_json: str) -> str:
    """Same row, same id: a re-check replaces the entry instead of adding a second one."""
    text = "\n".join((table, feed, snapshot_date.isoformat(), row_json))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def short(value: Any) -> str:
    """A value as it appears in a reason: quoted, and cut if long."""
    text = repr(value.isoformat() if isinstance(value, date) else value)
    return text if len(text) <= _REASON_VALUE_CHARS else text[: _REASON_VALUE_CHARS - 4] + "...'"


def quarantine_frame(
    spec: TableSpec,
    batch: pl.DataFrame,
    broken: dict[int, list[tuple[str, str]]],
    *,
    feed: str,
    snapshot_date: date,
    run_id: str | None,
    quarantined_at: datetime,
) -> pl.DataFrame:
    """One QUARANTINE row per input row in `broken` (row position -> [(rule, detail), ...] in suite order).

    `rule` names the first rule broken; `reason` names them all, with the feed and date.
    """
    records = []
    for position in sorted(broken):
        row = batch.row(position, named=True)
        # Declared column order, so the same row always gives the same JSON and the same id.
        row_json = row_to_json({c: row[c] for c in spec.column_names})
        rules = broken[position]
        names = ", ".join(name for name, _ in rules)
        details = "; ".join(detail for _, detail in rules)
        records.append(
            {
                "quarantine_id": quarantine_id(spec.name, feed, snapshot_date, row_json),
                "table": spec.name,
                "feed": feed,
                "snapshot_date": snapshot_date,
                "snapshot_id": row.get("snapshot_id"),
                "rule": rules[0][0],
                "reason": f"{spec.name} row from {feed} on {snapshot_date.isoformat()} broke {names}: {details}",
                "row_json": row_json,
                "run_id": run_id,
                "quarantined_at": quarantined_at,
            }
        )
    return pl.DataFrame(records, schema=QUARANTINE.polars_schema)


# The `table` of a row the parser could not place (a stray page line, a listing item with no id):
# it never became a row of any table, so it is held under the step that dropped it.
PARSE_TABLE = "parse"


def parse_reject_frame(
    rejects: list[ParseIssue],
    *,
    feed: str,
    snapshot_date: date,
    snapshot_id: str,
    run_id: str | None,
    quarantined_at: datetime,
) -> pl.DataFrame:
    """One QUARANTINE row per row a parser dropped (feeds.payload.ParseIssue with its text).

    row_json holds the file, the line and the text, so the same line of the same file has the same
    id on every ingest; a reparse after a parser fix replaces these rows like rule rejects.
    """
    records = {}
    for issue in rejects:
        row_json = row_to_json({"source": issue.source, "line": issue.line, "text": issue.text})
        where = f"{issue.source}:{issue.line}" if issue.line is not None else issue.source
        qid = quarantine_id(PARSE_TABLE, feed, snapshot_date, row_json)
        records[qid] = {
            "quarantine_id": qid,
            "table": PARSE_TABLE,
            "feed": feed,
            "snapshot_date": snapshot_date,
            "snapshot_id": snapshot_id,
            "rule": issue.rule,
            "reason": f"{where}: {issue.message} [{issue.rule}]",
            "row_json": row_json,
            "run_id": run_id,
            "quarantined_at": quarantined_at,
        }
    return pl.DataFrame(list(records.values()), schema=QUARANTINE.polars_schema)
