"""`python -m paperlake.demo`, what `make run` runs: the daily flow over the sample days against a local replay."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from lake.progress import table_versions
from lake.store import Lake
from paperlake import demo
from tests.flows.live_fixtures import FAST_HTTP_ENV, no_heartbeats  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]


def run_demo(lake: Lake, capsys) -> tuple[int, str]:
    code = demo.main(["--lake", lake.uri])
    return code, capsys.readouterr().out


@pytest.mark.usefixtures("prefect_harness", "no_heartbeats")
def test_the_demo_lands_three_days_of_both_feeds_and_the_pages_then_a_rerun_adds_nothing(lake, capsys, monkeypatch):
    for name in ("PAPERLAKE_HF_URL", "PAPERLAKE_ARXIV_URL", "PAPERLAKE_ARXIV_MIN_INTERVAL_SECONDS"):
        monkeypatch.delenv(name, raising=False)

    code, output = run_demo(lake, capsys)

    assert code == 0, output
    assert "daily 2024-03-11: hf_daily 10 new sightings, arxiv 6 new sightings" in output
    assert "daily 2024-03-13: hf_daily 9 new sightings, arxiv 6 new sightings" in output  # 4 submitted, 2 new versions
    assert "9 HTTP requests to the replay server" in output  # a page per HF day, two queries per arXiv day
    assert "archive: 3 page copies, 15 new sightings" in output
    assert "papers seen through several feeds (16, the first 10)" in output
    counts = {name: lake.delta(name).count() for name in ("snapshots", "sightings", "papers")}
    assert counts == {"snapshots": 12, "sightings": 61, "papers": 30}  # an arXiv day is two payloads
    assert re.search(r"│ papers +│ 30 +│", output)
    papers = lake.read("papers")
    assert papers["arxiv_id"].null_count() == 0  # every page title found its arXiv id
    assert papers.filter(pl.col("feeds").list.len() == 3).height == 5
    assert "PAPERLAKE_HF_URL" not in os.environ  # the replay's address was for the demo only

    versions = table_versions(lake)
    code, output = run_demo(lake, capsys)

    assert code == 0, output
    assert "daily 2024-03-12: hf_daily 0 new sightings, arxiv 0 new sightings" in output
    assert "archive: 3 page copies, 0 new sightings, 3 already ingested" in output
    assert table_versions(lake) == versions


@pytest.mark.slow
def test_the_demo_runs_as_make_run_runs_it_from_any_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERLAKE_", "PREFECT_API"))}
    env |= {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_HOME": str(tmp_path / "prefect"), **FAST_HTTP_ENV}
    result = subprocess.run(
        [sys.executable, "-m", "paperlake.demo", "--lake", str(tmp_path / "lake")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "archive: 3 page copies, 15 new sightings" in result.stdout
    assert Lake(str(tmp_path / "lake")).delta("papers").count() == 30
    # What landed, not Prefect's logs (about 160 INFO lines before; the Prefect UI keeps them).
    assert "INFO" not in result.stdout + result.stderr and "Traceback" not in result.stderr
    # The closing hints name the lake and the command as installed, so they work pasted anywhere.
    hints = result.stdout.split("explore the lake:")[1].split()
    assert f"{Path(sys.executable).parent / 'paperlake'}" in hints and str(tmp_path / "lake") in hints
