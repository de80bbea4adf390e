"""What a load did, per snapshot and per table: returned by flows, printed by the CLI, put in artifacts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl

from feeds.base import ParseResult, Payload

ParsedPayloads = list[tuple[Payload, ParseResult]]


@dataclass
class SnapshotOutcome:
    source: str
    snapshot_id: str
    snapshot_date: date
    status: str  # skipped (already ingested), ok, partial, failed, rejected
    row_count: int = 0
    issues: list[str] = field(default_factory=list)


@dataclass
class LoadReport:
    snapshots: list[SnapshotOutcome] = field(default_factory=list)
    sighting_count: int = 0
    quarantined_count: int = 0
    new_paper_count: int = 0
    updated_paper_count: int = 0
    relinked_paper_count: int = 0
    new_paper_ids: list[str] = field(default_factory=list)
    ambiguous_titles: pl.DataFrame = field(default_factory=pl.DataFrame)
    rejections: list[str] = field(default_factory=list)
    rejected_feed_days: dict[tuple[str, date], list[str]] = field(default_factory=dict)
    validation: list[dict] = field(default_factory=list)
    table_versions: dict[str, int] = field(default_factory=dict)
    docs_index: str | None = None
    papers_validation: dict | None = None
    # A load that leaves its Data Docs to the flow (publish_docs=False): its gate results, rows dropped.
    gate_results: list = field(default_factory=list)

    @property
    def skipped(self) -> list[SnapshotOutcome]:
        return [s for s in self.snapshots if s.status == "skipped"]


class BatchesRejected(Exception):
    """Some feed-days failed a batch-level rule and committed nothing; the rest of the load landed."""

    def __init__(self, report: LoadReport):
        self.report = report
        super().__init__("; ".join(report.rejections))

    def __reduce__(self):
        return BatchesRejected, (self.report,)


def row_counts(sightings: pl.DataFrame) -> dict[str, int]:
    return dict(sightings.group_by("snapshot_id").len().iter_rows())


def outcome_frame(parsed: ParsedPayloads, sightings: pl.DataFrame, rejected: dict[tuple[str, date], list[str]], loaded_at: datetime) -> pl.DataFrame:
    """The `snapshots` columns a load fills in once it is done: parse status, errors, rows, loaded_at."""
    counts = row_counts(sightings)
    statuses, errors = [], []
    for payload, result in parsed:
        held = rejected.get((payload.feed, payload.snapshot_date), [])
        statuses.append("rejected" if held else result.status)
        errors.append([str(i) for i in result.issues] + held or None)
    return pl.DataFrame(
        {
            "snapshot_id": [p.snapshot_id for p, _ in parsed],
            "parse_status": statuses,
            "parse_errors": errors,
            "row_count": [counts.get(p.snapshot_id, 0) for p, _ in parsed],
            "loaded_at": [loaded_at] * len(parsed),
        },
        schema_overrides={"parse_errors": pl.List(pl.String), "row_count": pl.Int32, "loaded_at": pl.Datetime("us", "UTC")},
    )


def snapshot_outcomes(parsed: ParsedPayloads, outcomes: pl.DataFrame) -> list[SnapshotOutcome]:
    rows = {row["snapshot_id"]: row for row in outcomes.iter_rows(named=True)}
    return [
        SnapshotOutcome(
            p.source, p.snapshot_id, p.snapshot_date, rows[p.snapshot_id]["parse_status"],
            rows[p.snapshot_id]["row_count"], rows[p.snapshot_id]["parse_errors"] or [],
        )
        for p, _ in parsed
    ]


def with_skipped(payloads: list[Payload], loaded: list[SnapshotOutcome]) -> list[SnapshotOutcome]:
    """One line per payload given, in order; a payload not loaded this time was ingested before."""
    by_id = {s.snapshot_id: s for s in loaded}
    lines, seen = [], set()
    for payload in payloads:
        if payload.snapshot_id in by_id and payload.snapshot_id not in seen:
            lines.append(by_id[payload.snapshot_id])
        else:
            lines.append(SnapshotOutcome(payload.source, payload.snapshot_id, payload.snapshot_date, "skipped"))
        seen.add(payload.snapshot_id)
    return lines
