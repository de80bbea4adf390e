"""The write primitives: every commit carries paperlake's metadata; a table not written reads empty."""

from datetime import date

from feeds.base import payload_frame
from lake import snapshot_writes, table_setup, writes
from tests.conftest import archive_payload as payload

COMMIT = writes.CommitInfo(operation="test", run_id="run-1", feed="archive", snapshot_dates=(date(2024, 3, 11), date(2024, 3, 13)))


def test_every_commit_records_run_feed_dates_and_version(lake):
    table_setup.ensure_tables(lake)
    snapshot_writes.store_snapshots(lake, payload_frame([payload(b"page", 11)]), COMMIT)
    [latest] = lake.history("snapshots", limit=1)
    assert latest["paperlake.run_id"] == "run-1"
    assert latest["paperlake.feed"] == "archive"
    assert latest["paperlake.snapshot_dates"] == "2024-03-11..2024-03-13"
    assert latest["paperlake.version"] == "0.1.0"


def test_missing_table_reads_as_empty_frame_of_its_schema(lake):
    assert lake.read("sightings").height == 0
    assert "paper_id" in lake.read("sightings").columns
