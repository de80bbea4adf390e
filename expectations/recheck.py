"""Re-checking what is past the gate: a whole table already in the lake (`paperlake validate`), and
quarantined rows after a parser or rule fix. Both go through the gate (expectations/gate.py) again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from expectations.gate import gate_batch
from expectations.gate_result import GateResult
from expectations.quarantine import PARSE_TABLE, rows_from_json
from expectations.suites import suite_for
from lake.schemas import QUARANTINE


def validate_table(table: str, frame: pl.DataFrame, *, today: date, checked_at: datetime, label: str = "lake") -> GateResult:
    """Re-check a whole table already in the lake (`paperlake validate`); one GX pass, nothing written."""
    return gate_batch(table, frame, feed=label, snapshot_date=today, run_id=None, today=today, quarantined_at=checked_at)


@dataclass
class Recheck:
    """Quarantined rows re-checked after a parser or rule fix."""

    released: dict[str, pl.DataFrame]  # table -> rows that now pass, to commit
    released_ids: list[str]  # quarantine_ids to delete once those rows are committed
    still_quarantined: pl.DataFrame  # QUARANTINE rows with today's rule and reason (same ids)
    results: list[GateResult]


def recheck_quarantined(quarantine: pl.DataFrame, *, today: date, run_id: str | None, checked_at: datetime) -> Recheck:
    """Run each (table, feed, snapshot_date) group of quarantined rows through the gate again.

    A group that breaks a batch rule (say, two released rows share a key) stays quarantined whole.
    """
    released: dict[str, list[pl.DataFrame]] = {}
    released_ids: list[str] = []
    kept = [QUARANTINE.empty_frame()]
    results = []
    for (table, feed, snapshot_date), group in quarantine.group_by("table", "feed", "snapshot_date", maintain_order=True):
        if table == PARSE_TABLE:  # never a row of a table: only a reparse from the raw payload can place it
            kept.append(QUARANTINE.conform(group))
            continue
        rows = rows_from_json(suite_for(table).spec, group["row_json"])
        result = gate_batch(
            table, rows, feed=feed, snapshot_date=snapshot_date, run_id=run_id, today=today, quarantined_at=checked_at
        )
        results.append(result)
        if not result.passed:
            kept.append(QUARANTINE.conform(group))
            continue
        released.setdefault(table, []).append(result.clean)
        still = set(result.quarantined_positions)
        released_ids += [qid for i, qid in enumerate(group["quarantine_id"]) if i not in still]
        kept.append(result.quarantined)
    return Recheck(
        {table: pl.concat(frames) for table, frames in released.items()},
        released_ids,
        pl.concat(kept),
        results,
    )
