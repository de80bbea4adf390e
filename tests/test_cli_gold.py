"""`paperlake authors` and `paperlake topics` on the scenario lake (tests/explore_scenario.py), and the
report's author, topic and trajectory sections."""

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from paperlake.cli import app
from tests.conftest import heavy_modules_after
from tests.explore_scenario import A, B, write_scenario

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    from lake.store import Lake

    return write_scenario(Lake(str(tmp_path_factory.mktemp("gold") / "lake")))


def ok(*args: str, lake) -> str:
    result = runner.invoke(app, [*args, "--lake", lake.uri])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_authors_ranks_by_papers_then_listings_then_upvotes(scenario):
    rows = json.loads(ok("authors", "--format", "json", lake=scenario.lake))
    # Ana Ruiz: A's 9 listings (hf_daily 1-7, arxiv 1 and 5) and B's 3; Bo Li: A's 9 and D's 1.
    assert [(r["display_name"], r["paper_count"], r["listing_count"], r["upvote_count"]) for r in rows] == [
        ("Ana Ruiz", 2, 12, 64), ("Bo Li", 2, 10, 23), ("Chen Xu", 1, 3, 41), ("Dara Okafor", 1, 1, 2), ("Émile Moreau", 1, 1, 0),
    ]
    assert rows[0]["first_listed_date"] == "2024-03-01" and rows[-1]["author_key"] == "emile moreau"
    by_upvotes = ok("authors", "--sort", "upvotes", "--format", "csv", lake=scenario.lake).splitlines()
    assert by_upvotes[0].startswith("display_name,paper_count") and by_upvotes[1].startswith("Ana Ruiz,") and by_upvotes[2].startswith("Chen Xu,")


def test_authors_of_a_window_count_only_what_was_listed_in_it(scenario):
    rows = json.loads(ok("authors", "--since", "2024-03-06", "--format", "json", lake=scenario.lake))
    # Days 6-7: A (Ana Ruiz, Bo Li) on hf_daily both days, C (Dara Okafor) on day 7; B and D are outside.
    assert {r["display_name"]: (r["paper_count"], r["listing_count"]) for r in rows} == {
        "Ana Ruiz": (1, 2), "Bo Li": (1, 2), "Dara Okafor": (1, 1)
    }


def test_authors_by_name_ignores_accents_and_case(scenario):
    rows = json.loads(ok("authors", "--name", "EMILE", "--format", "json", lake=scenario.lake))
    assert [r["display_name"] for r in rows] == ["Émile Moreau"]
    result = runner.invoke(app, ["authors", "--name", "nobody", "--lake", scenario.lake.uri])
    assert result.exit_code == 0 and "no author matches 'nobody'" in result.stderr


def test_topics_per_week_and_rising(scenario):
    weekly = pl.read_csv(ok("topics", "--weeks", "2", "--format", "csv", lake=scenario.lake).encode())
    assert set(weekly["week_start_date"]) == {"2024-02-26", "2024-03-04"}
    cs_lg = weekly.filter(pl.col("topic") == "cs.LG").sort("week_start_date")
    assert cs_lg["paper_count"].to_list() == [2, 1] and cs_lg["kind"].to_list() == ["arxiv_category"] * 2  # A and D, then A
    rising = json.loads(ok("topics", "--rising", "--format", "json", lake=scenario.lake))
    assert rising[0] == {"kind": "arxiv_category", "topic": "cs.LG", "growth": 2.5, "recent_papers_per_week": 1.5, "earlier_papers_per_week": 0.0}
    keywords = json.loads(ok("topics", "--rising", "--kind", "hf_keyword", "--format", "json", lake=scenario.lake))
    assert {r["kind"] for r in keywords} == {"hf_keyword"} and "counting" in {r["topic"] for r in keywords}


def test_topics_refuse_an_unknown_kind_and_a_lake_without_the_table(scenario, tmp_path):
    result = runner.invoke(app, ["topics", "--kind", "venue", "--lake", scenario.lake.uri])
    assert result.exit_code == 2 and "'venue' is not one of arxiv_category, hf_keyword" in result.stderr
    from lake.store import Lake
    from lake import table_setup
    from lake.schemas import SNAPSHOTS

    old = Lake(str(tmp_path / "old"))
    table_setup._create(old, SNAPSHOTS)  # a lake from before the gold tables
    result = runner.invoke(app, ["authors", "--lake", old.uri])
    assert result.exit_code == 1 and "has no 'authors' table yet: the next load builds it" in result.stderr
    assert "Traceback" not in result.output


def test_authors_writes_parquet_and_reads_without_prefect_or_gx(scenario, tmp_path):
    out = tmp_path / "authors.parquet"
    ok("authors", "--out", str(out), lake=scenario.lake)
    assert pl.read_parquet(out).height == 5
    assert heavy_modules_after(["authors"], ["topics", "--rising"], lake_uri=scenario.lake.uri) == []


def test_the_report_shows_top_authors_rising_topics_and_one_papers_trajectory(scenario, tmp_path):
    page = tmp_path / "report.html"
    ok("report", "--out", str(page), "--paper", A, lake=scenario.lake)
    text = page.read_text()
    for chart in ("top-authors", "rising-topics", "upvote-trajectory"):
        assert f'data-chart="{chart}"' in text
    assert "Ana Ruiz" in text and "cs.LG" in text and f"Sparse Mixture Routing at Scale ({A})" in text
    ok("report", "--out", str(page), lake=scenario.lake)  # default: the most upvoted paper of the window
    assert f"Counting Cats in Satellite Images ({B})" in page.read_text()


def test_a_confirmed_merge_moves_the_authors_and_topics_too(tmp_path):
    from lake.store import Lake
    from tests.explore_scenario import D
    from transforms.gold import author_papers, authors_from, topics_from

    lake = write_scenario(Lake(str(tmp_path / "lake")), quarantined=False).lake
    result = runner.invoke(app, ["dupes", "--merge", A, D, "--lake", lake.uri])
    assert result.exit_code == 0, result.output
    papers, sightings = lake.read("papers"), lake.read("sightings")
    assert D not in papers["paper_id"].to_list()
    assert lake.read("authors").sort("author_key").equals(authors_from(author_papers(papers, sightings)))
    assert lake.read("author_papers").sort("paper_id", "author_key").equals(author_papers(papers, sightings).sort("paper_id", "author_key"))
    assert lake.read("topics").sort("week_start_date", "kind", "topic").equals(topics_from(papers, sightings).sort("week_start_date", "kind", "topic"))
    # The merged paper lists the authors of its latest observation (A's): D's author has no paper left.
    authors = {r["author_key"]: r["paper_count"] for r in lake.read("authors").to_dicts()}
    assert "emile moreau" not in authors and authors["bo li"] == 1
