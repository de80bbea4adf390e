"""watches and digest_deliveries: the watchlists people keep, and which paper went out in which digest.

A paper is in at most one digest of a watch. The digest step claims its papers here BEFORE it sends
anything: `claim_papers` appends (watch_name, paper_id) rows that are not there yet, checked and
appended at one table version under a per-watch Delta app transaction. Two overlapping runs that
both find the same papers new both try to append with that app id; delta-rs refuses the second
commit (a concurrent transaction), and its redo from a fresh read finds the papers claimed and
claims nothing. So delivery is at most once: a run that dies between claiming and sending leaves the
papers `claimed` and they are not sent again (`paperlake digest NAME --since D` still lists them).
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
from deltalake import Transaction, write_deltalake

from lake import table_setup, writes
from lake.schemas import DIGEST_DELIVERIES, PAPERS, WATCHES
from lake.store import Lake

ACTIVE, REMOVED = "active", "removed"
CLAIMED, SENT, FAILED, ARTIFACT_ONLY = "claimed", "sent", "failed", "artifact_only"


class WatchExistsError(ValueError):
    pass


class UnknownWatchError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def read_watches(lake: Lake, include_removed: bool = False) -> pl.DataFrame:
    watches = lake.read(WATCHES.name)
    return (watches if include_removed else watches.filter(pl.col("status") == ACTIVE)).sort("watch_name")


def watch_named(lake: Lake, name: str) -> dict:
    found = read_watches(lake).filter(pl.col("watch_name") == name)
    if found.is_empty():
        known = ", ".join(read_watches(lake)["watch_name"].to_list()) or "none yet (`paperlake watch add`)"
        raise UnknownWatchError(f"no watch named {name!r}; the watches are: {known}")
    return found.row(0, named=True)


def add_watch(lake: Lake, watch: dict, commit: writes.CommitInfo) -> None:
    """Insert the watch; a removed watch of the same name is replaced (its deliveries stay, so it
    never resends a paper it sent before). An active one of that name is refused."""
    table_setup.ensure_tables(lake)
    source = WATCHES.conform(pl.DataFrame([watch], schema=WATCHES.polars_schema)).to_arrow()

    def merge() -> dict:
        return (
            lake.delta(WATCHES.name)
            .merge(source, "t.watch_name = s.watch_name", source_alias="s", target_alias="t", commit_properties=commit.properties())
            .when_matched_update_all(f"t.status = '{REMOVED}'")
            .when_not_matched_insert_all()
            .execute()
        )

    metrics = writes.committing(lake, WATCHES.name, merge)
    if not metrics.get("num_target_rows_inserted") and not metrics.get("num_target_rows_updated"):
        raise WatchExistsError(f"a watch named {watch['watch_name']!r} exists already; `paperlake watch remove {watch['watch_name']}` first")


def remove_watch(lake: Lake, name: str, removed_at: datetime, commit: writes.CommitInfo) -> None:
    """Mark the watch removed (the row stays: Delta history and its deliveries keep their meaning)."""
    watch_named(lake, name)
    source = pl.DataFrame({"watch_name": [name], "removed_at": [removed_at]}, schema={"watch_name": pl.String, "removed_at": WATCHES.polars_schema["removed_at"]})
    writes.committing(lake, WATCHES.name, lambda: (
        lake.delta(WATCHES.name)
        .merge(source.to_arrow(), f"t.watch_name = s.watch_name AND t.status = '{ACTIVE}'", source_alias="s", target_alias="t",
               commit_properties=commit.properties())
        .when_matched_update({"status": f"'{REMOVED}'", "removed_at": "s.removed_at"})
        .execute()
    ))


def papers_listed_since(lake: Lake, since_date: date) -> pl.DataFrame:
    """Papers last listed on or after `since_date`: the only ones a digest can hold (file stats skip the rest)."""
    return lake.scan(PAPERS.name).filter(pl.col("last_seen_date") >= since_date).collect()


def delivered_ids(lake: Lake, watch_name: str) -> list[str]:
    return _delivered(lake.scan(DIGEST_DELIVERIES.name), watch_name)


def _delivered(table: pl.LazyFrame, watch_name: str) -> list[str]:
    return table.filter(pl.col("watch_name") == watch_name).select("paper_id").collect()["paper_id"].to_list()


def delivery_summary(lake: Lake) -> pl.DataFrame:
    """Per watch: papers its digests held (claimed, sent or not) and when its last digest was made."""
    return (
        lake.scan(DIGEST_DELIVERIES.name)
        .group_by("watch_name")
        .agg(pl.len().cast(pl.Int64).alias("delivered_count"), pl.col("claimed_at").max().alias("last_digest_at"))
        .collect()
    )


def deliveries_of(lake: Lake, watch_name: str) -> pl.DataFrame:
    return lake.read(DIGEST_DELIVERIES.name).filter(pl.col("watch_name") == watch_name)


def claim_papers(
    lake: Lake, watch_name: str, paper_ids: list[str], digest_id: str, claimed_at: datetime, status: str, commit: writes.CommitInfo
) -> list[str]:
    """Claim for one digest of `watch_name` the papers of `paper_ids` no digest of it holds yet;
    returns those claimed (possibly none: another run claimed them first)."""
    if not paper_ids:
        return []
    table_setup.ensure_tables(lake)

    def check_and_append() -> list[str]:
        table = lake.delta(DIGEST_DELIVERIES.name)
        taken = set(_delivered(pl.scan_delta(table), watch_name))
        fresh = [paper_id for paper_id in dict.fromkeys(paper_ids) if paper_id not in taken]
        if not fresh:
            return []
        rows = pl.DataFrame({"paper_id": fresh}).with_columns(
            watch_name=pl.lit(watch_name), digest_id=pl.lit(digest_id), claimed_at=pl.lit(claimed_at),
            status=pl.lit(status), run_id=pl.lit(commit.run_id),
        )
        # The same app id for every claim of this watch: of two overlapping claims, the later commit
        # is refused as a concurrent transaction and redone from the read above, done afresh.
        guard = Transaction(f"paperlake.digest.{watch_name}", table.version() + 1)
        write_deltalake(
            table, DIGEST_DELIVERIES.conform(rows).to_arrow(), mode="append", storage_options=lake.storage_options,
            commit_properties=commit.properties(guard),
        )
        return fresh

    return writes.committing(lake, DIGEST_DELIVERIES.name, check_and_append)


def record_sending(
    lake: Lake, watch_name: str, digest_id: str, sent_at: datetime, error: str | None, commit: writes.CommitInfo
) -> None:
    """After the notification: the digest's papers become `sent`, or `failed` with the reason (not resent)."""
    source = pl.DataFrame(
        {"watch_name": [watch_name], "digest_id": [digest_id], "sent_at": [sent_at], "error": [error]},
        schema={"watch_name": pl.String, "digest_id": pl.String, "sent_at": DIGEST_DELIVERIES.polars_schema["sent_at"], "error": pl.String},
    )
    updates = {"status": f"'{FAILED}'" if error else f"'{SENT}'", "error": "s.error"} | ({} if error else {"sent_at": "s.sent_at"})
    writes.committing(lake, DIGEST_DELIVERIES.name, lambda: (
        lake.delta(DIGEST_DELIVERIES.name)
        .merge(source.to_arrow(), "t.watch_name = s.watch_name AND t.digest_id = s.digest_id", source_alias="s", target_alias="t",
               commit_properties=commit.properties())
        .when_matched_update(updates)
        .execute()
    ))
