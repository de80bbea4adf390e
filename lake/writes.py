"""Every write to the lake, each one commit with paperlake's metadata attached.

Each write checks what is already there before writing, so re-running any step after a crash or
on the same input changes nothing (delta-rs does not skip writes by itself).
"""

from __future__ import annotations

import bisect
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, TypeVar

import polars as pl
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError

from lake.evolve import add_missing_columns
from lake.schemas import AUTHOR_PAPERS, AUTHORS, PAPERS, QUARANTINE, SEARCH_WORDS, SIGHTINGS, SNAPSHOTS, TABLES, TableSpec
from lake.store import Lake
from transforms.identity import prefix_range


@dataclass(frozen=True)
class CommitInfo:
    """What a commit records so `history` leads back to the run that wrote it."""

    operation: str
    run_id: str | None = None
    feed: str | None = None
    snapshot_dates: tuple[date, ...] = field(default_factory=tuple)

    def properties(self, guard: Transaction | None = None) -> CommitProperties:
        from settings import __version__

        dates = sorted(set(self.snapshot_dates))
        metadata = {
            "paperlake.operation": self.operation,
            "paperlake.version": __version__,
            "paperlake.run_id": self.run_id or "",
            "paperlake.feed": self.feed or "",
            "paperlake.snapshot_dates": f"{dates[0]}..{dates[-1]}" if len(dates) > 1 else (str(dates[0]) if dates else ""),
        }
        return CommitProperties(custom_metadata=metadata, app_transactions=[guard] if guard else None)


log = logging.getLogger(__name__)

# Concurrent runs: delta-rs refuses a commit when a commit that landed since its read could change
# what it wrote (CommitFailedError). The write is then redone from a fresh read: every write here
# checks what is there first, so a redo adds only what is still missing.
COMMIT_ATTEMPTS = 30
COMMIT_BACKOFF_SECONDS = 0.05
COMMIT_BACKOFF_MAX_SECONDS = 2.0

T = TypeVar("T")


class LakeWriteError(RuntimeError):
    """A write that did not land (storage fault, too many conflicts); the message names the table."""


def committing(lake: Lake, table: str, write: Callable[[], T]) -> T:
    """Run `write` (one commit to `table`), redoing it after a conflicting concurrent commit.

    Storage faults (read-only folder, full disk, denied bucket) become a LakeWriteError naming the
    table: delta-rs commits last, so a failed write leaves the table at its last version.
    """
    from lake.health import check_writable

    check_writable(lake, table)  # a damaged table (a data file gone) raises here: nothing is written
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        try:
            return write()
        except CommitFailedError as err:
            log.info("commit to table %r lost to a concurrent commit; redoing it (attempt %d)", table, attempt + 1)
            if attempt == COMMIT_ATTEMPTS:
                raise LakeWriteError(f"could not commit to table {table!r} in {lake.uri}: {attempt} attempts met concurrent commits ({err})") from None
            time.sleep(min(COMMIT_BACKOFF_MAX_SECONDS, COMMIT_BACKOFF_SECONDS * 2 ** min(attempt, 6)) * random.uniform(0.5, 1.0))
        except (DeltaError, OSError) as err:
            raise LakeWriteError(f"could not write table {table!r} in {lake.uri}: {_with_cause(err)}") from None
    raise AssertionError("unreachable: the last attempt returns or raises")


def _with_cause(err: Exception) -> str:
    from lake.health import first_line_with_cause

    return first_line_with_cause(err)



def table_version(lake: Lake, name: str) -> int | None:
    return lake.delta(name).version() if lake.has_table(name) else None


# Files of a few MB instead of one file per table: a MERGE rewrites every file that holds a matched
# row, and papers are written in first-seen order, so the daily update of recently seen papers
# rewrites a few recent files, not the whole table (DESIGN.md: 0.5 s a day at 1M rows). Delta
# writes, MERGE outputs and `maintain`'s compaction all honour the property.
TARGET_FILE_BYTES = 4 * 1024 * 1024
# The change feed (lake/changes.py) of the two tables readers follow: each MERGE also writes its
# updated and deleted rows to _change_data/ files. A lake made before gets it on its next load
# (one property commit, no data rewritten); changes are recorded from that version on.
CHANGE_FEED_PROPERTY = "delta.enableChangeDataFeed"
TABLE_PROPERTIES: dict[str, dict[str, str]] = {
    PAPERS.name: {"delta.targetFileSize": str(TARGET_FILE_BYTES), CHANGE_FEED_PROPERTY: "true"},
    SIGHTINGS.name: {"delta.targetFileSize": str(TARGET_FILE_BYTES), CHANGE_FEED_PROPERTY: "true"},
    # The gold step MERGEs a day's authors: files of a few MB are what it rewrites, not one big one.
    AUTHORS.name: {"delta.targetFileSize": str(TARGET_FILE_BYTES)},
    AUTHOR_PAPERS.name: {"delta.targetFileSize": str(TARGET_FILE_BYTES)},
}


def ensure_tables(lake: Lake) -> None:
    """Create every declared table that does not exist yet, empty, with its schema; give a table
    an older paperlake created the (nullable) columns declared since, and its table properties.

    Opening every table here is also the damage check a lake's first write makes (lake/health.py):
    done once, not again on the first commit.
    """
    from lake.health import mark_tables_checked

    for spec in TABLES.values():
        if spec is SEARCH_WORDS and not lake.has_table(spec.name) and _has_papers(lake):
            continue  # a lake with papers from before the index: `paperlake search-index` builds it, not half of one
        if not lake.has_table(spec.name):
            committing(lake, spec.name, lambda spec=spec: _create(lake, spec))
            continue
        # One read of the table says whether anything is missing; most runs find nothing and commit nothing.
        table = lake.delta(spec.name)  # raises DamagedTableError naming the table and the missing file
        present = {field.name for field in table.schema().fields}
        if any(c.name not in present and not c.rebuilt for c in spec.columns):
            committing(lake, spec.name, lambda spec=spec: add_missing_columns(lake, spec))
        configuration = table.metadata().configuration
        if any(configuration.get(k) is None for k in TABLE_PROPERTIES.get(spec.name, {})):
            committing(lake, spec.name, lambda spec=spec: _set_missing_properties(lake, spec))
    mark_tables_checked(lake)


def _has_papers(lake: Lake) -> bool:
    from lake.search_words import papers_row_count

    return papers_row_count(lake) > 0


def _set_missing_properties(lake: Lake, spec: TableSpec) -> None:
    """A lake created before TABLE_PROPERTIES gets them; its next MERGE splits a big file as they say."""
    wanted = TABLE_PROPERTIES[spec.name]
    table = lake.delta(spec.name)
    current = table.metadata().configuration
    missing = {k: v for k, v in wanted.items() if current.get(k) is None}
    if missing:
        table.alter.set_table_properties(missing)


def _create(lake: Lake, spec: TableSpec) -> None:
    try:
        DeltaTable.create(
            lake.table_uri(spec.name),
            schema=spec.arrow_schema(),
            mode="ignore",
            partition_by=list(spec.partition_by) or None,
            name=spec.name,
            description=spec.description,
            configuration=TABLE_PROPERTIES.get(spec.name),
            storage_options=lake.storage_options,
        )
    except DeltaError:
        if not lake.has_table(spec.name):  # else a concurrent run created it first: what we wanted
            raise


def append(lake: Lake, spec: TableSpec, rows: pl.DataFrame, commit: CommitInfo) -> int:
    if rows.is_empty():
        return 0
    committing(lake, spec.name, lambda: write_deltalake(
        lake.table_uri(spec.name),
        spec.conform(rows).to_arrow(),
        mode="append",
        storage_options=lake.storage_options,
        commit_properties=commit.properties(),
    ))
    return rows.height


def append_missing(lake: Lake, spec: TableSpec, missing: Callable[[pl.LazyFrame], pl.DataFrame], commit: CommitInfo) -> int:
    """Append `missing(table)`: the rows the table lacks, checked and appended at one table version.

    Two runs may both find the same rows missing. Each such append carries the same Delta app
    transaction id, so the second commit fails as a conflict and is redone: its fresh check then
    finds the rows there, and the rows land once.
    """

    def check_and_append() -> int:
        table = lake.delta(spec.name)
        rows = missing(pl.scan_delta(table))
        if rows.is_empty():
            return 0
        guard = Transaction(f"paperlake.append.{spec.name}", table.version() + 1)
        write_deltalake(
            table, spec.conform(rows).to_arrow(), mode="append", storage_options=lake.storage_options,
            commit_properties=commit.properties(guard),
        )
        return rows.height

    return committing(lake, spec.name, check_and_append)


def upsert(
    lake: Lake, spec: TableSpec, rows: pl.DataFrame, commit: CommitInfo, columns: list[str] | None = None, target_filter: str | None = None
) -> dict:
    """MERGE on the table's key: update matched rows (all columns, or `columns`), insert new ones.

    `target_filter` (SQL on `t.`) must hold for every stored row of the keys merged: file stats then
    skip the files it excludes, which the MERGE would otherwise read.
    """
    if rows.is_empty():
        return {}
    key = list(spec.key)
    if rows.select(key).is_duplicated().any():
        raise ValueError(f"table {spec.name}: merge source has duplicate keys {key}; dedupe it first")
    predicate = " AND ".join([f"t.{k} = s.{k}" for k in key] + ([target_filter] if target_filter else []))
    source = (spec.conform(rows) if columns is None else rows.select(key + columns)).to_arrow()

    def merge() -> dict:
        merger = lake.delta(spec.name).merge(
            source, predicate, source_alias="s", target_alias="t", commit_properties=commit.properties()
        )
        if columns is None:
            return merger.when_matched_update_all().when_not_matched_insert_all().execute()
        return merger.when_matched_update({c: f"s.{c}" for c in columns}).execute()

    return committing(lake, spec.name, merge)


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
    new = snapshots.unique("snapshot_id", keep="first", maintain_order=True)

    def missing(table: pl.LazyFrame) -> pl.DataFrame:
        stored = table.filter(pl.col("snapshot_id").is_in(new["snapshot_id"].to_list())).select("snapshot_id").collect()
        return new.filter(~pl.col("snapshot_id").is_in(stored["snapshot_id"].to_list()))

    return append_missing(lake, SNAPSHOTS, missing, commit)


def store_sightings(lake: Lake, sightings: pl.DataFrame, commit: CommitInfo) -> int:
    """Append sightings of snapshots that have none yet: a snapshot's sightings land in one commit, so any row means all."""
    if sightings.is_empty():
        return 0
    ids = sightings["snapshot_id"].unique().to_list()
    # A snapshot's sightings carry its day, so file stats skip every file of other days (snapshot ids
    # are hashes, which no file's range excludes: the check read all 5.8 M ids of a ten-year lake).
    # The day a snapshot was first stored counts too: an id is a content hash, and the same content
    # listed for another day (a load that died after writing its sightings) keeps its first day's rows.
    stored = lake.scan(SNAPSHOTS.name).filter(pl.col("snapshot_id").is_in(ids)).select("snapshot_date").collect()["snapshot_date"]
    dates = pl.concat([sightings["snapshot_date"], stored])
    days = pl.col("snapshot_date").is_between(dates.min(), dates.max())

    def missing(table: pl.LazyFrame) -> pl.DataFrame:
        done = table.filter(days & pl.col("snapshot_id").is_in(ids)).select("snapshot_id").unique().collect()
        return sightings.filter(~pl.col("snapshot_id").is_in(done["snapshot_id"].to_list()))

    return append_missing(lake, SIGHTINGS, missing, commit)


def sightings_of(lake: Lake, paper_ids: list[str], since: date | None = None) -> pl.DataFrame:
    """Every sighting of `paper_ids`; with `since` (see sightings_floor), only files that can hold one are read."""
    wanted = pl.col("paper_id").is_in(paper_ids)
    return lake.scan(SIGHTINGS.name).filter(wanted if since is None else wanted & (pl.col("snapshot_date") >= since)).collect()


def sightings_floor(lake: Lake, paper_ids: list[str]) -> date | None:
    """A day no sighting of `paper_ids` is older than, or None if none is known.

    A paper's sightings date from its first_seen_date on, unless a load has not finished: its
    snapshots are still `pending` (a load marks them last), and its sightings may predate what
    `papers` says, or belong to papers not in it yet. A reparse replaces sightings of snapshots
    that are not pending: do not bound its reads.
    """
    found_count, first_seen = (
        lake.scan(PAPERS.name).filter(pl.col("paper_id").is_in(paper_ids))
        .select(pl.col("paper_id").n_unique(), pl.col("first_seen_date").min()).collect().row(0)
    )
    pending = lake.scan(SNAPSHOTS.name).filter(pl.col("parse_status") == "pending").select(pl.col("snapshot_date").min()).collect().item()
    if found_count < len(set(paper_ids)) and pending is None:
        return None  # papers with neither a row nor an unfinished load: nothing bounds their sightings
    return min((d for d in (first_seen, pending) if d is not None), default=None)


def upsert_papers(lake: Lake, papers: pl.DataFrame, commit: CommitInfo, removed_ids: list[str] = (), skip_unchanged: bool = False) -> dict:
    """One MERGE: insert or update `papers`, and delete the rows of `removed_ids` (papers merged into others).

    `skip_unchanged`: rows equal to the stored ones are left out of the MERGE (a refetched day
    re-summarizes every paper it lists, most of them as they were), so the files holding only those
    are neither rewritten nor listed in the change feed; nothing is committed when nothing changed.
    The metrics then also list `stored_paper_ids` (the given papers that had a row) and
    `changed_paper_ids` (those merged: new or changed).
    """
    # Removed rows carry only their key (the other columns null): a Series cannot be added to an empty frame.
    removed = pl.DataFrame({"paper_id": list(removed_ids)}, schema={"paper_id": pl.String})
    source = pl.concat(
        [PAPERS.conform(papers).with_columns(_removed=pl.lit(False)), removed.with_columns(_removed=pl.lit(True))], how="diagonal"
    )
    if source.is_empty():
        return {}

    def merge() -> dict:
        # Only files that can hold a row of these papers: none is first seen before the earliest of
        # the new first_seen_dates and the stored ones of the same keys, and file stats skip older
        # files. The guard turns any concurrent papers commit into a conflict (redone from a fresh
        # read), since its rows may lie outside the files this MERGE reads, or change the rows
        # found unchanged here.
        table = lake.delta(PAPERS.name)
        stored = _stored_papers(table, source, whole_rows=skip_unchanged)
        days = [source["first_seen_date"].min(), stored["first_seen_date"].min()]
        since = min((d for d in days if d is not None), default=None)
        changed = source.join(stored, on=PAPERS.column_names, how="anti", nulls_equal=True) if skip_unchanged else source
        extra = {
            "stored_paper_ids": stored["paper_id"].to_list(),
            "changed_paper_ids": changed.filter(~pl.col("_removed"))["paper_id"].to_list(),
        } if skip_unchanged else {}
        if changed.is_empty():
            return extra
        predicate = "t.paper_id = s.paper_id" + (f" AND t.first_seen_date >= '{since.isoformat()}'" if since else "")
        guard = Transaction("paperlake.upsert.papers", table.version() + 1)
        metrics = (
            table.merge(changed.to_arrow(), predicate, source_alias="s", target_alias="t", commit_properties=commit.properties(guard))
            .when_matched_delete("s._removed")
            .when_matched_update_all("NOT s._removed", except_cols=["_removed"])
            .when_not_matched_insert_all("NOT s._removed", except_cols=["_removed"])
            .execute()
        )
        return metrics | extra

    return committing(lake, PAPERS.name, merge)


def _stored_papers(table: DeltaTable, source: pl.DataFrame, whole_rows: bool) -> pl.DataFrame:
    """The stored rows of the source's papers: whole (to compare), or just their keys and first_seen_date."""
    stored = pl.scan_delta(table).filter(pl.col("paper_id").is_in(source["paper_id"].to_list()))
    if whole_rows:  # in the declared types, as the source is: equal rows then join
        return PAPERS.conform(stored.select(PAPERS.column_names).collect())
    return stored.select("paper_id", "first_seen_date").collect()


def arxiv_titles(lake: Lake, title_keys: list[str]) -> pl.DataFrame:
    """title_key and arxiv_id of the papers that have an arXiv id and one of `title_keys`.

    Nothing is read for no keys: every title of a ten-year lake is 1.5 s of CPU, and a load of the
    live feeds (every row with its arXiv id) needs none.
    """
    if not title_keys:
        return pl.DataFrame(schema={"title_key": pl.String, "arxiv_id": pl.String})
    wanted = pl.col("title_key").is_in(title_keys) & pl.col("arxiv_id").is_not_null()
    return lake.scan(PAPERS.name).filter(wanted).select("title_key", "arxiv_id").collect()


def papers_with_title_keys(lake: Lake, title_keys: list[str], id_prefix: str = "") -> pl.DataFrame:
    """paper_id and title_key of the papers with one of `title_keys` whose id starts with `id_prefix`.

    The prefix is said as a range of ids, so file statistics skip the files holding none: title-only
    ids ("title:...") sort after arXiv ids, and a lake fed by the live feeds alone has none to read.
    """
    if not title_keys:
        return pl.DataFrame(schema={"paper_id": pl.String, "title_key": pl.String})
    wanted = pl.col("title_key").is_in(title_keys)
    if id_prefix:
        wanted = prefix_range("paper_id", id_prefix) & wanted
    return lake.scan(PAPERS.name).filter(wanted).select("paper_id", "title_key").collect()


def relink_sightings(lake: Lake, mapping: pl.DataFrame, commit: CommitInfo, since: date | None = None) -> dict:
    """Move the sightings of old_paper_id to arxiv_id (a title-only paper whose arXiv id arrived).

    With `since` (sightings_floor of the old ids), only files that can hold their sightings are read.
    """
    if mapping.is_empty():
        return {}
    predicate = "t.paper_id = s.old_paper_id" + (f" AND t.snapshot_date >= '{since.isoformat()}'" if since else "")
    return committing(lake, SIGHTINGS.name, lambda: (
        lake.delta(SIGHTINGS.name)
        .merge(mapping.to_arrow(), predicate, source_alias="s", target_alias="t", commit_properties=commit.properties())
        .when_matched_update({"paper_id": "s.arxiv_id", "arxiv_id": "s.arxiv_id"})
        .execute()
    ))


def mark_snapshots_loaded(lake: Lake, outcomes: pl.DataFrame, commit: CommitInfo, pending_only: bool = True) -> dict:
    """Record each snapshot's parse outcome; from then on it counts as ingested.

    `pending_only`: the snapshots are still pending (a load's, not a reparse's), so the MERGE reads
    only the files holding a pending snapshot (a load's own appended file), not the raw payloads every
    earlier load stored for the same days. A snapshot another run marked meanwhile keeps that run's outcome.
    """
    columns = ["parse_status", "parse_errors", "row_count", "loaded_at"]
    if pending_only:
        return upsert(lake, SNAPSHOTS, outcomes, commit, columns=columns, target_filter="t.parse_status = 'pending'")
    # A reparse's snapshots are loaded ones: the MERGE reads only the files of their days.
    days = (
        lake.scan(SNAPSHOTS.name).filter(pl.col("snapshot_id").is_in(outcomes["snapshot_id"].to_list()))
        .select(pl.col("snapshot_date").min().alias("first"), pl.col("snapshot_date").max().alias("last")).collect().row(0)
    )
    within = f"t.snapshot_date >= '{days[0].isoformat()}' AND t.snapshot_date <= '{days[1].isoformat()}'" if days[0] else None
    return upsert(lake, SNAPSHOTS, outcomes, commit, columns=columns, target_filter=within)


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
    committing(lake, SIGHTINGS.name, lambda: write_deltalake(
        lake.table_uri(SIGHTINGS.name),
        SIGHTINGS.conform(sightings).to_arrow(),
        mode="overwrite",
        predicate=predicate,
        storage_options=lake.storage_options,
        commit_properties=commit.properties(),
    ))
    return sightings.height


def _sql_string(value: str) -> str:
    return value.replace("'", "''")


# How many earlier feed-days the volume rule compares a day with: the last of its own kind (weekdays
# with weekdays, weekend days with weekend days: a Hugging Face Saturday lists a few papers where a
# Tuesday lists fifty), or the last of any kind while fewer than SAME_KIND_MIN_DAYS of its own are loaded.
VOLUME_HISTORY_DAYS = 14
SAME_KIND_MIN_DAYS = 3


def recent_row_counts_of(lake: Lake, feed_days: list[tuple[str, date]], days: int = VOLUME_HISTORY_DAYS) -> dict[tuple[str, date], list[int]]:
    """Rows loaded per day for each (feed, day) on the feed's last `days` loaded days of the day's
    kind before it, oldest first; from one read of `snapshots` (a backfill batch has hundreds)."""
    if not feed_days:
        return {}
    per_day = (
        lake.scan(SNAPSHOTS.name)
        .filter(
            pl.col("feed").is_in(sorted({feed for feed, _ in feed_days}))
            & (pl.col("snapshot_date") < max(day for _, day in feed_days))
            & pl.col("parse_status").is_in(["ok", "partial"])
        )
        .group_by("feed", "snapshot_date")
        .agg(pl.col("row_count").sum())
        .sort("feed", "snapshot_date")
        .collect()
    )
    history = {feed: (group["snapshot_date"].to_list(), group["row_count"].to_list()) for (feed,), group in per_day.group_by("feed")}
    counts = {}
    for feed, day in feed_days:
        dates, rows = history.get(feed, ([], []))
        end = bisect.bisect_left(dates, day)
        start = max(0, end - 4 * days)  # `days` of either kind lie within the last 4 * `days` loaded days
        same_kind = [r for d, r in zip(dates[start:end], rows[start:end]) if _is_weekend(d) == _is_weekend(day)][-days:]
        counts[(feed, day)] = same_kind if len(same_kind) >= SAME_KIND_MIN_DAYS else rows[max(0, end - days) : end]
    return counts


def _is_weekend(day: date) -> bool:
    return day.weekday() >= 5


def store_quarantine(lake: Lake, rows: pl.DataFrame, commit: CommitInfo) -> int:
    """Append quarantined rows not held already (same row, same quarantine_id)."""
    if rows.is_empty():
        return 0
    ids = rows["quarantine_id"].to_list()

    def missing(table: pl.LazyFrame) -> pl.DataFrame:
        held = table.filter(pl.col("quarantine_id").is_in(ids)).select("quarantine_id").collect()
        return rows.filter(~pl.col("quarantine_id").is_in(held["quarantine_id"].to_list()))

    return append_missing(lake, QUARANTINE, missing, commit)


def replace_quarantine(
    lake: Lake, rows: pl.DataFrame, tables: tuple[str, ...], feed: str | None, since: date | None, commit: CommitInfo
) -> int:
    """Swap the held rows of `tables` for the selected snapshots for `rows`: released rows leave, one commit."""
    _, predicate = snapshot_filter(feed, since)
    held_in = ", ".join(f"'{_sql_string(table)}'" for table in tables)
    committing(lake, QUARANTINE.name, lambda: write_deltalake(
        lake.table_uri(QUARANTINE.name),
        QUARANTINE.conform(rows).to_arrow(),
        mode="overwrite",
        predicate=f"{predicate} AND \"table\" IN ({held_in})",
        storage_options=lake.storage_options,
        commit_properties=commit.properties(),
    ))
    return rows.height
