"""How a paper is recognised: normalized titles and stable paper ids.

Ids must not change across runs, machines or library versions, so title ids use blake2b of the
normalized title, never a Polars hash.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import polars as pl

TITLE_ID_PREFIX = "title:"
_NON_ALNUM_RUN = re.compile(r"[\W_]+")


def normalize_title(title: str) -> str:
    """NFKC, casefold, every run of non-letters/digits to one space, trimmed."""
    return _NON_ALNUM_RUN.sub(" ", unicodedata.normalize("NFKC", title).casefold()).strip()


def title_paper_id(title_key: str) -> str:
    return TITLE_ID_PREFIX + hashlib.blake2b(title_key.encode("utf-8"), digest_size=10).hexdigest()


def with_title_key(df: pl.DataFrame) -> pl.DataFrame:
    keys = [normalize_title(t) if t is not None else None for t in df["title"].to_list()]
    return df.with_columns(pl.Series("title_key", keys, dtype=pl.String))


def with_paper_id(df: pl.DataFrame) -> pl.DataFrame:
    """arXiv id (already without version) when the feed gave one, else an id from the normalized title."""
    title_ids = [title_paper_id(k) if k else None for k in df["title_key"].to_list()]
    return df.with_columns(
        pl.coalesce(pl.col("arxiv_id"), pl.Series(title_ids, dtype=pl.String)).alias("paper_id")
    )


def prefix_range(column: str, prefix: str) -> pl.Expr:
    """Rows whose `column` starts with `prefix`, said as a range so file and row-group statistics
    skip the files and groups that hold none (a starts_with test would read them all)."""
    after_prefix = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return (pl.col(column) >= prefix) & (pl.col(column) < after_prefix)
