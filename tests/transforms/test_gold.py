"""transforms/gold.py: the incremental update of `authors` equals a rebuild, whatever a load changed."""

from datetime import date

import polars as pl

from transforms.gold import (
    author_deltas, author_key_expr, author_papers, authors_from, changed_author_papers, rising_topics, topics_from,
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


def apply_load(stored_parts, touched_papers, touched_sightings, touched_ids):
    """What the gold step does with a load: author_papers rows replaced, authors moved by deltas,
    the keys made non-monotone recomputed. Returns (author_papers, authors, recomputed keys, written rows)."""
    stored = authors_from(stored_parts)
    old = stored_parts.filter(pl.col("paper_id").is_in(sorted(touched_ids)))
    new = author_papers(touched_papers, touched_sightings)
    changed, gone = changed_author_papers(old, new)
    parts = pl.concat([stored_parts.join(pl.concat([changed.select("paper_id", "author_key"), gone]), on=["paper_id", "author_key"], how="anti"), changed])
    keys = set(old["author_key"].to_list()) | set(new["author_key"].to_list())
    rows, recompute = author_deltas(stored.filter(pl.col("author_key").is_in(sorted(keys))), old, new)
    rows = pl.concat([rows, authors_from(parts.filter(pl.col("author_key").is_in(sorted(recompute))))])
    written = set(rows["author_key"].to_list()) | recompute
    authors = pl.concat([stored.filter(~pl.col("author_key").is_in(sorted(written))), rows]).sort("author_key")
    return parts, authors, recompute, rows


def test_an_update_equals_a_rebuild_when_authors_change_and_a_paper_goes():
    d1, d2, d3 = date(2025, 1, 6), date(2025, 1, 7), date(2025, 1, 14)
    before_papers = papers(("p1", ["Ana Ruiz", "Bo Li"], 3, None, None), ("p2", ["Bo Li"], 5, None, None), ("p3", ["Cy Ng"], 1, None, None))
    before_sightings = sightings(("p1", "arxiv", d1, ["Ana Ruiz", "Bo Li"]), ("p2", "hf_daily", d1, ["Bo Li"]), ("p3", "hf_daily", d2, ["Cy Ng"]))
    stored_parts = author_papers(before_papers, before_sightings)

    # The load: p1's v2 drops Bo Li and adds Cy Ng, listed again on d3 with more upvotes; p3 merged into p1 (removed).
    after_papers = papers(("p1", ["Ana Ruiz", "Cy Ng"], 9, None, None), ("p2", ["Bo Li"], 5, None, None))
    after_sightings = sightings(
        ("p1", "arxiv", d1, ["Ana Ruiz", "Bo Li"]), ("p2", "hf_daily", d1, ["Bo Li"]), ("p1", "hf_daily", d2, ["Cy Ng"]),
        ("p1", "arxiv", d3, ["Ana Ruiz", "Cy Ng"]),
    )
    touched_sightings = after_sightings.filter(pl.col("paper_id") == "p1")
    touched_papers = after_papers.filter(pl.col("paper_id") == "p1")
    parts, merged, recompute, _ = apply_load(stored_parts, touched_papers, touched_sightings, {"p1", "p3"})
    assert recompute == {"bo li", "cy ng"}  # Bo Li left p1, p3 went: not a delta
    assert parts.sort("paper_id", "author_key").equals(author_papers(after_papers, after_sightings).sort("paper_id", "author_key"))
    assert merged.equals(authors_from(author_papers(after_papers, after_sightings)))
    by_key = {r["author_key"]: r for r in merged.to_dicts()}
    assert (by_key["bo li"]["paper_count"], by_key["bo li"]["upvote_count"]) == (1, 5)  # p1 left Bo Li
    assert (by_key["cy ng"]["paper_count"], by_key["cy ng"]["listing_count"]) == (1, 3)  # p3 gone; p1's three listings


def test_a_day_of_new_listings_and_upvotes_is_a_delta_that_equals_a_rebuild():
    d1, d2, d3 = date(2025, 1, 6), date(2025, 1, 7), date(2025, 1, 8)
    before_papers = papers(("p2", ["Ana Ruiz", "Bo Li"], 3, None, None), ("p3", ["ana  RUIZ"], 1, None, None))
    before_sightings = sightings(("p2", "arxiv", d2, None), ("p3", "arxiv", d3, None))
    stored_parts = author_papers(before_papers, before_sightings)
    assert authors_from(stored_parts).filter(pl.col("author_key") == "ana ruiz")["display_name"].item() == "Ana Ruiz"

    # p2 listed again by HF with more upvotes; p1, first listed before p2 (a late backfill), spells Ana another way; Dee is new.
    after_papers = papers(("p1", ["Ána Ruiz", "Dee Oh"], 2, None, None), ("p2", ["Ana Ruiz", "Bo Li"], 7, None, None), ("p3", ["ana  RUIZ"], 1, None, None))
    after_sightings = sightings(("p1", "arxiv", d1, None), ("p2", "arxiv", d2, None), ("p2", "hf_daily", d3, None), ("p3", "arxiv", d3, None))
    touched = ["p1", "p2"]
    parts, merged, recompute, written = apply_load(
        stored_parts, after_papers.filter(pl.col("paper_id").is_in(touched)), after_sightings.filter(pl.col("paper_id").is_in(touched)), set(touched)
    )
    assert recompute == set()
    assert sorted(written["author_key"].to_list()) == ["ana ruiz", "bo li", "dee oh"]
    assert merged.equals(authors_from(author_papers(after_papers, after_sightings)))
    ana = merged.filter(pl.col("author_key") == "ana ruiz").row(0, named=True)
    assert (ana["display_name"], ana["first_paper_id"], ana["paper_count"], ana["listing_count"], ana["upvote_count"]) == ("Ána Ruiz", "p1", 3, 4, 10)
    assert (ana["first_listed_date"], ana["last_listed_date"]) == (d1, d3)

    # The same load again changes nothing: no author_papers row, no authors row to write.
    _, again, _, rewritten = apply_load(parts, after_papers.filter(pl.col("paper_id").is_in(touched)), after_sightings.filter(pl.col("paper_id").is_in(touched)), set(touched))
    assert rewritten.is_empty() and again.equals(merged)


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
