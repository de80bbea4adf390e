"""Issue 13, point 4: a run's terminal output is its summary, not Prefect's logs.

`paperlake run` against feeds where nothing listens: a few lines (one per retry, one per failed
feed, the advice), no traceback; `--verbose` brings Prefect's logs back. The runs talk to the
session's Prefect test server, so no temporary server starts per command.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.flows.live_fixtures import FAST_HTTP_ENV


def dead_url() -> str:
    with socket.socket() as probe:  # free a moment ago, nothing listens now
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def run_against_nothing(tmp_path, *flags: str) -> subprocess.CompletedProcess:
    from prefect.settings import PREFECT_API_URL

    url = dead_url()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERLAKE_", "PREFECT_API"))}
    env |= {**FAST_HTTP_ENV, "PAPERLAKE_HF_URL": url, "PAPERLAKE_ARXIV_URL": url, "PAPERLAKE_ARXIV_MIN_INTERVAL_SECONDS": "0",
            "PAPERLAKE_HTTP_MAX_ATTEMPTS": "5", "PREFECT_API_URL": PREFECT_API_URL.value()}
    command = [sys.executable, "-m", "paperlake.cli", "run", "--date", "2024-03-11", "--lake", str(tmp_path / "lake"), *flags]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, env=env)


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_a_run_against_a_dead_server_prints_its_summary_not_prefects_logs(tmp_path):
    result = run_against_nothing(tmp_path)

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and "INFO" not in result.stderr
    # refused twice, not five times: one retry line per feed, one failure line per feed, the advice
    assert [line.split(":")[0] for line in lines] == ["retry", "retry", "failed", "failed", lines[-1].split(":")[0]]
    assert all("gave up after 2 attempts: ConnectError" in line for line in lines if line.startswith("failed:"))
    assert lines[-1] == "The other feed-days landed; the next run fetches the failed ones again (or run the same command again)."

    verbose = run_against_nothing(tmp_path, "--verbose")
    assert verbose.returncode == 1 and "Beginning flow run" in verbose.stderr and "Traceback" in verbose.stderr
