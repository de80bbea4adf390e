"""The steps every feed's payloads go through, as Prefect tasks:

    store raw -> parse -> normalize -> validate -> write sightings -> relink title-only papers
      (bronze)                                      (+ quarantine)
    -> write papers -> mark loaded

Each step returns what it did, and checks what is already there, so a batch interrupted anywhere
completes on the next run; the last commit (the snapshots' outcomes) marks a batch done. Retries
on concurrent commits live in lake/, with the writes.
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
from lake import feed_days as lake_feed_days
from lake import links, writes
from lake import papers as lake_papers
from lake.papers import PapersWritten
from lake.schemas import SIGHTINGS
from lake.store import Lake
from transforms.linking import ambiguous_titles, arxiv_title_index, link_title_only, relinks
from transforms.merges import apply_merges, merge_targets
from transforms.papers import summarize_papers
from transforms.sightings import to_sightings


FeedDay = tuple[str, date]


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
            fetched_at=pl.lit(payload.fetched_at, dtype=SIGHTINGS.polars_schema["fetched_at"]),
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
def validate(
    lake: Lake, sightings: pl.DataFrame, parsed: ParsedPayloads, run_id: str | None, now: datetime, settling: set[FeedDay] | None = None
) -> Validated:
    """Gate each feed-day's sightings: clean rows go on, bad rows are held, a failed batch rule stops the feed-day.

    The volume rule compares a day with days in the same state: a live feed's day only once it has
    settled, against the same weekday's settled days (`settling`); saved files against recent days.
    """
    from expectations.gate import FeedDayBatch, gate_feed_days

    logger = get_run_logger()
    validated = Validated(SIGHTINGS.empty_frame(), pl.DataFrame())
    clean, held = [], []
    declared_days = _feed_days(parsed)
    recent = volume_history(lake, list(declared_days), settling)
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


@dataclass
class SightingsWritten:
    sighting_count: int = 0
    quarantined_count: int = 0
    previous_paper_ids: set[str] = field(default_factory=set)  # a reparse: papers its old sightings named


@task(cache_policy=NO_CACHE)
def write_sightings(lake: Lake, validated: Validated, commit: writes.CommitInfo, reparse: Reparse | None = None) -> SightingsWritten:
    """Clean rows to `sightings`, held rows to `quarantine` (a reparse replaces what its snapshots had)."""
    written = SightingsWritten()
    if reparse is None:
        written.sighting_count = writes.store_sightings(lake, validated.clean, commit)
        written.quarantined_count = writes.store_quarantine(lake, validated.quarantined, commit)
    else:
        written.previous_paper_ids = set(writes.paper_ids_seen(lake, reparse.feed, reparse.since))
        written.sighting_count = writes.replace_sightings(lake, validated.clean, reparse.feed, reparse.since, commit)
        written.quarantined_count = writes.replace_quarantine(lake, validated.quarantined, "sightings", reparse.feed, reparse.since, commit)
    get_run_logger().info("wrote %d sightings, quarantined %d", written.sighting_count, written.quarantined_count)
    return written


@dataclass
class Relinked:
    moved: pl.DataFrame  # old_paper_id -> arxiv_id
    ambiguous_titles: pl.DataFrame


@task(cache_policy=NO_CACHE)
def relink_title_only(lake: Lake, sightings: pl.DataFrame, commit: writes.CommitInfo, bounded: bool = True) -> Relinked:
    """Title-only papers already in the lake whose arXiv id arrived in this batch become that paper."""
    logger = get_run_logger()
    index = arxiv_title_index(writes.arxiv_titles(lake), sightings)
    ambiguous = ambiguous_titles(sightings, index)
    for row in ambiguous.iter_rows(named=True):
        logger.warning("title matches several arXiv ids %s, left unlinked: %r", row["arxiv_ids"], row["title"])
    arriving = sightings.filter(pl.col("arxiv_id").is_not_null())["title_key"].unique().to_list()
    moved = relinks(writes.papers_with_title_keys(lake, arriving), index)
    if not moved.is_empty():
        # A reparse replaces sightings of finished snapshots: the bound on their dates does not hold for it.
        since = writes.sightings_floor(lake, moved["old_paper_id"].to_list()) if bounded else None
        writes.relink_sightings(lake, moved, commit, since=since)
        logger.info("%d title-only paper(s) linked to their arXiv ids", moved.height)
    return Relinked(moved, ambiguous)


@dataclass
class PapersOutcome:
    written: PapersWritten
    quarantined_count: int = 0
    validation: dict | None = None


@task(cache_policy=NO_CACHE)
def write_papers(
    lake: Lake, paper_ids: set[str], relinked: Relinked, commit: writes.CommitInfo, now: datetime, bounded: bool = True
) -> PapersOutcome:
    """Every sighting of the touched papers summarized, gated by the papers suite, and merged."""
    gated_runs: list = []

    def summarize_and_gate(sightings: pl.DataFrame) -> pl.DataFrame:
        gated_runs.append(_gate_papers(summarize_papers(sightings), commit, now))
        return gated_runs[-1].clean

    moved = relinked.moved
    written = lake_papers.write_papers(
        lake, paper_ids | set(moved["arxiv_id"].to_list()), set(moved["old_paper_id"].to_list()), summarize_and_gate, commit,
        bounded=bounded, keep_ids=set(moved["arxiv_id"].to_list()),
    )
    outcome = PapersOutcome(written)
    if gated_runs:
        outcome.quarantined_count = writes.store_quarantine(lake, gated_runs[-1].quarantined, commit)
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
def mark_loaded(lake: Lake, parsed: ParsedPayloads, validated: Validated, commit: writes.CommitInfo, now: datetime) -> pl.DataFrame:
    """Each snapshot's outcome: the last commit of a load, after which its payloads count as ingested."""
    outcomes = outcome_frame(parsed, validated.clean, validated.rejected, now)
    writes.mark_snapshots_loaded(lake, outcomes, commit)
    return outcomes


@task(cache_policy=NO_CACHE)
def publish_validation(lake: Lake, validated: Validated) -> str | None:
    """Data Docs beside the lake, and a link and a summary on the Prefect run."""
    from prefect.artifacts import create_link_artifact, create_markdown_artifact

    from expectations.docs import build_data_docs, summary_markdown
    from settings import validation_docs_dir

    if not validated.results:
        return None
    index = build_data_docs(validated.results, Path(validation_docs_dir(lake.uri)))
    create_markdown_artifact(summary_markdown(validated.results, index), key="validation-summary", description="Rows in, passed, quarantined and rejected per feed-day")
    create_link_artifact(index.as_uri(), link_text="Great Expectations Data Docs", key="validation-docs")
    get_run_logger().info("validation Data Docs: %s", index)
    return str(index)


def load_payloads(
    lake: Lake, payloads: list[Payload], commit: writes.CommitInfo, now: datetime | None = None, settling: set[FeedDay] | None = None
) -> LoadReport:
    """The whole path from raw payloads to papers, for any feed (see load_parsed for `settling`)."""
    pending = store_raw(lake, quote(payloads), commit)
    return load_parsed(lake, payloads, pending, commit, now, settling=settling)


def load_parsed(
    lake: Lake,
    payloads: list[Payload],
    to_load: list[Payload],
    commit: writes.CommitInfo,
    now: datetime | None = None,
    reparse: Reparse | None = None,
    settling: set[FeedDay] | None = None,
) -> LoadReport:
    """parse -> normalize -> validate -> write sightings -> relink -> write papers -> mark loaded, for `to_load`.

    `payloads` not in `to_load` are reported as skipped. `settling`: for live feeds, the feed-days
    this load sees as settled, the only ones the volume rule judges (None: every day, as for files).
    Raises BatchesRejected (carrying the report) after the rest has landed if any feed-day was rejected.
    """
    now = now or datetime.now(timezone.utc)
    # quote(): Prefect would otherwise walk every element of these collections (payloads, parse
    # results, frames) looking for futures, about 1.7 s for a year's batch; the tasks get them unwrapped.
    parsed = parse(quote(to_load))
    sightings = normalize(lake, quote(parsed))
    validated = validate(lake, quote(sightings), quote(parsed), commit.run_id, now, settling)
    bounded = reparse is None
    written = write_sightings(lake, quote(validated), commit, reparse)
    relinked = relink_title_only(lake, quote(validated.clean), commit, bounded)
    touched = set(validated.clean["paper_id"].to_list()) | written.previous_paper_ids
    papers = write_papers(lake, quote(touched), quote(relinked), commit, now, bounded)
    outcomes = mark_loaded(lake, quote(parsed), quote(validated), commit, now)
    report = LoadReport(
        snapshots=with_skipped(payloads, snapshot_outcomes(parsed, outcomes)),
        sighting_count=written.sighting_count,
        quarantined_count=written.quarantined_count + papers.quarantined_count,
        new_paper_count=papers.written.inserted_count,
        updated_paper_count=papers.written.updated_count,
        relinked_paper_count=relinked.moved.height,
        new_paper_ids=papers.written.new_paper_ids,
        ambiguous_titles=relinked.ambiguous_titles,
        rejections=[m for messages in validated.rejected.values() for m in messages],
        rejected_feed_days=dict(validated.rejected),
        papers_validation=papers.validation,
    )
    report.docs_index = publish_validation(lake, quote(validated))
    report.validation = [r.summary for r in validated.results] + ([papers.validation] if papers.validation else [])
    report.table_versions = {name: lake.delta(name).version() for name in writes.TABLES if lake.has_table(name)}
    if report.rejections:
        raise BatchesRejected(report)
    return report


# A live feed's settling day is compared with this many weeks of the same weekday.
VOLUME_HISTORY_WEEKS = 8


def volume_history(lake: Lake, feed_days: list[FeedDay], settling: set[FeedDay] | None) -> dict[FeedDay, list[int] | None]:
    """What the volume rule compares each feed-day with; None leaves a day unjudged (it is still filling)."""
    if settling is None:
        return writes.recent_row_counts_of(lake, feed_days)
    return {
        (feed, day): lake_feed_days.final_row_counts(lake, feed, day.isoweekday(), day, VOLUME_HISTORY_WEEKS)
        if (feed, day) in settling else None
        for feed, day in feed_days
    }


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
