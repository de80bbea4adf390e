"""`paperlake run` against hostile feed servers on 127.0.0.1: a drip fails its feed-day only; an echoed token leaks nowhere."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from lake.store import Lake
from tests.feeds.hostile_servers import DripHandler, EchoHeadersHandler, serving
from tests.reliability.conftest import worker_env
from tests.reliability.ingest_worker import REPO

TOKEN = "hf_LEAKCHECK_0123456789abcdefXYZ"


def _run(env: dict[str, str], lake: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "paperlake.cli", "run", "--date", "2024-03-11", "--lake", str(lake)]
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=240)


@pytest.mark.slow
def test_a_dripping_feed_fails_its_day_within_its_budget_and_the_other_feed_lands(prefect_harness, replay_url, tmp_path):
    with serving(DripHandler) as drip_url:
        env = worker_env(
            replay_url, tmp_path / "docs",
            PAPERLAKE_HTTP_REQUEST_DEADLINE_SECONDS="1", PAPERLAKE_HTTP_FEED_DAY_BUDGET_SECONDS="3",
            PAPERLAKE_HTTP_BACKOFF_SECONDS="0.1",
        ) | {"PAPERLAKE_HF_URL": drip_url}
        started_at = time.monotonic()
        result = _run(env, tmp_path / "lake")
        elapsed_seconds = time.monotonic() - started_at
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed:")]
    assert result.returncode == 1, result.stderr[-2000:]
    assert len(failed) == 1 and "hf_daily 2024-03-11: feed-day budget of 3 s spent" in failed[0], result.stderr[-2000:]
    assert Lake(str(tmp_path / "lake")).read("sightings").filter(feed="arxiv").height > 0
    assert elapsed_seconds < 90, f"{elapsed_seconds:.0f} s"


@pytest.mark.slow
def test_a_token_echoed_in_a_401_is_in_no_output_lake_or_prefect_database(prefect_harness, replay_url, tmp_path):
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL

    with serving(EchoHeadersHandler) as echo_url:
        env = worker_env(replay_url, tmp_path / "docs", PAPERLAKE_HF_TOKEN=TOKEN) | {"PAPERLAKE_HF_URL": echo_url}
        result = _run(env, tmp_path / "lake")
    assert result.returncode == 1 and "HTTP 401" in result.stderr, result.stderr[-2000:]
    assert "[redacted]" in result.stderr
    assert TOKEN not in result.stdout + result.stderr
    leaks = [str(p) for p in tmp_path.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
    database = Path(PREFECT_API_DATABASE_CONNECTION_URL.value().split("///", 1)[-1])
    time.sleep(2)  # the server writes logs and events a moment after the command ended
    leaks += [str(p) for p in database.parent.glob(database.name + "*") if TOKEN.encode() in p.read_bytes()]
    assert not leaks, f"the token is stored in {leaks}"
