"""The `digest` step at the end of each daily run: every active watch's new papers, claimed, shown, sent.

    for each watch: papers listed since its since_date ─► match (transforms/watches.py)
        ─► minus those any digest of it held ─► claim them (lake/watches.py, one commit)
        ─► `digest-NAME` table artifact ─► notification block, if it names one ─► record sent/failed

Claiming comes first: a paper goes out at most once per watch, even when runs are retried or
overlap; a run that dies after claiming and before sending loses that digest's notification (the
papers stay `claimed` in digest_deliveries, and `paperlake digest NAME --since D` lists them).
A failed send is logged and recorded (`failed`, with the reason), and fails neither the load nor
the other watches' digests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl
from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows import notify
from lake import watches as lake_watches
from lake import writes
from lake.schemas import WATCHES
from lake.store import Lake
from transforms.watches import digest_message, digest_rows, new_to_watch, with_match_text

# One artifact row per paper; a first digest of a broad watch on a big lake is cut here (all are claimed).
DIGEST_ROW_LIMIT = 500


@dataclass(frozen=True)
class DigestOutcome:
    """What the digest step did for one watch."""

    watch_name: str
    digest_id: str
    paper_ids: tuple[str, ...]
    artifact_key: str | None
    block: str | None
    error: str | None = None

    @property
    def paper_count(self) -> int:
        return len(self.paper_ids)


def digest_key(watch_name: str) -> str:
    return f"digest-{watch_name}"


def digest_id_of(watch_name: str, now: datetime) -> str:
    return f"{digest_key(watch_name)}-{now:%Y%m%dT%H%M%S}"


@task(name="digest", cache_policy=NO_CACHE)
def digest(lake_uri: str, now: datetime, run_id: str | None = None) -> list[DigestOutcome]:
    """Each active watch's digest of the papers new to it; watches with nothing new send nothing."""
    lake = Lake(lake_uri)
    if not lake.has_table(WATCHES.name):
        return []
    watches = lake_watches.read_watches(lake)
    if watches.is_empty():
        return []
    papers = with_match_text(lake_watches.papers_listed_since(lake, watches["since_date"].min()))
    return [digest_one(lake, papers, watch, now, run_id) for watch in watches.iter_rows(named=True)]


def digest_one(lake: Lake, papers: pl.DataFrame, watch: dict, now: datetime, run_id: str | None) -> DigestOutcome:
    logger = get_run_logger()
    name, block = watch["watch_name"], watch["notify_block"]
    digest_id = digest_id_of(name, now)
    candidates = new_to_watch(papers, watch, lake_watches.delivered_ids(lake, name))
    commit = writes.CommitInfo("digest", run_id)
    status = lake_watches.CLAIMED if block else lake_watches.ARTIFACT_ONLY
    claimed = lake_watches.claim_papers(lake, name, candidates["paper_id"].to_list(), digest_id, now, status, commit)
    if not claimed:
        logger.info("watch %s: nothing new", name)
        return DigestOutcome(name, digest_id, (), None, block)
    rows = digest_rows(candidates.filter(pl.col("paper_id").is_in(claimed)))
    key = publish_digest(name, rows, now)
    error = send_digest(name, block, rows) if block else None
    if block:
        lake_watches.record_sending(lake, name, digest_id, now, error, commit)
    if error:
        logger.error("watch %s: %d paper(s) claimed but not sent through %s: %s", name, rows.height, block, error)
    else:
        logger.info("watch %s: %d new paper(s)%s", name, rows.height, f", sent through {block}" if block else "")
    return DigestOutcome(name, digest_id, tuple(rows["paper_id"].to_list()), key, block, error)


def publish_digest(watch_name: str, rows: pl.DataFrame, now: datetime) -> str:
    key = digest_key(watch_name)
    shown = rows.head(DIGEST_ROW_LIMIT)
    cut = f"; the first {DIGEST_ROW_LIMIT} shown" if rows.height > DIGEST_ROW_LIMIT else ""
    create_table_artifact(
        key=key,
        table=[artifact_row(r) for r in shown.iter_rows(named=True)],
        description=f"Watch **{watch_name}**: {rows.height} new paper(s) at {now:%Y-%m-%d %H:%M} UTC{cut}.",
    )
    return key


def artifact_row(row: dict) -> dict:
    """The UI shows cells as text: lists joined, nothing as ''."""
    return {
        "title": row["title"],
        "authors": ", ".join(row["authors"] or []),
        "feeds": ", ".join(row["feeds"] or []),
        "upvotes": row["upvotes"],
        "link": row["link"] or "",
        "paper_id": row["paper_id"],
    }


def send_digest(watch_name: str, block: str, rows: pl.DataFrame) -> str | None:
    """None once sent; else why not, in one line."""
    subject, body = digest_message(watch_name, rows)
    try:
        notify.send(block, subject, body)
    except Exception as error:  # any failure of the block: recorded, never resent
        lines = str(error).strip().splitlines()
        return f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return None
