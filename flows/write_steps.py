"""The write side of a load, as Prefect tasks: write sightings (and quarantine) -> relink title-only
papers -> write papers -> mark loaded; and the validation report. Each step returns what it did;
retries on concurrent commits live in lake/, with the writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from expectations.quarantine import PARSE_TABLE
from flows.load_steps import Validated
from flows.reports import ParsedPayloads, outcome_frame
from lake import papers as lake_papers
from lake import quarantine_writes, sighting_writes, snapshot_writes, writes
from lake.papers import PapersWritten
from lake.store import Lake
from transforms.identity import TITLE_ID_PREFIX
from transforms.linking import ambiguous_titles, arxiv_title_index, relinks
from transforms.papers import summarize_papers

@dataclass
class SightingsWritten:
    sighting_count: int = 0
    quarantined_count: int = 0
    previous_paper_ids: set[str] = field(default_factory=set)  # a reparse: papers its old sightings named


@task(cache_policy=NO_CACHE)
def write_sightings(lake: Lake, validated: Validated, commit: writes.CommitInfo, reparse=None) -> SightingsWritten:
    """Clean rows to `sightings`; rule and parse rejects to `quarantine` (a reparse replaces what its snapshots had)."""
    written = SightingsWritten()
    if reparse is None:
        written.sighting_count = sighting_writes.store_sightings(lake, validated.clean, commit)
        written.quarantined_count = quarantine_writes.store_quarantine(lake, validated.held, commit)
    else:
        written.previous_paper_ids = set(sighting_writes.paper_ids_seen(lake, reparse.feed, reparse.since))
        written.sighting_count = sighting_writes.replace_sightings(lake, validated.clean, reparse.feed, reparse.since, commit)
        # Both kinds of held rows of the rebuilt snapshots are replaced: what now parses or passes leaves.
        written.quarantined_count = quarantine_writes.replace_quarantine(
            lake, validated.held, ("sightings", PARSE_TABLE), reparse.feed, reparse.since, commit
        )
    get_run_logger().info("wrote %d sightings, quarantined %d", written.sighting_count, written.quarantined_count)
    return written


@dataclass
class Relinked:
    moved: pl.DataFrame  # old_paper_id -> arxiv_id
    ambiguous_titles: pl.DataFrame


@task(cache_policy=NO_CACHE)
def relink_title_only(lake: Lake, sightings: pl.DataFrame, commit: writes.CommitInfo, bounded: bool = True) -> Relinked:
    """Title-only papers already in the lake whose arXiv id arrived in this batch become that paper.

    Only the titles that matter are read: those of the batch's title-only rows (reported when
    ambiguous) and of the lake's title-only papers an arriving arXiv title matches.
    """
    logger = get_run_logger()
    arriving = sightings.filter(pl.col("arxiv_id").is_not_null())["title_key"].unique().to_list()
    title_only = lake_papers.papers_with_title_keys(lake, arriving, id_prefix=TITLE_ID_PREFIX)
    keys = set(title_only["title_key"].to_list()) | set(sightings.filter(pl.col("arxiv_id").is_null())["title_key"].to_list())
    index = arxiv_title_index(lake_papers.arxiv_titles(lake, sorted(k for k in keys if k is not None)), sightings)
    ambiguous = ambiguous_titles(sightings, index)
    for row in ambiguous.iter_rows(named=True):
        logger.warning("title matches several arXiv ids %s, left unlinked: %r", row["arxiv_ids"], row["title"])
    moved = relinks(title_only, index)
    if not moved.is_empty():
        # A reparse replaces sightings of finished snapshots: the bound on their dates does not hold for it.
        days = sighting_writes.sightings_days(lake, moved["old_paper_id"].to_list()) if bounded else None
        sighting_writes.relink_sightings(lake, moved, commit, days=days)
        logger.info("%d title-only paper(s) linked to their arXiv ids", moved.height)
    return Relinked(moved, ambiguous)


@dataclass
class PapersOutcome:
    written: PapersWritten
    quarantined_count: int = 0
    validation: dict | None = None
    sightings: pl.DataFrame | None = None  # every sighting of the papers summarized last (what the gold step needs)


@task(cache_policy=NO_CACHE)
def write_papers(
    lake: Lake, paper_ids: set[str], relinked: Relinked, commit: writes.CommitInfo, now: datetime, bounded: bool = True
) -> PapersOutcome:
    """Every sighting of the touched papers summarized, gated by the papers suite, and merged."""
    gated_runs: list = []
    summarized: list[pl.DataFrame] = []

    def summarize_and_gate(sightings: pl.DataFrame) -> pl.DataFrame:
        summarized[:] = [sightings]
        gated_runs.append(_gate_papers(summarize_papers(sightings), commit, now))
        return gated_runs[-1].clean

    moved = relinked.moved
    written = lake_papers.write_papers(
        lake, paper_ids | set(moved["arxiv_id"].to_list()), set(moved["old_paper_id"].to_list()), summarize_and_gate, commit,
        bounded=bounded, keep_ids=set(moved["arxiv_id"].to_list()),
    )
    outcome = PapersOutcome(written, sightings=summarized[0] if summarized else None)
    if gated_runs:
        outcome.quarantined_count = quarantine_writes.store_quarantine(lake, gated_runs[-1].quarantined, commit)
        outcome.validation = gated_runs[-1].summary
    get_run_logger().info(
        "papers: %d new, %d updated, %d title-only linked to arXiv ids", written.inserted_count, written.updated_count, moved.height
    )
    return outcome


def _gate_papers(papers: pl.DataFrame, commit: writes.CommitInfo, now: datetime):
    """The papers suite on the rows about to be merged: a bad row is held, not written.

    A batch rule broken here (schema, duplicate paper_id) is a bug in the summary, not bad input,
    so it stops the load and leaves its snapshots pending.
    """
    from expectations.gate import gate_batch

    day = max(commit.snapshot_dates) if commit.snapshot_dates else now.date()
    gated = gate_batch(
        "papers", papers, feed=commit.feed or "all", snapshot_date=day, run_id=commit.run_id, today=now.date(), quarantined_at=now
    )
    gated.raise_if_rejected()
    return gated


@task(cache_policy=NO_CACHE)
def mark_loaded(
    lake: Lake, parsed: ParsedPayloads, validated: Validated, commit: writes.CommitInfo, now: datetime, pending_only: bool = True
) -> pl.DataFrame:
    """Each snapshot's outcome: the last commit of a load, after which its payloads count as ingested.
    `pending_only=False` for a reparse, whose snapshots were loaded before."""
    outcomes = outcome_frame(parsed, validated.clean, validated.rejected, now)
    snapshot_writes.mark_snapshots_loaded(lake, outcomes, commit, pending_only=pending_only)
    return outcomes


@task(cache_policy=NO_CACHE)
def publish_validation(lake: Lake, results: list) -> str | None:
    """Data Docs beside the lake for these gate results (one or several loads'), and a link and a
    summary on the Prefect run. A site build costs about 0.3 s whatever it adds: once per run."""
    from prefect.artifacts import create_link_artifact, create_markdown_artifact

    from expectations.docs import build_data_docs, summary_markdown
    from settings import validation_docs_dir

    if not results:
        return None
    index = build_data_docs(results, Path(validation_docs_dir(lake.uri)))
    create_markdown_artifact(summary_markdown(results, index), key="validation-summary", description="Rows in, passed, quarantined and rejected per feed-day")
    create_link_artifact(index.as_uri(), link_text="Great Expectations Data Docs", key="validation-docs")
    get_run_logger().info("validation Data Docs: %s", index)
    return str(index)


def publish_loads_validation(lake: Lake, reports: list) -> str | None:
    """publish_validation once for several loads that left it to their flow (publish_docs=False):
    each report that had results then names the site, as if its load had built it."""
    from prefect.utilities.annotations import quote

    carrying = [report for report in reports if report is not None and report.gate_results]
    index = publish_validation(lake, quote([result for report in carrying for result in report.gate_results])) if carrying else None
    for report in carrying:
        report.docs_index, report.gate_results = index, []
    return index
