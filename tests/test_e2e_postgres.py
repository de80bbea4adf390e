"""End to end on PostgreSQL, with the scripts of deploy/postgres/ (README, "Running in production"):
a private PostgreSQL cluster (database.sh), `prefect server start` on it (server.sh), a process
worker (worker.sh), the deployments of deploy/prefect.yaml, and the daily flow run against the
replay feeds on 127.0.0.1. Slow (a cluster, a server and a flow-run process start): CI runs it.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.e2e_support import BIN, REPO, PrefectApi, Process, clean_env, free_port, port_open, run, wait_until

pytestmark = pytest.mark.slow

SCRIPTS = REPO / "deploy" / "postgres"
DAY = "2024-03-11"
# samples/ for 2024-03-11: 10 Hugging Face papers, 6 arXiv papers in the configured categories, none shared.
EXPECTED_SIGHTINGS = {"hf_daily": 10, "arxiv": 6}
EXPECTED_PAPER_COUNT = 16
DATABASE_SECONDS = 90  # database.sh waits up to 60 s for the cluster itself
SERVER_START_SECONDS = 120
RUN_SECONDS = 240


def postgres_missing() -> str | None:
    """Why this machine cannot run a private PostgreSQL cluster, or None."""
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        return "PostgreSQL is not installed (apt-get install -y postgresql; .ci/run does)"
    if shutil.which("runuser") is None or os.geteuid() != 0:
        return "database.sh switches to the postgres user with runuser, which needs root (CI runs as root)"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "there is no postgres user (Debian's postgresql package creates it)"
    return None


@pytest.fixture(scope="module")
def postgres_stack(tmp_path_factory):
    if problem := postgres_missing():
        pytest.skip(problem)
    root = tmp_path_factory.mktemp("e2e-postgres")
    # Not under pytest's tmp dir: that is root's alone (0700), and the postgres user must reach its cluster.
    pg_dir = Path(tempfile.mkdtemp(prefix="paperlake-pg-", dir="/tmp"))
    api_port, pg_port, replay_port = free_port(), free_port(), free_port()
    replay_url = f"http://127.0.0.1:{replay_port}"
    env = clean_env(
        PAPERLAKE_PG_DIR=str(pg_dir),
        PAPERLAKE_PG_PORT=str(pg_port),
        PAPERLAKE_PG_PASSWORD="e2e-secret",
        PREFECT_SERVER_API_PORT=str(api_port),
        PREFECT_API_URL=f"http://127.0.0.1:{api_port}/api",  # for the worker and `prefect deploy`
        PREFECT_HOME=str(root / "prefect-home"),  # nothing of ~/.prefect: the database is PostgreSQL's
        PREFECT_WORKER_QUERY_SECONDS="1",  # a worker polls every 10 s by default: the test would mostly wait
        PAPERLAKE_LAKE=str(root / "lake"),
        PAPERLAKE_HF_URL=replay_url,
        PAPERLAKE_ARXIV_URL=replay_url,
        PAPERLAKE_ARXIV_MIN_INTERVAL_SECONDS="0",  # arXiv's 3 s courtesy interval is for arXiv, not the replay
    )
    started: list[Process] = []
    try:
        run([str(SCRIPTS / "database.sh"), "start"], env, timeout_seconds=DATABASE_SECONDS)
        started.append(Process("server", [str(SCRIPTS / "server.sh")], env, root))
        started.append(Process(
            "replay", [sys.executable, "-m", "paperlake.replay", "--port", str(replay_port), "--samples", str(REPO / "samples")], env, root
        ))
        api = PrefectApi(env["PREFECT_API_URL"])
        wait_until(api.healthy, SERVER_START_SECONDS, "the Prefect server on PostgreSQL to answer", started[0])
        wait_until(lambda: port_open(replay_port), 30, "the replay server", started[1])
        yield api, env, root, pg_dir
    finally:
        for process in reversed(started):
            process.stop()
        subprocess.run([str(SCRIPTS / "database.sh"), "stop"], env=env, capture_output=True, timeout=DATABASE_SECONDS)
        shutil.rmtree(pg_dir, ignore_errors=True)


def sql(pg_dir: Path, port: str, query: str) -> str:
    """One query in the cluster's prefect database, as the postgres user over the cluster's unix socket."""
    psql = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]
    result = subprocess.run(
        ["runuser", "-u", "postgres", "--", psql, "-h", str(pg_dir), "-p", port, "-d", "prefect", "-qAtc", query],
        cwd=pg_dir, capture_output=True, text=True, timeout=30, check=True,
    )
    return result.stdout.strip()


def test_daily_deployment_on_a_worker_with_the_server_on_postgres_completes_and_lands_rows(postgres_stack):
    api, env, root, pg_dir = postgres_stack
    with Process("worker", [str(SCRIPTS / "worker.sh")], env, root) as worker:
        # worker.sh creates the pool the deployments target; `prefect deploy` needs it to exist.
        wait_until(lambda: _pool_exists(api), 90, "worker.sh to create the paperlake work pool", worker)
        run([str(BIN / "prefect"), "--no-prompt", "deploy", "--all", "--prefect-file", "deploy/prefect.yaml"], env, cwd=REPO)
        run_id = api.run_deployment("daily", "daily", {"day": DAY})
        flow_run = wait_until(lambda: api.finished_run(run_id), RUN_SECONDS, "the daily run to finish", worker)

    assert flow_run["state_type"] == "COMPLETED", worker.log_tail(80)
    assert flow_run["name"] == f"daily-{DAY}"
    # The run's state is in PostgreSQL: the server kept nothing in a SQLite file.
    assert sql(pg_dir, env["PAPERLAKE_PG_PORT"], f"SELECT state_type FROM flow_run WHERE id = '{run_id}'") == "COMPLETED"
    assert not list((root / "prefect-home").glob("*.db"))

    from lake.store import Lake

    lake = Lake(str(root / "lake"))
    assert dict(lake.read("sightings").group_by("feed").len().iter_rows()) == EXPECTED_SIGHTINGS
    assert lake.read("papers").height == EXPECTED_PAPER_COUNT
    feed_runs = {r["id"] for r in api.subflow_runs(run_id)}
    assert {h.get("paperlake.run_id") for h in lake.history("papers") if h.get("paperlake.run_id")} <= feed_runs


def _pool_exists(api: PrefectApi) -> bool:
    try:
        return api.get("work_pools/paperlake")["type"] == "process"
    except Exception:  # 404 until worker.sh has created it
        return False
