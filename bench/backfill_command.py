"""`paperlake backfill ...` in this fresh process, with timers around its batches: where the command's time went.

    python -m bench.backfill_command RESULTS.json -- backfill --start D --end D --lake L

Runs the real command (paperlake.cli's `app`, the same code `paperlake backfill` runs) once. The
timers wrap the backfill flow's two steps per batch, fetch (waiting on the replay server) and
load-and-record (the pipeline's own work: store raw, parse, normalize, validate, write, record the
days), plus bench/probe.py's lake timers; resident memory is sampled after each batch. RESULTS.json
gets the batches and the totals; the peak memory of the whole process is measured by its parent.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.probe import Probe, top  # noqa: E402
from bench.worker import current_rss_mb  # noqa: E402


def main(result_path: str, args: list[str]) -> int:
    started = time.perf_counter()
    import flows.backfill as backfill
    from paperlake.cli import app

    probe = Probe().install()
    fetches: list[dict] = []
    batches: list[dict] = []  # one per load: a batch's days of one feed (in parts when they are big)
    fetch_days, load_and_record = backfill.fetch_days, backfill.load_and_record

    def timed_fetch(feed_name, days, *rest, **options):
        before = time.perf_counter()
        fetched = fetch_days(feed_name, days, *rest, **options)
        fetches.append({"feed": feed_name, "first_date": str(days[0]), "seconds": time.perf_counter() - before})
        return fetched

    def timed_load(lake, fetched, *rest, **options):
        lake_before, before, cpu_before = probe.lake_seconds(), time.perf_counter(), time.process_time()
        loaded = load_and_record(lake, fetched, *rest, **options)
        days = sorted(fetched.payloads) or sorted(fetched.failures)
        batches.append({
            "feed": fetched.feed, "first_date": str(days[0]), "day_count": len(days), "byte_count": fetched.byte_count,
            "fetch_seconds": sum(fetched.fetch_seconds.values()), "load_seconds": time.perf_counter() - before,
            "load_cpu_seconds": time.process_time() - cpu_before,  # every thread's: Prefect's client threads count as its cost
            "lake_seconds": probe.lake_seconds() - lake_before, "rss_mb": round(current_rss_mb()),
            "sighting_count": loaded.report.sighting_count if loaded.report else 0,
        })
        write(None)  # so far: an interrupted run still says where it got
        return loaded

    def write(code: int | None) -> None:
        Path(result_path).write_text(json.dumps({
            "exit_code": code,
            "in_process_seconds": time.perf_counter() - started,
            "fetch_seconds": sum(f["seconds"] for f in fetches),
            "load_seconds": sum(b["load_seconds"] for b in batches),
            "load_cpu_seconds": sum(b["load_cpu_seconds"] for b in batches),
            "lake_seconds": probe.lake_seconds(),
            "breakdown": top(probe.snapshot(), 14),
            "batches": batches,
        }, indent=1))

    backfill.fetch_days, backfill.load_and_record = timed_fetch, timed_load
    code = 0
    try:
        code = app(args, standalone_mode=False) or 0  # an Exit(code) comes back as its code here
    except SystemExit as done:
        code = done.code or 0
    except Exception as error:  # noqa: BLE001  (the parent shows it)
        print(f"backfill failed: {type(error).__name__}: {error}", file=sys.stderr)
        code = 1
    write(code)
    return code


if __name__ == "__main__":
    separator = sys.argv.index("--")
    sys.exit(main(sys.argv[1], sys.argv[separator + 1 :]))
