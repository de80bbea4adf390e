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


def test_a_title_only_paper_seen_years_ago_is_relinked_without_opening_a_file_of_the_years_between(lake, monkeypatch):
    """Its sightings lie on the days it was seen: the relink MERGE reads those days' files, however
    many years of files lie between them and the load's (and a paper seen again is read on both)."""
    from lake.store import Lake
    from tests.conftest import hide_files_between, lake_of_years, land_load, listing, put_back

    lake_of_years(lake, gold=False)
    title_id = "title:0a1b2c3"
    land_load(lake, pl.DataFrame([listing(title_id, date(2019, 1, 20), 1, "archive") | {"arxiv_id": None}]), gold=False)
    pending = payload(b"a load not finished", 11)  # its day counts too: its papers rows may not be written yet
    snapshot_writes.store_snapshots(lake, payload_frame([pending]), COMMIT)
    hidden = hide_files_between(lake, date(2020, 1, 1), date(2023, 12, 31))
    monkeypatch.setattr(Lake, "_check_files", lambda *args: None)

    days = sighting_writes.sightings_days(lake, [title_id, "1901.00001"])
    assert days == ((date(2019, 1, 14), date(2019, 1, 20)), (date(2024, 3, 11), date(2024, 3, 11)))
    assert sighting_writes.sightings_of(lake, [title_id], days)["snapshot_date"].to_list() == [date(2019, 1, 20)]
    mapping = pl.DataFrame({"old_paper_id": [title_id], "arxiv_id": ["1901.00009"]})
    assert sighting_writes.relink_sightings(lake, mapping, COMMIT, days=days)["num_target_rows_updated"] == 1
    assert sighting_writes.sightings_days(lake, ["9999.00001"]) is not None  # a paper with no row: the pending load may hold it
    put_back(hidden)
    assert lake.read("sightings").filter(pl.col("paper_id") == "1901.00009").height == 1
    assert lake.read("sightings").filter(pl.col("paper_id") == title_id).is_empty()
