from datetime import date

import polars as pl

from transforms.papers import summarize_papers
from transforms.sightings import to_sightings


def parsed(rows):
    return pl.DataFrame(rows, schema_overrides={"snapshot_date": pl.Date, "rank": pl.Int32})


def test_a_paper_twice_on_one_page_is_one_sighting_at_its_best_rank():
    sightings = to_sightings(
        parsed(
            [
                {"snapshot_id": "s1", "feed": "archive", "snapshot_date": date(2024, 3, 11), "rank": 1, "title": "A Paper", "abstract": "x"},
                {"snapshot_id": "s1", "feed": "archive", "snapshot_date": date(2024, 3, 11), "rank": 2, "title": "B Paper", "abstract": "y"},
                {"snapshot_id": "s1", "feed": "archive", "snapshot_date": date(2024, 3, 11), "rank": 3, "title": "a paper!", "abstract": "x"},
            ]
        )
    )
    assert sightings.sort("rank")[["title", "rank"]].rows() == [("A Paper", 1), ("B Paper", 2)]


def test_days_seen_counts_distinct_days_and_latest_title_wins():
    rows = [
        ("s1", date(2024, 3, 11), "Old Title", "v1 abstract"),
        ("s2", date(2024, 3, 11), "Old Title", "v1 abstract"),  # second snapshot, same day
        ("s3", date(2024, 3, 13), "OLD TITLE", "v2 abstract"),
    ]
    sightings = to_sightings(
        parsed(
            [
                {"snapshot_id": s, "feed": "archive", "snapshot_date": d, "rank": 1, "title": t, "abstract": a}
                for s, d, t, a in rows
            ]
        )
    )
    [paper] = summarize_papers(sightings).to_dicts()
    assert paper["first_seen_date"] == date(2024, 3, 11)
    assert paper["last_seen_date"] == date(2024, 3, 13)
    # Listings, not fetches: the two snapshots of the 11th are one listing.
    assert (paper["days_seen"], paper["sighting_count"]) == (2, 2)
    assert (paper["title"], paper["abstract"]) == ("OLD TITLE", "v2 abstract")
    assert paper["feeds"] == ["archive"]
    assert paper["arxiv_id"] is None


def test_arxiv_fields_come_from_the_newest_version_and_hf_fields_from_the_latest_fetch():
    from datetime import datetime, timezone

    def at(day):
        return datetime(2025, 1, day, 8, tzinfo=timezone.utc)

    base = {"feed": "arxiv", "rank": 1, "title": "A Paper", "arxiv_id": "2501.00001", "authors": ["Ana Ruiz", "Bo Li"]}
    rows = [
        {**base, "snapshot_id": "v1", "snapshot_date": date(2025, 1, 2), "arxiv_version": 1, "version_date": date(2025, 1, 1),
         "primary_category": "cs.LG", "categories": ["cs.LG"], "arxiv_comment": "9 pages", "fetched_at": at(2)},
        {**base, "snapshot_id": "v2", "snapshot_date": date(2025, 1, 9), "arxiv_version": 2, "version_date": date(2025, 1, 8),
         "primary_category": "cs.LG", "categories": ["cs.LG", "stat.ML"], "journal_ref": "ICML 2025", "doi": "10.1/x",
         "authors": ["Ana Ruiz", "Bo Li", "Cy Ng"], "fetched_at": at(9)},
        {**base, "feed": "hf_daily", "snapshot_id": "h1", "snapshot_date": date(2025, 1, 3), "upvotes": 3,
         "github_repo": "https://github.com/a/b", "ai_keywords": ["moe"], "fetched_at": at(3)},
        {**base, "feed": "hf_daily", "snapshot_id": "h2", "snapshot_date": date(2025, 1, 3), "upvotes": 7,
         "ai_keywords": ["moe", "scaling laws"], "fetched_at": at(5)},
    ]
    frame = pl.DataFrame(rows, schema_overrides={"snapshot_date": pl.Date, "rank": pl.Int32, "arxiv_version": pl.Int32}, infer_schema_length=None)
    [paper] = summarize_papers(to_sightings(frame)).to_dicts()
    assert paper["authors"] == ["Ana Ruiz", "Bo Li", "Cy Ng"]  # the latest observation listing authors (v2, fetched last)
    assert (paper["primary_category"], paper["categories"]) == ("cs.LG", ["cs.LG", "stat.ML"])
    assert paper["arxiv_comment"] is None  # v2 has none: a dropped comment is dropped
    assert (paper["journal_ref"], paper["doi"]) == ("ICML 2025", "10.1/x")
    assert paper["github_repo"] is None and paper["keywords"] == ["moe", "scaling laws"]  # the latest HF fetch's
    assert paper["upvotes"] == 7
