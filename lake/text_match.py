"""How a search's words match a paper's title and abstract, as Polars expressions: the words of a
search, the normalized text they are matched in, every-word and score expressions, and a cheap
superset filter to run before them. Used by the scan (lake/queries.py `search`) and by the word
index's search (lake/search.py), so both answer the same.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl


def normalized_text(text: pl.Expr) -> pl.Expr:
    """The title_key normalization (NFKC, lower case, non-alphanumeric runs to one space), padded
    with spaces so ' term' finds a term at the start of any word."""
    cleaned = text.fill_null("").str.normalize("NFKC").str.to_lowercase().str.replace_all(r"[\W_]+", " ")
    return pl.lit(" ") + cleaned.str.strip_chars() + pl.lit(" ")


def search_terms(text: str) -> list[str]:
    """The words of a search, normalized like titles."""
    return re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).lower()).split()


def match_and_score(terms: list[str]) -> tuple[pl.Expr, pl.Expr]:
    """Whether a row's title or abstract holds every term, and its score: 10 for the phrase in the
    title, 3 per term in the title, 2 for the phrase in the abstract, 1 per term in the abstract."""
    phrase = " " + " ".join(terms)
    title, abstract = normalized_text(pl.col("title")), normalized_text(pl.col("abstract"))

    def hits(field: pl.Expr) -> pl.Expr:
        return pl.sum_horizontal(field.str.contains(" " + t, literal=True).cast(pl.Int32) for t in terms)

    every_term = pl.all_horizontal((title + abstract).str.contains(" " + t, literal=True) for t in terms)
    score = (
        10 * title.str.contains(phrase, literal=True).cast(pl.Int32)
        + 3 * hits(title)
        + 2 * abstract.str.contains(phrase, literal=True).cast(pl.Int32)
        + hits(abstract)
    )
    return every_term, score


def may_hold(column: str, term: str) -> pl.Expr:
    """A cheap superset of "the normalized text has a word starting with `term`": the term, ASCII
    case ignored, anywhere in the raw text; text that is not all ASCII (which NFKC may change) passes."""
    text = pl.col(column).fill_null("")
    return (text.str.len_bytes() != text.str.len_chars()) | text.str.contains_any([term], ascii_case_insensitive=True)


def may_hold_every(terms: list[str]) -> pl.Expr:
    """Rows that may hold every term in their title or abstract (the exact test runs on what passes)."""
    return pl.all_horizontal(may_hold("title", t) | may_hold("abstract", t) for t in terms)
