"""watches and digest_deliveries: one active watch per name, and a paper claimed once per watch, even by overlapping runs."""

from __future__ import annotations

import threading
from datetime import date, datetime, timezone

import polars as pl
import pytest

from lake import watches, writes

NOW = datetime(2024, 3, 19, 6, tzinfo=timezone.utc)
COMMIT = writes.CommitInfo("test", "run-1")


def watch_row(name: str, **criteria) -> dict:
    return {"watch_name": name, "any_terms": ["agents"], "status": watches.ACTIVE, "since_date": date(2024, 3, 18), "created_at": NOW, **criteria}


def test_a_name_is_one_active_watch_and_a_removed_one_can_come_back(lake):
    watches.add_watch(lake, watch_row("agents"), COMMIT)
    with pytest.raises(watches.WatchExistsError, match="a watch named 'agents' exists already"):
        watches.add_watch(lake, watch_row("agents", any_terms=["other"]), COMMIT)
    watches.remove_watch(lake, "agents", NOW, COMMIT)
    assert watches.read_watches(lake).is_empty()
    [removed] = watches.read_watches(lake, include_removed=True).to_dicts()
    assert (removed["status"], removed["removed_at"]) == ("removed", NOW)
    with pytest.raises(watches.UnknownWatchError, match="no watch named 'agents'"):
        watches.remove_watch(lake, "agents", NOW, COMMIT)

    watches.add_watch(lake, watch_row("agents", any_terms=["robots"]), COMMIT)
    [back] = watches.read_watches(lake).to_dicts()
    assert (back["any_terms"], back["status"], back["removed_at"]) == (["robots"], "active", None)
    assert lake.read("watches").height == 1  # one row per name; its earlier lives are in the Delta history
    assert len(lake.history("watches")) >= 4


def test_a_paper_is_claimed_once_per_watch(lake):
    claim = lambda ids, digest_id, watch="agents": watches.claim_papers(lake, watch, ids, digest_id, NOW, watches.CLAIMED, COMMIT)  # noqa: E731
    assert claim(["p1", "p2"], "d1") == ["p1", "p2"]
    assert claim(["p1", "p2", "p3"], "d2") == ["p3"]
    assert claim(["p1", "p2", "p3"], "d3") == []  # a retried run: nothing left to send
    assert claim(["p1"], "e1", watch="robots") == ["p1"]  # another watch has its own digests
    deliveries = lake.read("digest_deliveries")
    assert deliveries.height == deliveries.select("watch_name", "paper_id").n_unique() == 4
    watches.record_sending(lake, "agents", "d1", NOW, None, COMMIT)
    watches.record_sending(lake, "agents", "d2", NOW, "HTTPStatusError: 500", COMMIT)
    states = dict(watches.deliveries_of(lake, "agents").select("paper_id", "status").iter_rows())
    assert states == {"p1": "sent", "p2": "sent", "p3": "failed"}


def test_of_two_overlapping_claims_the_later_commit_is_redone_and_claims_nothing(lake, monkeypatch):
    """Run A reads the deliveries; run B claims the same papers and commits; then A commits."""
    watches.claim_papers(lake, "agents", ["p0"], "d0", NOW, watches.CLAIMED, COMMIT)  # the table exists
    real_write = watches.write_deltalake
    claimed_by_b: list[str] = []
    b_ran = threading.Event()

    def write_after_b(*args, **kwargs):
        if not b_ran.is_set():
            b_ran.set()
            claimed_by_b.extend(watches.claim_papers(lake, "agents", ["p1", "p2", "p3"], "run-b", NOW, watches.CLAIMED, COMMIT))
        return real_write(*args, **kwargs)

    monkeypatch.setattr(watches, "write_deltalake", write_after_b)
    claimed_by_a = watches.claim_papers(lake, "agents", ["p1", "p2", "p3"], "run-a", NOW, watches.CLAIMED, COMMIT)
    assert claimed_by_b == ["p1", "p2", "p3"]
    assert claimed_by_a == []
    assert sorted(lake.read("digest_deliveries")["paper_id"].to_list()) == ["p0", "p1", "p2", "p3"]


def test_concurrent_claims_split_the_papers_without_overlap(lake):
    watches.claim_papers(lake, "agents", ["p0"], "d0", NOW, watches.CLAIMED, COMMIT)
    ids = [f"p{n}" for n in range(1, 41)]
    results: dict[str, list[str]] = {}
    start = threading.Barrier(3)

    def run(name: str) -> None:
        start.wait()
        results[name] = watches.claim_papers(lake, "agents", ids, name, NOW, watches.CLAIMED, COMMIT)

    threads = [threading.Thread(target=run, args=(f"run-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [paper_id for found in results.values() for paper_id in found]
    assert sorted(claimed) == sorted(ids)  # each paper claimed by exactly one run
    deliveries = lake.read("digest_deliveries").filter(pl.col("paper_id") != "p0")
    assert deliveries.height == deliveries["paper_id"].n_unique() == len(ids)
