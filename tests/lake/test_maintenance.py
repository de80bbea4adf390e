import polars as pl
import pytest

from lake import writes
from lake.maintenance import log_retention_days, maintain_table
from tests.conftest import papers_in_small_commits

COMMIT = writes.CommitInfo(operation="maintain", run_id="run-7")
SMALL_COMMIT_COUNT = 20


@pytest.fixture
def small_files_lake(lake):
    return papers_in_small_commits(lake, SMALL_COMMIT_COUNT)


def sorted_papers(lake, as_of=None) -> pl.DataFrame:
    return lake.read("papers", as_of).sort("paper_id")


def test_compaction_leaves_fewer_files_and_the_same_rows(small_files_lake):
    lake = small_files_lake
    rows_before = sorted_papers(lake)

    result = maintain_table(lake, "papers", COMMIT, retention_days=7)

    assert (result.before.live_file_count, result.after.live_file_count) == (SMALL_COMMIT_COUNT, 1)
    assert result.compacted_file_count == SMALL_COMMIT_COUNT
    assert sorted_papers(lake).equals(rows_before)
    assert result.after.live_byte_count < result.before.live_byte_count


def test_time_travel_inside_the_retention_still_works(small_files_lake):
    lake = small_files_lake
    middle_version = 10
    rows_then = sorted_papers(lake, middle_version)

    result = maintain_table(lake, "papers", COMMIT, retention_days=7)

    assert result.vacuumed_file_count == 0  # every replaced file is younger than a week
    assert result.after.stored_file_count == SMALL_COMMIT_COUNT + 1
    assert sorted_papers(lake, middle_version).equals(rows_then)
    assert rows_then.height == middle_version


def test_zero_retention_deletes_replaced_files_and_keeps_the_rows(small_files_lake):
    lake = small_files_lake
    rows_before = sorted_papers(lake)

    result = maintain_table(lake, "papers", COMMIT, retention_days=0)

    assert result.vacuumed_file_count == SMALL_COMMIT_COUNT
    assert (result.after.stored_file_count, result.after.live_file_count) == (1, 1)
    assert sorted_papers(lake).equals(rows_before)


def test_maintenance_commits_record_the_run(small_files_lake):
    lake = small_files_lake
    maintain_table(lake, "papers", COMMIT, retention_days=0)

    ours = [h for h in lake.history("papers") if h.get("paperlake.operation") == "maintain"]
    assert {h["operation"] for h in ours} >= {"OPTIMIZE", "VACUUM START", "VACUUM END"}
    assert {h["paperlake.run_id"] for h in ours} == {"run-7"}


def test_log_retention_is_raised_to_cover_a_long_retention_and_never_lowered(small_files_lake):
    lake = small_files_lake
    maintain_table(lake, "papers", COMMIT, retention_days=7)
    assert log_retention_days(lake.delta("papers")) == 30  # Delta's default already covers a week

    maintain_table(lake, "papers", COMMIT, retention_days=60)
    maintain_table(lake, "papers", COMMIT, retention_days=7)
    assert log_retention_days(lake.delta("papers")) == 60


def test_a_second_pass_compacts_nothing(small_files_lake):
    lake = small_files_lake
    maintain_table(lake, "papers", COMMIT, retention_days=7)

    again = maintain_table(lake, "papers", COMMIT, retention_days=7)

    assert (again.compacted_file_count, again.written_file_count, again.after.live_file_count) == (0, 0, 1)


def test_negative_retention_is_refused(small_files_lake):
    with pytest.raises(ValueError, match="retention_days"):
        maintain_table(small_files_lake, "papers", COMMIT, retention_days=-1)


def test_a_later_pass_vacuums_what_an_earlier_one_compacted(small_files_lake):
    """Week 1 compacts and keeps the small files for time travel; once they age out, week 2 deletes
    them, although a checkpoint now stands between their removal and the vacuum."""
    lake = small_files_lake
    maintain_table(lake, "papers", COMMIT, retention_days=7)

    later = maintain_table(lake, "papers", COMMIT, retention_days=0)  # as if the week had passed

    assert later.vacuumed_file_count == SMALL_COMMIT_COUNT
    assert later.after.stored_file_count == 1
