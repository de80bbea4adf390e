"""Every command on a lake whose path has a space and non-ASCII characters: paths are used as given.

delta-rs hands readers percent-encoded local paths (`my%20lake`); before, `ingest` stored the raw
snapshots and then failed, and every reading command ended in a traceback.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lake.store import Lake
from paperlake.cli import app

runner = CliRunner()


@pytest.mark.slow
def test_every_command_works_on_a_lake_path_with_a_space_and_non_ascii(pages, tmp_path, prefect_harness, monkeypatch):
    monkeypatch.setenv("PAPERLAKE_DOCS", str(tmp_path / "docs"))
    lake_path = str(tmp_path / "my lake ünï日本")

    def paperlake(*args: str) -> str:
        result = runner.invoke(app, [*args, "--lake", lake_path])
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result.output

    assert "sightings written" in paperlake("ingest", str(pages))
    lake = Lake(lake_path)
    paper_count = lake.read("papers").height
    assert paper_count > 0 and lake.read("sightings").height >= paper_count
    paper_id = lake.read("papers")["paper_id"][0]
    paperlake("reparse")  # rebuilds sightings and papers from the stored raw snapshots
    assert lake.read("papers").height == paper_count
    assert len(json.loads(paperlake("papers", "-f", "json", "--limit", "500"))) == paper_count
    assert paper_id in paperlake("show", paper_id)
    paperlake("trending", "--until", "2024-03-13")
    paperlake("new", "--since", "2024-03-01")
    paperlake("dupes")
    paperlake("validate")
    paperlake("tables")
    paperlake("history", "papers")
    paperlake("quarantine")
    assert json.loads(paperlake("query", "select count(*) as n from papers", "-f", "json")) == [{"n": paper_count}]
    paperlake("report", "--out", str(tmp_path / "report ü.html"))
    assert (tmp_path / "report ü.html").stat().st_size > 0
    paperlake("maintain", "--retention-days", "0")
    assert lake.read("papers").height == paper_count
