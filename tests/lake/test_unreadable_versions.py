"""A version vacuum removed, a table with a data file deleted, a full disk: each named, never a cut path.

Real vacuums (`maintain` with no retention) and real deleted files on a real Delta lake.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from lake import writes
from lake.health import check_writable, first_line_with_cause
from lake.maintenance import maintain_table
from lake.schemas import PAPERS
from lake.sql import QueryError, run_query
from lake.store import DamagedTableError, Lake
from tests.conftest import paper_row, papers_in_small_commits

REPO = Path(__file__).resolve().parents[2]


def test_a_vacuumed_version_says_why_and_which_versions_can_still_be_read(lake):
    papers_in_small_commits(lake, 4)
    assert run_query(lake, "select count(*) from papers", as_of=2).rows() == [(2,)]
    maintain_table(lake, "papers", writes.CommitInfo("maintain"), retention_days=0)
    latest_version = lake.delta("papers").version()
    with pytest.raises(QueryError) as refused:
        run_query(lake, "select count(*) from papers", as_of=2)
    message = str(refused.value)
    assert message.startswith("table 'papers' version 2 cannot be read: `paperlake maintain` vacuumed its data files on 20")
    assert "--retention-days" in message and "part-" in message
    assert f"versions 5..{latest_version} can still be read" in message  # the compaction (v5) and after
    assert run_query(lake, "select count(*) from papers", as_of=5).rows() == [(4,)]


def _delete_one_data_file(lake: Lake, name: str) -> str:
    path = lake.delta(name).file_uris()[0]
    os.remove(path)
    return os.path.basename(path)


def test_a_table_with_a_deleted_data_file_is_named_and_not_written_into(lake):
    papers_in_small_commits(lake, 3)
    deleted = _delete_one_data_file(lake, "papers")
    with pytest.raises(DamagedTableError, match=rf"table 'papers' in .* is damaged and cannot be read: 1 data file\(s\) missing, e.g. {deleted}"):
        lake.read("papers")
    log_files_before = sorted(os.listdir(Path(lake.table_uri("papers")) / "_delta_log"))
    with pytest.raises(DamagedTableError):
        writes.append(lake, PAPERS, pl.DataFrame([paper_row(99)]), writes.CommitInfo("test"))
    assert sorted(os.listdir(Path(lake.table_uri("papers")) / "_delta_log")) == log_files_before  # no commit
    # Nor into the other tables: sightings landing while papers cannot follow would put them out of step.
    with pytest.raises(DamagedTableError, match="table 'papers'"):
        check_writable(Lake(lake.uri), "sightings")  # what every commit of a new run asks first


def test_commands_on_a_damaged_table_end_in_one_line_and_validate_says_so(lake):
    papers_in_small_commits(lake, 3)
    deleted = _delete_one_data_file(lake, "papers")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERLAKE_")} | {"COLUMNS": "200"}

    def paperlake(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "paperlake.cli", *args, "--lake", lake.uri]
        return subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=120)

    listing = paperlake("query", "select count(*) from papers")
    assert listing.returncode != 0 and "Traceback" not in listing.stderr
    assert f"table 'papers' in {lake.uri} is damaged" in listing.stderr and deleted in listing.stderr
    checked = paperlake("validate")
    assert checked.returncode == 1 and "Traceback" not in checked.stderr + checked.stdout
    assert "cannot be read" in checked.stdout and deleted in checked.stderr


def test_a_full_disk_keeps_its_cause_in_the_one_line():
    hidden = OSError("Generic LocalFileSystem error: Unable to copy file")
    hidden.__cause__ = OSError("No space left on device (os error 28)")
    assert first_line_with_cause(hidden) == "Generic LocalFileSystem error: Unable to copy file: No space left on device (os error 28)"
