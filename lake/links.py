"""paper_links: pairs of papers that look like the same work, and what a person decided about them.

`paperlake dupes` keeps its suggestions here; `--merge` and `--dismiss` record decisions, which a
new suggestion never overwrites. A confirmed pair is applied to sightings (their paper_id moves to
the paper kept) by `move_sightings` here and by the pipeline on every load, from `merge_targets`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

import polars as pl
from deltalake import write_deltalake

from lake import table_setup, writes
from lake.schemas import PAPER_LINKS, SIGHTINGS
from lake.store import Lake

SUGGESTED, CONFIRMED, DISMISSED = "suggested", "confirmed", "dismissed"
STATUSES = (SUGGESTED, CONFIRMED, DISMISSED)
# What a new scoring run may change on a pair that is still only a suggestion.
SCORED_COLUMNS = ["paper_id", "other_paper_id", "score", "reason", "title_score", "abstract_score", "title", "other_title"]


def read_links(lake: Lake) -> pl.DataFrame:
    return lake.read(PAPER_LINKS.name)


def confirmed_pairs(lake: Lake) -> pl.DataFrame:
    """paper_id (kept) and other_paper_id (merged into it) of every confirmed pair."""
    return (
        lake.scan(PAPER_LINKS.name)
        .filter(pl.col("status") == CONFIRMED)
        .select("paper_id", "other_paper_id")
        .collect()
        .sort("other_paper_id", "paper_id")
    )


def suggestion_changes(current: pl.DataFrame, found: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """What storing `found` changes: new pairs, rescored suggestions, suggestions no longer found.

    Decided pairs (confirmed, dismissed) are never touched, whatever the new score.
    """
    decided = current.filter(pl.col("status") != SUGGESTED)["link_id"].to_list()
    suggested = current.filter(pl.col("status") == SUGGESTED)
    found = found.filter(~pl.col("link_id").is_in(decided))
    inserts = found.filter(~pl.col("link_id").is_in(current["link_id"].to_list()))
    kept = found.join(suggested.select("link_id", *[pl.col(c).alias(f"_{c}") for c in SCORED_COLUMNS]), on="link_id")
    changed = pl.any_horizontal(~pl.col(c).eq_missing(pl.col(f"_{c}")) for c in SCORED_COLUMNS)
    updates = kept.filter(changed).select(found.columns)
    gone = suggested.filter(~pl.col("link_id").is_in(found["link_id"].to_list())).sort("link_id")
    return inserts, updates, gone


def store_suggestions(lake: Lake, found: pl.DataFrame, found_at: datetime, commit: writes.CommitInfo) -> dict[str, int]:
    """Make the table's suggestions those in `found` (PAIR_SCHEMA rows): one MERGE, or no commit at all
    when nothing changed, so running `dupes` twice on the same lake writes nothing the second time."""
    table_setup.ensure_tables(lake)

    def merge() -> dict[str, int]:
        inserts, updates, gone = suggestion_changes(read_links(lake), found)
        if inserts.is_empty() and updates.is_empty() and gone.is_empty():
            return {"inserted": 0, "updated": 0, "deleted": 0}
        source = pl.concat(
            [
                _as_links(inserts, SUGGESTED, found_at).with_columns(_action=pl.lit("upsert")),
                _as_links(updates, SUGGESTED, found_at).with_columns(_action=pl.lit("upsert")),
                PAPER_LINKS.conform(gone).with_columns(_action=pl.lit("delete")),
            ],
            how="vertical",
        )
        (
            lake.delta(PAPER_LINKS.name)
            .merge(source.to_arrow(), "t.link_id = s.link_id", source_alias="s", target_alias="t", commit_properties=commit.properties())
            # Only suggestions are rescored or dropped: a decision made meanwhile stays.
            .when_matched_delete("s._action = 'delete' AND t.status = 'suggested'")
            .when_matched_update({c: f"s.{c}" for c in SCORED_COLUMNS}, "s._action = 'upsert' AND t.status = 'suggested'")
            .when_not_matched_insert_all("s._action = 'upsert'", except_cols=["_action"])
            .execute()
        )
        return {"inserted": inserts.height, "updated": updates.height, "deleted": gone.height}

    return writes.committing(lake, PAPER_LINKS.name, merge)


def record_decision(lake: Lake, pair: pl.DataFrame, status: str, decided_at: datetime, commit: writes.CommitInfo) -> None:
    """Confirm or dismiss one pair (a PAIR_SCHEMA row, paper_id being the paper kept)."""
    if status not in (CONFIRMED, DISMISSED):
        raise ValueError(f"a decision is {CONFIRMED} or {DISMISSED}, not {status!r}")
    table_setup.ensure_tables(lake)
    row = _as_links(pair, status, decided_at).with_columns(pl.lit(decided_at, dtype=PAPER_LINKS.polars_schema["decided_at"]).alias("decided_at"))
    decided = [*SCORED_COLUMNS, "status", "decided_at"]
    writes.committing(lake, PAPER_LINKS.name, lambda: (
        lake.delta(PAPER_LINKS.name)
        .merge(row.to_arrow(), "t.link_id = s.link_id", source_alias="s", target_alias="t", commit_properties=commit.properties())
        .when_matched_update({c: f"s.{c}" for c in decided})  # found_at stays: when it was first suggested
        .when_not_matched_insert_all()
        .execute()
    ))


def _as_links(pairs: pl.DataFrame, status: str, found_at: datetime) -> pl.DataFrame:
    return PAPER_LINKS.conform(
        pairs.with_columns(pl.lit(status).alias("status"), pl.lit(found_at, dtype=PAPER_LINKS.polars_schema["found_at"]).alias("found_at"))
    )


def move_sightings(
    lake: Lake, paper_ids: list[str], remap: Callable[[pl.DataFrame], pl.DataFrame], commit: writes.CommitInfo
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Replace every sighting of `paper_ids` by `remap(those sightings)`, in one commit.

    The rows are read at the version the commit is made against, so a concurrent load's sightings
    are never lost: a conflicting commit makes the whole step run again from a fresh read.
    Returns (rows before, rows after). The remapped rows' paper ids must all be in `paper_ids`.
    """
    quoted = ", ".join("'" + p.replace("'", "''") + "'" for p in sorted(set(paper_ids)))
    predicate = f"paper_id IN ({quoted})"

    def replace() -> tuple[pl.DataFrame, pl.DataFrame]:
        table = lake.delta(SIGHTINGS.name)
        before = pl.scan_delta(table).filter(pl.col("paper_id").is_in(paper_ids)).collect()
        after = SIGHTINGS.conform(remap(before))
        if _same_rows(before, after):
            return before, after
        stray = set(after["paper_id"].to_list()) - set(paper_ids)
        if stray:
            raise ValueError(f"remapped sightings name papers outside the replaced ones: {sorted(stray)}")
        write_deltalake(
            table, after.to_arrow(), mode="overwrite", predicate=predicate,
            storage_options=lake.storage_options, commit_properties=commit.properties(),
        )
        return before, after

    return writes.committing(lake, SIGHTINGS.name, replace)


def _same_rows(before: pl.DataFrame, after: pl.DataFrame) -> bool:
    key = list(SIGHTINGS.key)
    return before.height == after.height and SIGHTINGS.conform(before).sort(key).equals(after.sort(key))
