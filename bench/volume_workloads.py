"""Issue 14, target 1: backfilling years of arXiv-volume feeds with one `paperlake backfill` command.

The replay server (bench/volume_world.py) runs in a process of its own on 127.0.0.1, its clock
stopped after the range (every version announced, every HF count settled). The command runs in a
fresh process (bench/backfill_command.py: the real command, timers around its batches), with both
live feeds pointed at the server and arXiv's pacing off. Its peak memory is wait4's ru_maxrss
(the process or any child it waited for). The lakes it builds are the benchmark's one-year and
ten-year lakes: the scheduled runs, queries, dupes and maintain workloads run on them.

The floor is the same rows done bare: the raw payloads the command stored (read from its lake,
not timed), parsed by the project's parsers, deduped by the same Polars transforms and written
with one deltalake write per table, in one batch per year (a year of raw Atom is a few hundred MB;
ten in one batch would not fit the memory the pipeline is held to).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import date, datetime, time as clock_time, timedelta, timezone
from pathlib import Path

import polars as pl

from bench.dataset import START_DATE
from bench.measure import run_process

SERVER_CLOCK_LAG_DAYS = 60  # the server's clock stands this long after the range: everything announced and settled


class VolumeServer:
    """bench/volume_world.py in a child process, serving `start_date`..`end_date`; a context manager."""

    def __init__(self, env: dict[str, str], start_date: date, end_date: date, scale: float):
        now = datetime.combine(end_date + timedelta(days=SERVER_CLOCK_LAG_DAYS), clock_time(), tzinfo=timezone.utc)
        args = [sys.executable, "-m", "bench.volume_world", str(start_date), str(end_date), now.isoformat(), str(scale)]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http://127.0.0.1:"):
            self.process.kill()
            raise RuntimeError(f"the volume replay server did not start: {self.process.stderr.read()[-2000:]}")
        self.usage: dict = {}

    def __enter__(self) -> VolumeServer:
        return self

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=60)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        self.usage = json.loads(lines[-1]) if lines else {}

    def env(self, base: dict[str, str]) -> dict[str, str]:
        return base | {"PAPERLAKE_HF_URL": self.base_url, "PAPERLAKE_ARXIV_URL": self.base_url, "PAPERLAKE_ARXIV_MIN_INTERVAL_SECONDS": "0"}


def volume_range(day_count: int) -> tuple[date, date]:
    return START_DATE, START_DATE + timedelta(days=day_count - 1)


def backfill_command(root: Path, env: dict[str, str], lake: str, start_date: date, end_date: date, label: str) -> dict:
    """One `paperlake backfill --start --end --lake` in a fresh process: its wall time, peak memory and batches."""
    result_path = root / f"backfill-{label}.json"
    args = [sys.executable, "-m", "bench.backfill_command", str(result_path), "--",
            "backfill", "--start", str(start_date), "--end", str(end_date), "--lake", lake]
    run = run_process(args, env=env)
    (root / f"backfill-{label}.log").write_text(run.stderr + run.stdout)
    run.check(f"paperlake backfill {start_date}..{end_date}")
    return json.loads(result_path.read_text()) | {"command_seconds": run.wall_seconds, "peak_rss_mb": run.peak_rss_mb, "cpu_seconds": run.cpu_seconds}


def floor_volume(lake_uri: str, target: Path, start_date: date, end_date: date) -> tuple[float, float, int]:
    """The bare load of the lake's raw payloads of the range, a year per batch; (seconds, CPU seconds, sightings written)."""
    import shutil

    from bench.floor import write_bare
    from feeds.base import Payload
    from lake.store import Lake

    shutil.rmtree(target, ignore_errors=True)
    lake, seconds, cpu_seconds, sighting_count, first_date = Lake(lake_uri), 0.0, 0.0, 0, start_date
    while first_date <= end_date:
        last_date = min(end_date, first_date + timedelta(days=365))
        rows = (
            lake.scan("snapshots").filter(pl.col("snapshot_date").is_between(first_date, last_date))
            .select("feed", "source", "format", "content", "snapshot_date", "fetched_at").collect()
        )
        payloads = [Payload(**row) for row in rows.iter_rows(named=True)]
        del rows
        started, cpu_started = time.perf_counter(), time.process_time()
        sighting_count += write_bare(payloads, target)
        seconds += time.perf_counter() - started
        cpu_seconds += time.process_time() - cpu_started
        del payloads
        first_date = last_date + timedelta(days=1)
    shutil.rmtree(target, ignore_errors=True)
    return seconds, cpu_seconds, sighting_count


def per_year(batches: list[dict], start_date: date) -> list[dict]:
    """The command's batches summed by year of the range: seconds and memory should not grow with the year."""
    years: dict[int, dict] = {}
    for batch in batches:
        year = (date.fromisoformat(batch["first_date"]) - start_date).days // 365 + 1
        row = years.setdefault(year, {"year": year, "fetch_seconds": 0.0, "load_seconds": 0.0, "sighting_count": 0, "max_rss_mb": 0})
        row["fetch_seconds"] += batch["fetch_seconds"]
        row["load_seconds"] += batch.get("load_seconds", 0.0)
        row["sighting_count"] += batch.get("sighting_count", 0)
        row["max_rss_mb"] = max(row["max_rss_mb"], batch.get("rss_mb", 0))
    return [{k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()} for row in years.values()]


def backfills(ctx, log=print) -> dict:
    """Target 1 at one year and at ten: each one command into a fresh lake, then its floor; one server for both."""
    from bench.workloads import ONE_YEAR_LAKE, TEN_YEAR_LAKE

    sizes = ctx.sizes
    done = {}
    with VolumeServer(ctx.env, *volume_range(sizes.volume_day_count), sizes.volume_scale) as server:
        for name, day_count, lake_name in (
            ("backfill_volume_1y", sizes.volume_short_day_count, ONE_YEAR_LAKE), ("backfill_volume_10y", sizes.volume_day_count, TEN_YEAR_LAKE),
        ):
            log(f"{name}: `paperlake backfill` of {day_count} days ...")
            done[name] = backfill_workload(ctx, server, name, day_count, lake_name)
    for workload in done.values():
        workload.details["server"] = server.usage
    return done


def backfill_workload(ctx, server: VolumeServer, name: str, day_count: int, lake_name: str):
    from bench.workloads import Workload
    from lake.store import Lake

    start_date, end_date = volume_range(day_count)
    lake = ctx.fresh_lake(lake_name)
    run = backfill_command(ctx.root, server.env(ctx.env), lake, start_date, end_date, name)
    floor_seconds, floor_cpu_seconds, floor_sighting_count = floor_volume(lake, ctx.root / "lakes" / f"{lake_name}-floor", start_date, end_date)
    workload = Workload(name)
    workload.add("command_seconds", "s", [run["command_seconds"]], "`paperlake backfill` from process start to exit, fetches included")
    workload.add("peak_rss_mb", "MB", [run["peak_rss_mb"]], "of the command (wait4: the process or any child it waited for)")
    workload.add("command_cpu_seconds", "s", [run["cpu_seconds"]], "CPU time of the command (user + system, all threads)")
    workload.add("work_seconds", "s", [run["load_seconds"]], "the pipeline's own work: every batch's load and feed_days record")
    workload.add("fetch_seconds", "s", [run["fetch_seconds"]], "waiting for the replay server (its CPU is not the command's)")
    workload.add("lake_seconds", "s", [run["lake_seconds"]], "of the work: lake reads and commits")
    workload.add("floor_seconds", "s", [floor_seconds], "the same rows bare: parse, dedupe, one deltalake write per table, a batch a year")
    # CPU times: the ratio a shared machine's load leaves alone (both count every thread of their process)
    workload.add("work_cpu_seconds", "s", [run["load_cpu_seconds"]], "CPU time of the pipeline's own work")
    workload.add("floor_cpu_seconds", "s", [floor_cpu_seconds], "CPU time of the floor")
    batches = run["batches"]
    workload.details = {
        "start_date": str(start_date), "end_date": str(end_date), "batch_count": len(batches),
        "sighting_count": sum(b.get("sighting_count", 0) for b in batches), "floor_sighting_count": floor_sighting_count,
        "paper_count": Lake(lake).scan("papers").select("paper_id").collect().height,
        "megabytes_fetched": round(sum(b["byte_count"] for b in batches) / 2**20, 1),
        "batch_rss_mb": [b.get("rss_mb") for b in batches], "per_year": per_year(batches, start_date),
        "breakdown_seconds": run["breakdown"], "batches": batches,
    }
    return workload
