"""Fixtures of the reliability tests: a forking ingest worker, a replay server, lake comparisons."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from lake.schemas import TABLES
from lake.store import Lake
from transforms.search_words import MARKER_TERM, current_rows
from tests.reliability.ingest_worker import REPO, Worker

SAMPLES = REPO / "samples"
# Columns a re-run may legitimately set differently: clocks and run ids, not data.
# When things happened differs between runs of the same payloads; what landed must not.
RUN_COLUMNS = {
    "fetched_at", "loaded_at", "quarantined_at", "run_id", "counts_observed_at",
    "first_fetched_at", "last_fetched_at", "last_changed_at", "final_at", "last_error_at",
}


@pytest.fixture(scope="session")
def replay_url():
    from paperlake.replay import serve_replay

    with serve_replay(SAMPLES) as url:
        yield url


def worker_env(replay_url: str, docs_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a worker: the session's Prefect server, the replay feeds, quiet logs."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAPERLAKE_"))}
    env.update(
        PREFECT_API_URL=PREFECT_API_URL.value(),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        PAPERLAKE_HF_URL=replay_url,
        PAPERLAKE_ARXIV_URL=replay_url,
        PAPERLAKE_ARXIV_MIN_INTERVAL_SECONDS="0",
        PAPERLAKE_DOCS=str(docs_dir),
        RUST_BACKTRACE="0",
        **extra,
    )
    return env


@pytest.fixture(scope="session")
def worker(prefect_harness, replay_url, tmp_path_factory):
    """One worker for the kill and concurrency modules: it starts in 5-10 s (imports), and every run
    is a fresh forked child, so nothing a test does stays in it."""
    folder = tmp_path_factory.mktemp("worker")
    the_worker = Worker(worker_env(replay_url, folder / "docs"), folder / "worker.log")
    yield the_worker
    the_worker.close()


def day_run(lake_uri: str, day: str, feeds=("hf_daily", "arxiv")) -> dict:
    """One feed-day of every feed: the live feeds from the replay server, then the day's page copy."""
    return {"kind": "day", "lake": lake_uri, "day": day, "feeds": list(feeds),
            "paths": [str(SAMPLES / "pages" / f"{day}.txt")], "date": day}


def content_of(lake: Lake) -> dict[str, pl.DataFrame]:
    """Every table's rows without run-dependent columns, sorted by key: equal contents compare equal."""
    return {name: comparable(name, lake.read(name)) for name in TABLES}


def comparable(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """A table's rows as content_of compares them."""
    if name == "search_words":  # appends stamped with the version they made: compare what they index
        frame = current_rows(frame).filter(pl.col("term") != MARKER_TERM).select("term", "paper_id", "fields", "positions")
        return frame.sort("term", "paper_id")
    return frame.drop([c for c in frame.columns if c in RUN_COLUMNS]).sort(list(TABLES[name].key))


def assert_same_content(lake: Lake, reference: dict[str, pl.DataFrame]) -> None:
    got = content_of(lake)
    for name, expected in reference.items():
        frame = got[name]
        assert frame.height == expected.height, f"{name}: {frame.height} rows, expected {expected.height}; first extra rows: {_extra_rows(frame, expected)}"
        assert frame.equals(expected), f"{name}: rows differ from the reference run"


def _extra_rows(frame: pl.DataFrame, expected: pl.DataFrame) -> list[dict]:
    """What a failed comparison shows: rows not in the expected table (a quarantine row's rule and reason say why)."""
    extra = frame.join(expected, on=frame.columns, how="anti", nulls_equal=True) if frame.columns == expected.columns else frame
    return extra.head(3).to_dicts()


def assert_keys_distinct(lake: Lake) -> dict[str, int]:
    """Counts equal distinct keys in every table; returns the counts."""
    counts = {}
    for name, spec in TABLES.items():
        frame = lake.read(name)
        distinct = frame.select(list(spec.key)).unique().height
        assert frame.height == distinct, f"{name}: {frame.height} rows but {distinct} distinct keys"
        counts[name] = frame.height
    return counts


def committed_files(table_dir: Path) -> set[str]:
    """Every data file some commit of the table added (any version), change-feed files included:
    a MERGE's `_change_data/` files come in "cdc" actions, and left out they made every lake that
    had a MERGE look as if a write had died in it."""
    added = set()
    for entry in (table_dir / "_delta_log").glob("*.json"):
        for line in entry.read_text().splitlines():
            action = json.loads(line)
            for kind in ("add", "cdc"):
                if kind in action:
                    added.add(action[kind]["path"])
    return added


def uncommitted_files(table_dir: Path) -> set[str]:
    """Data files on disk that no commit ever added: written by a write that never committed."""
    on_disk = {
        str(p.relative_to(table_dir)) for p in table_dir.rglob("*")
        if p.is_file() and "_delta_log" not in p.parts
    }
    return on_disk - committed_files(table_dir)


def copy_lake(source: Path, target: Path) -> Lake:
    shutil.copytree(source, target)
    return Lake(str(target))


# --- an S3-compatible server on 127.0.0.1 (moto's server mode) ---


@dataclass(frozen=True)
class ObjectStore:
    endpoint_url: str
    bucket: str
    access_key_id: str
    secret_access_key: str

    def env(self) -> dict[str, str]:
        """The standard AWS variables that point delta-rs, Polars and boto3 at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_REGION": "us-east-1",
            "AWS_ALLOW_HTTP": "true",
        }

    def uri(self, prefix: str) -> str:
        return f"s3://{self.bucket}/{prefix}"

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url, aws_access_key_id=self.access_key_id,
                            aws_secret_access_key=self.secret_access_key, region_name="us-east-1")

    def objects(self, prefix: str = "") -> dict[str, bytes]:
        """Every object under `prefix`, read whole: to grep what the lake stored."""
        client, found = self.client(), {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                found[item["Key"]] = client.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
        return found


@pytest.fixture(scope="session")
def object_store(tmp_path_factory):
    """moto's S3 server on a free 127.0.0.1 port, with one bucket and random credentials.

    It runs in its own process: deltalake holds the GIL in some calls (is_deltatable), so a
    server thread in the test process could not answer them.
    """
    import secrets
    import socket
    import subprocess
    import sys
    import time

    pytest.importorskip("moto.server", reason="moto[server] is in the test extras")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    store = ObjectStore(f"http://127.0.0.1:{port}", "paperlake-test", "AKIA" + secrets.token_hex(8).upper(),
                        "secret-" + secrets.token_urlsafe(24))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                store.client().create_bucket(Bucket=store.bucket)
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield store
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
