"""Creating the lake's tables: every declared table, empty, with its schema and table properties;
an older lake's tables get the columns and properties declared since. Each is one commit (lake/writes.py).
"""

from __future__ import annotations

from deltalake import DeltaTable
from deltalake.exceptions import DeltaError

from lake.evolve import add_missing_columns
from lake.gold_schemas import AUTHOR_PAPERS, AUTHORS
from lake.schemas import PAPERS, SEARCH_WORDS, SIGHTINGS, TABLES
from lake.store import Lake
from lake.table_spec import TableSpec
from lake.writes import committing

# Files of a few MB instead of one file per table: a MERGE rewrites every file that holds a matched
# row, and papers are written in first-seen order, so the daily update of recently seen papers
# rewrites a few recent files, not the whole table (DESIGN.md: 0.5 s a day at 1M rows). Delta
# writes, MERGE outputs and `maintain`'s compaction all honour the property.
TARGET_FILE_BYTES = 4 * 1024 * 1024
# The change feed (lake/changes.py) of the two tables readers follow: each MERGE also writes its
# updated and deleted rows to _change_data/ files. A lake made before gets it on its next load
# (one property commit, no data rewritten); changes are recorded from that version on.
CHANGE_FEED_PROPERTY = "delta.enableChangeDataFeed"
TABLE_PROPERTIES: dict[str, dict[str, str]] = {
    PAPERS.name: {"delta.targetFileSize": str(TARGET_FILE_BYTES), CHANGE_FEED_PROPERTY: "true"},
    SIGHTINGS.name: {"delta.targetFileSize": str(TARGET_FILE_BYTES), CHANGE_FEED_PROPERTY: "true"},
    # The gold step MERGEs a day's authors: files of a few MB are what it rewrites, not one big one.
    AUTHORS.name: {"delta.targetFileSize": str(TARGET_FILE_BYTES)},
    AUTHOR_PAPERS.name: {"delta.targetFileSize": str(TARGET_FILE_BYTES)},
}


def ensure_tables(lake: Lake) -> None:
    """Create every declared table that does not exist yet, empty, with its schema; give a table
    an older paperlake created the (nullable) columns declared since, and its table properties.

    Opening every table here is also the damage check a lake's first write makes (lake/health.py):
    done once, not again on the first commit.
    """
    from lake.health import mark_tables_checked

    for spec in TABLES.values():
        if spec is SEARCH_WORDS and not lake.has_table(spec.name) and _has_papers(lake):
            continue  # a lake with papers from before the index: `paperlake search-index` builds it, not half of one
        if not lake.has_table(spec.name):
            committing(lake, spec.name, lambda spec=spec: _create(lake, spec))
            continue
        # One read of the table says whether anything is missing; most runs find nothing and commit nothing.
        table = lake.delta(spec.name)  # raises DamagedTableError naming the table and the missing file
        present = {field.name for field in table.schema().fields}
        if any(c.name not in present and not c.rebuilt for c in spec.columns):
            committing(lake, spec.name, lambda spec=spec: add_missing_columns(lake, spec))
        configuration = table.metadata().configuration
        if any(configuration.get(k) is None for k in TABLE_PROPERTIES.get(spec.name, {})):
            committing(lake, spec.name, lambda spec=spec: _set_missing_properties(lake, spec))
    mark_tables_checked(lake)


def _has_papers(lake: Lake) -> bool:
    from lake.search_words import papers_row_count

    return papers_row_count(lake) > 0


def _set_missing_properties(lake: Lake, spec: TableSpec) -> None:
    """A lake created before TABLE_PROPERTIES gets them; its next MERGE splits a big file as they say."""
    wanted = TABLE_PROPERTIES[spec.name]
    table = lake.delta(spec.name)
    current = table.metadata().configuration
    missing = {k: v for k, v in wanted.items() if current.get(k) is None}
    if missing:
        table.alter.set_table_properties(missing)


def _create(lake: Lake, spec: TableSpec) -> None:
    try:
        DeltaTable.create(
            lake.table_uri(spec.name),
            schema=spec.arrow_schema(),
            mode="ignore",
            partition_by=list(spec.partition_by) or None,
            name=spec.name,
            description=spec.description,
            configuration=TABLE_PROPERTIES.get(spec.name),
            storage_options=lake.storage_options,
        )
    except DeltaError:
        if not lake.has_table(spec.name):  # else a concurrent run created it first: what we wanted
            raise
