import pytest

from lake import table_setup, writes
from lake.sql import QueryError, run_query


@pytest.fixture
def empty_lake(lake):
    table_setup.ensure_tables(lake)
    return lake


def test_select_reads_every_table(empty_lake):
    result = run_query(empty_lake, "select (select count(*) from papers) p, (select count(*) from sightings) s, (select count(*) from snapshots) n")
    assert result.rows() == [(0, 0, 0)]


@pytest.mark.parametrize(
    "sql",
    ["delete from papers", "insert into papers (paper_id) values ('x')", "create table t as select 1", "drop table papers"],
)
def test_statements_that_write_are_refused(empty_lake, sql):
    with pytest.raises(QueryError, match="read-only"):
        run_query(empty_lake, sql)


@pytest.mark.parametrize(
    "sql",
    ["select * from read_csv('/etc/passwd')", "copy (select 1) to '/tmp/paperlake-escape.csv'", "select * from '/etc/hosts'"],
)
def test_files_outside_the_lake_are_refused(empty_lake, sql):
    with pytest.raises(QueryError):
        run_query(empty_lake, sql)


def test_unknown_table_lists_the_tables(empty_lake):
    with pytest.raises(QueryError, match="the lake's tables are: snapshots, sightings, papers"):
        run_query(empty_lake, "select * from paper")


def test_unknown_column_lists_the_columns(empty_lake):
    with pytest.raises(QueryError, match=r"papers: paper_id, arxiv_id, title"):
        run_query(empty_lake, "select nope from papers")


def test_count_of_a_whole_table_comes_from_the_log_and_equals_the_scan(lake):
    from datetime import date

    import polars as pl

    from lake.schemas import SIGHTINGS
    from tests.explore_scenario import scenario_sightings

    table_setup.ensure_tables(lake)
    rows = scenario_sightings()
    writes.append(lake, SIGHTINGS, rows.head(3), writes.CommitInfo("test", snapshot_dates=(date(2024, 3, 1),)))
    writes.append(lake, SIGHTINGS, rows.tail(-3), writes.CommitInfo("test", snapshot_dates=(date(2024, 3, 2),)))
    counted = run_query(lake, "SELECT COUNT(*) FROM sightings;")
    assert counted.rows() == [(rows.height,)] and counted.columns == ["count_star()"]
    assert run_query(lake, "select count(*) from sightings where true").rows() == [(rows.height,)]  # the general path agrees
    assert run_query(lake, "select count(*) from sightings", as_of=1).rows() == [(3,)]  # at a version, its files' counts
    assert run_query(lake, "select count(*) from papers").rows() == [(0,)]
    assert lake.scan("sightings").select(pl.len()).collect().item() == rows.height
