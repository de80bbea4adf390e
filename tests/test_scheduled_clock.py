"""The real `paperlake run` reads the real clock: moved with faketime through an outage, it fetches what is due.

The flows take an injected clock in the other tests; this one proves the command itself, with no
day given (as the scheduled deployment runs it), plans from the process's own clock.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from lake.store import Lake
from paperlake.replay import HF_PATH, ReplayServer
from tests.feeds.replay_fixtures import SAMPLES
from tests.flows.live_fixtures import FAST_HTTP_ENV, requested_days

pytestmark = pytest.mark.slow

PAPERLAKE = [str(Path(sys.executable).parent / "paperlake")]


def paperlake_at(moment: str, *args: str, env: dict) -> subprocess.CompletedProcess:
    faketime = shutil.which("faketime")
    assert faketime, "faketime is not installed: .ci/run installs Debian's faketime package"
    # '@' starts the clock at that moment and lets it run (a frozen clock breaks every timeout).
    command = [faketime, "-f", f"@{moment}", *PAPERLAKE, *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_the_run_command_plans_from_the_process_clock_and_catches_up_after_an_outage(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    with ReplayServer(SAMPLES) as server:
        env = {**os.environ, **FAST_HTTP_ENV, "PAPERLAKE_HF_URL": server.base_url, "PAPERLAKE_ARXIV_URL": server.base_url,
               "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "COLUMNS": "200"}
        env.pop("PREFECT_API_URL", None)

        first = paperlake_at("2024-03-14 06:00:00", "run", "--lake", lake.uri, env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        hf_days = sorted(lake.read("feed_days").filter(pl.col("feed") == "hf_daily")["snapshot_date"])
        assert hf_days == [date(2024, 2, 28) + timedelta(days=n) for n in range(16)]  # the settling window, up to "today"
        assert "hf_daily 2024-02-28..2024-03-14: 16 day(s) fetched" in " ".join(first.stdout.split())

        since = len(server.requests)
        later = paperlake_at("2024-04-10 06:00:00", "run", "--lake", lake.uri, env=env)  # after four weeks down
        assert later.returncode == 0, later.stdout + later.stderr
        fetched = sorted(requested_days(server, HF_PATH, since))
        assert fetched[0] == "2024-02-28" and fetched[-1] == "2024-04-10" and len(fetched) == 43

        status = paperlake_at("2024-04-10 07:00:00", "status", "--days", "--format", "json", "--lake", lake.uri, env=env)
    assert status.returncode == 0, status.stderr
    open_days = json.loads(status.stdout)
    assert {d["snapshot_date"] for d in open_days if d["feed"] == "hf_daily"} == {
        str(date(2024, 3, 15) + timedelta(days=n)) for n in range(27)
    }
    assert all(d["problem"] is None for d in open_days)  # by the faked clock, nothing is overdue
    assert lake.read("papers").height == 30
