"""The gold step of a load: `authors` and `topics` rebuilt for what the load touched, gated, merged.
No Prefect here: flows/gold_steps.py makes it a task, and `paperlake dupes --merge` runs it as is.

    every sighting of the touched papers (read by write papers) + their new papers rows
      -> their author_papers rows, new and stored (the files of their first listings only)
      -> new minus stored, summed per author, onto their `authors` rows -> one MERGE
      -> the changed author_papers rows -> one MERGE (after authors: see lake/gold.py FOLLOWS)
      -> weeks those sightings fall in -> every sighting and paper of those weeks -> topic rows, one MERGE

So its cost follows the load (the touched papers' authors, a few weeks of sightings), not the lake.
`rebuild_gold` computes both tables from every paper and sighting: what the incremental step must equal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import polars as pl

from lake import gold as lake_gold
from lake import quarantine_writes, sighting_writes, table_setup, writes
from lake.day_ranges import of_days
from lake.schemas import PAPERS, SIGHTINGS
from lake.store import Lake
from transforms.gold import PAPER_PART, author_deltas, author_papers, authors_from, changed_author_papers, topics_from, weeks_of


@dataclass
class GoldUpdated:
    author_count: int = 0  # author rows written (new or changed)
    removed_author_count: int = 0
    weeks: list[date] = field(default_factory=list)  # weeks whose topic rows were rewritten
    topic_row_count: int = 0
    quarantined_count: int = 0


def update_gold_tables(
    lake: Lake, sightings: pl.DataFrame | None, papers: pl.DataFrame, removed_ids: list[str], commit: writes.CommitInfo, now: datetime,
    validate: bool = True, sightings_version: int | None = None,
) -> GoldUpdated:
    """The step's work without Prefect. `validate=False` skips the suites (a test lake written without GX).
    `sightings_version`: the `sightings` version `sightings` and `papers` were read at (None: they are
    current); a concurrent load that landed sightings since then makes the step read them again."""
    _gate = _gate_rows if validate else _ungated
    updated = GoldUpdated()
    if sightings is None or (sightings.is_empty() and not removed_ids):
        return updated
    papers = papers if "paper_id" in papers.columns else PAPERS.empty_frame()
    if lake_gold.never_written(lake):
        # A new lake's first load, or a lake from before the gold tables: build them whole, once.
        try:
            authors, topics = rebuild_gold(lake, commit, now, validate, unless_written_after=lake_gold.authors_version(lake))
            return GoldUpdated(author_count=authors.height, topic_row_count=topics.height, weeks=weeks_of(sightings))
        except lake_gold.GoldMoved:
            pass  # a concurrent load filled them first: this load's part goes in by deltas, as on any later load
    authors = _update_authors(lake, _Inputs(sightings, papers, sightings_version), removed_ids, commit, now, _gate, updated)

    updated.weeks = weeks_of(sightings)
    topics = _update_topics(lake, updated.weeks, commit, now, _gate)
    updated.topic_row_count = topics.clean.height
    held = [g.quarantined for g in (authors, topics) if g.quarantined.height]
    updated.quarantined_count = sum(quarantine_writes.store_quarantine(lake, frame, commit) for frame in held)
    return updated


# Rounds of read-and-merge when concurrent loads keep committing `authors` (a few at most, in practice),
# and how long `authors` may stay ahead of `author_papers` (a concurrent step between its two commits)
# before it counts as a step that died there.
AUTHOR_ROUNDS = 20
AHEAD_WAIT_SECONDS = 5.0


@dataclass
class _Inputs:
    """The touched papers' sightings and papers rows, and the `sightings` version they were read at."""

    sightings: pl.DataFrame
    papers: pl.DataFrame
    sightings_version: int | None

    def current(self, lake: Lake, paper_ids: list[str]) -> _Inputs:
        """These, or the lake's own if a concurrent load landed sightings since they were read: its
        sightings of the same papers would be missing from the author_papers rows merged over its own."""
        version = writes.table_version(lake, SIGHTINGS.name)
        if self.sightings_version is None or version == self.sightings_version:
            return self
        days = sighting_writes.sightings_days(lake, paper_ids)
        papers = lake.scan(PAPERS.name).filter(pl.col("paper_id").is_in(paper_ids)).collect()
        return _Inputs(sighting_writes.sightings_of(lake, paper_ids, days=days), papers, version)


def _update_authors(lake: Lake, inputs: _Inputs, removed_ids: list[str], commit, now, _gate, updated: GoldUpdated):
    """`authors` moved by the difference, then `author_papers` of the touched papers replaced; returns the gate result."""
    touched_ids = sorted(set(inputs.sightings["paper_id"].to_list()) | set(inputs.papers["paper_id"].to_list()) | set(removed_ids))
    for _ in range(AUTHOR_ROUNDS):
        read_version = lake_gold.authors_version(lake)
        inputs = inputs.current(lake, touched_ids)  # after the read version: a load landing later moves `authors` too
        new = author_papers(inputs.papers, inputs.sightings)
        if _still_ahead(lake):  # a step died between the two commits: authors from author_papers again
            lake_gold.replace_authors(lake, authors_from(lake_gold.all_author_papers(lake)), commit)
            continue
        # Stored rows lie in the files of their own first listings (read here, two columns) and the
        # new ones (a paper that lost its first sightings): those days, not every day since the
        # earliest, which one old paper made years of files. Removed papers' rows may be anywhere.
        days = None if removed_ids else of_days(pl.concat([new["first_listed_date"], lake_gold.listed_days(lake, touched_ids)]))
        old = lake_gold.author_papers_of(lake, touched_ids, days)
        changed, gone = changed_author_papers(old, new)
        keys = sorted(set(old["author_key"].to_list()) | set(new["author_key"].to_list()))
        rows, recompute = author_deltas(lake_gold.authors_of_keys(lake, keys), old, new)
        if recompute:  # rare: from every paper of these authors, as author_papers will hold them after this load
            stored = lake_gold.author_papers_of_keys(lake, sorted(recompute)).join(old.select(PAPER_PART), on=PAPER_PART, how="anti")
            rows = pl.concat([rows, authors_from(pl.concat([stored, new.filter(pl.col("author_key").is_in(sorted(recompute)))]))])
        removed_keys = sorted(recompute - set(rows["author_key"].to_list()))
        authors = _gate("authors", rows, commit, now)
        try:
            lake_gold.merge_authors(lake, authors.clean, removed_keys, commit, lake_gold.author_papers_version(lake) + 1, read_version)
        except lake_gold.AuthorsMoved:
            continue
        lake_gold.merge_author_papers(lake, changed, gone, days, commit)
        updated.author_count, updated.removed_author_count = authors.clean.height, len(removed_keys)
        return authors
    raise writes.LakeWriteError(f"table 'authors' in {lake.uri}: concurrent loads kept moving it for {AUTHOR_ROUNDS} rounds")


def _update_topics(lake: Lake, weeks: list[date], commit, now, _gate):
    """The topic rows of these weeks from every sighting and paper in them, gated and merged; returns
    the gate result. Computed again on each commit attempt (see lake/gold.py merge_topics)."""
    gated = []

    def rows_of() -> pl.DataFrame:
        week_sightings = lake_gold.sightings_in_weeks(lake, weeks)
        facts = lake_gold.paper_facts(lake, week_sightings["paper_id"].unique().to_list())
        gated[:] = [_gate("topics", topics_from(facts, week_sightings), commit, now)]
        return gated[0].clean

    lake_gold.merge_topics(lake, rows_of, weeks, commit)
    return gated[0]


def _still_ahead(lake: Lake) -> bool:
    """`authors` ahead of `author_papers`, and still so after a concurrent step had time to catch up."""
    deadline = time.monotonic() + AHEAD_WAIT_SECONDS
    while lake_gold.authors_ahead(lake):
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.2)
    return False


def rebuild_gold(
    lake: Lake, commit: writes.CommitInfo, now: datetime | None = None, validate: bool = True, unless_written_after: int | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The gold tables from every paper and sighting, gated, overwritten in one commit each; returns the
    `authors` and `topics` written (`author_papers` is not gated: its rows are the authors rows' parts).
    `unless_written_after`: see lake/gold.py replace_all (GoldMoved: nothing written)."""
    now = now or datetime.now(timezone.utc)
    _gate = _gate_rows if validate else _ungated
    papers, sightings = lake_gold.all_papers_and_sightings(lake)
    entries = author_papers(papers, sightings)
    authors = _gate("authors", authors_from(entries), commit, now)
    topics = _gate("topics", topics_from(papers, sightings), commit, now)
    table_setup.ensure_tables(lake)
    lake_gold.replace_all(lake, entries, authors.clean, topics.clean, commit, unless_written_after)
    for held in (authors.quarantined, topics.quarantined):
        quarantine_writes.store_quarantine(lake, held, commit)
    return authors.clean, topics.clean


def _ungated(table: str, rows: pl.DataFrame, commit: writes.CommitInfo, now: datetime):
    from expectations.gate_result import GateResult  # cheap: GX loads only when a batch is checked

    return GateResult(table, commit.feed or "all", now.date(), commit.run_id, rows.height, rows, pl.DataFrame())


def _gate_rows(table: str, rows: pl.DataFrame, commit: writes.CommitInfo, now: datetime):
    """The table's suite on the rows about to be merged; a batch rule broken here is a bug: the load stops."""
    from expectations.gate import gate_batch
    from expectations.gate_result import GateResult

    if rows.is_empty():  # nothing to check: spare the GX pass
        return GateResult(table, commit.feed or "all", now.date(), commit.run_id, 0, rows, pl.DataFrame())
    day = max(commit.snapshot_dates) if commit.snapshot_dates else now.date()
    gated = gate_batch(table, rows, feed=commit.feed or "all", snapshot_date=day, run_id=commit.run_id, today=now.date(), quarantined_at=now)
    gated.raise_if_rejected()
    return gated
