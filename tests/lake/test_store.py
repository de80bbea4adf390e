import polars as pl
import pytest
from deltalake import DeltaTable

from lake import table_setup, writes
from lake.changes import CHANGE_FEED_TABLES
from lake.schemas import TABLES
from lake.store import Lake, UnknownTableError


def test_tables_use_the_plainest_delta_protocol_so_any_reader_opens_them(lake):
    table_setup.ensure_tables(lake)
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


def test_a_lake_brings_the_table_it_opened_forward_to_every_later_commit(lake):
    """A run opens each table once and reads the commits since at every later use: what another
    process committed in between is read, as with a table opened afresh."""
    from tests.conftest import paper_row

    from lake.schemas import PAPERS

    table_setup.ensure_tables(lake)
    first = lake.delta("papers")
    other_process = Lake(lake.uri)
    writes.append(other_process, PAPERS, pl.DataFrame([paper_row(1)]), writes.CommitInfo("test"))
    del first
    assert lake.read("papers")["paper_id"].to_list() == ["2403.00001"]
    assert lake.delta("papers").version() == DeltaTable(lake.table_uri("papers")).version()
    opened = lake.delta("papers")
    assert lake.delta("papers") is not opened  # a caller still holding it keeps the version it read


def test_a_held_table_keeps_its_version_so_a_read_then_write_meets_the_conflict(lake):
    """A read-then-write keeps its table while other code of the same process commits: that commit is
    a concurrent one for it, not one its table silently moves past."""
    from tests.conftest import paper_row

    from lake.schemas import PAPERS

    table_setup.ensure_tables(lake)
    held = lake.delta("papers")
    read_version = held.version()
    writes.append(lake, PAPERS, pl.DataFrame([paper_row(1)]), writes.CommitInfo("test"))
    assert held.version() == read_version
    assert lake.delta("papers").version() == read_version + 1


def test_a_table_made_anew_is_not_read_from_the_one_opened_before(lake):
    import shutil

    from tests.conftest import paper_row

    from lake.schemas import PAPERS

    table_setup.ensure_tables(lake)
    for n in range(3):
        writes.append(lake, PAPERS, pl.DataFrame([paper_row(n)]), writes.CommitInfo("test"))
    assert lake.read("papers").height == 3
    shutil.rmtree(lake.table_uri("papers"))
    table_setup.ensure_tables(lake)
    assert lake.read("papers").height == 0 and lake.delta("papers").version() == 0


def test_a_lake_crosses_threads_and_pickling_without_its_open_tables(lake):
    import pickle
    import threading

    table_setup.ensure_tables(lake)
    mine = lake.delta("papers")
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(lake.delta("papers")))
    thread.start()
    thread.join()
    assert theirs[0] is not mine  # a DeltaTable is not shared between threads
    copy = pickle.loads(pickle.dumps(lake))
    assert copy.uri == lake.uri and copy.read("papers").height == 0


def test_a_finished_threads_tables_are_let_go(lake):
    import threading

    table_setup.ensure_tables(lake)
    for _ in range(5):  # task threads come and go: each opens papers once
        thread = threading.Thread(target=lambda: lake.delta("papers"))
        thread.start()
        thread.join()
    lake.delta("sightings")  # an open in a live thread lets the finished ones' tables go
    assert {name for _, name in lake._opened} <= {"papers", "sightings"}
    assert all(ident in {t.ident for t in threading.enumerate()} for ident, _ in lake._opened)


def test_the_lakes_of_one_root_share_their_opened_tables(lake, tmp_path, monkeypatch):
    """A run makes a Lake per flow and subflow: each would replay every table's log again. They
    share what the process opened; a copy that crossed pickling does too, another root does not."""
    import pickle

    from tests.conftest import paper_row

    from lake import store
    from lake.schemas import PAPERS

    table_setup.ensure_tables(lake)
    opened = []
    monkeypatch.setattr(store.LakeDeltaTable, "__init__", lambda self, *a, **k: opened.append(a[0]) or DeltaTable.__init__(self, *a, **k))
    lake.delta("papers")
    Lake(lake.uri).delta("papers")
    pickle.loads(pickle.dumps(Lake(lake.uri))).delta("papers")
    assert opened == []
    writes.append(Lake(lake.uri), PAPERS, pl.DataFrame([paper_row(1)]), writes.CommitInfo("test"))
    assert lake.read("papers")["paper_id"].to_list() == ["2403.00001"]
    assert lake.table_uri("papers") not in opened  # brought forward, not reopened
    others = [Lake(str(tmp_path / f"other{n}")) for n in range(store._OPENED_LAKES_KEPT)]
    for other in others:
        table_setup.ensure_tables(other)
    assert Lake(lake.uri).delta("papers").version() == DeltaTable(lake.table_uri("papers")).version()
    assert opened[-1] == lake.table_uri("papers")  # the lakes used since pushed this one's tables out
