"""The read side of a load: store raw (bronze) -> parse -> normalize -> validate, as Prefect tasks.

Each step returns what it did; flows/pipeline.py chains them with the write steps (flows/write_steps.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from expectations.quarantine import parse_reject_frame
from feeds.base import Payload, parse_payload, payload_frame
from flows.reports import ParsedPayloads
from lake import feed_days as lake_feed_days
from lake import papers as lake_papers
from lake import links, snapshot_writes, table_setup, writes
from lake.schemas import QUARANTINE, SIGHTINGS
from lake.store import Lake
from transforms.linking import arxiv_title_index, link_title_only
from transforms.merges import apply_merges, merge_targets
from transforms.sightings import to_sightings

FeedDay = tuple[str, date]


@dataclass
class Validated:
    """A batch after the gate: rows to commit, rows to hold, feed-days rejected whole."""

    clean: pl.DataFrame
    quarantined: pl.DataFrame
    rejected: dict[tuple[str, date], list[str]] = field(default_factory=dict)
    results: list = field(default_factory=list)  # expectations.gate_result.GateResult per feed-day and table
    # Rows the parsers dropped (QUARANTINE rows, table `parse`), held with the rule rejects.
    parse_rejects: pl.DataFrame = field(default_factory=QUARANTINE.empty_frame)

    @property
    def held(self) -> pl.DataFrame:
        """Every row this load holds back: rule rejects and parse rejects, written in one commit."""
        frames = [frame for frame in (self.quarantined, self.parse_rejects) if frame.height]
        return pl.concat([QUARANTINE.conform(frame) for frame in frames]) if frames else QUARANTINE.empty_frame()


@task(cache_policy=NO_CACHE)
def store_raw(lake: Lake, payloads: list[Payload], commit: writes.CommitInfo) -> list[Payload]:
    """Store every payload before parsing it; return those not ingested yet."""
    table_setup.ensure_tables(lake)
    stored = snapshot_writes.store_snapshots(lake, payload_frame(payloads), commit)
    states = snapshot_writes.snapshot_states(lake, [p.snapshot_id for p in payloads])
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
    """Rows -> sightings with paper ids; title-only rows take the arXiv id their title matches uniquely
    (among the batch's and the lake's papers with those titles)."""
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
    title_only_keys = sightings.filter(pl.col("arxiv_id").is_null())["title_key"].unique().to_list()
    sightings = link_title_only(sightings, arxiv_title_index(lake_papers.arxiv_titles(lake, title_only_keys), sightings))
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
    validated.parse_rejects = parse_rejects(parsed, set(validated.rejected), run_id, now)
    if validated.parse_rejects.height:
        logger.info("%d row(s) the parsers could not place go to the quarantine (table `parse`)", validated.parse_rejects.height)
    if len(results) > ITEMIZED_LOG_COUNT:
        logger.info(
            "validated %d feed-days: %d rows, %d clean, %d quarantined, %d feed-day(s) rejected", len(results),
            sum(r.rows_in_count for r in results), validated.clean.height, validated.quarantined.height, len(validated.rejected),
        )
    return validated


def parse_rejects(parsed: ParsedPayloads, rejected_days: set[FeedDay], run_id: str | None, now: datetime) -> pl.DataFrame:
    """The rows each parser dropped, as quarantine rows; a feed-day rejected whole commits none, like its rows."""
    frames = [
        parse_reject_frame(
            result.rejects, feed=payload.feed, snapshot_date=payload.snapshot_date, snapshot_id=payload.snapshot_id,
            run_id=run_id, quarantined_at=now,
        )
        for payload, result in parsed
        if result.rejects and (payload.feed, payload.snapshot_date) not in rejected_days
    ]
    return pl.concat(frames).unique("quarantine_id", keep="first", maintain_order=True) if frames else QUARANTINE.empty_frame()


# A live feed's settling day is compared with this many weeks of the same weekday.
VOLUME_HISTORY_WEEKS = 8


def volume_history(lake: Lake, feed_days: list[FeedDay], settling: set[FeedDay] | None) -> dict[FeedDay, list[int] | None]:
    """What the volume rule compares each feed-day with; None leaves a day unjudged (it is still filling)."""
    if settling is None:
        return snapshot_writes.recent_row_counts_of(lake, feed_days)
    history = lake_feed_days.final_row_counts(lake, [key for key in feed_days if key in settling], VOLUME_HISTORY_WEEKS)
    return {key: history.get(key) for key in feed_days}


def _feed_days(parsed: ParsedPayloads) -> dict[tuple[str, date], bool]:
    """Each feed-day in the batch, and whether its payloads held anything (an empty day is then suspect)."""
    days: dict[tuple[str, date], bool] = {}
    for payload, result in parsed:
        key = (payload.feed, payload.snapshot_date)
        days[key] = days.get(key, False) or result.row_count > 0
    return days


def _unique_pending(payloads: list[Payload], states: dict[str, str]) -> list[Payload]:
    seen: set[str] = set()
    pending = []
    for payload in payloads:
        if states.get(payload.snapshot_id) == "pending" and payload.snapshot_id not in seen:
            seen.add(payload.snapshot_id)
            pending.append(payload)
    return pending
