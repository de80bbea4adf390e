"""Every write to the lake, each one commit with paperlake's metadata attached.

Each write checks what is already there before writing, so re-running any step after a crash or
on the same input changes nothing (delta-rs does not skip writes by itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl
from deltalake import CommitProperties, DeltaTable, write_deltalake

from lake.schemas import PAPERS, QUARANTINE, SIGHTINGS, SNAPSHOTS, TABLES, TableSpec
from lake.store import Lake


@dataclass(frozen=True)
class CommitInfo:
    """What a commit records so `history` leads back to the run that wrote it."""

    operation: str
    run_id: str | None = None
    feed: str | None = None
    snapshot_dates: tuple[date, ...] = field(default_factory=tuple)

    def properties(self) -> CommitProperties:
        from paperlake import __version__

        dates = sorted(set(self.snapshot_dates))
        metadata = {
            "paperlake.operation": self.operation,
            "paperlake.version": __version__,
            "paperlake.run_id": self.run_id or "",
            "paperlake.feed": self.feed or "",
            "paperlake.snapshot_dates": f"{dates[0]}..{dates[-1]}" if len(dates) > 1 else (str(dates[0]) if dates else ""),
        }
        return CommitProperties(custom_metadata=metadata)


def ensure_tables(lake: Lake) -> None:
    """Create every declared table that does not exist yet, empty, with its schema."""
    for spec in TABLES.values():
        if not lake.has_table(spec.name):
            DeltaTable.create(
                lake.table_uri(spec.name),
                schema=spec.arrow_schema(),
                mode="ignore",
                partition_by=list(spec.partition_by) or None,
                name=spec.name,
                description=spec.description,
                storage_options=lake.storage_options,
            )


def append(lake: Lake, spec: TableSpec, rows: pl.DataFrame, commit: CommitInfo) -> int:
    if rows.is_empty():
        return 0
    write_deltalake(
        lake.table_uri(spec.name),
        spec.conform(rows).to_arrow(),
        mode="append",
        storage_options=lake.storage_options,
        commit_properties=commit.properties(),
    )
    return rows.height


def upsert(lake: Lake, spec: TableSpec, rows: pl.DataFrame, commit: CommitInfo, columns: list[str] | None = None) -> dict:
    """MERGE on the table's key: update matched rows (all columns, or `columns`), insert new ones."""
    if rows.is_empty():
        return {}
    key = list(spec.key)
    if rows.select(key).is_duplicated().any():
        raise ValueError(f"table {spec.name}: merge source has duplicate keys {key}; dedupe it first")
    predicate = " AND ".join(f"t.{k} = s.{k}" for k in key)
    source = (spec.conform(rows) if columns is None else rows.select(key + columns)).to_arrow()
    merger = lake.delta(spec.name).merge(
        source, predicate, source_alias="s", target_alias="t", commit_properties=commit.properties()
    )
    if columns is None:
        return merger.when_matched_update_all().when_not_matched_insert_all().execute()
    return merger.when_matched_update({c: f"s.{c}" for c in columns}).execute()


def snapshot_states(lake: Lake, snapshot_ids: list[str]) -> dict[str, str]:
    """parse_status of each given snapshot already in the lake."""
    found = (
        lake.scan(SNAPSHOTS.name)
        .filter(pl.col("snapshot_id").is_in(snapshot_ids))
        .select("snapshot_id", "parse_status")
        .collect()
    )
    return dict(found.iter_rows())


def store_snapshots(lake: Lake, snapshots: pl.DataFrame, commit: CommitInfo) -> int:
    """Bronze: append the raw payloads not stored yet (content-hash dedupe)."""
    known = snapshot_states(lake, snapshots["snapshot_id"].to_list())
    new = snapshots.filter(~pl.col("snapshot_id").is_in(list(known))).unique("snapshot_id", keep="first", maintain_order=True)
    return append(lake, SNAPSHOTS, new, commit)


def store_sightings(lake: Lake, sightings: pl.DataFrame, commit: CommitInfo) -> int:
    """Append sightings of snapshots that have none yet: a snapshot's sightings land in one commit, so any row means all."""
    ids = sightings["snapshot_id"].unique().to_list()
    done = lake.scan(SIGHTINGS.name).filter(pl.col("snapshot_id").is_in(ids)).select("snapshot_id").unique().collect()
    return append(lake, SIGHTINGS, sightings.filter(~pl.col("snapshot_id").is_in(done["snapshot_id"].to_list())), commit)


def sightings_of(lake: Lake, paper_ids: list[str]) -> pl.DataFrame:
    return lake.scan(SIGHTINGS.name).filter(pl.col("paper_id").is_in(paper_ids)).collect()


def upsert_papers(lake: Lake, papers: pl.DataFrame, commit: CommitInfo, removed_ids: list[str] = ()) -> dict:
    """One MERGE: insert or update `papers`, and delete the rows of `removed_ids` (papers merged into others)."""
    removed = PAPERS.empty_frame().with_columns(pl.Series("paper_id", list(removed_ids), dtype=pl.String))
    source = pl.concat([PAPERS.conform(papers).with_columns(_removed=pl.lit(False)), removed.with_columns(_removed=pl.lit(True))])
    if source.is_empty():
        return {}
    return (
        lake.delta(PAPERS.name)
        .merge(source.to_arrow(), "t.paper_id = s.paper_id", source_alias="s", target_alias="t", commit_properties=commit.properties())
        .when_matched_delete("s._removed")
        .when_matched_update_all("NOT s._removed", except_cols=["_removed"])
        .when_not_matched_insert_all("NOT s._removed", except_cols=["_removed"])
        .execute()
    )


def known_paper_ids(lake: Lake, paper_ids: list[str]) -> list[str]:
    return lake.scan(PAPERS.name).filter(pl.col("paper_id").is_in(paper_ids)).select("paper_id").collect()["paper_id"].to_list()


def arxiv_titles(lake: Lake) -> pl.DataFrame:
    """title_key and arxiv_id of every paper that has an arXiv id."""
    return lake.scan(PAPERS.name).filter(pl.col("arxiv_id").is_not_null()).select("title_key", "arxiv_id").collect()


def papers_with_title_keys(lake: Lake, title_keys: list[str]) -> pl.DataFrame:
    return lake.scan(PAPERS.name).filter(pl.col("title_key").is_in(title_keys)).select("paper_id", "title_key").collect()


def relink_sightings(lake: Lake, mapping: pl.DataFrame, commit: CommitInfo) -> dict:
    """Move the sightings of old_paper_id to arxiv_id (a title-only paper whose arXiv id arrived)."""
    if mapping.is_empty():
        return {}
    return (
        lake.delta(SIGHTINGS.name)
        .merge(mapping.to_arrow(), "t.paper_id = s.old_paper_id", source_alias="s", target_alias="t", commit_properties=commit.properties())
        .when_matched_update({"paper_id": "s.arxiv_id", "arxiv_id": "s.arxiv_id"})
        .execute()
    )


def mark_snapshots_loaded(lake: Lake, outcomes: pl.DataFrame, commit: CommitInfo) -> dict:
    """Record each snapshot's parse outcome; from then on it counts as ingested."""
    return upsert(lake, SNAPSHOTS, outcomes, commit, columns=["parse_status", "parse_errors", "row_count", "loaded_at"])


def snapshot_filter(feed: str | None, since: date | None) -> tuple[pl.Expr, str]:
    """The same selection of snapshots as a Polars filter and as a Delta SQL predicate."""
    expr, sql = pl.lit(True), ["true"]
    if feed:
        expr, sql = expr & (pl.col("feed") == feed), sql + [f"feed = '{_sql_string(feed)}'"]
    if since:
        expr, sql = expr & (pl.col("snapshot_date") >= since), sql + [f"snapshot_date >= '{since.isoformat()}'"]
    return expr, " AND ".join(sql)


def archived_snapshots(lake: Lake, feed: str | None = None, since: date | None = None) -> pl.DataFrame:
    expr, _ = snapshot_filter(feed, since)
    return lake.scan(SNAPSHOTS.name).filter(expr).sort("snapshot_date", "fetched_at", "snapshot_id").collect()


def paper_ids_seen(lake: Lake, feed: str | None = None, since: date | None = None) -> list[str]:
    expr, _ = snapshot_filter(feed, since)
    return lake.scan(SIGHTINGS.name).filter(expr).select("paper_id").unique().collect()["paper_id"].to_list()


def replace_sightings(lake: Lake, sightings: pl.DataFrame, feed: str | None, since: date | None, commit: CommitInfo) -> int:
    """Atomically swap every sighting of the selected snapshots for `sightings` (one commit)."""
    _, predicate = snapshot_filter(feed, since)
    write_deltalake(
        lake.table_uri(SIGHTINGS.name),
        SIGHTINGS.conform(sightings).to_arrow(),
        mode="overwrite",
        predicate=predicate,
        storage_options=lake.storage_options,
        commit_properties=commit.properties(),
    )
    return sightings.height


def _sql_string(value: str) -> str:
    return value.replace("'", "''")


# How many earlier feed-days the volume rule compares a day with.
VOLUME_HISTORY_DAYS = 14


def recent_row_counts(lake: Lake, feed: str, before: date, days: int = VOLUME_HISTORY_DAYS) -> list[int]:
    """Rows loaded per day for `feed` on its last `days` loaded days before `before`, oldest first."""
    per_day = (
        lake.scan(SNAPSHOTS.name)
        .filter((pl.col("feed") == feed) & (pl.col("snapshot_date") < before) & pl.col("parse_status").is_in(["ok", "partial"]))
        .group_by("snapshot_date")
        .agg(pl.col("row_count").sum())
        .sort("snapshot_date")
        .tail(days)
        .collect()
    )
    return per_day["row_count"].to_list()


def store_quarantine(lake: Lake, rows: pl.DataFrame, commit: CommitInfo) -> int:
    """Append quarantined rows not held already (same row, same quarantine_id)."""
    if rows.is_empty():
        return 0
    held = lake.scan(QUARANTINE.name).filter(pl.col("quarantine_id").is_in(rows["quarantine_id"].to_list())).select("quarantine_id").collect()
    return append(lake, QUARANTINE, rows.filter(~pl.col("quarantine_id").is_in(held["quarantine_id"].to_list())), commit)


def replace_quarantine(lake: Lake, rows: pl.DataFrame, table: str, feed: str | None, since: date | None, commit: CommitInfo) -> int:
    """Swap the held rows of `table` for the selected snapshots for `rows`: released rows leave, one commit."""
    _, predicate = snapshot_filter(feed, since)
    write_deltalake(
        lake.table_uri(QUARANTINE.name),
        QUARANTINE.conform(rows).to_arrow(),
        mode="overwrite",
        predicate=f"{predicate} AND \"table\" = '{_sql_string(table)}'",
        storage_options=lake.storage_options,
        commit_properties=commit.properties(),
    )
    return rows.height
