import polars as pl
import pytest
from deltalake import DeltaTable

from lake import writes
from lake.changes import CHANGE_FEED_TABLES
from lake.schemas import TABLES
from lake.store import Lake, UnknownTableError


def test_tables_use_the_plainest_delta_protocol_so_any_reader_opens_them(lake):
    writes.ensure_tables(lake)
    for name, spec in TABLES.items():
        table = DeltaTable(lake.table_uri(name))
        protocol = table.protocol()
        # Writer version 4 is what the change feed needs (no table features); readers see version 1 everywhere.
        writer_version = 4 if name in CHANGE_FEED_TABLES else 2
        assert (protocol.min_reader_version, protocol.min_writer_version) == (1, writer_version), name
        assert protocol.reader_features is None and protocol.writer_features is None
        assert table.metadata().name == name
        assert pl.read_delta(lake.table_uri(name)).columns == spec.column_names
        assert table.to_pyarrow_table().num_rows == 0


def test_unknown_table_names_the_known_ones(lake):
    with pytest.raises(UnknownTableError, match="the lake's tables are: snapshots, sightings, papers"):
        lake.table_uri("paper")


def test_relative_lake_uri_is_made_absolute_and_object_store_uris_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Lake("data/lake").uri == str(tmp_path / "data" / "lake")
    assert Lake("s3://bucket/prefix").table_uri("papers") == "s3://bucket/prefix/papers"


def test_time_travel_to_a_missing_table_says_ingest_first(lake):
    with pytest.raises(FileNotFoundError, match="does not exist yet"):
        lake.read("papers", as_of=0)
