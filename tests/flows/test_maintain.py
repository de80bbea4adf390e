import pytest

from flows.maintain import maintain
from lake.schemas import SIGHTINGS, TABLES
from tests.flows.artifact_lookup import artifacts_of_run, run_id_of
from tests.conftest import papers_in_small_commits

pytestmark = pytest.mark.usefixtures("prefect_harness")
SMALL_COMMIT_COUNT = 12


@pytest.fixture
def small_files_lake(lake):
    return papers_in_small_commits(lake, SMALL_COMMIT_COUNT)


def test_maintain_compacts_every_table_keeps_rows_and_time_travel(small_files_lake):
    lake = small_files_lake
    rows_before = lake.read("papers").sort("paper_id")
    middle_version = 6
    rows_then = lake.read("papers", middle_version).sort("paper_id")

    state = maintain(retention_days=7, lake_uri=lake.uri, return_state=True)

    results = {r.table: r for r in state.result()}
    assert set(results) == set(TABLES)  # every table, created empty by ensure_tables
    assert (results["papers"].before.live_file_count, results["papers"].after.live_file_count) == (SMALL_COMMIT_COUNT, 1)
    assert lake.read("papers").sort("paper_id").equals(rows_before)
    assert lake.read("papers", middle_version).sort("paper_id").equals(rows_then)
    assert lake.read(SIGHTINGS.name).height == 0  # an empty table is maintained too, without harm


def test_maintain_commits_lead_back_to_the_run_and_leave_a_summary(small_files_lake):
    lake = small_files_lake
    state = maintain(retention_days=0, lake_uri=lake.uri, return_state=True)
    run_id = run_id_of(state)

    [optimize] = [h for h in lake.history("papers") if h["operation"] == "OPTIMIZE"]
    assert optimize["paperlake.run_id"] == str(run_id)
    assert optimize["paperlake.operation"] == "maintain"
    summary = artifacts_of_run(run_id)["maintain-summary"].data
    assert f"| papers | {SMALL_COMMIT_COUNT} → 1 |" in summary
    assert "time travel kept for 0 day(s)" in summary


def test_maintain_on_an_empty_lake_does_nothing(tmp_path):
    state = maintain(lake_uri=str(tmp_path / "nothing"), return_state=True)
    assert state.is_completed() and state.result() == []


def test_maintain_refuses_a_negative_retention(small_files_lake):
    state = maintain(retention_days=-1, lake_uri=small_files_lake.uri, return_state=True)
    assert state.is_failed()
    with pytest.raises(ValueError, match="retention_days"):
        state.result()
