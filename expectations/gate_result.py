"""What the gate decided for one batch (GateResult), and how a rejected batch is named (BatchFailure, BatchRejected).

Plain data: the flows, Data Docs and summaries read these without loading Great Expectations.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import polars as pl


@dataclass(frozen=True)
class BatchFailure:
    table: str
    feed: str
    snapshot_date: date
    rule: str
    detail: str

    @property
    def message(self) -> str:
        return f"{self.table} batch from {self.feed} on {self.snapshot_date.isoformat()} rejected by rule {self.rule}: {self.detail}"

    def __str__(self) -> str:
        return self.message


class BatchRejected(Exception):
    """Raised by the flow for a feed-day whose batch broke a batch rule; names the feed, date and rule."""

    def __init__(self, feed: str, snapshot_date: date, rule: str, message: str, failures: list[BatchFailure] | None = None):
        super().__init__(message)
        self.feed = feed
        self.snapshot_date = snapshot_date
        self.rule = rule
        self.message = message
        self.failures = failures or []

    @classmethod
    def from_failures(cls, failures: list[BatchFailure]) -> BatchRejected:
        first = failures[0]
        return cls(first.feed, first.snapshot_date, first.rule, "; ".join(f.message for f in failures), failures)


@dataclass
class GateResult:
    """What the gate decided for one batch.

    When `batch_failures` is empty, commit `clean` and append `quarantined`; rows in = clean +
    quarantined. When it is not, `clean` and `quarantined` are empty (so writing them writes
    nothing) and all rows count as rejected; `rule_counts` still tells what the row rules found.
    """

    table: str
    feed: str
    snapshot_date: date
    run_id: str | None
    rows_in_count: int
    clean: pl.DataFrame
    quarantined: pl.DataFrame
    batch_failures: list[BatchFailure] = field(default_factory=list)
    rule_counts: dict[str, int] = field(default_factory=dict)  # rule -> rows that broke it
    quarantined_positions: list[int] = field(default_factory=list)  # in the input batch
    validation: Any = field(default=None, repr=False)  # GX ExpectationSuiteValidationResult, for Data Docs; None if GX did not run
    validated_at: datetime | None = None
    counted: tuple[int, int] | None = field(default=None, repr=False)  # (clean, quarantined) rows of a detached result

    @property
    def passed(self) -> bool:
        return not self.batch_failures

    @property
    def clean_count(self) -> int:
        return self.counted[0] if self.counted else self.clean.height

    @property
    def quarantined_count(self) -> int:
        return self.counted[1] if self.counted else self.quarantined.height

    def detached(self) -> GateResult:
        """This result without its rows, its counts kept: what Data Docs and summaries read once the
        rows are written (a flow publishes every load's results at its end, without holding the rows)."""
        return replace(self, clean=self.clean.clear(), quarantined=self.quarantined.clear(), counted=(self.clean_count, self.quarantined_count))

    @property
    def rejected_count(self) -> int:
        return 0 if self.passed else self.rows_in_count

    def raise_if_rejected(self) -> None:
        if self.batch_failures:
            raise BatchRejected.from_failures(self.batch_failures)

    @property
    def summary(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "feed": self.feed,
            "snapshot_date": self.snapshot_date.isoformat(),
            "rows_in": self.rows_in_count,
            "rows_clean": self.clean_count,
            "rows_quarantined": self.quarantined_count,
            "rows_rejected": self.rejected_count,
            "failed_rules": {rule: n for rule, n in self.rule_counts.items() if n},
            "rejected_by": [f.rule for f in self.batch_failures],
            "batch_failures": [f.message for f in self.batch_failures],
        }
