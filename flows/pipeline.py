"""The steps every feed's payloads go through, as Prefect tasks:

    store raw -> parse -> normalize -> validate -> write sightings -> relink title-only papers
      (bronze)                                      (+ quarantine)
    -> write papers -> update gold (authors, topics) -> update search words -> mark loaded

Each step returns what it did, and checks what is already there, so a batch interrupted anywhere
completes on the next run; the last commit (the snapshots' outcomes) marks a batch done. Retries
on concurrent commits live in lake/, with the writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from prefect.utilities.annotations import quote

from feeds.base import Payload
from flows.reports import BatchesRejected, LoadReport, snapshot_outcomes, with_skipped
from flows.gold_steps import update_gold
from flows.search_steps import update_search
from flows.load_steps import FeedDay, normalize, parse, store_raw, validate
from flows.write_steps import mark_loaded, publish_validation, relink_title_only, write_papers, write_sightings
from lake import writes
from lake.schemas import TABLES
from lake.store import Lake
from settings.heap import freeze_long_lived


@dataclass(frozen=True)
class Reparse:
    """Which archived snapshots a reparse rebuilds: their sightings are replaced, not appended."""

    feed: str | None = None
    since: date | None = None


def load_payloads(
    lake: Lake,
    payloads: list[Payload],
    commit: writes.CommitInfo,
    now: datetime | None = None,
    settling: set[FeedDay] | None = None,
    publish_docs: bool = True,
) -> LoadReport:
    """The whole path from raw payloads to papers, for any feed (see load_parsed for `settling`, `publish_docs`)."""
    pending = store_raw(lake, quote(payloads), commit)
    return load_parsed(lake, payloads, pending, commit, now, settling=settling, publish_docs=publish_docs)


def load_parsed(
    lake: Lake,
    payloads: list[Payload],
    to_load: list[Payload],
    commit: writes.CommitInfo,
    now: datetime | None = None,
    reparse: Reparse | None = None,
    settling: set[FeedDay] | None = None,
    publish_docs: bool = True,
) -> LoadReport:
    """parse -> normalize -> validate -> write sightings -> relink -> write papers -> update gold -> mark loaded, for `to_load`.

    `payloads` not in `to_load` are reported as skipped. `settling`: for live feeds, the feed-days
    this load sees as settled, the only ones the volume rule judges (None: every day, as for files).
    `publish_docs`: build the Data Docs now; else the report carries the gate results, and the flow
    running several loads publishes them all once (publish_validation).
    Raises BatchesRejected (carrying the report) after the rest has landed if any feed-day was rejected.
    """
    now = now or datetime.now(timezone.utc)
    freeze_long_lived("imports")  # Prefect's and the flows' objects live as long as the process: out of every GC walk
    # quote(): Prefect would otherwise walk every element of these collections (payloads, parse
    # results, frames) looking for futures, about 1.7 s for a year's batch; the tasks get them unwrapped.
    parsed = parse(quote(to_load))
    sightings = normalize(lake, quote(parsed))
    parsed = [(payload, result.without_rows()) for payload, result in parsed]  # the rows are in `sightings` now
    validated = validate(lake, quote(sightings), quote(parsed), commit.run_id, now, settling)
    del sightings  # validated.clean holds the rows from here on: one copy of a year's rows, not two
    bounded = reparse is None
    written = write_sightings(lake, quote(validated), commit, reparse)
    relinked = relink_title_only(lake, quote(validated.clean), commit, bounded)
    touched = set(validated.clean["paper_id"].to_list()) | written.previous_paper_ids
    papers = write_papers(lake, quote(touched), quote(relinked), commit, now, bounded)
    # The rows are committed: from here on the load needs their counts, not the frames (the gold and
    # search steps peak above them: a year of page copies, ~70 MB of a half-year load's 1 GB peak).
    validated.results = [r.detached() for r in validated.results]
    validated.clean = validated.clean.select("snapshot_id")  # mark_loaded counts the rows of each snapshot
    gold = update_gold(
        lake, quote(papers.sightings), quote(papers.written.papers), quote(papers.written.removed_paper_ids), commit, now, papers.written.sightings_version,
    )
    papers.sightings = None
    update_search(lake, quote(papers.written.papers), quote(papers.written.new_paper_ids), quote(papers.written.removed_paper_ids), commit)
    outcomes = mark_loaded(lake, quote(parsed), quote(validated), commit, now, pending_only=bounded)
    report = LoadReport(
        snapshots=with_skipped(payloads, snapshot_outcomes(parsed, outcomes)),
        sighting_count=written.sighting_count,
        quarantined_count=written.quarantined_count + papers.quarantined_count + gold.quarantined_count,
        new_paper_count=papers.written.inserted_count,
        updated_paper_count=papers.written.updated_count,
        relinked_paper_count=relinked.moved.height,
        new_paper_ids=papers.written.new_paper_ids,
        ambiguous_titles=relinked.ambiguous_titles,
        rejections=[m for messages in validated.rejected.values() for m in messages],
        rejected_feed_days=dict(validated.rejected),
        papers_validation=papers.validation,
    )
    if publish_docs:
        report.docs_index = publish_validation(lake, quote(validated.results))
    else:
        report.gate_results = [r.detached() for r in validated.results]
    report.validation = [r.summary for r in validated.results] + ([papers.validation] if papers.validation else [])
    report.table_versions = {name: lake.delta(name).version() for name in TABLES if lake.has_table(name)}
    if report.rejections:
        raise BatchesRejected(report)
    return report
