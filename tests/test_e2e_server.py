"""End to end, as the README's "Schedule runs" section sets it up: a real `prefect server start`,
the deployments of deploy/prefect.yaml on a process worker, then `paperlake serve`; the feeds are
the replay server on 127.0.0.1. Slow (a server start and two flow-run processes): CI runs it.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e_support import (
    BIN,
    CHROMIUM,
    REPO,
    PrefectApi,
    Process,
    clean_env,
    free_port,
    port_open,
    rendered_dom,
    run,
    screenshot,
    run_overhead,
    wait_until,
)

pytestmark = pytest.mark.slow

DAY = "2024-03-11"
RUN_NAME = f"daily-{DAY}"
# samples/ for 2024-03-11: 10 Hugging Face papers, 6 arXiv papers in the configured categories, none shared.
EXPECTED_SIGHTINGS = {"hf_daily": 10, "arxiv": 6}
EXPECTED_PAPER_COUNT = 16
# Set to a folder to keep pictures of the run page and its artifacts (how docs/run-page.png and docs/run-summary.png were made).
SCREENSHOT_ENV = "PAPERLAKE_E2E_SCREENSHOT"
SERVER_START_SECONDS = 120
RUN_SECONDS = 240


@dataclass
class Stack:
    root: Path
    ui_url: str
    api: PrefectApi
    env: dict[str, str]  # for anything that talks to the server or runs flows: CLI, worker, serve

    @property
    def lake_path(self) -> Path:
        return self.root / "lake"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    api_port, replay_port = free_port(), free_port()
    ui_url = f"http://127.0.0.1:{api_port}"
    replay_url = f"http://127.0.0.1:{replay_port}"
    env = clean_env(
        PREFECT_HOME=str(root / "prefect-home"),
        # The server hands this URL to the UI, so it must name the server's own port.
        PREFECT_API_URL=f"{ui_url}/api",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="1",  # a worker polls every 10 s by default: the test would mostly wait
        PREFECT_RUNNER_POLL_FREQUENCY="1",  # the same for `serve`
        PAPERLAKE_LAKE=str(root / "lake"),
        PAPERLAKE_HF_URL=replay_url,
        PAPERLAKE_ARXIV_URL=replay_url,
        PAPERLAKE_ARXIV_MIN_INTERVAL_SECONDS="0",  # arXiv's 3 s courtesy interval is for arXiv, not the replay
    )
    server = Process("server", [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(api_port)], env, root)
    replay = Process(
        "replay", [sys.executable, "-m", "paperlake.replay", "--port", str(replay_port), "--samples", str(REPO / "samples")], env, root
    )
    try:
        api = PrefectApi(env["PREFECT_API_URL"])
        wait_until(api.healthy, SERVER_START_SECONDS, "the Prefect server to answer", server)
        wait_until(lambda: port_open(replay_port), 30, "the replay server", replay)
        yield Stack(root, ui_url, api, env)
    finally:
        replay.stop()
        server.stop()


def test_daily_deployment_on_a_worker_completes_with_artifacts_and_lake_rows(stack, record_property):
    prefect = str(BIN / "prefect")
    run([prefect, "work-pool", "create", "paperlake", "--type", "process"], stack.env)
    run([prefect, "--no-prompt", "deploy", "--all", "--prefect-file", "deploy/prefect.yaml"], stack.env, cwd=REPO)

    deployments = stack.api.deployments()
    assert set(deployments) == {"daily", "maintain", "backfill"}
    assert [s["schedule"]["cron"] for s in deployments["daily"]["schedules"]] == ["0 6 * * *"]
    assert deployments["daily"]["pull_steps"] == [{"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}]
    planned = wait_until(
        lambda: stack.api.auto_scheduled_runs(deployments["daily"]["id"]), 60,
        "the server's scheduler to plan daily runs (prefect 3.8.8's scheduler fails with SQLAlchemy 2.1: see pyproject.toml)",
    )
    assert {r["expected_start_time"][11:19] for r in planned} == {"06:00:00"}  # UTC

    with Process("worker", [prefect, "worker", "start", "--pool", "paperlake"], stack.env, stack.root) as worker:
        run_id = stack.api.run_deployment("daily", "daily", {"day": DAY})
        flow_run = wait_until(lambda: stack.api.finished_run(run_id), RUN_SECONDS, "the daily run to finish", worker)

    assert flow_run["state_type"] == "COMPLETED", worker.log_tail(80)
    assert flow_run["name"] == RUN_NAME
    assert {"hf_daily", "arxiv"} <= set(flow_run["tags"])
    assert_artifacts(stack, run_id)
    assert_lake_rows_lead_back_to_the_run(stack, run_id)

    overhead = run_overhead(stack.api, run_id)
    record_property("daily_run_overhead", overhead)
    (stack.root / "daily-run-overhead.json").write_text(json.dumps(overhead))
    print("daily run on a process worker:", overhead)

    if CHROMIUM is None:
        pytest.skip("the API checks passed; the UI check needs Debian's chromium (apt-get install -y chromium; .ci/run does)")
    page_url = f"{stack.ui_url}/runs/flow-run/{run_id}"
    dom = rendered_dom(page_url, RUN_NAME)
    assert RUN_NAME in dom, f"the run page {page_url} does not show {RUN_NAME}; rendered DOM starts:\n{dom[:2000]}"
    if os.environ.get(SCREENSHOT_ENV):
        folder = Path(os.environ[SCREENSHOT_ENV]).resolve()
        screenshot(page_url, folder / "run-page.png")
        summary_id = stack.api.artifacts(run_id)["daily-summary"]["id"]
        screenshot(f"{stack.ui_url}/artifacts/artifact/{summary_id}", folder / "run-summary.png")


def assert_artifacts(stack: Stack, run_id: str) -> None:
    artifacts = stack.api.artifacts(run_id)
    assert {"daily-summary", "daily-new-papers", "daily-data-docs"} <= set(artifacts)

    summary = artifacts["daily-summary"]["data"]
    assert f"# daily {DAY}" in summary
    for feed, count in EXPECTED_SIGHTINGS.items():
        # fetched, already ingested, rows read, new papers, returning papers, quarantined rows
        payload_count = {"hf_daily": 1, "arxiv": 2}[feed]  # an arXiv day is its submissions and its replacements
        assert f"| {feed} | ok | {payload_count} | 0 | {count} | {count} | 0 | 0 |" in summary
    new_papers = json.loads(artifacts["daily-new-papers"]["data"])
    assert len(new_papers) == EXPECTED_PAPER_COUNT and all(row["title"] for row in new_papers)
    docs_index = stack.root / "validation" / "index.html"
    validation = artifacts["daily-data-docs"]["data"]  # the summary itself, then where the Data Docs are
    assert "| table | feed | date | rows | passed | quarantined | rejected | failed rules |" in validation
    assert f"| sightings | hf_daily | {DAY} |" in validation and f"`{docs_index}`" in validation
    assert docs_index.is_file()


def assert_lake_rows_lead_back_to_the_run(stack: Stack, run_id: str) -> None:
    from lake.store import Lake

    lake = Lake(str(stack.lake_path))
    sightings = lake.read("sightings")
    assert dict(sightings.group_by("feed").len().iter_rows()) == EXPECTED_SIGHTINGS
    assert lake.read("papers").height == EXPECTED_PAPER_COUNT
    assert lake.read("snapshots").height == 3  # hf_daily one payload, arXiv two (submissions, replacements)

    # Each commit names the feed-day subflow run that wrote it; its parent is the daily run.
    feed_runs = {r["id"]: r for r in stack.api.subflow_runs(run_id)}
    writes = [h for h in lake.history("papers") if h.get("paperlake.run_id")]
    assert {h["paperlake.feed"] for h in writes} == {"hf_daily", "arxiv"}
    for commit in writes:
        assert commit["paperlake.run_id"] in feed_runs
        assert feed_runs[commit["paperlake.run_id"]]["name"] == f"{commit['paperlake.feed']}-{DAY}"
        assert commit["paperlake.snapshot_dates"] == DAY and commit["paperlake.version"]


def test_serve_registers_the_same_deployments_and_runs_them_from_one_process(stack):
    args = [str(BIN / "paperlake"), "serve", "--daily-cron", "30 5 * * *"]
    with Process("serve", args, stack.env, stack.root) as serve:
        def served() -> bool:
            found = stack.api.deployments()
            daily = found.get("daily")
            return daily is not None and [s["schedule"]["cron"] for s in daily["schedules"]] == ["30 5 * * *"]

        wait_until(served, 60, "`paperlake serve` to register its deployments", serve)
        assert {"daily", "maintain", "backfill"} <= set(stack.api.deployments())
        run_id = stack.api.run_deployment("maintain", "maintain", {})
        flow_run = wait_until(lambda: stack.api.finished_run(run_id), RUN_SECONDS, "the maintain run to finish", serve)

    assert flow_run["state_type"] == "COMPLETED", serve.log_tail(80)
    assert not serve.killed, "`paperlake serve` did not stop on SIGTERM\n" + serve.log_tail()
    assert flow_run["name"].startswith("maintain-")
    summary = stack.api.artifacts(run_id)["maintain-summary"]["data"]
    assert "| papers |" in summary and "time travel kept for 7 day(s)" in summary
