"""lake.queries: pure functions over LazyFrames, checked row by row on the scenario of
tests/explore_scenario.py (no lake on disk needed)."""

from datetime import date

import polars as pl
import pytest

from lake import queries
from lake.queries import Window
from tests.explore_scenario import A, B, C, D, T, day, quarantine_rows, rows, scenario_sightings


@pytest.fixture
def sightings() -> pl.LazyFrame:
    return scenario_sightings().lazy()


def test_papers_in_window_newest_first_with_first_seen_ever_and_days_in_window(sightings):
    found = queries.papers_in_window(sightings, Window(day(3), day(6)))
    assert rows(found, "paper_id", "first_seen_date", "last_seen_date", "days_seen") == [
        (T, day(2), day(6), 1),  # seen on the 6th; first seen before the window, on the 2nd
        (A, day(1), day(6), 4),
        (B, day(3), day(5), 3),
    ]
    assert found.row(1, named=True)["feeds"] == ["arxiv", "hf_daily"]


def test_papers_of_one_feed_and_a_limit(sightings):
    arxiv = queries.papers_in_window(sightings, Window(feed="arxiv"))
    assert rows(arxiv, "paper_id", "first_seen_date", "last_seen_date", "days_seen") == [(A, day(1), day(5), 2), (D, day(2), day(2), 1)]
    # both last seen on the 7th: the one first seen more recently comes first
    assert queries.papers_in_window(sightings, Window(), limit=2)["paper_id"].to_list() == [C, A]


def test_the_window_end_bounds_what_counts_as_seen(sightings):
    on_the_fifth = queries.papers_in_window(sightings, Window(day(5), day(5)))
    assert rows(on_the_fifth, "paper_id", "first_seen_date", "days_seen", "upvotes") == [(B, day(3), 1, 41), (A, day(1), 1, 22)]


def test_search_finds_every_word_in_title_or_abstract_best_matches_first(sightings):
    found = queries.search(sightings, "SPARSE routing", Window())
    # the phrase in a title, both words in a title, the phrase in an abstract only
    assert rows(found, "paper_id", "score") == [(T, 16), (A, 6), (B, 4)]


def test_search_ignores_case_width_and_punctuation_and_matches_word_starts(sightings):
    assert queries.search(sightings, "ｓｐａｒｓｅ-ROUTING!", Window())["paper_id"].to_list() == [T, A, B]
    assert queries.search(sightings, "transform", Window())["paper_id"].to_list() == [T]
    assert queries.search(sightings, "grid free", Window())["paper_id"].to_list() == [D]
    assert queries.search(sightings, "outing", Window()).is_empty()  # inside a word is no match
    assert queries.search(sightings, "sparse cats", Window())["paper_id"].to_list() == [B]  # title + abstract


def test_search_stays_in_the_window_and_needs_a_word(sightings):
    assert queries.search(sightings, "sparse", Window(since_date=day(7)))["paper_id"].to_list() == [A]
    with pytest.raises(ValueError, match="at least one letter"):
        queries.search(sightings, " -- ", Window())


def test_new_since_lists_papers_never_seen_before_the_date(sightings):
    assert rows(queries.new_since(sightings, Window(since_date=day(5))), "paper_id", "first_seen_date") == [(C, day(7))]
    fresh = queries.new_since(sightings, Window(since_date=day(2)))
    assert rows(fresh, "paper_id", "first_seen_date", "days_seen") == [(C, day(7), 1), (B, day(3), 3), (T, day(2), 2), (D, day(2), 1)]
    # per feed: A was on arxiv on the 1st, so only D is new to arxiv since the 2nd
    assert queries.new_since(sightings, Window(since_date=day(2), feed="arxiv"))["paper_id"].to_list() == [D]


def test_trending_ranks_by_latest_upvotes_then_days_on_the_list(sightings):
    week = queries.trending(sightings, today=day(7), days=7)
    assert rows(week, "paper_id", "days_seen", "upvotes") == [(B, 3, 41), (A, 7, 23), (C, 1, 2), (T, 2, None), (D, 1, None)]
    last_three = queries.trending(sightings, today=day(7), days=3)
    assert rows(last_three, "paper_id", "days_seen", "upvotes") == [(B, 1, 41), (A, 3, 23), (C, 1, 2), (T, 1, None)]
    assert queries.trending(sightings, today=date(2024, 4, 1), days=7).is_empty()
    with pytest.raises(ValueError):
        queries.trending(sightings, today=day(7), days=0)


def test_report_frames(sightings):
    window = Window()
    per_day = queries.papers_per_day(sightings, window)
    assert per_day.height == 12
    assert rows(per_day.filter(pl.col("snapshot_date") == day(5)), "feed", "paper_count") == [("arxiv", 1), ("hf_daily", 2)]
    kinds = queries.new_vs_returning(sightings, window)
    assert rows(kinds.filter(pl.col("kind") == "new"), "snapshot_date", "paper_count") == [(day(1), 1), (day(2), 2), (day(3), 1), (day(7), 1)]
    assert kinds["paper_count"].sum() == 14  # distinct (paper, day) pairs: 7 + 3 + 1 + 1 + 2
    assert rows(queries.stay_lengths(sightings, window), "days_seen", "paper_count") == [(1, 2), (2, 1), (3, 1), (7, 1)]
    votes = queries.upvote_trajectories(sightings, window, [B, D])
    assert rows(votes, "paper_id", "snapshot_date", "upvotes") == [(B, day(3), 40), (B, day(4), 41), (B, day(5), 41)]
    counts = queries.quarantine_counts(quarantine_rows().lazy(), Window(until_date=day(4)))
    assert rows(counts, "rule", "table", "row_count") == [("title_not_null", "sightings", 2)]


def test_search_of_the_whole_lake_from_papers_finds_what_the_sightings_find(sightings):
    from transforms.papers import summarize_papers

    papers = summarize_papers(scenario_sightings()).lazy()
    for text in ("SPARSE routing", "transform", "grid free", "sparse cats", "outing"):
        from_sightings = queries.search(sightings, text, Window())
        from_papers = queries.search(sightings, text, Window(), papers=papers)
        assert rows(from_papers, "paper_id", "score") == rows(from_sightings, "paper_id", "score"), text
    # a window still reads the sightings: the papers table knows only the whole lake
    assert queries.search(sightings, "sparse", Window(since_date=day(7)), papers=papers)["paper_id"].to_list() == [A]


def test_rankings_read_the_text_of_their_top_rows_only_and_match_the_full_summary(sightings):
    whole = queries.window_summary(sightings, Window()).collect()
    top = queries.top_recurring(sightings, Window(), limit=2)
    expected = whole.sort(["days_seen", "upvotes", "best_rank", "paper_id"], descending=[True, True, False, False], nulls_last=True).head(2)
    assert top.equals(expected)
    assert queries.window_summary(sightings, Window(), with_text=False).collect().columns == [
        c for c in queries.SUMMARY_COLUMNS if c not in queries.TEXT_COLUMNS
    ]
