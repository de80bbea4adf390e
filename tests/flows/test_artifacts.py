import json
from datetime import date

import polars as pl
import pytest
from prefect import flow

from flows.artifacts import ArtifactKeys, new_paper_rows, publish_load_artifacts, summary_markdown
from flows.reports import LoadReport, SnapshotOutcome
from lake import table_setup, writes
from lake.schemas import PAPERS
from tests.conftest import paper_row
from tests.flows.artifact_lookup import artifacts_of_run, run_id_of

DAY = date(2024, 3, 11)


def report(new_ids: list[str], returning: int, quarantined: int, versions: dict[str, int], skipped: int = 0) -> LoadReport:
    loaded = [SnapshotOutcome("https://hf/api?p=0", "a1", DAY, "ok", 7)]
    skips = [SnapshotOutcome("https://hf/api?p=1", f"s{n}", DAY, "skipped") for n in range(skipped)]
    return LoadReport(
        snapshots=loaded + skips, new_paper_count=len(new_ids), updated_paper_count=returning,
        quarantined_count=quarantined, new_paper_ids=new_ids, table_versions=versions,
        validation=[{"table": "sightings", "feed": "hf_daily", "snapshot_date": DAY, "rows_in": 7 + quarantined, "rows_clean": 7,
                     "rows_quarantined": quarantined, "rows_rejected": 0, "failed_rules": {"title_not_null": quarantined} if quarantined else {},
                     "rejected_by": []}],
    )


@pytest.fixture
def reports():
    return {
        "hf_daily": report(["2403.00001", "2403.00002"], 1, 2, {"papers": 3, "sightings": 2}, skipped=1),
        "arxiv": report(["2403.00003"], 0, 0, {"papers": 4, "sightings": 3}),
    }


@pytest.fixture
def papers_lake(lake):
    table_setup.ensure_tables(lake)
    writes.append(lake, PAPERS, pl.DataFrame([paper_row(n) for n in range(1, 4)]), writes.CommitInfo("test"))
    return lake


def test_summary_has_a_line_per_feed_failures_and_table_versions(reports):
    text = summary_markdown("daily 2024-03-11", reports, {"arxiv_extra": "HTTP 503 from https://x | twice"})

    assert "| hf_daily | ok | 2 | 1 | 7 | 2 | 1 | 2 |" in text
    assert "| arxiv | ok | 1 | 0 | 7 | 1 | 0 | 0 |" in text
    assert "| arxiv_extra | failed: HTTP 503 from https://x \\| twice |" in text
    assert "| feed | papers | sightings |" in text
    assert "| hf_daily | 3 | 2 |" in text and "| arxiv | 4 | 3 |" in text


def test_new_paper_rows_take_titles_from_the_lake(papers_lake, reports):
    rows = new_paper_rows(papers_lake, reports)

    assert [(r["feed"], r["paper_id"], r["title"]) for r in rows] == [
        ("hf_daily", "2403.00001", "Paper 1"), ("hf_daily", "2403.00002", "Paper 2"), ("arxiv", "2403.00003", "Paper 3"),
    ]
    assert rows[0]["first_seen_date"] == "2024-03-11" and rows[0]["feeds"] == "hf_daily"
    json.dumps(rows)  # what Prefect stores


@flow(name="artifact-check")
def publish(lake_uri: str, reports: dict, docs_index: str | None):
    from lake.store import Lake

    return publish_load_artifacts("daily", "daily 2024-03-11", reports, Lake(lake_uri), docs_index=docs_index)


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_leaves_summary_new_papers_and_docs_link_under_stable_keys(papers_lake, reports, tmp_path):
    docs = tmp_path / "validation" / "index.html"
    state = publish(papers_lake.uri, reports, str(docs), return_state=True)

    found = artifacts_of_run(run_id_of(state))
    assert set(found) == {"daily-summary", "daily-new-papers", "daily-data-docs"}
    assert state.result() == ArtifactKeys.of("daily")
    assert found["daily-summary"].type == "markdown" and "| hf_daily | ok |" in found["daily-summary"].data
    table = json.loads(found["daily-new-papers"].data)
    assert [r["title"] for r in table] == ["Paper 1", "Paper 2", "Paper 3"]
    # The validation summary is in the artifact itself; the Data Docs' path follows as text (file:// does not open from the UI).
    validation = found["daily-data-docs"]
    assert validation.type == "markdown" and "| table | feed | date | rows | passed | quarantined | rejected | failed rules |" in validation.data
    assert "| sightings | hf_daily | 2024-03-11 | 9 | 7 | 2 | 0 | title_not_null (2) |" in validation.data
    assert f"`{docs}`" in validation.data


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_without_new_papers_or_docs_still_has_summary_and_an_empty_table(papers_lake):
    state = publish(papers_lake.uri, {"hf_daily": report([], 3, 0, {"papers": 5})}, None, return_state=True)

    found = artifacts_of_run(run_id_of(state))
    assert set(found) == {"daily-summary", "daily-new-papers"}
    assert json.loads(found["daily-new-papers"].data)["paper_id"] == []
