"""The workloads of issue 7, each returning its figures (every run kept) and the details behind them.

Times of the pipeline's own work come from bench/worker.py (the real flows, after a warm-up);
"whole command" times and peak memory come from the real `paperlake` command in a fresh process;
the floor and the queries' own work are timed here, in the benchmark's process.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from bench.dataset import START_DATE, Dataset, Sizes
from bench.floor import floor_load
from bench.measure import Figure, repeat_timed, run_process

PAPERLAKE = [sys.executable, "-m", "paperlake.cli"]


@dataclass
class Workload:
    name: str
    figures: dict[str, Figure] = field(default_factory=dict)
    details: dict = field(default_factory=dict)

    def add(self, key: str, unit: str, values: list[float], note: str = "") -> Figure:
        self.figures[key] = Figure(f"{self.name}.{key}", unit, [round(v, 4) for v in values], note)
        return self.figures[key]

    def as_json(self) -> dict:
        return {"figures": {k: f.as_json() for k, f in self.figures.items()}, "details": self.details}


TEN_YEAR_LAKE, ONE_YEAR_LAKE = "volume-decade", "volume-year"


@dataclass
class Context:
    root: Path
    sizes: Sizes
    data: Dataset
    env: dict[str, str]

    def lake_path(self, name: str) -> Path:
        """Each lake in its own folder: its validation Data Docs go beside it, not shared."""
        return self.root / "lakes" / name / "lake"

    def ten_year_lake(self) -> Path:
        """Issue 14's ten-year lake: the arXiv-volume backfill (bench/volume_workloads.py); the scheduled
        runs, queries, dupes and maintain workloads of the ten-year lake run on it."""
        return self.lake_path(TEN_YEAR_LAKE)

    def one_year_lake(self) -> Path:
        """The first year of the same feeds, backfilled the same way: what the ten-year figures are compared with."""
        return self.lake_path(ONE_YEAR_LAKE)

    def volume_end_date(self, long: bool = True) -> date:
        """The last day backfilled into the ten-year (or one-year) lake."""
        day_count = self.sizes.volume_day_count if long else self.sizes.volume_short_day_count
        return START_DATE + timedelta(days=day_count - 1)

    def fresh_lake(self, name: str) -> str:
        shutil.rmtree(self.root / "lakes" / name, ignore_errors=True)
        return str(self.lake_path(name))


# ---- the floor ----


def floor(ctx: Context, workload: Workload | None = None) -> Workload:
    """Bare parse + dedupe + write of the one-year pages; called at the start and at the end of a run."""
    workload = workload or Workload("floor")
    files = ctx.data.page_files(ctx.data.short_dir)
    target = ctx.root / "lakes" / "floor"
    values = repeat_timed(lambda: floor_load(files, target), ctx.sizes.repeat_count)
    previous = lambda key: workload.figures[key].values if key in workload.figures else []  # noqa: E731
    workload.add("seconds", "s", previous("seconds") + values, "parse, dedupe, one deltalake write per table; no Prefect, no GX")
    # The same as a command (`paperlake ingest DIR`'s bare counterpart), and Prefect's own start-up:
    # target 2 compares the whole command and its peak memory with these.
    commands = [
        run_process([sys.executable, "-m", "bench.floor", str(ctx.data.short_dir), str(target)], env=ctx.env).check("floor command")
        for _ in range(ctx.sizes.repeat_count)
    ]
    workload.add("command_seconds", "s", previous("command_seconds") + [c.wall_seconds for c in commands], "the floor as a command, from process start to exit")
    workload.add("peak_rss_mb", "MB", previous("peak_rss_mb") + [c.peak_rss_mb for c in commands], "of the floor's command")
    starts = [run_process([sys.executable, "-c", PREFECT_START_UP], env=ctx.env).check("Prefect start-up") for _ in range(ctx.sizes.repeat_count)]
    workload.add("prefect_start_seconds", "s", previous("prefect_start_seconds") + [c.wall_seconds for c in starts], "an empty Prefect flow run as a command (its temporary server)")
    shutil.rmtree(target, ignore_errors=True)
    return workload


# Prefect's own start-up, as `paperlake ingest` pays it: import, temporary server, one flow run, exit.
PREFECT_START_UP = (
    "from settings import quiet_prefect_defaults; quiet_prefect_defaults()\n"
    "from prefect import flow\n"
    "flow(name='start-up')(lambda: None)()\n"
)


# ---- pipeline work, through bench/worker.py ----


def worker_jobs_for(ctx: Context) -> list[list[dict]]:
    """The worker processes to run, each a list of jobs; one process for all of them in a smoke run."""
    sizes, data = ctx.sizes, ctx.data
    short = [
        {"id": f"short-{i}", "kind": "ingest", "paths": [str(data.short_dir)], "lake": ctx.fresh_lake(f"year-{i}"),
         "chunk_file_count": sizes.chunk_file_count}
        for i in range(sizes.repeat_count)
    ]
    long = [{"id": "long", "kind": "ingest", "paths": [str(data.long_dir)], "lake": ctx.fresh_lake("decade"),
             "chunk_file_count": sizes.chunk_file_count}]
    year_lake = short[-1]["lake"]
    daily = [
        {"id": "daily-year", "kind": "daily", "lake": year_lake, "days": _days(data, data.short_daily_dates)},
        {"id": "daily-decade", "kind": "daily", "lake": long[0]["lake"], "days": _days(data, data.long_daily_dates)},
        _window_job("window-year", str(ctx.one_year_lake()), ctx.volume_end_date(long=False) + timedelta(days=1), sizes),
        _window_job("window-decade", str(ctx.ten_year_lake()), ctx.volume_end_date() + timedelta(days=1), sizes),
        {"id": "daily-commits", "kind": "daily", "lake": ctx.fresh_lake("daily-commits"),
         "days": [{"date": p.stem, "files": {"archive": str(p)}} for p in data.page_files(data.maintain_dir)]},
    ]
    return [short + long + daily] if sizes.one_worker else [short, long, daily]


def _window_job(job_id: str, lake: str, first_date: date, sizes: Sizes) -> dict:
    """The scheduled runs continue the arXiv-volume world the lake was backfilled from (bench/volume_world.py)."""
    world = {"start_date": START_DATE.isoformat(), "scale": sizes.volume_scale}
    return {"id": job_id, "kind": "window", "lake": lake, "first_date": first_date.isoformat(), "run_count": sizes.window_run_count, "world": world}


def _days(data: Dataset, dates: list[date]) -> list[dict]:
    return [{"date": day.isoformat(), "files": data.daily_files(day)} for day in dates]


def run_workers(ctx: Context, groups: list[list[dict]]) -> dict[str, dict]:
    """Run each group of jobs in one worker process; results by job id, with the process's peak memory."""
    results: dict[str, dict] = {}
    warm_up_file = str(ctx.data.page_files(ctx.data.short_dir)[0]) if ctx.sizes.warm_up else None
    for n, jobs in enumerate(groups):
        spec, answer = ctx.root / f"worker-{n}.json", ctx.root / f"worker-{n}-results.json"
        spec.write_text(json.dumps({"warm_up_file": warm_up_file, "jobs": jobs}))
        run = run_process([sys.executable, "-m", "bench.worker", str(spec), str(answer)], env=ctx.env).check("bench worker")
        (ctx.root / f"worker-{n}.log").write_text(run.stderr + run.stdout)
        for job, result in zip(jobs, json.loads(answer.read_text())):
            results[job["id"]] = result | {"process_peak_rss_mb": run.peak_rss_mb}
    return results


def backfill_year(ctx: Context, worker: dict[str, dict]) -> Workload:
    """Target 1: one year of page copies through `paperlake ingest` (one flow run)."""
    workload = Workload("backfill_1y")
    runs = [worker[f"short-{i}"] for i in range(ctx.sizes.repeat_count)]
    workload.add("work_seconds", "s", [r["work_seconds"] for r in runs], "the ingest flow run, after a warm-up")
    workload.add("load_seconds", "s", [sum(r["chunk_seconds"]) for r in runs], "of which the load: store raw to last commit")
    workload.add("lake_seconds", "s", [r["lake_seconds"] for r in runs], "of which lake reads and commits")
    commands = [_ingest_command(ctx, i) for i in range(ctx.sizes.repeat_count)]
    workload.add("command_seconds", "s", [c.wall_seconds for c in commands], "`paperlake ingest DIR` from process start to exit")
    workload.add("peak_rss_mb", "MB", [c.peak_rss_mb for c in commands], "of the command")
    workload.details = {
        "breakdown_seconds": runs[-1]["breakdown"], "sighting_count": runs[-1]["sighting_count"],
        "paper_count": runs[-1]["new_paper_count"], "day_count": ctx.sizes.day_count,
    }
    return workload


def _ingest_command(ctx: Context, n: int):
    lake = ctx.fresh_lake(f"year-command-{n}")
    run = run_process([*PAPERLAKE, "ingest", str(ctx.data.short_dir), "--lake", lake], env=ctx.env).check("paperlake ingest")
    shutil.rmtree(Path(lake).parent, ignore_errors=True)
    return run


def backfill_decade(ctx: Context, worker: dict[str, dict]) -> Workload:
    """Target 2: ten years of page copies through the same ingest flow, in chunks."""
    workload = Workload("backfill_10y")
    run = worker["long"]
    workload.add("work_seconds", "s", [run["work_seconds"]], "the ingest flow run, after a warm-up")
    workload.add("load_seconds", "s", [sum(run["chunk_seconds"])], f"of which the loads ({len(run['chunk_seconds'])} chunks)")
    workload.add("lake_seconds", "s", [run["lake_seconds"]], "of which lake reads and commits")
    workload.add("peak_rss_mb", "MB", [run["process_peak_rss_mb"]], "of the process that ran it")
    chunks = run["chunk_seconds"]
    workload.details = {
        "chunk_seconds": chunks, "chunk_lake_seconds": run["chunk_lake_seconds"], "chunk_end_rss_mb": run["chunk_end_rss_mb"],
        "first_and_last_chunk_seconds": [chunks[0], chunks[-1]] if chunks else [],
        "breakdown_seconds": run["breakdown"], "sighting_count": run["sighting_count"], "paper_count": run["new_paper_count"],
        "day_count": ctx.sizes.long_day_count,
    }
    return workload


LIVE_FEEDS = ("hf_daily", "arxiv")  # what `paperlake run` (the daily flow) loads


def daily(name: str, run: dict, lake_label: str) -> Workload:
    """Target 3: one new day into a lake of `lake_label`: the daily run (hf_daily, arxiv: one load each,
    as its feed-day runs do), then that day's page copy (`paperlake ingest`), reported apart."""
    workload = Workload(name)
    days = run["days"]
    live = lambda day, key: sum(load[key] for feed, load in day["loads"].items() if feed in LIVE_FEEDS)  # noqa: E731
    workload.add("lake_seconds", "s", [live(d, "lake_seconds") for d in days], "the daily run's lake reads and commits (hf_daily + arxiv loads)")
    workload.add("load_seconds", "s", [live(d, "seconds") for d in days], "the daily run's two loads, parse and validation included")
    page = [d["loads"]["archive"] for d in days if "archive" in d["loads"]]
    workload.add("page_lake_seconds", "s", [p["lake_seconds"] for p in page], "the day's page copy: lake reads and commits")
    workload.add("page_load_seconds", "s", [p["seconds"] for p in page], "the day's page copy: the whole load")
    workload.details = {"lake": lake_label, "per_feed": {d["date"]: d["loads"] for d in days}}
    return workload


def daily_window(name: str, run: dict, lake_label: str) -> Workload:
    """Issue 12: the scheduled run with its settle windows, once the windows are started (the runs after the
    first): every provisional day of both feeds fetched again, the changed ones loaded, each day recorded."""
    workload = Workload(name)
    steady = run["runs"][1:] or run["runs"]
    workload.add("lake_seconds", "s", [r["lake_seconds"] for r in steady], "the run's lake reads and commits (all its feed-days)")
    workload.add("run_seconds", "s", [r["seconds"] for r in steady], "the whole `daily` flow run: fetch (local replay), parse, validate, write")
    workload.add("request_count", "requests", [r["request_count"] for r in steady], "HTTP requests of the run")
    workload.add("megabytes", "MB", [r["byte_count"] / 2**20 for r in steady], "bytes fetched")
    workload.add("commit_count", "commits", [sum(r["commit_counts"].values()) for r in steady], "Delta commits, all tables")
    workload.add("most_table_commits", "commits", [max(r["commit_counts"].values()) for r in steady], "Delta commits to the busiest table")
    workload.add("rss_mb", "MB", [r["rss_mb"] for r in steady], "the worker's resident memory after the run")
    workload.add("peak_rss_mb", "MB", [r["peak_rss_mb"] for r in steady], "the worker's peak resident memory during the run")
    workload.details = {"lake": lake_label, "runs": run["runs"]}
    return workload


# ---- queries on the ten-year lake ----

TOP_OF_MONTH_SQL = (
    "select paper_id, any_value(title) as title, count(distinct snapshot_date) as days_seen from sightings "
    "where snapshot_date between '{start}' and '{end}' group by paper_id order by days_seen desc, paper_id limit 20"
)


def queries(ctx: Context) -> Workload:
    """Target 4: `trending --days 30`, the top 20 of a month in SQL, `select count(*) from papers`."""
    from lake import queries as lake_queries
    from lake.sql import run_query
    from lake.store import Lake

    workload = Workload("queries_10y")
    lake_uri = str(ctx.ten_year_lake())
    lake = Lake(lake_uri)
    last_date = ctx.volume_end_date()
    month_sql = TOP_OF_MONTH_SQL.format(start=last_date - timedelta(days=29), end=last_date)
    repeat = max(ctx.sizes.repeat_count, 3)
    own = {
        "trending_own_seconds": lambda: lake_queries.trending(lake.scan("sightings"), last_date, 30),
        "top_month_sql_own_seconds": lambda: run_query(lake, month_sql),
        "count_papers_own_seconds": lambda: run_query(lake, "select count(*) from papers"),
    }
    for key, function in own.items():
        workload.add(key, "s", repeat_timed(function, repeat), "in-process: read, filter, aggregate, sort")
    commands = {
        "trending_command_seconds": ["trending", "--days", "30", "--until", last_date.isoformat()],
        "top_month_sql_command_seconds": ["query", month_sql],
        "count_papers_command_seconds": ["query", "select count(*) from papers"],
    }
    for key, args in commands.items():
        runs = [run_process([*PAPERLAKE, *args, "--lake", lake_uri, "-f", "csv"], env=ctx.env).check(args[0]) for _ in range(ctx.sizes.repeat_count)]
        workload.add(key, "s", [r.wall_seconds for r in runs], "from process start to exit")
    workload.details = {"top_month_sql": month_sql, "sighting_count": lake.scan("sightings").select("paper_id").collect().height}
    return workload


# ---- maintenance after a year of daily commits ----


def maintenance(ctx: Context, worker: dict[str, dict]) -> Workload:
    """Target 5: files and a full read of `sightings` before and after `paperlake maintain`."""
    from lake.maintenance import file_stats
    from lake.store import Lake

    workload = Workload("maintain_365_daily_commits")
    lake_uri = str(ctx.lake_path("daily-commits"))
    lake = Lake(lake_uri)
    tables = ["snapshots", "sightings", "papers"]
    repeat = max(ctx.sizes.repeat_count, 3)
    read = lambda: Lake(lake_uri).read("sightings")  # noqa: E731  (a fresh open each time, as a command does)
    files_before = {t: file_stats(lake.delta(t)).live_file_count for t in tables}
    workload.add("read_sightings_before_seconds", "s", repeat_timed(read, repeat), "full read, before maintain")
    command = run_process([*PAPERLAKE, "maintain", "--lake", lake_uri], env=ctx.env).check("paperlake maintain")
    workload.add("maintain_command_seconds", "s", [command.wall_seconds], "`paperlake maintain` from process start")
    workload.add("read_sightings_after_seconds", "s", repeat_timed(read, repeat), "full read, after maintain")
    files_after = {t: file_stats(lake.delta(t)).live_file_count for t in tables}
    days = worker["daily-commits"]["days"]
    month = min(30, len(days))
    workload.add("first_month_daily_lake_seconds", "s", [d["lake_seconds"] for d in days[:month]], "a day's page load, first 30 daily commits")
    workload.add("last_month_daily_lake_seconds", "s", [d["lake_seconds"] for d in days[-month:]], "the same, last 30 (365 small files, no maintain yet)")
    workload.details = {
        "daily_commit_days": len(days), "live_files_before": files_before, "live_files_after": files_after,
        "daily_lake_seconds_first_and_last": [days[0]["lake_seconds"], days[-1]["lake_seconds"]] if days else [],
        "daily_lake_seconds_median": statistics.median(d["lake_seconds"] for d in days) if days else None,
    }
    return workload
