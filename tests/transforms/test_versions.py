"""summarize_papers with arXiv versions and withdrawals: one row per paper, the newest version's text."""

from datetime import date, datetime, timezone

import polars as pl

from lake.schemas import SIGHTINGS
from transforms.papers import summarize_papers

PAPER = "2403.10001"


def sighting(snapshot_id: str, day: int, *, version: int | None = None, version_day: int | None = None, feed: str = "arxiv",
             title: str = "A Title", abstract: str | None = "An abstract long enough.", withdrawn: datetime | None = None, rank: int = 1) -> dict:
    return {
        "snapshot_id": snapshot_id, "paper_id": PAPER, "arxiv_id": PAPER, "feed": feed, "snapshot_date": date(2024, 3, day),
        "rank": rank, "title": title, "abstract": abstract, "title_key": title.lower(), "arxiv_version": version,
        "version_date": date(2024, 3, version_day) if version_day else None, "withdrawn_at": withdrawn,
    }


def summary(*rows: dict) -> dict:
    [paper] = summarize_papers(SIGHTINGS.conform(pl.DataFrame(list(rows), schema_overrides=SIGHTINGS.polars_schema))).to_dicts()
    return paper


def test_v2_title_and_abstract_win_and_each_version_is_counted():
    paper = summary(
        sighting("s1", 11, version=1, version_day=10, title="Old Title", abstract="The v1 abstract, long enough."),
        sighting("s2", 14, version=2, version_day=13, title="New Title", abstract="The v2 abstract, long enough."),
    )
    assert (paper["title"], paper["abstract"], paper["title_key"]) == ("New Title", "The v2 abstract, long enough.", "new title")
    assert (paper["latest_version"], paper["version_count"], paper["withdrawn_at"]) == (2, 2, None)
    assert (paper["first_seen_date"], paper["last_seen_date"], paper["days_seen"]) == (date(2024, 3, 11), date(2024, 3, 14), 2)


def test_the_newest_version_wins_whatever_day_it_was_listed_on():
    # A backfill lists v2 under an old day and a stale copy of v1 under a later one.
    paper = summary(
        sighting("s1", 11, version=2, version_day=13, title="New Title"),
        sighting("s2", 20, version=1, version_day=10, title="Old Title"),
    )
    assert paper["title"] == "New Title"
    assert paper["last_seen_date"] == date(2024, 3, 20)


def test_ties_break_the_same_way_in_any_row_order():
    rows = [
        sighting("s1", 11, version=2, version_day=11, title="Version Two"),
        sighting("s2", 11, version=1, version_day=11, title="Version One"),  # same day: the higher version wins
        sighting("s3", 11, feed="hf_daily", title="Unversioned Same Day"),  # no version: loses the tie
    ]
    assert summary(*rows)["title"] == summary(*reversed(rows))["title"] == "Version Two"
    same_version = [sighting("s9", 12, version=1, version_day=12, title="Snapshot s9"), sighting("s1", 12, version=1, version_day=12, title="Snapshot s1")]
    assert summary(*same_version)["title"] == summary(*reversed(same_version))["title"] == "Snapshot s9"  # then snapshot_id


def test_a_listed_version_beats_later_listings_without_one():
    # A saved page (or the daily list) after v1 may carry a typo or a stale title: the version is the paper's text.
    paper = summary(
        sighting("s1", 11, version=1, version_day=10, title="Sparse Routing"),
        sighting("s2", 30, feed="archive", title="Sparse Routnig"),
    )
    assert paper["title"] == "Sparse Routing"
    assert (paper["latest_version"], paper["version_count"], paper["last_seen_date"]) == (1, 1, date(2024, 3, 30))


def test_feeds_without_versions_fall_back_to_the_latest_sighting():
    paper = summary(sighting("s1", 11, feed="archive", title="First"), sighting("s2", 12, feed="archive", title="Second"))
    assert paper["title"] == "Second"
    assert (paper["latest_version"], paper["version_count"]) == (None, 0)


def test_frames_from_a_lake_without_version_columns_still_summarize():
    frame = SIGHTINGS.conform(pl.DataFrame([sighting("s1", 11, feed="archive")], schema_overrides=SIGHTINGS.polars_schema))
    [paper] = summarize_papers(frame.drop("version_date", "arxiv_version", "withdrawn_at")).to_dicts()
    assert paper["title"] == "A Title" and paper["latest_version"] is None


WITHDRAWN_AT = datetime(2024, 3, 15, 9, 0, tzinfo=timezone.utc)


def test_an_arxiv_withdrawal_marks_the_paper_and_keeps_its_last_real_text():
    paper = summary(
        sighting("s1", 11, version=1, version_day=10, title="Real Title", abstract="The real abstract, long enough."),
        sighting("s2", 16, version=2, version_day=15, title="Real Title", abstract="This paper has been withdrawn by the authors.", withdrawn=WITHDRAWN_AT),
    )
    assert paper["withdrawn_at"] == WITHDRAWN_AT
    assert paper["abstract"] == "The real abstract, long enough."
    assert (paper["latest_version"], paper["version_count"]) == (2, 2)


def test_an_hf_withdrawal_marks_the_paper():
    paper = summary(sighting("s1", 11, feed="hf_daily"), sighting("s2", 16, feed="hf_daily", withdrawn=WITHDRAWN_AT, title="Kept"))
    assert paper["withdrawn_at"] == WITHDRAWN_AT and paper["title"] == "Kept"


def test_a_version_after_the_withdrawal_reinstates_the_paper():
    paper = summary(
        sighting("s1", 16, version=2, version_day=15, abstract="This paper has been withdrawn by the authors.", withdrawn=WITHDRAWN_AT),
        sighting("s2", 20, version=3, version_day=19, title="Back Again", abstract="A resubmitted abstract, long enough."),
    )
    assert paper["withdrawn_at"] is None
    assert (paper["title"], paper["latest_version"]) == ("Back Again", 3)


def test_only_a_withdrawal_notice_is_still_a_paper():
    paper = summary(sighting("s1", 16, version=1, version_day=15, abstract="Withdrawn by the author.", withdrawn=WITHDRAWN_AT))
    assert paper["abstract"] == "Withdrawn by the author." and paper["withdrawn_at"] == WITHDRAWN_AT
