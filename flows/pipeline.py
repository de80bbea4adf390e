"""The steps every feed's payloads go through, as Prefect tasks.

store raw (bronze) -> parse -> normalize -> write sightings and papers -> mark loaded.
Each step is idempotent, so a batch interrupted anywhere completes on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import polars as pl
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from feeds.base import ParseResult, Payload, parse_payload, payload_frame
from lake import writes
from lake.schemas import SIGHTINGS
from lake.store import Lake
from transforms.linking import ambiguous_titles, arxiv_title_index, link_title_only, relinks
from transforms.papers import summarize_papers
from transforms.sightings import to_sightings


@dataclass
class SnapshotOutcome:
    source: str
    snapshot_id: str
    snapshot_date: date
    status: str  # skipped (already ingested), ok, partial, failed
    row_count: int = 0
    issues: list[str] = field(default_factory=list)


@dataclass
class LoadReport:
    snapshots: list[SnapshotOutcome] = field(default_factory=list)
    sighting_count: int = 0
    new_paper_count: int = 0
    updated_paper_count: int = 0
    relinked_paper_count: int = 0
    ambiguous_titles: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def skipped(self) -> list[SnapshotOutcome]:
        return [s for s in self.snapshots if s.status == "skipped"]


@task(cache_policy=NO_CACHE)
def store_raw(lake: Lake, payloads: list[Payload], commit: writes.CommitInfo) -> list[Payload]:
    """Store every payload before parsing it; return those not ingested yet."""
    writes.ensure_tables(lake)
    stored = writes.store_snapshots(lake, payload_frame(payloads), commit)
    states = writes.snapshot_states(lake, [p.snapshot_id for p in payloads])
    pending = _unique_pending(payloads, states)
    get_run_logger().info("stored %d new raw snapshot(s); %d to load, %d already ingested", stored, len(pending), len(payloads) - len(pending))
    return pending


@task(cache_policy=NO_CACHE)
def parse(payloads: list[Payload]) -> list[tuple[Payload, ParseResult]]:
    parsed = [(p, parse_payload(p)) for p in payloads]
    logger = get_run_logger()
    for payload, result in parsed:
        logger.info("parsed %s (%s): %d rows, %s", payload.source, payload.snapshot_date, result.rows.height, result.status)
        for issue in result.issues:
            logger.warning("%s", issue)
    return parsed


@task(cache_policy=NO_CACHE)
def normalize(parsed: list[tuple[Payload, ParseResult]]) -> pl.DataFrame:
    frames = [
        result.rows.with_columns(
            snapshot_id=pl.lit(payload.snapshot_id),
            feed=pl.lit(payload.feed),
            snapshot_date=pl.lit(payload.snapshot_date, dtype=pl.Date),
        )
        for payload, result in parsed
    ]
    sightings = to_sightings(pl.concat(frames, how="diagonal_relaxed")) if frames else SIGHTINGS.empty_frame()
    get_run_logger().info("normalized %d sightings of %d papers", sightings.height, sightings["paper_id"].n_unique())
    return sightings


@dataclass(frozen=True)
class Reparse:
    """Which archived snapshots a reparse rebuilds: their sightings are replaced, not appended."""

    feed: str | None = None
    since: date | None = None


@task(cache_policy=NO_CACHE)
def write(
    lake: Lake,
    sightings: pl.DataFrame,
    parsed: list[tuple[Payload, ParseResult]],
    commit: writes.CommitInfo,
    loaded_at: datetime,
    reparse: Reparse | None = None,
) -> LoadReport:
    """Sightings, then papers, then the snapshots' outcomes: the last commit marks the batch done."""
    logger = get_run_logger()
    index = arxiv_title_index(writes.arxiv_titles(lake), sightings)
    sightings = link_title_only(sightings, index)
    previous_ids: set[str] = set()
    if reparse is None:
        report = LoadReport(sighting_count=writes.store_sightings(lake, sightings, commit))
    else:
        previous_ids = set(writes.paper_ids_seen(lake, reparse.feed, reparse.since))
        report = LoadReport(sighting_count=writes.replace_sightings(lake, sightings, reparse.feed, reparse.since, commit))
    report.ambiguous_titles = ambiguous_titles(sightings, index)
    for row in report.ambiguous_titles.iter_rows(named=True):
        logger.warning("title matches several arXiv ids %s, left unlinked: %r", row["arxiv_ids"], row["title"])
    moved = _relink_title_only_papers(lake, sightings, index, commit)
    paper_ids = set(sightings["paper_id"].to_list()) | set(moved["arxiv_id"].to_list()) | previous_ids
    if paper_ids:
        papers = summarize_papers(writes.sightings_of(lake, sorted(paper_ids)))
        gone = set(moved["old_paper_id"].to_list()) | (previous_ids - set(papers["paper_id"].to_list()))
        metrics = writes.upsert_papers(lake, papers, commit, removed_ids=sorted(gone))
        report.new_paper_count = metrics.get("num_target_rows_inserted", 0)
        report.updated_paper_count = metrics.get("num_target_rows_updated", 0)
        report.relinked_paper_count = moved.height
    writes.mark_snapshots_loaded(lake, _outcome_frame(parsed, sightings, loaded_at), commit)
    logger.info(
        "wrote %d sightings; papers: %d new, %d updated, %d title-only linked to arXiv ids",
        report.sighting_count, report.new_paper_count, report.updated_paper_count, report.relinked_paper_count,
    )
    return report


def _relink_title_only_papers(lake: Lake, sightings: pl.DataFrame, index: pl.DataFrame, commit: writes.CommitInfo) -> pl.DataFrame:
    """Title-only papers already in the lake whose arXiv id arrived in this batch become that paper."""
    arriving = sightings.filter(pl.col("arxiv_id").is_not_null())["title_key"].unique().to_list()
    moved = relinks(writes.papers_with_title_keys(lake, arriving), index)
    writes.relink_sightings(lake, moved, commit)
    return moved


def load_payloads(lake: Lake, payloads: list[Payload], commit: writes.CommitInfo, now: datetime | None = None) -> LoadReport:
    """The whole path from raw payloads to papers, for any feed."""
    pending = store_raw(lake, payloads, commit)
    return load_parsed(lake, payloads, pending, commit, now)


def load_parsed(
    lake: Lake,
    payloads: list[Payload],
    to_load: list[Payload],
    commit: writes.CommitInfo,
    now: datetime | None = None,
    reparse: Reparse | None = None,
) -> LoadReport:
    """parse -> normalize -> write for `to_load`; `payloads` not in it are reported as skipped."""
    parsed = parse(to_load)
    sightings = normalize(parsed)
    report = write(lake, sightings, parsed, commit, now or datetime.now(timezone.utc), reparse)
    report.snapshots = _outcomes(payloads, parsed, sightings)
    return report


def _unique_pending(payloads: list[Payload], states: dict[str, str]) -> list[Payload]:
    seen: set[str] = set()
    pending = []
    for payload in payloads:
        if states.get(payload.snapshot_id) == "pending" and payload.snapshot_id not in seen:
            seen.add(payload.snapshot_id)
            pending.append(payload)
    return pending


def _row_counts(sightings: pl.DataFrame) -> dict[str, int]:
    return dict(sightings.group_by("snapshot_id").len().iter_rows())


def _outcome_frame(parsed: list[tuple[Payload, ParseResult]], sightings: pl.DataFrame, loaded_at: datetime) -> pl.DataFrame:
    counts = _row_counts(sightings)
    return pl.DataFrame(
        {
            "snapshot_id": [p.snapshot_id for p, _ in parsed],
            "parse_status": [r.status for _, r in parsed],
            "parse_errors": [[str(i) for i in r.issues] or None for _, r in parsed],
            "row_count": [counts.get(p.snapshot_id, 0) for p, _ in parsed],
            "loaded_at": [loaded_at] * len(parsed),
        },
        schema_overrides={"parse_errors": pl.List(pl.String), "row_count": pl.Int32, "loaded_at": pl.Datetime("us", "UTC")},
    )


def _outcomes(payloads: list[Payload], parsed: list[tuple[Payload, ParseResult]], sightings: pl.DataFrame) -> list[SnapshotOutcome]:
    counts = _row_counts(sightings)
    loaded = {p.snapshot_id: r for p, r in parsed}
    outcomes, seen = [], set()
    for payload in payloads:
        result = loaded.get(payload.snapshot_id) if payload.snapshot_id not in seen else None
        seen.add(payload.snapshot_id)
        if result is None:
            outcomes.append(SnapshotOutcome(payload.source, payload.snapshot_id, payload.snapshot_date, "skipped"))
        else:
            outcomes.append(
                SnapshotOutcome(
                    payload.source, payload.snapshot_id, payload.snapshot_date, result.status,
                    counts.get(payload.snapshot_id, 0), [str(i) for i in result.issues],
                )
            )
    return outcomes
