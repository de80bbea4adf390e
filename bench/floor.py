"""The floor: the pipeline's essential work done bare, in one batch, to compare every figure with.

Read the files, parse them with the same pure parsers, dedupe into sightings and papers with the
same Polars transforms, and write the three tables (raw snapshots, sightings, papers) with one
deltalake write each into an empty lake. No Prefect, no validation, no idempotence checks, no
MERGE: the least any pipeline producing the same lake could do. It runs in the benchmark's own
process, so the ratios of the other figures to it cancel out most of a shared machine's drift.
"""

from __future__ import annotations

import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
from deltalake import write_deltalake

from feeds import archive
from feeds.base import parse_payload, payload_frame
from lake.schemas import PAPERS, SIGHTINGS, SNAPSHOTS
from transforms.papers import summarize_papers
from transforms.sightings import to_sightings


def floor_load(files: list[Path], lake_root: Path) -> int:
    """Parse, dedupe and write `files` into a fresh lake at `lake_root`; returns the sightings written."""
    shutil.rmtree(lake_root, ignore_errors=True)
    now = datetime.now(timezone.utc)
    return write_bare([archive.read_payload(f, snapshot_date=None, fetched_at=now) for f in files], lake_root)


def write_bare(payloads: list, lake_root: Path) -> int:
    """The floor's work on payloads already read: parse, dedupe, one append per table; the sightings written."""
    frames = [
        parse_payload(p).rows.with_columns(
            snapshot_id=pl.lit(p.snapshot_id), feed=pl.lit(p.feed), snapshot_date=pl.lit(p.snapshot_date, dtype=pl.Date)
        )
        for p in payloads
    ]
    sightings = to_sightings(pl.concat(frames, how="diagonal_relaxed"))
    del frames
    snapshots = SNAPSHOTS.conform(payload_frame(payloads).with_columns(parse_status=pl.lit("ok")))
    write_deltalake(str(lake_root / "snapshots"), snapshots.to_arrow(), mode="append")
    write_deltalake(str(lake_root / "sightings"), SIGHTINGS.conform(sightings).to_arrow(), mode="append")
    write_deltalake(str(lake_root / "papers"), PAPERS.conform(summarize_papers(sightings)).to_arrow(), mode="append")
    return sightings.height


if __name__ == "__main__":  # the floor as a command, for its whole time and peak memory: python -m bench.floor PAGES_DIR LAKE
    floor_load(sorted(Path(sys.argv[1]).iterdir()), Path(sys.argv[2]))
