"""Writes of `sightings`: a snapshot's sightings land once."""

from datetime import date

import polars as pl

from feeds.base import payload_frame
from lake import sighting_writes, snapshot_writes, table_setup, writes
from tests.conftest import archive_payload as payload

COMMIT = writes.CommitInfo(operation="test", run_id="run-1", feed="archive", snapshot_dates=(date(2024, 3, 11), date(2024, 3, 13)))


def sightings_of_snapshot(snapshot_id: str, day: date, count: int = 2) -> pl.DataFrame:
    return pl.DataFrame([
        {"snapshot_id": snapshot_id, "paper_id": f"2403.{n:05d}", "feed": "archive", "snapshot_date": day, "rank": n + 1,
         "title": f"Paper {n}", "title_key": f"paper {n}"}
        for n in range(count)
    ])


def test_sightings_of_a_snapshot_land_once_even_when_its_content_comes_again_for_another_day(lake):
    """The check reads only the files of the snapshots' days: the day its content was first stored counts
    too (an id is a content hash), so a load that died after its sightings and is redone later adds nothing."""
    table_setup.ensure_tables(lake)
    first = payload(b"page one", 11)
    snapshot_writes.store_snapshots(lake, payload_frame([first]), COMMIT)
    assert sighting_writes.store_sightings(lake, sightings_of_snapshot(first.snapshot_id, date(2024, 3, 11)), COMMIT) == 2
    for day in (11, 13):  # the same load again, and the same content listed for a later day
        assert sighting_writes.store_sightings(lake, sightings_of_snapshot(first.snapshot_id, date(2024, 3, day)), COMMIT) == 0
    other = payload(b"page two", 13)
    snapshot_writes.store_snapshots(lake, payload_frame([other]), COMMIT)
    assert sighting_writes.store_sightings(lake, sightings_of_snapshot(other.snapshot_id, date(2024, 3, 13), 3), COMMIT) == 3
    stored = lake.read("sightings")
    assert stored.height == 5 and stored.select("snapshot_id", "paper_id").is_unique().all()
