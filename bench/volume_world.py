"""Issue 14's feeds at arXiv volume: the world the backfill fetches and the scheduled runs continue.

    python -m bench.volume_world START END NOW_ISO [SCALE]    # serves it on 127.0.0.1, prints its URL

arXiv cs.LG/CV/CL/AI: 450-650 submissions a weekday (a tenth of them only in other categories, which
the query drops: about 500 in the categories), 60-150 at weekends, growing 20 % a year from the first
day; a third get a v2 (a third of those a v3) days later; titles hard-wrapped, cross-lists, authors.
The HF list: 20-60 papers a weekday (0-10 at weekends) drawn from the papers just announced, counts
growing for two weeks. Built a day at a time (paperlake/living_volume.py), so its memory is flat
in the length. The server runs in a process of its own: its memory and CPU are not the command's.
"""

from __future__ import annotations

import json
import resource
import signal
import sys
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from paperlake.living_model import WorldSettings  # noqa: E402
from paperlake.living_volume import VolumeWorld  # noqa: E402

SEED = 7
VOLUME_COUNTS = {
    "hf_weekday_count": (20, 60), "hf_weekend_count": (0, 10), "arxiv_weekday_count": (450, 650), "arxiv_weekend_count": (60, 150),
}
YEARLY_GROWTH = 1.2


def volume_settings(scale: float = 1.0) -> WorldSettings:
    """The issue's volume; `scale` shrinks arXiv's counts (the smoke run's few papers a day)."""
    counts = dict(VOLUME_COUNTS)
    for name in ("arxiv_weekday_count", "arxiv_weekend_count"):
        counts[name] = tuple(max(1, round(n * scale)) for n in counts[name])
    return replace(WorldSettings(), throttle_share=0.0, yearly_growth=YEARLY_GROWTH, **counts)


def volume_world(start_date: date, end_date: date, scale: float = 1.0) -> VolumeWorld:
    return VolumeWorld(start_date, end_date, seed=SEED, settings=volume_settings(scale))


def serve(start: str, end: str, now: str, scale: str = "1.0") -> None:
    """Serve the world with its clock stopped at `now` until SIGTERM; then print the process's CPU and peak memory."""
    from paperlake.replay import ReplayServer

    world = volume_world(date.fromisoformat(start), date.fromisoformat(end), float(scale))
    server = ReplayServer(world=world)
    server.set_clock(datetime.fromisoformat(now))
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024),
                      "request_count": len(server.requests)}), flush=True)


if __name__ == "__main__":
    serve(*sys.argv[1:5])
