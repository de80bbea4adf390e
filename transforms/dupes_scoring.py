"""Scoring for the near-duplicate finder: each candidate pair scored and explained.

Candidates (transforms/dupes_blocking.py) are scored with rapidfuzz: the character ratio of the
normalized titles and the word ratio of the abstracts, combined so that clearly different abstracts
outweigh similar titles (a paper and its extended version are related, not the same work).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from transforms.dupes_blocking import MIN_KEY_WORDS
from transforms.identity import TITLE_ID_PREFIX

TYPO_TITLE_SCORE = 90.0  # titles this close differ by a typo or a word
SUBTITLE_TITLE_SCORE = 90.0  # a title that is the other's first or last words counts as this close
SAME_ABSTRACT_SCORE = 90.0  # abstracts this close are one text, lightly edited: the same work, whatever the titles
TITLE_WEIGHT = 0.35  # the abstract, when both have one, says more than the title
NO_ABSTRACT_FACTOR = 0.95  # a title alone never makes a certain pair

PAPER_COLUMNS = ("paper_id", "title", "title_key", "abstract")
PAIR_SCHEMA = {
    "link_id": pl.String, "paper_id": pl.String, "other_paper_id": pl.String, "score": pl.Float64, "reason": pl.String,
    "title_score": pl.Float64, "abstract_score": pl.Float64, "title": pl.String, "other_title": pl.String,
}


def prepared(papers: pl.DataFrame) -> pl.DataFrame:
    """The columns scoring reads, title_key never null; first_seen_date null where not given."""
    first_seen = pl.col("first_seen_date") if "first_seen_date" in papers.columns else pl.lit(None, dtype=pl.Date)
    return papers.select(*PAPER_COLUMNS, first_seen.alias("first_seen_date")).with_columns(pl.col("title_key").fill_null(""))


def _normalized(text: pl.Expr) -> pl.Expr:
    """The title_key normalization (NFKC, lower case, non-alphanumeric runs to one space), vectorized."""
    return text.str.normalize("NFKC").str.to_lowercase().str.replace_all(r"[\W_]+", " ").str.strip_chars()


def score_pair(papers: pl.DataFrame, paper_id: str, other_paper_id: str) -> pl.DataFrame:
    """One PAIR_SCHEMA row for two given papers, paper_id first (a person chose which to keep)."""
    rows = prepared(papers)
    ids = rows["paper_id"].to_list()
    pair = pl.DataFrame({"a": [ids.index(paper_id)], "b": [ids.index(other_paper_id)]}, schema={"a": pl.UInt32, "b": pl.UInt32})
    return score_pairs(rows, pair, orient=False)


def score_pairs(papers: pl.DataFrame, pairs: pl.DataFrame, orient: bool = True) -> pl.DataFrame:
    """Score and explain each candidate pair (row indices into `papers`, prepared rows)."""
    from rapidfuzz import fuzz, process

    if pairs.is_empty():
        return pl.DataFrame(schema=PAIR_SCHEMA)
    left, right = (
        papers.select(pl.all().gather(pairs[side])).with_columns(_normalized(pl.col("abstract")).alias("abstract_key"))
        for side in ("a", "b")
    )
    words_left, words_right = _as_word_strings(left["abstract_key"], right["abstract_key"])
    title_score = process.cpdist(left["title_key"].to_list(), right["title_key"].to_list(), scorer=fuzz.ratio, workers=-1)
    abstract_score = process.cpdist(words_left, words_right, scorer=fuzz.ratio, workers=-1)
    both_have_abstracts = (left["abstract_key"].fill_null("") != "") & (right["abstract_key"].fill_null("") != "")
    features = pl.DataFrame(
        {
            "title_score": title_score.astype(np.float64),
            "abstract_score": pl.Series(abstract_score.astype(np.float64)).round(1),
            "has_abstracts": both_have_abstracts,
        }
    ).with_columns(
        pl.when(pl.col("has_abstracts")).then(pl.col("abstract_score")).otherwise(None).alias("abstract_score"),
        pl.col("title_score").round(1),
    )
    joined = pl.concat([_side(left, ""), _side(right, "other_"), features], how="horizontal")
    return _explained(_oriented(joined) if orient else joined)


def _as_word_strings(left: pl.Series, right: pl.Series) -> tuple[list[str], list[str]]:
    """Each text as a string of one character per word, so rapidfuzz's fast character ratio is a
    ratio of words (a shared "the" weighs as little as any shared word, not as three letters)."""
    both = pl.concat([left, right]).fill_null("")
    words = both.str.split(" ").list.filter(pl.element() != "")
    counts = words.list.len().to_numpy().astype(np.int64)
    flat = words.explode().drop_nulls()
    # Dense ids of the words' 64-bit hashes: one character per distinct word (ranking the hashes
    # is much faster than ranking the strings, and 64-bit collisions do not happen in practice).
    ids = flat.hash(seed=9).rank("dense").cast(pl.Int64).to_numpy() if flat.len() else np.zeros(0, dtype=np.int64)
    codepoints = ids + 0x100
    codepoints = np.where(codepoints >= 0xD800, codepoints + 0x800, codepoints)  # skip the surrogates
    codepoints = np.minimum(codepoints, 0x10FFFF).astype("<u4")
    text = codepoints.tobytes().decode("utf-32-le")
    ends = np.cumsum(counts)
    strings = [text[end - count : end] for end, count in zip(ends.tolist(), counts.tolist())]
    return strings[: left.len()], strings[left.len() :]


def _side(frame: pl.DataFrame, prefix: str) -> pl.DataFrame:
    return frame.select(
        pl.col("paper_id").alias(f"{prefix}paper_id"), pl.col("title").alias(f"{prefix}title"),
        pl.col("title_key").alias(f"{prefix}title_key"), pl.col("first_seen_date").alias(f"{prefix}first_seen_date"),
    )


def _oriented(pairs: pl.DataFrame) -> pl.DataFrame:
    """paper_id is the one to keep if the pair is merged: an arXiv paper over a title-only one,
    then the one seen first, then the smaller id."""
    def rank(prefix: str) -> list[pl.Expr]:
        return [pl.col(f"{prefix}paper_id").str.starts_with(TITLE_ID_PREFIX), pl.col(f"{prefix}first_seen_date"), pl.col(f"{prefix}paper_id")]

    mine, other = rank(""), rank("other_")
    swap = pl.lit(False)
    decided = pl.lit(False)
    for a, b in zip(mine, other):
        # Nulls (no first_seen_date) compare as equal, so the next criterion decides.
        differs = a.is_not_null() & b.is_not_null() & (a != b)
        swap = pl.when(~decided & differs).then(a > b).otherwise(swap)
        decided = decided | differs
    names = ["paper_id", "title", "title_key"]
    return pairs.with_columns(
        *[pl.when(swap).then(pl.col(f"other_{n}")).otherwise(pl.col(n)).alias(n) for n in names],
        *[pl.when(swap).then(pl.col(n)).otherwise(pl.col(f"other_{n}")).alias(f"other_{n}") for n in names],
    )


def _explained(pairs: pl.DataFrame) -> pl.DataFrame:
    title, other = pl.col("title_key"), pl.col("other_title_key")
    shorter_words = pl.min_horizontal(title.str.count_matches(" ") + 1, other.str.count_matches(" ") + 1)
    extends = (
        other.str.starts_with(title + " ") | other.str.ends_with(" " + title)
        | title.str.starts_with(other + " ") | title.str.ends_with(" " + other)
    )
    relation = (
        pl.when(title == other).then(pl.lit("same"))
        .when(extends & (shorter_words >= MIN_KEY_WORDS)).then(pl.lit("subtitle"))
        .when(pl.col("title_score") >= TYPO_TITLE_SCORE).then(pl.lit("typo"))
        .otherwise(pl.lit("different"))
    )
    effective_title = (
        pl.when(pl.col("relation") == "same").then(100.0)
        .when(pl.col("relation") == "subtitle").then(pl.max_horizontal("title_score", pl.lit(SUBTITLE_TITLE_SCORE)))
        .otherwise(pl.col("title_score"))
    )
    abstract = pl.col("abstract_score")
    blended = TITLE_WEIGHT * effective_title + (1 - TITLE_WEIGHT) * abstract
    score = (
        pl.when(abstract.is_null()).then(NO_ABSTRACT_FACTOR * effective_title)
        .when(abstract >= SAME_ABSTRACT_SCORE).then(pl.max_horizontal(blended, abstract))
        .otherwise(blended)
    )
    return (
        pairs.with_columns(relation.alias("relation"))
        .with_columns(score.round(1).alias("score"), _reason().alias("reason"))
        .with_columns(
            pl.concat_str(pl.min_horizontal("paper_id", "other_paper_id"), pl.lit(" "), pl.max_horizontal("paper_id", "other_paper_id")).alias("link_id")
        )
        .select(list(PAIR_SCHEMA))
    )


def _reason() -> pl.Expr:
    title_part = (
        pl.when(pl.col("relation") == "same").then(pl.lit("same title"))
        .when(pl.col("relation") == "subtitle").then(pl.lit("one title adds a subtitle to the other"))
        .when(pl.col("relation") == "typo").then(pl.format("titles differ by a typo or a word ({})", pl.col("title_score")))
        .otherwise(pl.format("different titles ({})", pl.col("title_score")))
    )
    abstract = pl.col("abstract_score")
    abstract_part = (
        pl.when(abstract.is_null()).then(pl.lit("no abstract to compare"))
        .when(abstract >= 99.5).then(pl.lit("same abstract"))
        .when(abstract >= SAME_ABSTRACT_SCORE).then(pl.format("near-identical abstracts ({})", abstract))
        .otherwise(pl.format("abstracts differ ({})", abstract))
    )
    return pl.concat_str(title_part, pl.lit("; "), abstract_part)
