"""The gold tables of issue 15 (authors, their papers, topics), declared once; lake/schemas.py lists
them in TABLES with the others.
"""

from __future__ import annotations

import polars as pl

from lake.table_spec import Column, TableSpec

# Rebuilt by each load for the keys it touched (flows/gold_steps.py).
AUTHORS = TableSpec(
    name="authors",
    description=(
        "Gold: one row per author (a normalized name key) with their papers, listings, first/last listed and upvotes. "
        "Kept by deltas: listing_count sums each paper's (feed, day) listings, so a day two of their papers share counts twice."
    ),
    key=("author_key",),
    columns=(
        Column("author_key", pl.String, True, "the name without accents, lower case, non-alphanumerics to one space: one person of a name, two spellings of one person"),
        Column("display_name", pl.String, True, "the name as their first paper lists it"),
        Column("first_paper_id", pl.String, True, "their first paper: first listed, then the smallest id"),
        Column("paper_count", pl.Int32, True, "distinct papers listing them"),
        Column("listing_count", pl.Int32, True, "their papers' (feed, day) listings, summed over the papers (not distinct days)"),
        Column("first_listed_date", pl.Date, True),
        Column("last_listed_date", pl.Date, True),
        Column("upvote_count", pl.Int64, True, "their papers' Hugging Face upvotes (latest observation), summed"),
    ),
)

# What lets a load update `authors` by deltas: each touched paper's old part is read back from here
# (files in first-listed order, like `papers`, so only recent files are read and rewritten).
AUTHOR_PAPERS = TableSpec(
    name="author_papers",
    description="Gold: one row per paper and author on it: the name as listed, the paper's upvotes and listings.",
    key=("paper_id", "author_key"),
    columns=(
        Column("paper_id", pl.String, True),
        Column("author_key", pl.String, True, "as in `authors`"),
        Column("name", pl.String, True, "the name as the paper lists it"),
        Column("upvotes", pl.Int32, False, "the paper's Hugging Face upvotes (latest observation)"),
        Column("listing_count", pl.Int32, True, "the paper's distinct (feed, day) listings"),
        Column("first_listed_date", pl.Date, True, "the paper's first listing (its first_seen_date): the order of the files"),
        Column("last_listed_date", pl.Date, True),
        # Not marked required: no rule reads it, which keeps the nested list out of the GX check.
        Column("listing_dates", pl.List(pl.Date), False, "the day of each listing, sorted (a day twice when two feeds list it)"),
    ),
)

TOPICS = TableSpec(
    name="topics",
    description="Gold: per week and topic (arXiv category or Hugging Face keyword), papers listed, listings and upvotes.",
    key=("week_start_date", "kind", "topic"),
    columns=(
        Column("week_start_date", pl.Date, True, "the Monday of the ISO week the listings fall in"),
        Column("kind", pl.String, True, "arxiv_category or hf_keyword"),
        Column("topic", pl.String, True, "the category (cs.LG) or keyword, lower case"),
        Column("paper_count", pl.Int32, True, "distinct papers with the topic listed that week"),
        Column("listing_count", pl.Int32, True, "distinct (paper, feed, day) listings that week"),
        Column("upvote_count", pl.Int64, True, "those papers' upvotes (latest observation), each paper once"),
    ),
)
