"""transforms/gold.py: the incremental update of `authors` equals a rebuild, whatever a load changed."""

from datetime import date

import polars as pl

from transforms.gold import (
    author_key_expr, author_keys_of, author_papers, authors_from, rising_topics, topics_from, updated_authors,
)

PAPERS_SCHEMA = {"paper_id": pl.String, "authors": pl.List(pl.String), "upvotes": pl.Int32,
                 "categories": pl.List(pl.String), "keywords": pl.List(pl.String)}


def papers(*rows) -> pl.DataFrame:
    return pl.DataFrame([dict(zip(PAPERS_SCHEMA, row)) for row in rows], schema=PAPERS_SCHEMA)


def sightings(*rows) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema={"paper_id": pl.String, "feed": pl.String, "snapshot_date": pl.Date, "authors": pl.List(pl.String)}, orient="row")
    return frame


def test_the_key_drops_accents_case_and_punctuation_but_not_initials():
    names = pl.Series(["Tomás  Silva", "tomas-silva", "T. Silva", "Silva, Tomás"])
    assert pl.select(author_key_expr(pl.lit(names))).to_series().to_list() == ["tomas silva", "tomas silva", "t silva", "silva tomas"]


def test_an_update_equals_a_rebuild_when_authors_change_and_a_paper_goes():
    d1, d2, d3 = date(2025, 1, 6), date(2025, 1, 7), date(2025, 1, 14)
    before_papers = papers(("p1", ["Ana Ruiz", "Bo Li"], 3, None, None), ("p2", ["Bo Li"], 5, None, None), ("p3", ["Cy Ng"], 1, None, None))
    before_sightings = sightings(("p1", "arxiv", d1, ["Ana Ruiz", "Bo Li"]), ("p2", "hf_daily", d1, ["Bo Li"]), ("p3", "hf_daily", d2, ["Cy Ng"]))
    stored = authors_from(author_papers(before_papers, before_sightings))

    # The load: p1's v2 drops Bo Li and adds Cy Ng, listed again on d3 with more upvotes; p3 merged into p1 (removed).
    after_papers = papers(("p1", ["Ana Ruiz", "Cy Ng"], 9, None, None), ("p2", ["Bo Li"], 5, None, None))
    after_sightings = sightings(
        ("p1", "arxiv", d1, ["Ana Ruiz", "Bo Li"]), ("p2", "hf_daily", d1, ["Bo Li"]), ("p1", "hf_daily", d2, ["Cy Ng"]),
        ("p1", "arxiv", d3, ["Ana Ruiz", "Cy Ng"]),
    )
    touched_sightings = after_sightings.filter(pl.col("paper_id") == "p1")
    touched_papers = after_papers.filter(pl.col("paper_id") == "p1")
    keys = author_keys_of(touched_sightings) | author_keys_of(touched_papers)
    assert keys == {"ana ruiz", "bo li", "cy ng"}
    rows, removed = updated_authors(
        stored.filter(pl.col("author_key").is_in(sorted(keys))), author_papers(touched_papers, touched_sightings), {"p1", "p3"}, keys
    )
    merged = pl.concat([stored.filter(~pl.col("author_key").is_in(sorted(keys))), rows]).sort("author_key")
    assert removed == []
    assert merged.equals(authors_from(author_papers(after_papers, after_sightings)))
    by_key = {r["author_key"]: r for r in merged.to_dicts()}
    assert (by_key["bo li"]["paper_count"], by_key["bo li"]["upvote_count"]) == (1, 5)  # p1 left Bo Li
    assert (by_key["cy ng"]["paper_count"], by_key["cy ng"]["listed_day_count"]) == (1, 3)  # p3 gone; p1's three days


def test_topics_count_papers_listings_and_upvotes_per_week():
    mon, tue, next_mon = date(2025, 1, 6), date(2025, 1, 7), date(2025, 1, 13)
    facts = papers(("p1", None, 4, ["cs.LG", "stat.ML"], ["Scaling  Laws"]), ("p2", None, None, ["cs.LG"], None))
    seen = sightings(("p1", "arxiv", mon, None), ("p1", "hf_daily", tue, None), ("p1", "hf_daily", tue, None), ("p2", "arxiv", next_mon, None))
    rows = {(r["week_start_date"], r["topic"]): (r["paper_count"], r["listing_count"], r["upvote_count"]) for r in topics_from(facts, seen).to_dicts()}
    assert rows == {
        (mon, "cs.LG"): (1, 2, 4), (mon, "stat.ML"): (1, 2, 4), (mon, "scaling laws"): (1, 2, 4), (next_mon, "cs.LG"): (1, 1, 0),
    }


def test_rising_ranks_growth_against_the_weeks_before():
    weeks = [date(2025, 1, 6 + 7 * n) if n < 4 else date(2025, 2, 3 + 7 * (n - 4)) for n in range(8)]
    rows = [{"week_start_date": w, "kind": "arxiv_category", "topic": "cs.LG", "paper_count": 10, "listing_count": 10, "upvote_count": 0} for w in weeks]
    rows += [{"week_start_date": w, "kind": "hf_keyword", "topic": "agents", "paper_count": 1 if i < 6 else 9, "listing_count": 9, "upvote_count": 0}
             for i, w in enumerate(weeks)]
    ranked = rising_topics(pl.DataFrame(rows), weeks[-1], recent_weeks=2, earlier_weeks=6)
    assert ranked["topic"].to_list() == ["agents", "cs.LG"]
    assert ranked.row(0, named=True)["growth"] == 5.0 and ranked.row(1, named=True)["growth"] == 1.0
