"""The gate between parsing and the lake: split a batch into clean and quarantined rows, or reject it.

Row rules quarantine exactly the rows that break them; batch rules (schema, duplicate_key,
empty_batch, volume_drop, and an expectation GX could not evaluate) reject the whole batch, and
then nothing of that feed-day is committed: its raw payload is already in `snapshots`, so a
later reparse can bring it in. Pure apart from Great Expectations: the clock comes in as
arguments. Importing this module is cheap; GX loads on the first check. What the gate decides is
expectations/gate_result.py's GateResult; re-checking rows already past it, expectations/recheck.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl

from expectations import batch_checks
from expectations.gate_result import BatchFailure, GateResult
from expectations.quarantine import quarantine_frame, short
from expectations.rules import Param, Rule, Suite
from expectations.suites import suite_for
from lake.schemas import QUARANTINE

GX_ERROR_RULE = "expectation_error"


def gate_batch(
    table: str,
    batch: pl.DataFrame,
    *,
    feed: str,
    snapshot_date: date,
    run_id: str | None,
    today: date,
    quarantined_at: datetime,
    recent_row_counts: list[int] | None = None,
    expected_nonempty: bool = False,
) -> GateResult:
    """Validate one feed-day's batch of `table` (already conformed to lake/schemas.py) before it is committed."""
    suite = suite_for(table)

    def run_gx() -> Any:
        from expectations import gx_runtime  # GX only when a batch is really checked

        return gx_runtime.check(suite, batch, today)

    day = FeedDayBatch(feed, snapshot_date, expected_nonempty, recent_row_counts)
    schema = batch_checks.schema_problem(suite.spec, batch)
    return _gate(suite, batch, day, schema, run_gx, run_id=run_id, today=today, quarantined_at=quarantined_at)


@dataclass(frozen=True)
class FeedDayBatch:
    """One feed-day of a multi-day batch, with what its batch rules compare it with."""

    feed: str
    snapshot_date: date
    expected_nonempty: bool = False
    recent_row_counts: list[int] | None = None


def gate_feed_days(
    table: str,
    batch: pl.DataFrame,
    feed_days: list[FeedDayBatch],
    *,
    run_id: str | None,
    today: date,
    quarantined_at: datetime,
) -> list[GateResult]:
    """gate_batch for each feed-day of `batch` (rows told apart by `feed` and `snapshot_date`), with one
    Great Expectations pass over all of them.

    A GX pass costs about 0.2 s whatever its size (1 s for 73,000 rows), so a year's backfill checked
    feed-day by feed-day spent over a minute in it. Every rule reads one row, or a key that holds a
    snapshot_id (so its rows share a feed-day): the failing rows of the whole batch, split by feed-day,
    are what each feed-day's own pass finds. The GX result (for Data Docs) goes with the first
    feed-day's result that has rows, so a load is one Data Docs page.
    """
    suite = suite_for(table)
    checked = None
    schema = batch_checks.schema_problem(suite.spec, batch)  # the parts share the batch's columns
    if batch.height and not schema:
        from expectations import gx_runtime

        checked = gx_runtime.check(suite, batch, today)
    parts = _parts_by_feed_day(batch)
    results = []
    for day in feed_days:
        part, rows_at = parts.get((day.feed, day.snapshot_date), (batch.clear(), []))
        part_checked = (lambda rows_at=rows_at: _restricted(checked, rows_at)) if checked else None
        results.append(_gate(suite, part, day, schema, part_checked, run_id=run_id, today=today, quarantined_at=quarantined_at))
    carriers = [r for r in results if r.validation is not None]
    for later in carriers[1:]:
        later.validation = None
    return results


def _parts_by_feed_day(batch: pl.DataFrame) -> dict[tuple[str, date], tuple[pl.DataFrame, list[int]]]:
    """Each feed-day's rows, in batch order, with their positions in the batch (one pass over it)."""
    if batch.is_empty():
        return {}
    parts = batch.with_row_index("_position").partition_by("feed", "snapshot_date", as_dict=True, maintain_order=True)
    return {key: (part.drop("_position"), part["_position"].to_list()) for key, part in parts.items()}


def _restricted(checked: Any, rows_at: list[int]) -> Any:
    """`checked` (over the whole batch) as seen by the rows at `rows_at`, renumbered from 0."""
    from expectations.gx_runtime import Checked

    local = {position: i for i, position in enumerate(rows_at)}
    failing = {rule: [local[p] for p in rows if p in local] for rule, rows in checked.failing_rows.items()}
    return Checked(checked.result, {rule: rows for rule, rows in failing.items() if rows}, dict(checked.errors))


def _gate(
    suite: Suite, batch: pl.DataFrame, day: FeedDayBatch, schema: str | None, run_gx: Any, *, run_id: str | None, today: date, quarantined_at: datetime
) -> GateResult:
    """The gate's decision for one feed-day's `batch`; `schema` is its schema problem (or None), `run_gx()`
    gives what Great Expectations found in it."""
    table, feed, snapshot_date = suite.table, day.feed, day.snapshot_date

    def failure(rule: str, detail: str) -> BatchFailure:
        return BatchFailure(table, feed, snapshot_date, rule, detail)

    result = GateResult(
        table, feed, snapshot_date, run_id, batch.height, batch.clear(), QUARANTINE.empty_frame(), validated_at=quarantined_at
    )
    for rule, problem in (
        ("empty_batch", batch_checks.empty_problem(batch.height, day.expected_nonempty)),
        ("volume_drop", batch_checks.volume_problem(batch.height, day.recent_row_counts)),
        ("schema", schema),
    ):
        if problem:
            result.batch_failures.append(failure(rule, problem))
    if any(f.rule == "schema" for f in result.batch_failures) or batch.height == 0 or run_gx is None:
        # Rules cannot read a batch of the wrong shape, and an empty one has nothing to read.
        return result

    checked = run_gx()
    result.validation = checked.result
    result.rule_counts = {rule.name: len(checked.failing_rows.get(rule.name, ())) for rule in suite.rules}
    for rule, problem in checked.errors.items():
        result.batch_failures.append(failure(GX_ERROR_RULE, f"Great Expectations could not evaluate {rule}: {problem}"))
    for rule in suite.rules:
        if rule.level == "batch" and checked.failing_rows.get(rule.name):
            result.batch_failures.append(failure(rule.name, _batch_detail(rule, batch, checked.failing_rows[rule.name])))
    if result.batch_failures:
        return result

    broken = _broken_rows(suite, batch, checked.failing_rows, today)
    result.quarantined_positions = sorted(broken)
    result.quarantined = quarantine_frame(
        suite.spec, batch, broken, feed=feed, snapshot_date=snapshot_date, run_id=run_id, quarantined_at=quarantined_at
    )
    result.clean = _without_rows(batch, result.quarantined_positions)
    return result



def _broken_rows(suite: Suite, batch: pl.DataFrame, failing_rows: dict[str, list[int]], today: date) -> dict[int, list[tuple[str, str]]]:
    """Row position -> [(rule, detail)] for every row rule broken, in the suite's order."""
    broken: dict[int, list[tuple[str, str]]] = {}
    for rule in suite.row_rules:
        for position in failing_rows.get(rule.name, ()):
            broken.setdefault(position, []).append((rule.name, _row_detail(rule, batch, position, today)))
    return broken


def _row_detail(rule: Rule, batch: pl.DataFrame, position: int, today: date) -> str:
    columns = rule.used_columns
    value = batch[position, columns[0]]
    other = batch[position, columns[1]] if len(columns) > 1 else None
    fields = {
        k: (today.isoformat() if isinstance(v, Param) else v.isoformat() if isinstance(v, date) else v)
        for k, v in rule.kwargs.items()
    }
    fields |= {
        "column": columns[0],
        "value": short(value),
        "length": len(value) if isinstance(value, str) else "?",
        "other_column": columns[1] if len(columns) > 1 else "",
        "other": short(other),
    }
    return rule.reason.format_map(fields)


def _batch_detail(rule: Rule, batch: pl.DataFrame, positions: list[int]) -> str:
    columns = list(rule.used_columns)
    examples = batch[positions[:3]].select(columns).unique(maintain_order=True).rows()
    shown = ", ".join(str(e if len(e) > 1 else e[0]) for e in examples)
    return f"{rule.reason} in {len(positions)} rows, e.g. {shown}"


def _without_rows(batch: pl.DataFrame, positions: list[int]) -> pl.DataFrame:
    if not positions:
        return batch
    keep = [True] * batch.height
    for position in positions:
        keep[position] = False
    return batch.filter(pl.Series(keep, dtype=pl.Boolean))
