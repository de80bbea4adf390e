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
