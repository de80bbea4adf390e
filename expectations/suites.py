"""Every suite by the table it guards. Importing this module never imports Great Expectations."""

from __future__ import annotations

from expectations import gold, papers, sightings, snapshots
from expectations.rules import Suite

SUITES: dict[str, Suite] = {s.table: s for s in (snapshots.SUITE, sightings.SUITE, papers.SUITE, gold.AUTHORS_SUITE, gold.TOPICS_SUITE)}


def suite_for(table: str) -> Suite:
    try:
        return SUITES[table]
    except KeyError:
        raise ValueError(f"no expectation suite for table {table!r}; known: {sorted(SUITES)}") from None
