"""flows/gold_update.py: the gold step of a load reads and merges only what the load's papers touch."""

from __future__ import annotations

from datetime import date

import polars as pl

from tests.conftest import assert_keys_unique, hide_files_between, lake_of_years, land_load, listing, put_back
from transforms.gold import author_papers, authors_from, topics_from


def test_a_load_listing_a_paper_first_seen_years_ago_opens_no_gold_file_of_the_years_between(lake, monkeypatch):
    """The old paper's author_papers rows are read and merged in the files of their first listing,
    not in every file listed since (on a ten-year lake that MERGE alone read ten of 23 files, 5.7 M
    rows, for one paper of 2022); the rows still equal a rebuild from every paper and sighting."""
    from lake.store import Lake

    lake_of_years(lake)
    load_day = date(2024, 3, 11)
    old_id = "1901.00002"  # its authors' rows were first listed 2019-01-14
    load = pl.DataFrame([listing(paper_id, load_day, rank, "hf_daily", upvotes=rank) for rank, paper_id in enumerate((old_id, "2403.00001"), 1)])
    hidden = hide_files_between(lake, date(2020, 1, 1), date(2023, 12, 31))
    assert set(hidden) == {"sightings", "papers", "author_papers"}
    monkeypatch.setattr(Lake, "_check_files", lambda *args: None)

    for _ in range(2):  # the load, then the same load again (a rerun): nothing doubles
        land_load(lake, load)

    put_back(hidden)
    papers, sightings = lake.read("papers"), lake.read("sightings")
    parts = author_papers(papers, sightings)
    assert lake.read("author_papers").sort("paper_id", "author_key").equals(parts.sort("paper_id", "author_key"))
    assert lake.read("authors").sort("author_key").equals(authors_from(parts).sort("author_key"))
    topics = topics_from(papers, sightings).sort("week_start_date", "kind", "topic")
    assert lake.read("topics").sort("week_start_date", "kind", "topic").equals(topics)
    ana = lake.read("authors").filter(pl.col("author_key") == "ana ruiz").row(0, named=True)
    assert (ana["paper_count"], ana["first_listed_date"], ana["last_listed_date"]) == (13, date(2019, 1, 14), load_day)
    assert_keys_unique(lake)
