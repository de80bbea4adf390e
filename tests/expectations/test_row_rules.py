"""Each row rule: a small malformed input trips it, the row goes to quarantine with a reason that
names the rule, the feed and the date, and the other rows are committed untouched."""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

import polars as pl
import pytest

from expectations.quarantine import rows_from_json
from expectations.suites import SUITES
from lake.schemas import QUARANTINE, TABLES

from .conftest import CLEAN_BATCHES, FEED, NOW, RUN_ID, SNAPSHOT_DATE, assert_accounted, gate


class Case(NamedTuple):
    table: str
    rule: str
    changes: dict[str, Any]
    says: str  # a fragment the reason must contain
    position: int = 1


def with_cells(batch: pl.DataFrame, position: int, changes: dict[str, Any]) -> pl.DataFrame:
    rows = batch.to_dicts()
    rows[position] |= changes
    return pl.DataFrame(rows, schema=batch.schema)


CASES = [
    # sightings
    Case("sightings", "title_length", {"title": "x" * 3000}, "title is 3000 characters long"),
    Case("sightings", "title_length", {"title": "ab"}, "title is 2 characters long"),
    Case("sightings", "title_boilerplate", {"title": "Subscribe"}, "title 'Subscribe' is a page header"),
    Case("sightings", "title_boilerplate", {"title": "new"}, "title 'new' is a page header"),
    Case("sightings", "title_boilerplate", {"title": "Mar 11"}, "title 'Mar 11' is a page header"),
    Case("sightings", "title_boilerplate", {"title": "Get trending papers in your email inbox!"}, "page header"),
    Case("sightings", "abstract_length", {"abstract": "Too short."}, "abstract is 10 characters long"),
    Case("sightings", "abstract_length", {"abstract": "word " * 1200}, "abstract is 6000 characters long"),
    Case("sightings", "arxiv_id_format", {"arxiv_id": "2403.00987v2", "paper_id": "2403.00987v2"}, "arxiv_id '2403.00987v2' is not an arXiv id"),
    Case("sightings", "arxiv_id_format", {"arxiv_id": "hep-th/9901001v3"}, "'hep-th/9901001v3'"),
    Case("sightings", "arxiv_id_format", {"arxiv_id": "2413.00987"}, "'2413.00987'"),
    Case("sightings", "arxiv_id_format", {"arxiv_id": "arXiv:2403.00987"}, "'arXiv:2403.00987'"),
    Case("sightings", "paper_id_format", {"paper_id": "title:not-a-hash"}, "paper_id 'title:not-a-hash' is not", position=4),
    Case("sightings", "paper_id_is_arxiv_id", {"paper_id": "2403.09999"}, "paper_id '2403.09999' differs from arxiv_id '2403.00987'"),
    Case("sightings", "rank_positive", {"rank": 0}, "rank is 0; it must be at least 1"),
    Case("sightings", "upvotes_non_negative", {"upvotes": -1}, "upvotes is -1; it must be at least 0"),
    Case("sightings", "comment_count_non_negative", {"comment_count": -2}, "comment_count is -2"),
    Case("sightings", "snapshot_date_range", {"snapshot_date": date(2026, 11, 11)}, "snapshot_date is '2026-11-11'; it must be between 1991-01-01 and 2026-11-10"),
    Case("sightings", "snapshot_date_range", {"snapshot_date": date(1990, 12, 31)}, "snapshot_date is '1990-12-31'"),
    Case("sightings", "published_date_range", {"published_date": date(2031, 1, 1)}, "published_date is '2031-01-01'"),
    # Far outside what pandas' nanosecond datetimes hold (GX is given those): still caught, the date as written.
    Case("sightings", "published_date_range", {"published_date": date(1, 1, 1)}, "published_date is '0001-01-01'"),
    Case("sightings", "published_date_range", {"published_date": date(9999, 12, 31)}, "published_date is '9999-12-31'"),
    # papers
    Case("papers", "title_boilerplate", {"title": "Subscribe"}, "title 'Subscribe'"),
    Case("papers", "arxiv_id_format", {"arxiv_id": "2403.00987v1", "paper_id": "2403.00987v1"}, "'2403.00987v1'"),
    Case("papers", "title_length", {"title": "x" * 3000}, "title is 3000 characters long"),
    Case("papers", "abstract_length", {"abstract": "Too short."}, "abstract is 10 characters long"),
    Case("papers", "paper_id_format", {"paper_id": "2403.00987.1", "arxiv_id": None}, "paper_id '2403.00987.1' is not"),
    Case("papers", "paper_id_is_arxiv_id", {"paper_id": "2403.09999"}, "paper_id '2403.09999' differs from arxiv_id '2403.00987'"),
    Case("papers", "first_seen_date_range", {"first_seen_date": date(1990, 1, 1)}, "first_seen_date is '1990-01-01'"),
    Case("papers", "last_seen_date_range", {"last_seen_date": date(2027, 1, 1)}, "last_seen_date is '2027-01-01'"),
    Case("papers", "seen_dates_ordered", {"last_seen_date": date(2024, 3, 10)}, "last_seen_date '2024-03-10' is less than first_seen_date '2024-03-11'"),
    Case("papers", "days_seen_positive", {"days_seen": 0}, "days_seen is 0"),
    Case("papers", "sighting_count_covers_days", {"sighting_count": 1}, "sighting_count 1 is less than days_seen 2"),
    # snapshots
    Case("snapshots", "snapshot_id_format", {"snapshot_id": "not-a-sha256"}, "snapshot_id 'not-a-sha256' is not a sha256"),
    Case("snapshots", "snapshot_date_range", {"snapshot_date": date(2027, 3, 11)}, "'2027-03-11'"),
    Case("snapshots", "byte_count_non_negative", {"byte_count": -1}, "byte_count is -1"),
    Case("snapshots", "row_count_non_negative", {"row_count": -1}, "row_count is -1"),
    Case("snapshots", "parse_status_known", {"parse_status": "parsed"}, "parse_status 'parsed' is not one of pending, ok, partial, failed"),
    # the gold tables (issue 15)
    Case("authors", "paper_count_positive", {"paper_count": 0}, "paper_count is 0; it must be at least 1"),
    Case("authors", "listings_cover_papers", {"listing_count": 0}, "listing_count 0 is less than paper_count"),
    Case("authors", "first_listed_date_range", {"first_listed_date": date(2027, 1, 1)}, "first_listed_date is '2027-01-01'"),
    Case("authors", "listed_dates_ordered", {"last_listed_date": date(2024, 3, 1)}, "last_listed_date '2024-03-01' is less than first_listed_date"),
    Case("authors", "upvote_count_non_negative", {"upvote_count": -1}, "upvote_count is -1"),
    Case("topics", "kind_known", {"kind": "venue"}, "kind 'venue' is not one of arxiv_category, hf_keyword"),
    Case("topics", "paper_count_positive", {"paper_count": 0}, "paper_count is 0"),
    Case("topics", "listings_cover_papers", {"listing_count": 0, "paper_count": 1}, "listing_count 0 is less than paper_count 1"),
    Case("topics", "week_range", {"week_start_date": date(1990, 1, 1)}, "week_start_date is '1990-01-01'"),
    Case("topics", "upvote_count_non_negative", {"upvote_count": -5}, "upvote_count is -5"),
]
# A null in each column lake/schemas.py marks required.
CASES += [
    Case(table, f"{column}_not_null", {column: None}, f"{column} is missing (null)")
    for table, spec in TABLES.items()
    if table in SUITES
    for column in spec.required_columns
]


def case_id(case: Case) -> str:
    return f"{case.table}-{case.rule}-{next(iter(case.changes.values()))!r:.20}"


def test_every_row_rule_has_a_malformed_input():
    covered = {(c.table, c.rule) for c in CASES}
    declared = {(s.table, r.name) for s in SUITES.values() for r in s.row_rules}
    assert declared - covered == set()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_a_row_breaking_a_rule_is_quarantined_and_the_rest_committed(case: Case):
    clean = CLEAN_BATCHES[case.table]()
    batch = with_cells(clean, case.position, case.changes)

    result = gate(case.table, batch)

    assert result.passed, result.batch_failures
    assert_accounted(result)
    assert result.clean.equals(clean.filter(pl.int_range(pl.len()) != case.position))
    assert result.quarantined.schema == QUARANTINE.polars_schema
    [held] = result.quarantined.to_dicts()
    assert held["rule"] == case.rule
    assert held["table"] == case.table
    assert (held["feed"], held["snapshot_date"], held["run_id"], held["quarantined_at"]) == (FEED, SNAPSHOT_DATE, RUN_ID, NOW)
    assert case.rule in held["reason"] and FEED in held["reason"] and "2024-03-11" in held["reason"]
    assert case.says in held["reason"]
    # The row as it came in, nothing lost: it reads back to the very same typed row.
    assert rows_from_json(TABLES[case.table], [held["row_json"]]).equals(batch[case.position])
    assert result.rule_counts[case.rule] == 1
