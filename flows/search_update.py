"""The search step of a load: the touched papers' words appended to `search_words`.
No Prefect here: flows/search_steps.py makes it a task, and `paperlake dupes --merge` runs it as is.

    the touched papers' new rows (from write papers) -> their words, sorted -> one append
    (+ a marker row per paper indexed before, and per paper removed: their older rows stop counting)

Its cost follows the load (about 100 rows a paper), never the lake: nothing is read, nothing rewritten.
A new lake gets the table, empty, with the others (table_setup.ensure_tables: so runs racing to a new
lake, or one killed mid-load, leave no half index); a lake with papers from before the index has none
until `paperlake search-index` builds it: the step leaves such a lake alone, and `papers --search`
scans until then. `rebuild_search_words` writes
the table from every paper: what the appends must equal (tests/flows/test_search_steps.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from lake import search_words as lake_search
from lake import writes
from lake.store import Lake
from transforms.search_words import marker_rows, word_rows


@dataclass
class SearchUpdated:
    paper_count: int = 0  # papers whose words were appended
    row_count: int = 0  # rows appended, markers included
    built: bool = True  # False: the lake has no index yet (nothing done)


def update_search_words(lake: Lake, papers: pl.DataFrame, new_paper_ids: list[str], removed_ids: list[str], commit: writes.CommitInfo) -> SearchUpdated:
    """`papers`: the touched papers' rows as merged; `new_paper_ids`: those the lake did not have
    (no marker needed: nothing older to supersede); `removed_ids`: papers the load removed."""
    if not lake_search.is_built(lake):
        return SearchUpdated(built=False)  # a lake with papers from before the index: not half of one
    texts = papers.select("paper_id", "title", "abstract") if "paper_id" in papers.columns else pl.DataFrame(schema={"paper_id": pl.String, "title": pl.String, "abstract": pl.String})
    new = set(new_paper_ids)
    superseded = sorted({p for p in texts["paper_id"].to_list() if p not in new} | set(removed_ids))
    if texts.is_empty() and not superseded:
        return SearchUpdated()
    rows = pl.concat([marker_rows(superseded), word_rows(texts)])
    count = lake_search.append_words(lake, lambda version: rows.with_columns(pl.lit(version, pl.Int64).alias("indexed_version")), commit)
    return SearchUpdated(paper_count=texts.height, row_count=count)


def rebuild_search_words(lake: Lake, commit: writes.CommitInfo) -> int:
    """`search_words` written whole from every paper's current title and abstract; returns its rows."""
    return lake_search.rebuild(lake, (word_rows(batch) for batch in lake_search.papers_text_batches(lake)), commit)
