"""Writes and reads of `papers`: the MERGE (whole, or of changed rows only) and the title lookups."""

from datetime import date

import polars as pl

from lake import papers as lake_papers
from lake import table_setup, writes
from lake.schemas import PAPERS

COMMIT = writes.CommitInfo(operation="test", run_id="run-1", feed="archive", snapshot_dates=(date(2024, 3, 11), date(2024, 3, 13)))


def test_upsert_updates_matched_and_inserts_new_papers(lake):
    table_setup.ensure_tables(lake)

    def paper(pid: str, days: int):
        return {"paper_id": pid, "title": pid.upper(), "title_key": pid, "first_seen_date": date(2024, 3, 11),
                "last_seen_date": date(2024, 3, 11), "days_seen": days, "sighting_count": days, "feeds": ["archive"]}

    lake_papers.upsert_papers(lake, pl.DataFrame([paper("a", 1), paper("b", 1)]), COMMIT)
    metrics = lake_papers.upsert_papers(lake, pl.DataFrame([paper("b", 2), paper("c", 1)]), COMMIT)
    assert (metrics["num_target_rows_inserted"], metrics["num_target_rows_updated"]) == (1, 1)
    papers = lake.read("papers").sort("paper_id")
    assert papers[["paper_id", "days_seen"]].rows() == [("a", 1), ("b", 2), ("c", 1)]
    assert papers.schema == PAPERS.polars_schema


def test_title_lookups_read_only_the_keys_asked_for(lake):
    table_setup.ensure_tables(lake)
    def paper(paper_id: str, title_key: str) -> dict:
        return {"paper_id": paper_id, "arxiv_id": None if paper_id.startswith("title:") else paper_id, "title": title_key,
                "title_key": title_key, "first_seen_date": date(2024, 3, 11), "last_seen_date": date(2024, 3, 11),
                "days_seen": 1, "sighting_count": 1, "feeds": ["archive"]}

    papers = [paper("2403.00001", "a study"), paper("2403.00002", "another study"), paper("title:0abc", "a study"), paper("title:0def", "unrelated")]
    lake_papers.upsert_papers(lake, pl.DataFrame(papers), COMMIT)
    assert lake_papers.arxiv_titles(lake, []).rows() == []
    assert lake_papers.arxiv_titles(lake, ["a study", "unrelated"]).rows() == [("a study", "2403.00001")]
    found = lake_papers.papers_with_title_keys(lake, ["a study", "another study"], id_prefix="title:")
    assert found.rows() == [("title:0abc", "a study")]
    assert sorted(lake_papers.papers_with_title_keys(lake, ["a study"])["paper_id"]) == ["2403.00001", "title:0abc"]


def _paper(pid: str, days: int, day: date = date(2024, 3, 11)) -> dict:
    return {"paper_id": pid, "title": pid.upper(), "title_key": pid, "first_seen_date": day,
            "last_seen_date": day, "days_seen": days, "sighting_count": days, "feeds": ["archive"]}


def test_a_papers_merge_of_changed_rows_only_holds_what_a_whole_merge_holds(lake, tmp_path):
    """A refetched day re-summarizes every paper it lists: the rows as they were are left out of the
    MERGE, which then rewrites only the file of the changed paper, and commits nothing when none changed."""
    from lake.store import Lake

    whole = Lake(str(tmp_path / "whole"))
    for the_lake in (lake, whole):
        table_setup.ensure_tables(the_lake)
        for month in (1, 2, 3):  # one file per month of first sightings, like a lake's recent files
            rows = [_paper(f"24{month:02d}.{n:05d}", 1, date(2024, month, 11)) for n in range(3)]
            lake_papers.upsert_papers(the_lake, pl.DataFrame(rows), COMMIT)
    files_before = set(lake.delta("papers").file_uris())
    refetched = [_paper(f"24{month:02d}.{n:05d}", 1, date(2024, month, 11)) for month in (1, 2, 3) for n in range(3)]
    refetched[4] = _paper("2402.00001", 2, date(2024, 2, 11))  # one paper listed again
    refetched.append(_paper("2403.00099", 1, date(2024, 3, 11)))  # and a new one

    metrics = lake_papers.upsert_papers(lake, pl.DataFrame(refetched), COMMIT, skip_unchanged=True)
    lake_papers.upsert_papers(whole, pl.DataFrame(refetched), COMMIT)

    assert (metrics["num_target_rows_inserted"], metrics["num_target_rows_updated"]) == (1, 1)
    assert sorted(metrics["changed_paper_ids"]) == ["2402.00001", "2403.00099"] and len(metrics["stored_paper_ids"]) == 9
    assert lake.read("papers").sort("paper_id").equals(whole.read("papers").sort("paper_id"))
    assert lake.read("papers").height == 10 == lake.read("papers")["paper_id"].n_unique()  # nothing doubled
    rewritten = files_before - set(lake.delta("papers").file_uris())
    assert len(rewritten) == 1  # February's file; January's and March's stay as they were

    version = lake.delta("papers").version()
    again = lake_papers.upsert_papers(lake, pl.DataFrame(refetched), COMMIT, skip_unchanged=True)
    assert again["changed_paper_ids"] == [] and lake.delta("papers").version() == version  # no commit at all
    assert lake.read("papers").sort("paper_id").equals(whole.read("papers").sort("paper_id"))


def test_a_load_listing_a_paper_first_seen_years_ago_opens_no_file_of_the_years_between(lake, monkeypatch):
    """Its papers rows come from the sightings of the days its papers were seen, and its MERGE reads
    the files of their first_seen_dates: not every file since the old paper's first day (on a
    ten-year lake, a 2022 paper among two months of 2025 made one load's MERGE peak at 3.5 GB)."""
    from lake.store import Lake
    from tests.conftest import assert_keys_unique, hide_files_between, lake_of_years, land_load, listing, put_back
    from transforms.papers import summarize_papers

    lake_of_years(lake, gold=False)
    load_day = date(2024, 3, 11)
    old_id = "1901.00002"  # first seen 2019-01-14, seen again on the 15th: listed now, five years on
    load = pl.DataFrame([listing(paper_id, load_day, rank, "hf_daily", upvotes=rank) for rank, paper_id in enumerate((old_id, "2403.00001", "2403.00002"), 1)])
    hidden = hide_files_between(lake, date(2020, 1, 1), date(2023, 12, 31))
    assert set(hidden) == {"sightings", "papers"}  # the three middle years' files of both
    monkeypatch.setattr(Lake, "_check_files", lambda *args: None)

    for _ in range(2):  # the load, then the same load again (a rerun): nothing doubles
        written = land_load(lake, load, gold=False)
        assert sorted(written.papers["paper_id"]) == sorted(load["paper_id"])

    put_back(hidden)
    expected = PAPERS.conform(summarize_papers(lake.read("sightings"))).sort("paper_id")
    assert lake.read("papers").sort("paper_id").equals(expected)
    old = lake.read("papers").filter(pl.col("paper_id") == old_id).row(0, named=True)
    assert (old["first_seen_date"], old["last_seen_date"], old["days_seen"], old["feeds"]) == (date(2019, 1, 14), load_day, 3, ["arxiv", "hf_daily"])
    assert_keys_unique(lake)
