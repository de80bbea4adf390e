"""What a run asks the lake about its own progress: which parse outcomes count as landed, and how far
each table has got. Read-only. Which feed-days are final lives in `feed_days` (lake/feed_days.py).
"""

from __future__ import annotations

from lake.schemas import TABLES
from lake.store import Lake

# The parse outcomes a finished load leaves (see flows.reports.outcome_frame).
LANDED_STATUSES = ("ok", "partial", "failed")


def table_versions(lake: Lake) -> dict[str, int]:
    """Each table's latest Delta version; -1 for a table not created yet (so a difference counts commits)."""
    return {name: lake.delta(name).version() if lake.has_table(name) else -1 for name in TABLES}
