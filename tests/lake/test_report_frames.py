"""lake.report_frames: the report's numbers, the whole lake answered from `papers`, held to the
straightforward computation (every sighting grouped into papers, as the report did before) on small
lakes with many ties, across year boundaries, several fetches of a day, and papers without upvotes."""

import random
from datetime import date, datetime, timedelta, timezone

import polars as pl
import pytest

from lake import queries, report_frames
from lake.queries import Window
from lake.schemas import SIGHTINGS
from transforms.papers import summarize_papers

FEEDS = ("hf_daily", "arxiv", "archive")


def random_sightings(seed: int, paper_count: int = 300) -> pl.DataFrame:
    """Papers first listed over 16 months (three calendar years), each on 1-4 days of 1-3 feeds,
    a day fetched up to three times while its upvotes moved (0-6 upvotes: ties everywhere)."""
    rng = random.Random(seed)
    rows = []
    for index in range(paper_count):
        paper_id = f"23{index % 12 + 1:02d}.{index:05d}" if index % 10 else f"title:{index:08x}"
        first_day = date(2023, 11, 20) + timedelta(days=rng.randrange(480))
        voted = rng.random() < 0.7
        for day in sorted({first_day + timedelta(days=rng.choice((0, 0, 1, 3, 9, 40))) for _ in range(rng.randint(1, 4))}):
            for feed in rng.sample(FEEDS, rng.randint(1, 2)):
                for fetch in range(rng.randint(1, 3) if feed == "hf_daily" else 1):
                    fetched_at = None if rng.random() < 0.2 else datetime(day.year, day.month, day.day, 6 + 4 * fetch, tzinfo=timezone.utc)
                    rows.append({
                        "snapshot_id": f"{feed}-{day}-{fetch}", "paper_id": paper_id, "feed": feed, "snapshot_date": day,
                        "rank": rng.randint(1, 8), "title": f"Paper {index} v{fetch}", "title_key": f"paper {index}",
                        "abstract": f"About {index}.", "fetched_at": fetched_at,
                        "upvotes": rng.randint(0, 6) + fetch if feed == "hf_daily" and voted else None,
                        "comment_count": rng.randint(0, 2) if feed == "hf_daily" and voted else None,
                    })
    return SIGHTINGS.conform(pl.DataFrame(rows))


def straightforward(sightings: pl.LazyFrame, window: Window, top_count: int) -> dict:
    """What paperlake/report.py computed before lake.report_frames: the window's summary from every sighting."""
    summary = queries.window_summary(sightings, window, with_text=False).collect().lazy()
    with_votes = queries.top_by_upvotes(sightings.filter(pl.col("upvotes").is_not_null()), window, top_count)
    stats = sightings.filter(window.inside()).select(
        pl.struct("paper_id", "feed", "snapshot_date").n_unique().alias("n"), pl.col("snapshot_date").min().alias("first"),
        pl.col("snapshot_date").max().alias("last"),
    ).collect()
    return {
        "per_day": queries.papers_per_day(sightings, window),
        "new_returning": queries.new_vs_returning(sightings, window, summary),
        "stays": queries.stay_lengths(sightings, window, summary),
        "top": queries.top_recurring(sightings, window, top_count, summary),
        "upvotes": queries.upvote_trajectories(sightings, window, with_votes["paper_id"].to_list()).join(
            with_votes.select("paper_id", "title"), on="paper_id"
        ),
        "sighting_count": stats["n"].item(),
        "snapshot_dates": (stats["first"].item(), stats["last"].item()),
    }


def assert_same(fast: report_frames.ReportFrames, expected: dict) -> None:
    for name, value in expected.items():
        got = getattr(fast, name)
        if isinstance(value, pl.DataFrame):
            assert got.equals(value), (name, got, value)
            assert got.schema == value.schema, name
        else:
            assert got == value, name


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("top_count", [1, 3, 10, 500])
def test_the_whole_lake_from_papers_gives_the_numbers_every_sighting_gives(seed, top_count, monkeypatch):
    sightings = random_sightings(seed)
    papers = summarize_papers(sightings).lazy()
    monkeypatch.setattr(report_frames, "PAPERS_PER_READ", 40 if seed == 1 else 10**6)  # seed 1: eight reads, over three years
    fast = report_frames.report_frames(sightings.lazy(), papers, Window(), top_count)
    assert_same(fast, straightforward(sightings.lazy(), Window(), top_count))
    assert fast.top.height == min(top_count, papers.collect().height)


def test_reads_are_cut_at_months_about_every_so_many_papers():
    key = pl.DataFrame({"first_seen_date": [date(2024, 1, 5)] * 3 + [date(2024, 2, 1)] * 2 + [date(2024, 4, 30)] * 4 + [date(2025, 1, 1)]})
    assert report_frames.read_cuts(key, 3) == [date(2024, 2, 1), date(2025, 1, 1)]  # 3 papers before February (a read), 9 before 2025 (three)
    assert report_frames.read_cuts(key, 100) == []
    sightings = random_sightings(6).lazy()
    cuts = report_frames.read_cuts(summarize_papers(sightings.collect()), 50)
    assert len(cuts) >= 4
    assert all(cut.day == 1 for cut in cuts)
    in_reads, in_one = report_frames.daily_counts(sightings, Window(), cuts), report_frames.daily_counts(sightings, Window(), [])
    assert in_reads[0].equals(in_one[0]) and in_reads[1].sort("snapshot_date").equals(in_one[1].sort("snapshot_date"))


@pytest.mark.parametrize("window", [
    Window(since_date=date(2024, 6, 1)), Window(until_date=date(2024, 2, 10)),
    Window(date(2023, 12, 20), date(2024, 1, 15)), Window(feed="hf_daily"), Window(date(2024, 3, 1), None, "arxiv"),
])
def test_a_window_gives_the_numbers_every_sighting_gives(window):
    sightings = random_sightings(4)
    fast = report_frames.report_frames(sightings.lazy(), summarize_papers(sightings).lazy(), window, 5)
    assert_same(fast, straightforward(sightings.lazy(), window, 5))


def test_a_lake_without_papers_or_sightings_still_has_its_frames():
    sightings = random_sightings(5, paper_count=40)
    assert_same(report_frames.report_frames(sightings.lazy(), None, Window(), 3), straightforward(sightings.lazy(), Window(), 3))
    empty = SIGHTINGS.empty_frame().lazy()
    frames = report_frames.report_frames(empty, summarize_papers(SIGHTINGS.empty_frame()).lazy(), Window(), 3)
    assert frames.sighting_count == 0 and frames.snapshot_dates == (None, None)
    assert frames.per_day.is_empty() and frames.top.is_empty() and frames.new_returning.is_empty()


def test_candidates_are_the_first_rows_and_every_row_tied_with_the_last():
    papers = pl.DataFrame({"paper_id": ["a", "b", "c", "d", "e", "f"], "days_seen": [3, 2, 2, 2, 1, 1], "upvotes": [None, 5, 5, None, 9, None]})

    def ids(limit: int) -> list[str]:
        return sorted(papers.filter(report_frames.tied_or_before(papers, ["days_seen", "upvotes"], limit))["paper_id"])

    assert ids(1) == ["a"]
    assert ids(2) == ids(3) == ["a", "b", "c"]  # b and c tie on (2, 5): the rest of the key orders them
    assert ids(4) == ["a", "b", "c", "d"]  # (2, null): nulls come last, so only d ties
    assert ids(5) == ["a", "b", "c", "d", "e"]
    assert ids(7) == ["a", "b", "c", "d", "e", "f"]  # fewer papers than asked for: all of them
    assert sorted(papers.filter(report_frames.tied_or_before(papers, ["upvotes"], 2))["paper_id"]) == ["b", "c", "e"]


def test_periods_add_the_days_up_per_week_or_month():
    per_day = pl.DataFrame({
        "snapshot_date": [date(2024, 1, 31), date(2024, 2, 1), date(2024, 2, 1), date(2024, 2, 5)],
        "feed": ["arxiv", "arxiv", "hf_daily", "arxiv"], "paper_count": [3, 4, 2, 5],
    }, schema_overrides={"paper_count": pl.Int32})
    assert report_frames.by_period(per_day, ["feed"], "day").equals(per_day)
    monthly = report_frames.by_period(per_day, ["feed"], "month")
    assert monthly.rows() == [(date(2024, 1, 1), "arxiv", 3), (date(2024, 2, 1), "arxiv", 9), (date(2024, 2, 1), "hf_daily", 2)]
    weekly = report_frames.by_period(per_day, ["feed"], "week")  # weeks start on Monday: 29 January, 5 February
    assert weekly.rows() == [(date(2024, 1, 29), "arxiv", 7), (date(2024, 1, 29), "hf_daily", 2), (date(2024, 2, 5), "arxiv", 5)]
    assert monthly.schema == per_day.schema
    start = date(2024, 1, 1)
    assert [report_frames.period_for(start, start + timedelta(days=d)) for d in (0, 92, 93, 731, 732)] == ["day", "day", "week", "week", "month"]
    assert report_frames.period_for(None, None) == "day"
