"""`paperlake query` has a time limit and a memory limit, and a runaway query stopped by them or by a signal ends in one line.

Real runaway queries (a three-way non-equi self join of `papers`, about 10^10 comparisons) in a
real `paperlake query` process, stopped by the limit or by a real SIGINT / SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from lake.sql import QueryLimits, run_query
from tests.conftest import paper_row

RUNAWAY = "select count(*) from papers a, papers b, papers c where a.title < b.title and b.title < c.title and a.days_seen + b.days_seen > c.days_seen"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def big_lake(tmp_path_factory):
    from lake import table_setup, writes
    from lake.schemas import PAPERS
    from lake.store import Lake

    lake = Lake(str(tmp_path_factory.mktemp("limits") / "lake"))
    table_setup.ensure_tables(lake)
    writes.append(lake, PAPERS, pl.DataFrame([paper_row(n) for n in range(3000)]), writes.CommitInfo("test"))
    return lake


def _query(lake, sql: str, *flags: str, **env: str) -> subprocess.Popen:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PAPERLAKE_")} | env
    command = [sys.executable, "-m", "paperlake.cli", "query", sql, "--lake", lake.uri, *flags]
    return subprocess.Popen(command, env=environ, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_until_catching_sigterm(process: subprocess.Popen, seconds: float = 60) -> None:
    """Until the command has installed its handlers (before that, a signal is Python's default)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        status = Path(f"/proc/{process.pid}/status").read_text()
        caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
        if caught & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.05)
    pytest.fail("the query command never installed its signal handlers")


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr[-2000:]
    return lines[0]


@pytest.mark.slow
def test_a_runaway_query_stops_at_its_time_limit_with_one_line(big_lake):
    started_at = time.monotonic()
    process = _query(big_lake, RUNAWAY, PAPERLAKE_QUERY_TIME_LIMIT_SECONDS="1.5")
    _, stderr = process.communicate(timeout=60)
    elapsed_seconds = time.monotonic() - started_at
    assert process.returncode == 1
    assert "its time limit is 1.5 s" in _one_line(stderr)
    assert "--no-limits" in stderr
    assert elapsed_seconds < 30, f"{elapsed_seconds:.1f} s"  # imports included, on a busy CI machine


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_interrupts_a_query_with_one_line(big_lake, signum, exit_code):
    process = _query(big_lake, RUNAWAY)
    _wait_until_catching_sigterm(process)
    time.sleep(0.5)  # into the join
    assert process.poll() is None, process.communicate()
    started_at = time.monotonic()
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    assert time.monotonic() - started_at < 5
    assert process.returncode == exit_code, stderr[-2000:]
    assert "query interrupted after" in _one_line(stderr)


def test_the_memory_limit_stops_a_query_that_needs_more(big_lake):
    sql = "select string_agg(a.title || b.title, ',') from papers a, papers b"  # 9 million strings held at once
    with pytest.raises(Exception, match="needed more than its memory limit of 20MB"):
        run_query(big_lake, sql, limits=QueryLimits(time_limit_seconds=60, memory_limit="20MB"))
    # --no-limits lifts both
    assert QueryLimits.from_env({"PAPERLAKE_QUERY_TIME_LIMIT_SECONDS": "1"}, lifted=True) == QueryLimits(None, None)
    assert run_query(big_lake, "select count(*) from papers", limits=QueryLimits(None, None)).rows() == [(3000,)]
