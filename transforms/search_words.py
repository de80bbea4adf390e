"""The word index of `papers --search`: papers' titles and abstracts as (word, paper) rows.

A word is what the search matches against: the text normalized like title_key (NFKC, lower case,
runs of non-alphanumerics to one space) and split on spaces. The search term "transform" finds a
paper through every indexed word starting with it, so no stemming and no stopwords: the index
answers exactly what a scan of the text answers.
"""

from __future__ import annotations

import polars as pl

from transforms.identity import prefix_range

TITLE_FIELD, ABSTRACT_FIELD = 1, 2
MARKER_TERM = ""


def words(text: pl.Expr) -> pl.Expr:
    """The distinct words of a text, normalized as lake/queries.py's search normalizes it."""
    cleaned = text.fill_null("").str.normalize("NFKC").str.to_lowercase().str.replace_all(r"[\W_]+", " ").str.strip_chars()
    return cleaned.str.split(" ").list.unique().list.filter(pl.element() != "")


def word_rows(papers: pl.DataFrame) -> pl.DataFrame:
    """paper_id, title, abstract in; term, paper_id, fields (1 title, 2 abstract, 3 both) out, sorted by term.

    Set operations per paper instead of a group-by over (term, paper) pairs, and the sort on each
    word's rank in the batch's vocabulary instead of on the strings: both several times faster."""
    split = papers.select("paper_id", words(pl.col("title")).alias("title"), words(pl.col("abstract")).alias("abstract"))
    parts = split.select(
        "paper_id",
        pl.col("title").list.set_difference("abstract").alias("1"),
        pl.col("abstract").list.set_difference("title").alias("2"),
        pl.col("title").list.set_intersection("abstract").alias("3"),
    )
    rows = pl.concat([
        parts.select(pl.col(str(bit)).alias("term"), "paper_id", pl.lit(bit, pl.Int8).alias("fields")).explode("term")
        for bit in (TITLE_FIELD, ABSTRACT_FIELD, TITLE_FIELD | ABSTRACT_FIELD)
    ]).drop_nulls("term")
    vocabulary = rows.select(pl.col("term").unique().sort()).with_row_index("rank")
    return rows.join(vocabulary, on="term").sort("rank", "paper_id").select("term", "paper_id", "fields")


def marker_rows(paper_ids: list[str]) -> pl.DataFrame:
    """One marker row per paper: written with a paper's new rows, it supersedes all its older ones,
    also those of words its text no longer has (and, alone, all rows of a paper removed)."""
    return pl.DataFrame(
        {"term": [MARKER_TERM] * len(paper_ids), "paper_id": sorted(paper_ids), "fields": [0] * len(paper_ids)},
        schema={"term": pl.String, "paper_id": pl.String, "fields": pl.Int8},
    )


def without_superseded(rows: pl.DataFrame) -> pl.DataFrame:
    """Of index rows read (a few words' rows and every marker), drop the markers and the rows a later
    marker of their paper superseded. What is left may hold a row twice (a load indexing a new paper
    twice, with the same text): harmless to a search, which asks only whether a word is there."""
    words = rows.filter(pl.col("term") != MARKER_TERM)
    markers = rows.filter(pl.col("term") == MARKER_TERM)
    if markers.is_empty():
        return words
    latest = markers.group_by("paper_id").agg(pl.col("indexed_version").max().alias("marker_version"))
    kept = words.join(latest, on="paper_id", how="left").filter(
        pl.col("marker_version").is_null() | (pl.col("indexed_version") >= pl.col("marker_version"))
    )
    return kept.drop("marker_version")


def current_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """Each paper's current rows, once: what a rebuild from the papers as they are now would write."""
    return without_superseded(rows).sort("indexed_version").unique(["term", "paper_id"], keep="last", maintain_order=True)


def term_range(term: str) -> pl.Expr:
    """Rows whose word starts with `term`, said as a range so file and row-group statistics skip the rest."""
    return prefix_range("term", term)
