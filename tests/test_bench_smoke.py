"""CI's run of the benchmark (`make bench-smoke`): every workload at a few days, so bench/ never rots.

No timing is asserted (a shared CI machine says little about speed); the run must finish and write
its JSON with every workload, figure and target, and print the markdown tables.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
WORKLOADS = {
    "floor", "backfill_volume_1y", "backfill_volume_10y", "backfill_1y", "backfill_10y", "daily_1y", "daily_10y", "window_1y", "window_10y",
    "queries_10y", "dupes_10y", "maintain_10y_month", "maintain_365_daily_commits",
}


@pytest.mark.slow  # 3 to 5 minutes: a dozen processes start Prefect and Great Expectations
@pytest.mark.timeout(1600)
def test_the_small_benchmark_writes_every_workload(tmp_path, prefect_harness):
    from prefect.settings import PREFECT_API_URL

    # The children use the session's Prefect server instead of starting one each (seconds apiece).
    env = dict(os.environ, PREFECT_API_URL=PREFECT_API_URL.value(), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(out), "--scratch", str(tmp_path / "scratch")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=1500,
    )

    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads(out.read_text())
    assert set(results["workloads"]) == WORKLOADS
    for name, workload in results["workloads"].items():
        assert workload["figures"], name
        for key, figure in workload["figures"].items():
            assert figure["values"] and all(math.isfinite(v) and v >= 0 for v in figure["values"]), (name, key)
    from bench.page_timing import chromium

    measured = [t for t in results["targets"] if chromium() or "Chromium" not in t["target"]]
    assert len(results["targets"]) == 38 and all(math.isfinite(t["value"]) for t in measured)
    assert results["workloads"]["queries_10y"]["details"]["show_paper_id"], "show ran on a paper of the lake"
    assert results["workloads"]["backfill_10y"]["details"]["chunk_seconds"], "the long backfill ran in chunks"
    volume = results["workloads"]["backfill_volume_10y"]["details"]
    assert volume["paper_count"] > 0 and volume["sighting_count"] == volume["floor_sighting_count"], "the floor loaded the same rows"
    assert "| target |" in done.stdout and "| figure |" in done.stdout
