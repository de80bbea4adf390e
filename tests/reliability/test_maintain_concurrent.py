"""`maintain` while another process writes: a commit that lost to a concurrent one is redone from a fresh read.

Real concurrency: a second process MERGEs into `papers` in a loop (what an ingest does) while this
one compacts and vacuums the table.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from lake import writes
from lake.maintenance import maintain_table
from tests.conftest import papers_in_small_commits

REPO = Path(__file__).resolve().parents[2]
MERGER = """
import sys, time, polars as pl
from lake import writes
from lake.schemas import PAPERS
from lake.store import Lake
from tests.conftest import paper_row
lake = Lake(sys.argv[1])
print("ready", flush=True)
for n in range(int(sys.argv[2])):
    rows = pl.DataFrame([paper_row(i) for i in range(12)]).with_columns(days_seen=pl.lit(n + 2))
    writes.upsert(lake, PAPERS, rows, writes.CommitInfo("merger"))
"""


def test_maintain_redoes_a_step_a_concurrent_merge_made_stale(lake):
    papers_in_small_commits(lake, 12)
    merger = subprocess.Popen(
        [sys.executable, "-c", MERGER, lake.uri, "60"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert merger.stdout.readline().strip() == "ready"
    results = []
    while merger.poll() is None and len(results) < 6:
        results.append(maintain_table(lake, "papers", writes.CommitInfo("maintain"), retention_days=0))
        time.sleep(0.05)
    _, stderr = merger.communicate(timeout=120)
    assert merger.returncode == 0, stderr[-2000:]
    papers = lake.read("papers")
    assert papers.height == 12 and papers["paper_id"].is_unique().all()
    assert papers["days_seen"].unique().to_list() == [61]  # every merge landed, the last one last
    assert results  # at least one full pass ran while the merges went on
