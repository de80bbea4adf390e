"""The gold tables `authors` and `topics` after daily runs against the living world: each load's
incremental update equals a rebuild from every paper and sighting, and nothing doubles on a rerun."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from flows.daily import daily
from flows.gold_update import rebuild_gold
from lake import papers as lake_papers
from lake import table_setup, writes
from tests.conftest import assert_keys_unique
from tests.flows.live_fixtures import no_heartbeats  # noqa: F401
from tests.flows.living_fixtures import living, living_world, scheduled_at  # noqa: F401
from transforms.gold import author_key_expr, author_papers, authors_from, topics_from

pytestmark = pytest.mark.usefixtures("prefect_harness", "no_heartbeats")

DAYS = [date(2024, 3, 18) + timedelta(days=n) for n in range(4)]  # Monday to Thursday of the living world


def rebuilt(lake) -> tuple[pl.DataFrame, pl.DataFrame]:
    papers, sightings = lake.read("papers"), lake.read("sightings")
    return authors_from(author_papers(papers, sightings)), topics_from(papers, sightings)


def assert_gold_is_a_rebuild(lake) -> None:
    authors, topics = rebuilt(lake)
    assert lake.read("authors").sort("author_key").equals(authors.sort("author_key"))
    assert lake.read("topics").sort("week_start_date", "kind", "topic").equals(topics.sort("week_start_date", "kind", "topic"))
    parts = author_papers(lake.read("papers"), lake.read("sightings"))
    assert lake.read("author_papers").sort("paper_id", "author_key").equals(parts.sort("paper_id", "author_key"))


def test_daily_runs_keep_authors_and_topics_equal_to_a_rebuild(living, lake):
    # Each run at 06:00 the next day (lists still fill, counts still grow), then one after they settled.
    for day in DAYS:
        living.set_clock(scheduled_at(day + timedelta(days=1)))
        daily(day, lake_uri=lake.uri)
        assert_gold_is_a_rebuild(lake)
    living.set_clock(scheduled_at(DAYS[-1] + timedelta(days=20)))
    for day in DAYS:
        daily(day, lake_uri=lake.uri)
    assert_gold_is_a_rebuild(lake)
    assert_keys_unique(lake)

    papers, authors, topics = lake.read("papers"), lake.read("authors"), lake.read("topics")
    # What the world gave is in the papers rows: authors, categories with cross-lists, keywords.
    arxiv_papers = papers.filter(pl.col("feeds").list.contains("arxiv"))
    assert arxiv_papers["authors"].null_count() == 0 and arxiv_papers["primary_category"].null_count() == 0
    assert arxiv_papers.filter(pl.col("categories").list.len() > 1).height > 0
    assert papers.filter(pl.col("feeds").list.contains("hf_daily"))["keywords"].null_count() == 0
    assert papers["journal_ref"].drop_nulls().len() > 0 and papers["arxiv_comment"].drop_nulls().len() > 0
    # One row per distinct author key of the papers; an author's counts are their distinct papers.
    keys = papers.select(author_key_expr(pl.col("authors").explode()).alias("k")).drop_nulls().unique()
    assert authors.height == keys.height == authors["author_key"].n_unique()
    assert authors.filter(pl.col("paper_count") > 1).height > 0  # the world's authors write several papers
    parts = lake.read("author_papers")
    assert parts.group_by("author_key").len().sort("author_key")["len"].cast(pl.Int32).to_list() == authors.sort("author_key")["paper_count"].to_list()
    hf_upvotes = papers["upvotes"].fill_null(0).sum()
    assert 0 < hf_upvotes <= authors["upvote_count"].sum()  # each paper's upvotes count once per author
    assert set(topics["kind"].unique()) == {"arxiv_category", "hf_keyword"}
    assert topics.filter(pl.col("topic") == "cs.LG")["paper_count"].sum() > 0

    versions = {name: lake.delta(name).version() for name in ("authors", "author_papers", "topics")}
    for day in DAYS:  # the same answers again: nothing is loaded, nothing written
        daily(day, lake_uri=lake.uri)
    assert {name: lake.delta(name).version() for name in ("authors", "author_papers", "topics")} == versions

    rebuild_gold(lake, writes.CommitInfo("rebuild"))  # a full rebuild changes no row
    assert lake.read("authors").sort("author_key").equals(authors.sort("author_key"))
    assert lake.read("topics").sort("week_start_date", "kind", "topic").equals(topics.sort("week_start_date", "kind", "topic"))


def test_a_step_that_died_between_its_authors_and_author_papers_commits_is_repaired(tmp_path, monkeypatch):
    from datetime import datetime, timezone

    from flows.gold_update import update_gold_tables
    from lake import gold as lake_gold
    from lake.store import Lake
    from tests.explore_scenario import C, write_scenario

    lake = write_scenario(Lake(str(tmp_path / "lake")), quarantined=False).lake
    # A load moved Ana Ruiz's row, then died before its author_papers commit.
    ana = lake.read("authors").filter(pl.col("author_key") == "ana ruiz").with_columns(pl.col("paper_count") + 1)
    lake_gold.merge_authors(lake, ana, [], writes.CommitInfo("died"), lake_gold.author_papers_version(lake) + 1, lake_gold.authors_version(lake))
    assert lake_gold.authors_ahead(lake)
    monkeypatch.setattr("flows.gold_update.AHEAD_WAIT_SECONDS", 0.5)  # no concurrent step will catch up

    papers, sightings = lake.read("papers"), lake.read("sightings")
    retry = writes.CommitInfo("retry")
    update_gold_tables(lake, sightings.filter(pl.col("paper_id") == C), papers.filter(pl.col("paper_id") == C), [], retry, datetime.now(timezone.utc), validate=False)
    assert not lake_gold.authors_ahead(lake)
    assert_gold_is_a_rebuild(lake)


def test_authors_moved_by_a_concurrent_load_are_read_again(tmp_path, monkeypatch):
    from datetime import datetime, timezone

    from flows.gold_update import update_gold_tables
    from lake import gold as lake_gold
    from lake.store import Lake
    from tests.explore_scenario import A, write_scenario

    lake = write_scenario(Lake(str(tmp_path / "lake")), quarantined=False).lake
    papers, sightings = lake.read("papers"), lake.read("sightings")
    # The stored part of A says fewer upvotes, so this load has a delta to apply; a concurrent load
    # commits `authors` (and its author_papers) right after this one read them, once.
    parts = lake.read("author_papers")
    lake_gold.merge_author_papers(lake, parts.filter(pl.col("paper_id") == A).with_columns(upvotes=pl.lit(1, pl.Int32)), parts.head(0).select("paper_id", "author_key"), None, writes.CommitInfo("setup"))
    lake_gold.replace_authors(lake, authors_from(lake.read("author_papers")), writes.CommitInfo("setup"))
    reads = []
    original = lake_gold.authors_of_keys

    def read_then_a_concurrent_commit(lake_, keys):
        rows = original(lake_, keys)
        if not reads:
            lake_gold.merge_authors(lake_, rows.head(1), [], writes.CommitInfo("other"), lake_gold.author_papers_version(lake_), lake_gold.authors_version(lake_))
        reads.append(len(keys))
        return rows

    monkeypatch.setattr(lake_gold, "authors_of_keys", read_then_a_concurrent_commit)
    touched = sightings.filter(pl.col("paper_id") == A)
    update_gold_tables(lake, touched, papers.filter(pl.col("paper_id") == A), [], writes.CommitInfo("load"), datetime.now(timezone.utc), validate=False)
    assert len(reads) == 2  # the first round's deltas were computed again
    assert_gold_is_a_rebuild(lake)


def test_a_first_loads_whole_rebuild_yields_to_a_concurrent_load_that_filled_the_gold_tables(tmp_path, monkeypatch):
    from datetime import datetime, timezone

    from flows.gold_update import update_gold_tables
    from lake import gold as lake_gold
    from lake.store import Lake
    from tests.explore_scenario import scenario_sightings

    lake = Lake(str(tmp_path / "lake"))
    table_setup.ensure_tables(lake)
    everything = scenario_sightings()

    def land(n: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        return land_scenario_day(lake, everything, n)

    now = datetime.now(timezone.utc)
    first_sightings, first_papers = land(1)
    assert lake_gold.never_written(lake)
    original, concurrent = lake_gold.all_papers_and_sightings, []

    def read_then_a_concurrent_load_lands_and_fills_gold(lake_):
        read = original(lake_)  # day 1 only
        if not concurrent:
            concurrent.append(True)
            update_gold_tables(lake_, *land(2), [], writes.CommitInfo("other"), now, validate=False)  # rebuilds from days 1 and 2
        return read

    monkeypatch.setattr(lake_gold, "all_papers_and_sightings", read_then_a_concurrent_load_lands_and_fills_gold)
    update_gold_tables(lake, first_sightings, first_papers, [], writes.CommitInfo("load"), now, validate=False)
    assert concurrent
    assert lake.read("sightings")["snapshot_date"].n_unique() == 2
    # The stale whole rebuild (day 1 only) wrote nothing: day 2's papers and authors are all there.
    authors, _ = rebuilt(lake)
    assert sorted(lake.read("authors")["author_key"]) == sorted(authors["author_key"]) and "emile moreau" in authors["author_key"]
    assert set(lake.read("author_papers")["paper_id"]) == set(author_papers(lake.read("papers"), lake.read("sightings"))["paper_id"]) == {"2402.09999", "2403.00001"}


def land_scenario_day(lake, everything: pl.DataFrame, n: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Day n of the scenario's sightings and its papers written as a load writes them, before its gold
    step; returns what that step gets: every sighting so far of the day's papers, and their rows."""
    from lake.schemas import SIGHTINGS
    from tests.explore_scenario import day
    from transforms.papers import summarize_papers

    todays = everything.filter(pl.col("snapshot_date") == day(n))
    writes.append(lake, SIGHTINGS, todays, writes.CommitInfo("load", run_id=f"run-{n}"))
    so_far = everything.filter(pl.col("snapshot_date") <= day(n), pl.col("paper_id").is_in(todays["paper_id"].implode()))
    papers = summarize_papers(so_far)
    lake_papers.upsert_papers(lake, papers, writes.CommitInfo("load", run_id=f"run-{n}"))
    return so_far, papers


def test_a_load_whose_papers_a_later_load_listed_again_reads_their_sightings_again(tmp_path):
    """Load X lands day 3; before its gold step, load Y lands day 4 (the same papers A and B) and
    finishes. X's rows say nothing of day 4: merged as they are, they would undo Y's listings."""
    from datetime import datetime, timezone

    from flows.gold_update import update_gold_tables
    from lake.store import Lake
    from tests.explore_scenario import A, B, scenario_sightings

    lake = Lake(str(tmp_path / "lake"))
    table_setup.ensure_tables(lake)
    everything, now = scenario_sightings(), datetime.now(timezone.utc)
    for n in (1, 2):
        update_gold_tables(lake, *land_scenario_day(lake, everything, n), [], writes.CommitInfo("load"), now, validate=False)
    x_sightings, x_papers = land_scenario_day(lake, everything, 3)
    x_version = lake.delta("sightings").version()
    update_gold_tables(lake, *land_scenario_day(lake, everything, 4), [], writes.CommitInfo("other"), now, validate=False)

    update_gold_tables(lake, x_sightings, x_papers, [], writes.CommitInfo("load"), now, validate=False, sightings_version=x_version)

    assert_gold_is_a_rebuild(lake)
    listing_counts = dict(lake.read("author_papers").group_by("paper_id").agg(pl.col("listing_count").max()).iter_rows())
    assert listing_counts[A] == 5  # Hugging Face on days 1-4, arXiv on day 1
    assert listing_counts[B] == 2  # Hugging Face on days 3 and 4
