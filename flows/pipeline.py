"""The steps every feed's payloads go through, as Prefect tasks.

store raw (bronze) -> parse -> normalize -> validate -> write sightings, quarantine and papers ->
mark the snapshots loaded. Each step checks what is already there, so a batch interrupted anywhere
completes on the next run, and the last commit (the snapshots' outcomes) marks a batch done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from feeds.base import Payload, parse_payload, payload_frame
from flows.reports import BatchesRejected, LoadReport, ParsedPayloads, outcome_frame, snapshot_outcomes, with_skipped
from lake import links, writes
from lake.schemas import SIGHTINGS
from lake.store import Lake
from transforms.linking import ambiguous_titles, arxiv_title_index, link_title_only, relinks
from transforms.merges import apply_merges, merge_targets
from transforms.papers import summarize_papers
from transforms.sightings import to_sightings


@dataclass(frozen=True)
class Reparse:
    """Which archived snapshots a reparse rebuilds: their sightings are replaced, not appended."""

    feed: str | None = None
    since: date | None = None


@dataclass
class Validated:
    """A batch after the gate: rows to commit, rows to hold, feed-days rejected whole."""

    clean: pl.DataFrame
    quarantined: pl.DataFrame
    rejected: dict[tuple[str, date], list[str]] = field(default_factory=dict)
    results: list = field(default_factory=list)  # expectations.gate.GateResult per feed-day and table


@task(cache_policy=NO_CACHE)
def store_raw(lake: Lake, payloads: list[Payload], commit: writes.CommitInfo) -> list[Payload]:
    """Store every payload before parsing it; return those not ingested yet."""
    writes.ensure_tables(lake)
    stored = writes.store_snapshots(lake, payload_frame(payloads), commit)
    states = writes.snapshot_states(lake, [p.snapshot_id for p in payloads])
    pending = _unique_pending(payloads, states)
    get_run_logger().info(
        "stored %d new raw snapshot(s); %d to load, %d already ingested", stored, len(pending), len(payloads) - len(pending)
    )
    return pending


# A log line per payload and per feed-day reads well for a day or a month; a year's batch would log
# hundreds of lines (about 1 ms each), so larger batches log a summary and only what went wrong.
ITEMIZED_LOG_COUNT = 31


@task(cache_policy=NO_CACHE)
def parse(payloads: list[Payload]) -> ParsedPayloads:
    parsed = [(p, parse_payload(p)) for p in payloads]
    logger = get_run_logger()
    itemized = len(parsed) <= ITEMIZED_LOG_COUNT
    for payload, result in parsed:
        if itemized or result.issues:
            logger.info("parsed %s (%s): %d rows, %s", payload.source, payload.snapshot_date, result.rows.height, result.status)
        for issue in result.issues:
            logger.warning("%s", issue)
    if not itemized:
        statuses = pl.Series([result.status for _, result in parsed]).value_counts(sort=True).rows()
        logger.info(
            "parsed %d payloads: %d rows; %s", len(parsed), sum(result.rows.height for _, result in parsed),
            ", ".join(f"{count} {status}" for status, count in statuses),
        )
    return parsed


@task(cache_policy=NO_CACHE)
def normalize(lake: Lake, parsed: ParsedPayloads) -> pl.DataFrame:
    """Rows -> sightings with paper ids; title-only rows take the arXiv id their title matches uniquely."""
    frames = [
        result.rows.with_columns(
            snapshot_id=pl.lit(payload.snapshot_id),
            feed=pl.lit(payload.feed),
            snapshot_date=pl.lit(payload.snapshot_date, dtype=pl.Date),
        )
        for payload, result in parsed
    ]
    sightings = to_sightings(pl.concat(frames, how="diagonal_relaxed")) if frames else SIGHTINGS.empty_frame()
    sightings = link_title_only(sightings, arxiv_title_index(writes.arxiv_titles(lake), sightings))
    # Duplicates a person confirmed (`paperlake dupes --merge`) stay merged through every load and reparse.
    sightings = apply_merges(sightings, merge_targets(links.confirmed_pairs(lake)))
    get_run_logger().info("normalized %d sightings of %d papers", sightings.height, sightings["paper_id"].n_unique())
    return sightings


@task(cache_policy=NO_CACHE)
def validate(lake: Lake, sightings: pl.DataFrame, parsed: ParsedPayloads, run_id: str | None, now: datetime) -> Validated:
    """Gate each feed-day's sightings: clean rows go on, bad rows are held, a failed batch rule stops the feed-day."""
    from expectations.gate import FeedDayBatch, gate_feed_days

    logger = get_run_logger()
    validated = Validated(SIGHTINGS.empty_frame(), pl.DataFrame())
    clean, held = [], []
    declared_days = _feed_days(parsed)
    recent = writes.recent_row_counts_of(lake, list(declared_days))
    feed_days = [
        FeedDayBatch(feed, day, expected_nonempty=declared, recent_row_counts=recent[(feed, day)])
        for (feed, day), declared in declared_days.items()
    ]
    # One Great Expectations pass for the whole load (it costs ~0.2 s a pass), decided per feed-day.
    results = gate_feed_days("sightings", sightings, feed_days, run_id=run_id, today=now.date(), quarantined_at=now)
    for result in results:
        feed, day = result.feed, result.snapshot_date
        validated.results.append(result)
        clean.append(result.clean)
        held.append(result.quarantined)
        if result.batch_failures:
            validated.rejected[(feed, day)] = [f.message for f in result.batch_failures]
            logger.error("%s", "; ".join(validated.rejected[(feed, day)]))
        if len(results) <= ITEMIZED_LOG_COUNT or result.quarantined.height or result.batch_failures:
            logger.info(
                "validated %s %s: %d rows, %d clean, %d quarantined%s", feed, day, result.rows_in_count, result.clean.height,
                result.quarantined.height, ", REJECTED" if result.batch_failures else "",
            )
    validated.clean = pl.concat(clean) if clean else validated.clean
    validated.quarantined = pl.concat(held) if held else validated.quarantined
    if len(results) > ITEMIZED_LOG_COUNT:
        logger.info(
            "validated %d feed-days: %d rows, %d clean, %d quarantined, %d feed-day(s) rejected", len(results),
            sum(r.rows_in_count for r in results), validated.clean.height, validated.quarantined.height, len(validated.rejected),
        )
    return validated


@task(cache_policy=NO_CACHE)
def write(
    lake: Lake,
    validated: Validated,
    parsed: ParsedPayloads,
    commit: writes.CommitInfo,
    now: datetime,
    reparse: Reparse | None = None,
) -> LoadReport:
    """Sightings and quarantine, then papers, then the snapshots' outcomes (the commit that marks the batch done)."""
    logger = get_run_logger()
    sightings = validated.clean
    report = LoadReport(rejections=[m for messages in validated.rejected.values() for m in messages])
    previous_ids: set[str] = set()
    if reparse is None:
        report.sighting_count = writes.store_sightings(lake, sightings, commit)
        report.quarantined_count = writes.store_quarantine(lake, validated.quarantined, commit)
    else:
        previous_ids = set(writes.paper_ids_seen(lake, reparse.feed, reparse.since))
        report.sighting_count = writes.replace_sightings(lake, sightings, reparse.feed, reparse.since, commit)
        report.quarantined_count = writes.replace_quarantine(lake, validated.quarantined, "sightings", reparse.feed, reparse.since, commit)
    index = arxiv_title_index(writes.arxiv_titles(lake), sightings)
    report.ambiguous_titles = ambiguous_titles(sightings, index)
    for row in report.ambiguous_titles.iter_rows(named=True):
        logger.warning("title matches several arXiv ids %s, left unlinked: %r", row["arxiv_ids"], row["title"])
    # A reparse replaces sightings of finished snapshots: the bound on their dates does not hold for it.
    bounded = reparse is None
    moved = _relink_title_only_papers(lake, sightings, index, commit, bounded)
    _write_papers(lake, set(sightings["paper_id"].to_list()) | set(moved["arxiv_id"].to_list()) | previous_ids, moved, commit, report, now, bounded)
    outcomes = outcome_frame(parsed, sightings, validated.rejected, now)
    writes.mark_snapshots_loaded(lake, outcomes, commit)
    report.snapshots = snapshot_outcomes(parsed, outcomes)
    logger.info(
        "wrote %d sightings, quarantined %d; papers: %d new, %d updated, %d title-only linked to arXiv ids",
        report.sighting_count, report.quarantined_count, report.new_paper_count, report.updated_paper_count,
        report.relinked_paper_count,
    )
    return report


# A concurrent run may add sightings of the same papers while these are summarized; rounds
# redo the summary until the sightings did not change under it (a few at most, in practice).
PAPERS_ROUNDS = 20


def _write_papers(
    lake: Lake,
    paper_ids: set[str],
    moved: pl.DataFrame,
    commit: writes.CommitInfo,
    report: LoadReport,
    now: datetime,
    bounded: bool = True,
) -> None:
    if not paper_ids:
        return
    known, inserted_count, gated = None, 0, None
    for _ in range(PAPERS_ROUNDS):
        sightings_version = writes.table_version(lake, SIGHTINGS.name)
        # Read only the sightings files that can hold these papers' rows, not the whole table.
        since = writes.sightings_floor(lake, sorted(paper_ids | set(moved["old_paper_id"].to_list()))) if bounded else None
        papers = summarize_papers(writes.sightings_of(lake, sorted(paper_ids), since=since))
        gated = _gate_papers(papers, commit, now)
        papers = gated.clean
        gone = set(moved["old_paper_id"].to_list()) | (paper_ids - set(papers["paper_id"].to_list()) - set(moved["arxiv_id"].to_list()))
        known = known if known is not None else set(writes.known_paper_ids(lake, papers["paper_id"].to_list()))
        metrics = writes.upsert_papers(lake, papers, commit, removed_ids=sorted(gone))
        inserted_count += metrics.get("num_target_rows_inserted", 0)
        if writes.table_version(lake, SIGHTINGS.name) == sightings_version:
            break
    else:  # the batch stays pending, so the next run redoes it
        raise writes.LakeWriteError(f"table 'papers' in {lake.uri}: sightings kept changing under {PAPERS_ROUNDS} summaries")
    report.quarantined_count += writes.store_quarantine(lake, gated.quarantined, commit)
    report.papers_validation = gated.summary
    report.new_paper_ids = sorted(set(papers["paper_id"].to_list()) - known)
    report.new_paper_count = inserted_count
    # Rows inserted by an earlier round were updated by the last one: they are new, not updated.
    report.updated_paper_count = metrics.get("num_target_rows_updated", 0) - (inserted_count - metrics.get("num_target_rows_inserted", 0))
    report.relinked_paper_count = moved.height


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


def _relink_title_only_papers(
    lake: Lake, sightings: pl.DataFrame, index: pl.DataFrame, commit: writes.CommitInfo, bounded: bool = True
) -> pl.DataFrame:
    """Title-only papers already in the lake whose arXiv id arrived in this batch become that paper."""
    arriving = sightings.filter(pl.col("arxiv_id").is_not_null())["title_key"].unique().to_list()
    moved = relinks(writes.papers_with_title_keys(lake, arriving), index)
    if not moved.is_empty():
        since = writes.sightings_floor(lake, moved["old_paper_id"].to_list()) if bounded else None
        writes.relink_sightings(lake, moved, commit, since=since)
    return moved


@task(cache_policy=NO_CACHE)
def publish_validation(lake: Lake, validated: Validated) -> str | None:
    """Data Docs beside the lake, and a link and a summary on the Prefect run."""
    from prefect.artifacts import create_link_artifact, create_markdown_artifact

    from expectations.docs import build_data_docs, summary_markdown
    from paperlake.config import validation_docs_dir

    if not validated.results:
        return None
    index = build_data_docs(validated.results, Path(validation_docs_dir(lake.uri)))
    create_markdown_artifact(summary_markdown(validated.results, index), key="validation-summary", description="Rows in, passed, quarantined and rejected per feed-day")
    create_link_artifact(index.as_uri(), link_text="Great Expectations Data Docs", key="validation-docs")
    get_run_logger().info("validation Data Docs: %s", index)
    return str(index)


def load_payloads(lake: Lake, payloads: list[Payload], commit: writes.CommitInfo, now: datetime | None = None) -> LoadReport:
    """The whole path from raw payloads to papers, for any feed."""
    pending = store_raw(lake, quote(payloads), commit)
    return load_parsed(lake, payloads, pending, commit, now)


def load_parsed(
    lake: Lake,
    payloads: list[Payload],
    to_load: list[Payload],
    commit: writes.CommitInfo,
    now: datetime | None = None,
    reparse: Reparse | None = None,
) -> LoadReport:
    """parse -> normalize -> validate -> write for `to_load`; `payloads` not in it are reported as skipped.

    Raises BatchesRejected (carrying the report) after the rest has landed if any feed-day was rejected.
    """
    now = now or datetime.now(timezone.utc)
    # quote(): Prefect would otherwise walk every element of these collections (payloads, parse
    # results, frames) looking for futures, about 1.7 s for a year's batch; the tasks get them unwrapped.
    parsed = parse(quote(to_load))
    sightings = normalize(lake, quote(parsed))
    validated = validate(lake, quote(sightings), quote(parsed), commit.run_id, now)
    report = write(lake, quote(validated), quote(parsed), commit, now, reparse)
    report.docs_index = publish_validation(lake, quote(validated))
    report.snapshots = with_skipped(payloads, report.snapshots)
    report.validation = [r.summary for r in validated.results] + ([report.papers_validation] if report.papers_validation else [])
    report.table_versions = {name: lake.delta(name).version() for name in writes.TABLES}
    if report.rejections:
        raise BatchesRejected(report)
    return report


def _feed_days(parsed: ParsedPayloads) -> dict[tuple[str, date], bool]:
    """Each feed-day in the batch, and whether its payloads held anything (an empty day is then suspect)."""
    days: dict[tuple[str, date], bool] = {}
    for payload, result in parsed:
        key = (payload.feed, payload.snapshot_date)
        days[key] = days.get(key, False) or result.rows.height > 0
    return days


def _unique_pending(payloads: list[Payload], states: dict[str, str]) -> list[Payload]:
    seen: set[str] = set()
    pending = []
    for payload in payloads:
        if states.get(payload.snapshot_id) == "pending" and payload.snapshot_id not in seen:
            seen.add(payload.snapshot_id)
            pending.append(payload)
    return pending
