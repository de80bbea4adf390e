"""The change feed: what each commit to `papers` or `sightings` inserted, updated and deleted.

Delta records it once `delta.enableChangeDataFeed` is on (lake/table_setup.py sets it): a MERGE
writes its updates (as `update_preimage` and `update_postimage` rows) and deletes to
`_change_data/` files, and appends are read back as inserts. Commits made before the property
was turned on recorded nothing, so reads are refused there instead of guessing from whole files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

import polars as pl
from deltalake import DeltaTable

from lake.store import Lake, spec_of
from lake.table_setup import CHANGE_FEED_PROPERTY as CDF_PROPERTY
from lake.table_setup import TABLE_PROPERTIES

CHANGE_FEED_TABLES = tuple(name for name, properties in TABLE_PROPERTIES.items() if CDF_PROPERTY in properties)
CHANGE_COLUMNS = ("_change_type", "_commit_version", "_commit_timestamp")
# Within a commit: an update's two images side by side, before and after.
_CHANGE_ORDER = {"delete": 0, "update_preimage": 1, "update_postimage": 2, "insert": 3}


class ChangeFeedError(ValueError):
    """A change read the table cannot answer; the message says what it can answer."""


@dataclass(frozen=True)
class Changes:
    table: str
    first_version: int  # the versions read, both included; first > last when nothing was committed since
    last_version: int
    rows: pl.DataFrame


def change_feed_start(table: DeltaTable) -> int | None:
    """The first version whose changes are recorded: the commit that turned the feed on (or the
    oldest commit the log still holds); None when the table has no change feed."""
    if table.metadata().configuration.get(CDF_PROPERTY, "").lower() != "true":
        return None
    history = table.history()  # newest first
    for entry in history:
        if _turns_feed_on(entry):
            return int(entry["version"])
    return int(history[-1]["version"])  # the log before it was cleaned up: what is left is all readable


def _turns_feed_on(entry: dict) -> bool:
    parameters = entry.get("operationParameters") or {}
    if entry.get("operation") == "SET TBLPROPERTIES":
        properties = json.loads(parameters.get("properties") or "{}")
    elif str(entry.get("operation", "")).startswith("CREATE"):
        properties = json.loads(parameters.get("metadata") or "{}").get("configuration") or {}
    else:
        return False
    return str(properties.get(CDF_PROPERTY, "")).lower() == "true"


def read_changes(
    lake: Lake, name: str, since_version: int | None = None, since: datetime | None = None, until_version: int | None = None
) -> Changes:
    """The rows changed in versions `since_version` (or the first commit at or after `since`) to
    `until_version` (default: the latest), oldest commit first: the table's columns, then
    _change_type, _commit_version and _commit_timestamp (UTC)."""
    spec_of(name)  # an unknown table says which there are
    if name not in CHANGE_FEED_TABLES:
        raise ChangeFeedError(f"table {name!r} keeps no change feed; the tables that do are: {', '.join(CHANGE_FEED_TABLES)}")
    table = lake.delta(name)
    latest = table.version()
    start = change_feed_start(table)
    if start is None:
        raise ChangeFeedError(f"table {name!r} has no change feed yet: the next load (paperlake run, ingest or backfill) turns it on")
    if until_version is not None and until_version > latest:
        raise ChangeFeedError(f"table {name!r} is at version {latest}: there is no version {until_version}")
    last = latest if until_version is None else until_version
    first = since_version if since_version is not None else _first_version_at(table, since)
    if first is None:  # no commit at or after `since`
        return Changes(name, latest + 1, latest, _empty(table))
    if first > latest:
        raise ChangeFeedError(f"table {name!r} is at version {latest}: there is no version {first}")
    if first < start:
        asked = f"version {first}" if since is None else f"{since.isoformat()} (version {first})"
        raise ChangeFeedError(
            f"table {name!r} records changes from version {start} on (its change feed was turned on then), not {asked}: "
            f"give --since-version {start} or later"
        )
    if first > last:
        raise ChangeFeedError(f"version {first}, where the changes asked for start, is after --until-version {last}")
    try:
        rows = pl.DataFrame(table.load_cdf(starting_version=first, ending_version=last).read_all())
    except Exception as error:  # delta-rs raises a bare Exception for a data file that is gone
        cause = (str(error).strip().splitlines() or [type(error).__name__])[0]
        hint = " (`maintain` vacuums the data files of versions older than its retention: give a later --since-version)" if _is_missing_file(cause) else ""
        raise ChangeFeedError(f"cannot read the changes of table {name!r} from version {first}: {cause}{hint}") from None
    return Changes(name, first, last, _ordered(rows, list(spec_of(name).key)))


def _is_missing_file(cause: str) -> bool:
    return any(words in cause for words in ("not found", "No such file", "Failed to fetch metadata"))


def _first_version_at(table: DeltaTable, moment: datetime | None) -> int | None:
    """The first version committed at or after `moment` (UTC), or None if there is none."""
    if moment is None:
        raise ValueError("give since_version or since")
    moment_ms = moment.astimezone(timezone.utc).timestamp() * 1000
    later = [int(entry["version"]) for entry in table.history() if entry["timestamp"] >= moment_ms]
    return min(later, default=None)


def _ordered(rows: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    rows = rows.with_columns(
        pl.col("_commit_version").cast(pl.Int64),
        pl.col("_commit_timestamp").cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"),
    )
    order = pl.col("_change_type").replace_strict(_CHANGE_ORDER, default=len(_CHANGE_ORDER))
    return rows.sort([pl.col("_commit_version"), *key, order])


def _empty(table: DeltaTable) -> pl.DataFrame:
    data = pl.DataFrame(schema=pl.Schema(pl.scan_delta(table).collect_schema()))
    return data.with_columns(
        pl.lit(None, pl.String).alias("_change_type"),
        pl.lit(None, pl.Int64).alias("_commit_version"),
        pl.lit(None, pl.Datetime("ms", "UTC")).alias("_commit_timestamp"),
    )
