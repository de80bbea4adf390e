"""Time travel (versions and times) through SQL and through the Python API, on a real Delta lake.

The scenario (tests/explore_scenario.py) commits day by day: sightings get one version per feed
and day (v1..v12 after the create), papers one per day (v1..v7), quarantine one (v1).
"""

import io
import shutil
from datetime import datetime, timezone

import polars as pl
import pytest

from lake.schemas import TABLES
from lake import open_lake
from lake.sql import QueryError, encode, run_query
from tests.explore_scenario import A, D, T, write_scenario

COUNTS = "select (select count(*) from sightings) as sighting_count, (select count(*) from papers) as paper_count"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    from lake.store import Lake

    return write_scenario(Lake(str(tmp_path_factory.mktemp("time-travel") / "lake")))


def test_a_version_number_reads_that_version_of_the_table(written):
    lake = written.lake
    assert run_query(lake, "select count(*) as n from sightings", as_of=2).rows() == [(2,)]
    assert run_query(lake, "select count(*) as n from sightings", as_of="5").rows() == [(5,)]
    assert run_query(lake, "select count(*) as n from sightings").rows() == [(16,)]
    # papers v2 = after day 2: A, D and the title-only paper
    assert run_query(lake, "select paper_id from papers order by 1", as_of=2)["paper_id"].to_list() == [D, A, T]


def test_a_time_reads_every_table_as_it_was_then(written):
    after_day_3 = written.moments[3]
    assert run_query(written.lake, COUNTS, as_of=after_day_3).rows() == [(7, 4)]
    assert run_query(written.lake, COUNTS, as_of=after_day_3.isoformat()).rows() == [(7, 4)]
    # a time without a zone is UTC, like the times `paperlake history` prints
    assert run_query(written.lake, COUNTS, as_of=after_day_3.replace(tzinfo=None).isoformat()).rows() == [(7, 4)]
    assert run_query(written.lake, COUNTS, as_of=written.moments[7]).rows() == [(16, 5)]


def test_before_the_lake_existed_a_query_says_when_each_table_was_first_committed(written):
    # Issue 13 point 7: not a silent empty answer. The Python API still reads such a table as empty.
    with pytest.raises(QueryError) as refused:
        run_query(written.lake, COUNTS, as_of="2000-01-01")
    message = str(refused.value)
    assert "table 'sightings' did not exist yet at 2000-01-01T00:00:00+00:00: its first commit (version 0) was at 20" in message
    assert "table 'papers' did not exist yet" in message
    assert "a version number" in message and "a commit time" in message and "a date (2024-03-12, meaning 00:00 UTC)" in message
    assert open_lake(written.lake.uri).read("papers", as_of=datetime(2000, 1, 1, tzinfo=timezone.utc)).height == 0


def test_a_version_a_table_does_not_have_is_refused_only_if_the_query_reads_it(written):
    assert run_query(written.lake, "select count(*) as n from sightings", as_of=12).rows() == [(16,)]
    with pytest.raises(QueryError, match=r"table 'papers' has versions 0\.\.7: there is no version 12"):
        run_query(written.lake, COUNTS, as_of=12)


@pytest.mark.parametrize("as_of, message", [("yesterday", "neither a version number nor a date"), ("-1", "0 or more")])
def test_a_bad_as_of_is_explained(written, as_of, message):
    with pytest.raises(QueryError, match=message):
        run_query(written.lake, "select 1", as_of=as_of)


def test_python_api_gives_every_table_at_one_point_in_time(written):
    tables = open_lake(written.lake.uri).tables(as_of=written.moments[2])
    assert set(tables) == set(TABLES)
    assert tables["sightings"].select(pl.len()).collect().item() == 5
    assert tables["papers"].collect()["paper_id"].n_unique() == 3
    assert tables["quarantine"].collect().height == 0  # quarantined after day 7
    assert open_lake(written.lake.uri).scan("sightings", as_of=1).collect()["feed"].to_list() == ["hf_daily"]


def test_unknown_column_lists_the_columns_of_the_table_read(written):
    with pytest.raises(QueryError) as error:
        run_query(written.lake, "select nope from papers", as_of=1)
    assert "columns of papers:\n  papers: paper_id, arxiv_id, title" in str(error.value)
    assert "sightings:" not in str(error.value)
    with pytest.raises(QueryError, match=r"columns of quarantine:\n  quarantine: quarantine_id, table, feed"):
        run_query(written.lake, "select q.nope from quarantine q")


def test_unknown_table_lists_the_tables(written):
    with pytest.raises(QueryError, match="the lake's tables are: snapshots, sightings, papers, quarantine"):
        run_query(written.lake, "select * from sighting", as_of=1)


@pytest.mark.parametrize(
    "sql",
    [
        "update papers set title = 'x'",
        "attach '/tmp/other.duckdb' as other",
        "install httpfs",
        "set enable_external_access = true",
        "select 1; select 2",
    ],
)
def test_anything_but_one_select_is_refused(written, sql):
    with pytest.raises(QueryError, match="read-only|exactly one"):
        run_query(written.lake, sql, as_of=1)


@pytest.mark.parametrize(
    "sql",
    ["select * from read_parquet('" + "{uri}/papers/*.parquet')", "select * from read_text('/etc/hostname')", "select * from glob('/etc/*')"],
)
def test_files_even_inside_the_lake_are_read_only_through_its_tables(written, sql):
    with pytest.raises(QueryError, match="files, URLs and extensions are off limits|Permission"):
        run_query(written.lake, sql.format(uri=written.lake.uri))


def test_a_lake_from_before_the_quarantine_table_reads_it_as_empty_but_cannot_travel_in_it(written, tmp_path):
    copy = tmp_path / "lake"
    shutil.copytree(written.lake.uri, copy)
    shutil.rmtree(copy / "quarantine")
    lake = open_lake(str(copy))
    assert run_query(lake, "select count(*) as n from quarantine").rows() == [(0,)]
    assert run_query(lake, "select count(*) as n from quarantine", as_of=written.moments[7]).rows() == [(0,)]
    with pytest.raises(QueryError, match="quarantine.*does not exist yet"):
        run_query(lake, "select count(*) from quarantine", as_of=1)


def test_results_encode_as_csv_json_and_parquet():
    frame = pl.DataFrame({"paper_id": ["2403.00001"], "days_seen": [7]})
    assert encode(frame, "csv") == b"paper_id,days_seen\n2403.00001,7\n"
    assert encode(frame, "json") == b'[{"paper_id":"2403.00001","days_seen":7}]\n'
    assert pl.read_parquet(io.BytesIO(encode(frame, "parquet"))).equals(frame)
    with pytest.raises(QueryError, match="one of table, csv, json, parquet"):
        encode(frame, "xml")
