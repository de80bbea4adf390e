"""`paperlake search-index`: build (or rebuild) the word index `papers --search` reads.

A new lake has the index from its first load; a lake made before it scans every abstract on each
search until this has run once. Loads keep it current after that. An index built before it kept
word places reads texts to settle a phrase until this rebuilds it.
"""

from __future__ import annotations

import time

import typer

from paperlake.cli_base import err, fail, one_line, open_lake
from paperlake.cli_options import LakeOption

BUILD_HINT = "paperlake search-index"


def register(app: typer.Typer) -> None:
    app.command("search-index")(search_index)


def search_index(lake: LakeOption = None) -> None:
    """Build the word index of titles and abstracts from every paper (replacing any there), so `papers --search` reads a few words' rows, not every abstract."""
    from flows.search_update import rebuild_search_words
    from lake import writes

    the_lake = open_lake(lake)
    if not the_lake.has_table("papers"):
        fail(f"no papers in {the_lake.uri} yet: ingest something first")
    started = time.perf_counter()
    try:
        rows = rebuild_search_words(the_lake, writes.CommitInfo("search-index"))
    except (writes.LakeWriteError, OSError) as error:
        fail(f"search-index: {one_line(error)}")
    err.print(f"search_words: {rows:,} rows written in {time.perf_counter() - started:.1f} s ({the_lake.uri})", highlight=False)
