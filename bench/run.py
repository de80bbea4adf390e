"""`make bench`: paperlake's performance benchmark (issue 7), one command from a fresh clone.

    .venv/bin/python -m bench.run [--smoke] [--days 365] [--long-days 3650] [--per-day 200] [--repeat 3]
                                  [--out bench/results/latest.json] [--scratch DIR] [--keep]

1. writes deterministic synthetic feeds (bench/synth.py): N days x K papers a day of page copies,
   and the hf_daily JSON and arXiv Atom of the days the daily runs load;
2. measures the floor (bench/floor.py) at the start and again at the end;
3. runs the workloads: one-year and ten-year `paperlake backfill` of arXiv-volume feeds served on
   127.0.0.1 (bench/volume_workloads.py; their lakes are "the one-year and ten-year lakes"), one-year
   and ten-year page copies through `paperlake ingest`'s flow, a new day into each of those lakes,
   the scheduled runs and queries on the backfilled lakes, `maintain` after a year of daily commits
   (bench/workloads.py);
4. writes every run of every figure as JSON and prints a markdown table, with each time as a ratio to
   the floor and each target of the issue met or not.

`--smoke` is the few-days version CI runs (tests/test_bench_smoke.py): every workload, tiny sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # `python bench/run.py` works too
# The user's allocator setting, read before Polars is imported: Polars writes its own default
# into the environment, which the children would otherwise take for the user's.
USER_JEMALLOC_CONF = os.environ.get("_RJEM_MALLOC_CONF")

from bench import bench_dupes, bench_maintain, bench_queries, targets, volume_workloads, workloads  # noqa: E402
from bench.dataset import SMOKE, Sizes, prepare  # noqa: E402
from bench.measure import run_process  # noqa: E402

DEFAULT_OUT = REPO / "bench" / "results" / "latest.json"


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    sizes = _sizes(options)
    scratch = Path(options.scratch or tempfile.mkdtemp(prefix="paperlake-bench-"))
    started = time.perf_counter()
    try:
        results = run(scratch, sizes, _log)
    finally:
        if not options.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    results["meta"]["total_seconds"] = round(time.perf_counter() - started, 1)
    out = Path(options.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(results["markdown"])
    print(f"\nresults: {out} ({results['meta']['total_seconds']} s in all)")
    return 0


def run(scratch: Path, sizes: Sizes, log=print) -> dict:
    """Every workload at `sizes`, in `scratch`; the results as a JSON-ready dict."""
    scratch.mkdir(parents=True, exist_ok=True)
    log(f"writing synthetic feeds to {scratch} ...")
    data = prepare(scratch, sizes)
    ctx = workloads.Context(scratch, sizes, data, _child_env(scratch))
    _prime_prefect(ctx)
    done: dict[str, workloads.Workload] = {}
    log("floor ...")
    done["floor"] = workloads.floor(ctx)
    # First: their lakes are the one-year and ten-year lakes the scheduled runs and queries use.
    done.update(volume_workloads.backfills(ctx, log))
    log("pipeline workloads (bench/worker.py) ...")
    worker = workloads.run_workers(ctx, workloads.worker_jobs_for(ctx))
    log("one-year backfill commands ...")
    done["backfill_1y"] = workloads.backfill_year(ctx, worker)
    done["backfill_10y"] = workloads.backfill_decade(ctx, worker)
    done["daily_1y"] = workloads.daily("daily_1y", worker["daily-year"], f"{sizes.day_count} days")
    done["daily_10y"] = workloads.daily("daily_10y", worker["daily-decade"], f"{sizes.long_day_count} days")
    done["window_1y"] = workloads.daily_window("window_1y", worker["window-year"], f"{sizes.day_count} days")
    done["window_10y"] = workloads.daily_window("window_10y", worker["window-decade"], f"{sizes.long_day_count} days")
    log("queries, dupes and a month then maintain on the ten-year lake ...")
    decade = ctx.ten_year_lake()
    done["queries_10y"] = bench_queries.ten_year_queries(decade, scratch, ctx.env, sizes.repeat_count)
    done["dupes_10y"] = bench_dupes.ten_year_dupes(decade, ctx.env)
    done["maintain_10y_month"] = bench_maintain.month_then_maintain(decade, ctx.env, min(30, sizes.maintain_day_count), sizes.repeat_count)
    log("maintenance ...")
    done["maintain_365_daily_commits"] = workloads.maintenance(ctx, worker)
    log("floor again ...")
    workloads.floor(ctx, done["floor"])
    return {
        "meta": _meta(sizes, data),
        "workloads": {name: w.as_json() for name, w in done.items()},
        "targets": targets.checked(done),
        "markdown": targets.markdown(done),
    }


def _child_env(scratch: Path) -> dict[str, str]:
    """The children's environment: the repo importable, and a Prefect home of their own, so a
    benchmark's thousands of task runs stay out of the user's Prefect database."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("PREFECT_HOME", str(scratch / "prefect-home"))
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env.pop("PAPERLAKE_DOCS", None)  # validation Data Docs beside each lake
    env.pop("PAPERLAKE_LAKE", None)
    # Each command picks its allocator setting as in the user's shell (`paperlake`: freed pages back
    # at once; the floor: Polars' default). Inheriting Polars' from this process, `paperlake ingest`
    # of a year peaked at 1.02 GB instead of 0.92.
    env.pop("_RJEM_MALLOC_CONF", None)
    if USER_JEMALLOC_CONF is not None:
        env["_RJEM_MALLOC_CONF"] = USER_JEMALLOC_CONF
    return env


def _prime_prefect(ctx: workloads.Context) -> None:
    """Create the Prefect database once (its migrations are a first-run cost, not a command's).

    Not needed when the children use a running server ($PREFECT_API_URL, as the CI smoke test does).
    """
    if ctx.env.get("PREFECT_API_URL"):
        return
    page = ctx.data.page_files(ctx.data.short_dir)[0]
    lake = ctx.fresh_lake("prime")
    run_process([*workloads.PAPERLAKE, "ingest", str(page), "--lake", lake], env=ctx.env).check("priming ingest")
    shutil.rmtree(Path(lake).parent, ignore_errors=True)


def _meta(sizes: Sizes, data) -> dict:
    import deltalake
    import polars

    return {
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "sizes": asdict(sizes),
        "synthetic": {"start_date": str(data.feeds.start_date), "day_count": data.feeds.day_count,
                      "sighting_count": data.feeds.sighting_count, "paper_count": data.feeds.paper_count},
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "versions": {"polars": polars.__version__, "deltalake": deltalake.__version__, "prefect": _version("prefect"),
                     "great_expectations": _version("great_expectations")},
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain")),
    }


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def _sizes(options: argparse.Namespace) -> Sizes:
    base = SMOKE if options.smoke else Sizes()
    given = {
        "day_count": options.days, "long_day_count": options.long_days, "per_day": options.per_day,
        "repeat_count": options.repeat, "daily_day_count": options.daily_days, "maintain_day_count": options.maintain_days,
        "volume_day_count": options.volume_days, "volume_short_day_count": options.volume_short_days, "volume_scale": options.volume_scale,
    }
    return replace(base, **{k: v for k, v in given.items() if v is not None})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="paperlake's performance benchmark (issue 7).")
    parser.add_argument("--smoke", action="store_true", help="A few days of everything: what CI runs.")
    parser.add_argument("--days", type=int, help="Days of the short backfill (default 365).")
    parser.add_argument("--long-days", type=int, help="Days of the long backfill (default 3650).")
    parser.add_argument("--per-day", type=int, help="Papers on a day's page (default 200).")
    parser.add_argument("--repeat", type=int, help="Runs of each timed figure (default 3).")
    parser.add_argument("--daily-days", type=int, help="New days loaded into each lake, one run each (default 3).")
    parser.add_argument("--maintain-days", type=int, help="Daily commits before maintain (default 365).")
    parser.add_argument("--volume-days", type=int, help="Days of the arXiv-volume backfill (default 3653: ten years).")
    parser.add_argument("--volume-short-days", type=int, help="Days of the short arXiv-volume backfill (default 366).")
    parser.add_argument("--volume-scale", type=float, help="Multiplies arXiv's daily volume (default 1.0).")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="Where the JSON goes (default bench/results/latest.json).")
    parser.add_argument("--scratch", help="Folder for feeds and lakes (default: a temporary folder).")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch folder (its lakes) afterwards.")
    return parser


def _log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
