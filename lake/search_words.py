"""Reading and writing `search_words`, the word index of `papers --search`.

Writes only append: a load's touched papers get their rows again at the table's next version, with
a marker row for papers indexed before, so their older rows stop counting (transforms/search_words.py
`current_rows`). Each append is sorted by word in row groups of 64k rows: a lookup of a few words
reads the matching row groups of each file, not the files. `rebuild` writes the table whole, from
`papers`, a batch of files at a time (a ten-year lake's 3.85 M papers in about 80 commits).

Each row has its paper as an integer too (`paper_key`): a search of several common words groups
their millions of rows on it, not on the string ids. An index an older paperlake built has none
until `paperlake search-index` rebuilds it, and reads the string ids.
"""

from __future__ import annotations

from datetime import date
from typing import Callable, Iterator

import polars as pl

from lake import writes
from lake.schemas import PAPERS, SEARCH_WORDS
from lake.store import Lake
from transforms.search_words import MARKER_TERM, term_range

ROW_GROUP_ROWS = 64 * 1024
REBUILD_FILES_PER_BATCH = 10  # papers files read per rebuild commit: about 50,000 papers
APPEND_GUARD = "paperlake.append.search_words"


def _writer_properties():
    from deltalake import WriterProperties

    return WriterProperties(max_row_group_size=ROW_GROUP_ROWS, compression="ZSTD")


def is_built(lake: Lake) -> bool:
    """A lake made before the index (or whose index was never built) has no `search_words` table."""
    return lake.has_table(SEARCH_WORDS.name)


def is_searchable(lake: Lake) -> bool:
    """Whether `papers --search` may answer from the index: built, and not empty beside papers that
    have rows (papers written by something other than a load, which indexes what it writes)."""
    return is_built(lake) and (_row_count(lake, SEARCH_WORDS.name) > 0 or papers_row_count(lake) == 0)


def papers_row_count(lake: Lake) -> int:
    """Rows of `papers`, from its log (no data file read)."""
    return _row_count(lake, PAPERS.name)


def _row_count(lake: Lake, name: str) -> int:
    if not lake.has_table(name):
        return 0
    return int(pl.DataFrame(lake.delta(name).get_add_actions(flatten=True))["num_records"].sum() or 0)


def papers_last_seen_range(lake: Lake) -> tuple[date, date] | None:
    """The first and last last_seen_date of `papers`, from its files' statistics in the log (no data
    file read; a search would otherwise read the column of every paper); None when a file has none."""
    if not lake.has_table(PAPERS.name):
        return None
    files = pl.DataFrame(lake.delta(PAPERS.name).get_add_actions(flatten=True))
    low, high = "min.last_seen_date", "max.last_seen_date"
    if files.is_empty() or low not in files.columns or high not in files.columns or files[low].null_count() or files[high].null_count():
        return None
    first, last = files[low].min(), files[high].max()
    return (first, last) if isinstance(first, date) and isinstance(last, date) else None


def append_words(lake: Lake, rows_at: Callable[[int], pl.DataFrame], commit: writes.CommitInfo) -> int:
    """Append `rows_at(version)`: rows stamped with the version this commit makes. A concurrent append
    makes this one conflict (same app transaction) and redo itself at the next version."""
    from deltalake import Transaction, write_deltalake

    def write() -> int:
        table = lake.delta(SEARCH_WORDS.name) if is_built(lake) else None  # None: this write creates it
        version = table.version() + 1 if table is not None else 0
        rows = SEARCH_WORDS.conform(rows_at(version))
        if rows.is_empty():
            return 0
        if table is not None:  # an index built before positions gets none until rebuilt: not half of them
            rows = rows.select(c for c in rows.columns if c in {f.name for f in table.schema().fields})
        write_deltalake(
            table if table is not None else lake.table_uri(SEARCH_WORDS.name), rows.to_arrow(),
            mode="append", storage_options=lake.storage_options,
            writer_properties=_writer_properties(), commit_properties=commit.properties(Transaction(APPEND_GUARD, version)),
        )
        return rows.height

    return writes.committing(lake, SEARCH_WORDS.name, write)


def papers_text_batches(lake: Lake, files_per_batch: int = REBUILD_FILES_PER_BATCH) -> Iterator[pl.DataFrame]:
    """paper_id, title, abstract of every paper, a few `papers` files at a time (memory stays flat)."""
    uris = lake.delta(PAPERS.name).file_uris() if lake.has_table(PAPERS.name) else []
    for start in range(0, len(uris), files_per_batch):
        yield pl.scan_parquet(uris[start : start + files_per_batch], storage_options=lake.storage_options or None).select(
            "paper_id", "title", "abstract"
        ).collect()


def rebuild(lake: Lake, batches: Iterator[pl.DataFrame], commit: writes.CommitInfo) -> int:
    """The table overwritten with `batches` of rows (term, paper_id, fields): the first batch replaces
    whatever was there, the others append. Returns the rows written."""
    from deltalake import write_deltalake

    written = 0
    for rows in batches:
        first = written == 0
        version = (lake.delta(SEARCH_WORDS.name).version() + 1) if lake.has_table(SEARCH_WORDS.name) else 0
        stamped = SEARCH_WORDS.conform(rows.with_columns(pl.lit(version, pl.Int64).alias("indexed_version")))
        writes.committing(lake, SEARCH_WORDS.name, lambda: write_deltalake(
            lake.table_uri(SEARCH_WORDS.name), stamped.to_arrow(), mode="overwrite" if first else "append",
            schema_mode="overwrite" if first else None, storage_options=lake.storage_options,
            writer_properties=_writer_properties(), commit_properties=commit.properties(),
        ))
        written += rows.height
    if written == 0:
        writes.committing(lake, SEARCH_WORDS.name, lambda: write_deltalake(
            lake.table_uri(SEARCH_WORDS.name), SEARCH_WORDS.empty_frame().to_arrow(), mode="overwrite",
            schema_mode="overwrite", storage_options=lake.storage_options, commit_properties=commit.properties(),
        ))
    return written


def has_paper_keys(words: pl.LazyFrame) -> bool:
    """An index built before paper keys lacks the column until `paperlake search-index` rebuilds it
    (a lake's loads never add it: not half of them)."""
    return "paper_key" in words.collect_schema().names()


def rows_of_terms(
    words: pl.LazyFrame, terms: list[str], positions: bool = False, from_paper_id: str | None = None, of_keys: pl.Series | None = None,
) -> pl.DataFrame:
    """Index rows of every word starting with one of `terms`, and every marker row (all versions);
    with their positions if asked and the index has them (null on rows written before it had); of
    the papers from `from_paper_id` on only, if given (file statistics then skip the older papers'
    files: a rebuild writes the papers a few files at a time, in the order of their ids); of the
    papers of `of_keys` (paper_key values) only, if given. With paper_key when the index has it."""
    wanted = pl.any_horizontal(pl.col("term") == MARKER_TERM, *(term_range(t) for t in terms))
    if from_paper_id is not None:
        wanted = wanted & (pl.col("paper_id") >= from_paper_id)
    if of_keys is not None:
        wanted = wanted & pl.col("paper_key").is_between(of_keys.min(), of_keys.max()) & pl.col("paper_key").is_in(of_keys.implode())
    columns = ["term", "paper_id", "fields", "indexed_version"]
    if positions and has_positions(words):
        columns.append("positions")
    if has_paper_keys(words):
        columns.append("paper_key")
    return words.filter(wanted).select(columns).collect()


def has_positions(words: pl.LazyFrame) -> bool:
    """An index built before positions lacks the column until `paperlake search-index` rebuilds it."""
    return "positions" in words.collect_schema().names()
