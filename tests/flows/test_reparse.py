from datetime import date

import pytest

from flows.ingest import ingest_files
from flows.reparse import reparse_archive
from tests.conftest import assert_keys_unique

pytestmark = pytest.mark.usefixtures("prefect_harness")
STABLE = {"snapshots": ["snapshot_id", "parse_status", "row_count"], "sightings": None, "papers": None}


def contents(lake):
    frames = {}
    for name, columns in STABLE.items():
        frame = lake.read(name)
        selected = frame.select(columns or frame.columns)
        frames[name] = selected.sort(selected.columns[:3])
    return frames


def test_reparse_without_fetching_gives_the_same_tables(pages, lake):
    ingest_files([str(pages)], lake.uri)
    before = contents(lake)

    report = reparse_archive(lake.uri)

    assert report.sighting_count == 8
    after = contents(lake)
    for name in STABLE:
        assert after[name].equals(before[name]), name
    assert_keys_unique(lake)


def test_reparse_since_a_date_rebuilds_only_those_days(pages, lake):
    ingest_files([str(pages)], lake.uri)
    before = contents(lake)
    versions = {n: lake.delta(n).version() for n in STABLE}

    report = reparse_archive(lake.uri, feed="archive", since=date(2024, 3, 13))

    assert [s.snapshot_date for s in report.snapshots] == [date(2024, 3, 13)]
    assert report.sighting_count == 2
    assert lake.delta("sightings").version() == versions["sightings"] + 1
    after = contents(lake)
    for name in STABLE:
        assert after[name].equals(before[name]), name
