"""The `snapshots` suite: every raw payload, content-hashed.

It earns its place because a text page carries no year: a wrongly inferred year gives a
snapshot_date in the future, and every sighting of that page would inherit it.
"""

from __future__ import annotations

from expectations.rules import ARXIV_EPOCH_DATE, TODAY, Suite, between, in_set, matches, required_not_null, unique_key
from lake.schemas import SNAPSHOTS

PARSE_STATUSES = ("pending", "ok", "partial", "failed")

SUITE = Suite(
    SNAPSHOTS,
    rules=(
        *required_not_null(SNAPSHOTS),
        matches("snapshot_id_format", "snapshot_id", r"[0-9a-f]{64}", "a sha256 hex digest"),
        between("snapshot_date_range", "snapshot_date", ARXIV_EPOCH_DATE, TODAY, why="not before arXiv, not in the future"),
        between("byte_count_non_negative", "byte_count", min_value=0),
        between("row_count_non_negative", "row_count", min_value=0),
        in_set("parse_status_known", "parse_status", PARSE_STATUSES),
        unique_key(SNAPSHOTS),
    ),
)
