"""A child process that runs pipeline workloads through the real flows and reports where time went.

    python -m bench.worker JOBS.json RESULTS.json

JOBS.json holds {"warm_up_file": PAGE, "jobs": [{"kind": "ingest" | "daily", ...}, ...]}; the jobs
run one after the other and RESULTS.json gets one result per job. Given a warm-up file, the worker
first pays what every process pays once (the Prefect server, Great Expectations' import and first
validation) with a throwaway load, so the figures are the pipeline's own work; the whole command,
start-up included, is measured separately on the real `paperlake` command.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.probe import Probe, top  # noqa: E402

FEED_FORMATS = {"archive": None, "hf_daily": "hf_json", "arxiv": "arxiv_atom"}


def main(job_path: str, result_path: str) -> None:
    from paperlake.config import quiet_prefect_defaults

    quiet_prefect_defaults()
    spec = json.loads(Path(job_path).read_text())
    if spec.get("warm_up_file"):
        warm_up(Path(spec["warm_up_file"]))
    probe = Probe().install()
    results = []
    for job in spec["jobs"]:
        probe.reset()
        result = {"ingest": run_ingest, "daily": run_daily, "window": run_window}[job["kind"]](job, probe)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        results.append(result)
    Path(result_path).write_text(json.dumps(results, indent=1, default=str))


def warm_up(page: Path) -> None:
    """One small ingest into a scratch lake: starts Prefect's server, imports GX, runs its first check."""
    from flows.ingest import ingest_files

    scratch = tempfile.mkdtemp(prefix="paperlake-warm-")
    try:
        ingest_files([str(page)], os.path.join(scratch, "lake"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_ingest(job: dict, probe: Probe) -> dict:
    """`paperlake ingest` of the job's paths, as the command runs it (the ingest flow), timed per chunk."""
    import flows.ingest as ingest

    chunk_seconds, chunk_lake_seconds, chunk_rss_mb = [], [], []
    load = ingest.load_payloads

    def timed_load(*args, **kwargs):
        lake_before, started = probe.lake_seconds(), time.perf_counter()
        try:
            return load(*args, **kwargs)
        finally:
            chunk_seconds.append(round(time.perf_counter() - started, 3))
            chunk_lake_seconds.append(round(probe.lake_seconds() - lake_before, 3))
            chunk_rss_mb.append(round(current_rss_mb()))

    chunk_file_count, ingest.load_payloads = ingest.CHUNK_FILE_COUNT, timed_load
    try:
        ingest.CHUNK_FILE_COUNT = job.get("chunk_file_count") or chunk_file_count
        started = time.perf_counter()
        report = ingest.ingest_files(job["paths"], job["lake"])
        work_seconds = time.perf_counter() - started
    finally:
        ingest.CHUNK_FILE_COUNT, ingest.load_payloads = chunk_file_count, load
    return {
        "work_seconds": work_seconds,
        "lake_seconds": probe.lake_seconds(),
        "chunk_seconds": chunk_seconds,
        "chunk_lake_seconds": chunk_lake_seconds,
        "chunk_end_rss_mb": chunk_rss_mb,
        "breakdown": top(probe.snapshot(), 14),
        "sighting_count": report.sighting_count,
        "new_paper_count": report.new_paper_count,
    }


def current_rss_mb() -> float:
    """Resident memory now (not the high-water mark): flat from chunk to chunk when memory does not grow."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> None:
    """Start this process's high-water mark (VmHWM) afresh: a run's own peak, not the process's so far."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:  # not Linux: the peak then is the process's so far
        pass


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_daily(job: dict, probe: Probe) -> dict:
    """Each day of the job: one load per feed, as the daily flow's feed-day runs and `ingest` of a page
    do, inside one flow run (a flow run's own start and end are orchestration, not the day's work)."""
    from prefect import flow

    @flow(name="bench-daily")
    def daily_loads() -> list[dict]:
        return [_load_day(job["lake"], day, probe) for day in job["days"]]

    return {"days": daily_loads()}


def _load_day(lake_uri: str, day: dict, probe: Probe) -> dict:
    loads = {}
    for feed, path in day["files"].items():
        probe.reset()
        seconds = _load_one(lake_uri, feed, Path(path), date.fromisoformat(day["date"]))
        loads[feed] = {"seconds": round(seconds, 4), "lake_seconds": round(probe.lake_seconds(), 4), "breakdown": top(probe.snapshot(), 10)}
    return {
        "date": day["date"],
        "loads": loads,
        "seconds": sum(load["seconds"] for load in loads.values()),
        "lake_seconds": sum(load["lake_seconds"] for load in loads.values()),
    }


def _load_one(lake_uri: str, feed: str, path: Path, day: date) -> float:
    from feeds import archive
    from feeds.base import Payload
    from flows.pipeline import load_payloads
    from lake import writes
    from lake.store import Lake

    now = datetime.now(timezone.utc)
    if FEED_FORMATS[feed] is None:
        payload = archive.read_payload(path, snapshot_date=None, fetched_at=now)
    else:
        payload = Payload(feed, f"bench://{feed}/{day}", FEED_FORMATS[feed], path.read_bytes(), day, now)
    started = time.perf_counter()
    load_payloads(Lake(lake_uri), [payload], writes.CommitInfo("daily", None, feed, (day,)), now)
    return time.perf_counter() - started


def run_window(job: dict, probe: Probe) -> dict:
    """The scheduled run with its settle windows: `daily` at 06:00 UTC on `run_count` days in a row,
    against the arXiv-volume world the lake was backfilled from, served on 127.0.0.1 by a process of
    its own (its memory is not the run's), its clock moved run by run. The first run starts the
    windows (a lake whose days were all fetched long after they settled); the ones after it are the
    steady state a deployment lives in."""
    from datetime import time as clock_time
    from datetime import timedelta

    import feeds.http
    from bench.volume_workloads import VolumeServer
    from flows.daily import daily
    from lake.progress import table_versions
    from paperlake.living_server import set_remote_clock

    first_date = date.fromisoformat(job["first_date"])
    world_start = date.fromisoformat(job["world"]["start_date"])
    requests, get = [0], feeds.http.HttpClient.get

    def counted_get(self, *args, **kwargs):
        requests[0] += 1
        return get(self, *args, **kwargs)

    runs = []
    feeds.http.HttpClient.get = counted_get
    try:
        with VolumeServer(dict(os.environ), world_start, first_date + timedelta(days=job["run_count"]), job["world"]["scale"]) as server:
            os.environ.update(server.env({}))
            for offset in range(job["run_count"]):
                at = datetime.combine(first_date + timedelta(days=offset), clock_time(6), tzinfo=timezone.utc)
                set_remote_clock(server.base_url, at)
                requests_before, versions_before = requests[0], table_versions(_lake(job["lake"]))
                probe.reset()
                reset_peak_rss()
                started = time.perf_counter()
                results = daily(lake_uri=job["lake"], now=at)
                seconds = time.perf_counter() - started
                versions_after = table_versions(_lake(job["lake"]))
                changes = [c for r in results.values() for c in r.changes]
                runs.append({
                    "date": at.date().isoformat(), "seconds": round(seconds, 3), "lake_seconds": round(probe.lake_seconds(), 3),
                    "request_count": requests[0] - requests_before, "byte_count": sum(r.byte_count for r in results.values()),
                    "commit_counts": {t: versions_after[t] - versions_before[t] for t in versions_after},
                    "day_count": len(changes), "changed_day_count": sum(c.outcome in ("new", "changed") for c in changes),
                    "final_day_count": sum(c.became_final for c in changes), "rss_mb": round(current_rss_mb()),
                    "peak_rss_mb": round(peak_rss_mb()),
                    "breakdown": top(probe.snapshot(), 12),
                })
    finally:
        feeds.http.HttpClient.get = get
    return {"runs": runs}


def _lake(uri: str):
    from lake.store import Lake

    return Lake(uri)


if __name__ == "__main__":
    main(*sys.argv[1:3])
