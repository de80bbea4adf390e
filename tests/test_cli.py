"""The `paperlake` command as a user runs it."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tests.conftest import heavy_modules_after
from paperlake.cli import app

runner = CliRunner()


@pytest.fixture
def ingested(pages, lake, prefect_harness):
    result = runner.invoke(app, ["ingest", str(pages), "--lake", lake.uri])
    assert result.exit_code == 0, result.output
    return lake


def test_ingest_prints_each_snapshot_and_then_what_it_skipped(ingested, pages):
    result = runner.invoke(app, ["ingest", str(pages), "--lake", ingested.uri])
    assert result.exit_code == 0, result.output
    assert "skipped 3 snapshot(s) already ingested" in result.output
    assert "0 sightings written, 0 quarantined; papers: 0 new, 0 updated" in result.output


def test_lake_comes_from_the_environment_when_no_flag(pages, tmp_path, monkeypatch, prefect_harness):
    monkeypatch.setenv("PAPERLAKE_LAKE", str(tmp_path / "env-lake"))
    result = runner.invoke(app, ["ingest", str(pages / "2024-03-13.txt")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env-lake" / "papers" / "_delta_log").is_dir()


def test_ingest_of_a_malformed_file_exits_1_and_names_file_line_and_rule(lake, prefect_harness):
    from tests.conftest import MALFORMED

    path = MALFORMED / "title_without_abstract.txt"
    result = runner.invoke(app, ["ingest", str(path), "--lake", lake.uri])
    assert result.exit_code == 1
    assert f"{path}:11: title with no abstract after it" in result.output
    assert "[title_without_abstract]" in result.output


def test_bad_date_and_missing_path_are_refused_before_any_work(tmp_path):
    result = runner.invoke(app, ["ingest", str(tmp_path), "--date", "2024-13-01"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
    result = runner.invoke(app, ["ingest", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2 and "no such file or folder" in result.output


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "paperlake.cli", *args], capture_output=True, text=True, timeout=60)


def test_query_prints_csv_and_json(ingested):
    csv = run_cli("query", "select paper_id, days_seen from papers where days_seen > 1 order by paper_id", "--format", "csv", "--lake", ingested.uri)
    assert csv.returncode == 0, csv.stderr
    lines = csv.stdout.strip().splitlines()
    assert lines[0] == "paper_id,days_seen" and len(lines) == 4
    rows = json.loads(run_cli("query", "select count(*) as n from sightings", "-f", "json", "--lake", ingested.uri).stdout)
    assert rows == [{"n": 8}]


def test_query_refuses_writes_with_a_clear_message(ingested):
    result = run_cli("query", "delete from papers", "--lake", ingested.uri)
    assert result.returncode == 2
    assert "read-only" in result.stderr


def test_query_path_imports_neither_prefect_nor_great_expectations(ingested):
    assert heavy_modules_after(["query", "select count(*) from papers"], lake_uri=ingested.uri) == []


def test_quarantine_lists_the_lines_the_parser_could_not_place_beside_rule_rejects(lake, prefect_harness):
    from tests.conftest import MALFORMED

    path = MALFORMED / "misplaced_lines.txt"
    ingest = runner.invoke(app, ["ingest", str(path), "--date", "2024-03-15", "--lake", lake.uri])
    assert ingest.exit_code == 1 and "3 sightings written, 3 quarantined" in ingest.output

    listing = runner.invoke(app, ["quarantine", "--lake", lake.uri])
    assert listing.exit_code == 0, listing.output
    [stray] = [line for line in listing.output.splitlines() if "title_without_abstract" in line]
    assert "parse" in stray and f"{path}:19" in stray and "A Second Title That Lost Its Abstract" in stray
    assert "abstract_without_title" in listing.output and "title_length" in listing.output  # the 3,000-character title
    rows = json.loads(runner.invoke(app, ["quarantine", "--format", "json", "--lake", lake.uri]).output)
    texts = {row["rule"]: json.loads(row["row_json"]).get("text") for row in rows if row["table"] == "parse"}
    assert texts["abstract_without_title"].startswith("An abstract whose title line is missing from the saved page")
