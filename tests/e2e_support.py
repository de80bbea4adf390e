"""Real processes for end-to-end tests: a Prefect server, workers, the replay feeds, a headless browser.

Every process gets its environment passed in (the test process's own stays untouched), writes its
output to a log file the failure message quotes, and is stopped, with its children, however the
test ends. Every wait has a deadline.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

import httpx

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the virtualenv's bin: prefect and paperlake live beside python
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without any Prefect or paperlake settings, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAPERLAKE_"))}
    return env | values


class Process:
    """A started command in its own process group; `stop()` ends the group (server workers included)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path, cwd: Path | None = None):
        self.name, self.log_path = name, log_dir / f"{name}.log"
        self.killed = False  # True when it ignored SIGTERM and had to be killed
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            args, env=env, cwd=cwd or log_dir, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log_tail(self, line_count: int = 40) -> str:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return f"--- last lines of {self.name}'s log ({self.log_path}) ---\n" + "\n".join(lines[-line_count:])

    def stop(self, timeout_seconds: float = 20) -> None:
        """SIGTERM (Prefect's server, worker and runner shut down gracefully on it), SIGKILL if that hangs."""
        if self.popen.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout_seconds)
            except subprocess.TimeoutExpired:
                self.killed = True
                self._signal(signal.SIGKILL)
                self.popen.wait(timeout=timeout_seconds)
        self._log.close()

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.popen.pid, sig)  # the group this Popen started (start_new_session), nothing else
        except ProcessLookupError:
            pass

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_until(check: Callable[[], object], timeout_seconds: float, what: str, *watched: Process, every: float = 0.5):
    """Poll `check` until it returns something truthy; fail naming `what`, with the logs of `watched`."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        for process in watched:
            if process.popen.poll() is not None:
                raise AssertionError(f"{process.name} exited ({process.popen.returncode}) while waiting for {what}\n{process.log_tail()}")
        result = check()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout_seconds} s waiting for {what}\n" + "\n".join(p.log_tail() for p in watched))


def run(args: list[str], env: dict[str, str], cwd: Path = REPO, timeout_seconds: float = 120) -> str:
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout_seconds)
    assert result.returncode == 0, f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class PrefectApi:
    """The few REST calls the tests make, against one server."""

    def __init__(self, api_url: str):
        self.http = httpx.Client(base_url=api_url.rstrip("/") + "/", timeout=15)

    def healthy(self) -> bool:
        try:
            return self.http.get("health").status_code == 200
        except httpx.HTTPError:
            return False

    def post(self, path: str, body: dict | None = None):
        return self._call("POST", path, json=body or {})

    def get(self, path: str, **params):
        return self._call("GET", path, params=params or None)

    def _call(self, method: str, path: str, attempts: int = 6, **kwargs):
        """One request; a 503 (SQLite busy while the server's services write) is retried, as Prefect's client does."""
        for attempt in range(attempts):
            response = self.http.request(method, path, **kwargs)
            if response.status_code != 503 or attempt == attempts - 1:
                response.raise_for_status()
                return response.json()
            time.sleep(0.5 * (attempt + 1))

    def deployments(self) -> dict[str, dict]:
        return {d["name"]: d for d in self.post("deployments/filter")}

    def run_deployment(self, flow_name: str, deployment_name: str, parameters: dict) -> str:
        deployment = self.get(f"deployments/name/{flow_name}/{deployment_name}")
        return self.post(f"deployments/{deployment['id']}/create_flow_run", {"parameters": parameters})["id"]

    def flow_run(self, run_id: str) -> dict:
        return self.get(f"flow_runs/{run_id}")

    def finished_run(self, run_id: str) -> dict | None:
        run = self.flow_run(run_id)
        return run if run["state_type"] in FINAL_STATES else None

    def artifacts(self, run_id: str) -> dict[str, dict]:
        found = self.post("artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run_id]}}})
        return {a["key"]: a for a in found if a["key"]}

    def states(self, run_id: str) -> list[dict]:
        return self.get("flow_run_states/", flow_run_id=run_id)

    def auto_scheduled_runs(self, deployment_id: str) -> list[dict]:
        """Runs the server's scheduler planned for a deployment (none if the scheduler is broken)."""
        body = {"flow_runs": {"deployment_id": {"any_": [deployment_id]}, "state": {"type": {"any_": ["SCHEDULED"]}}}}
        return [r for r in self.post("flow_runs/filter", body) if r["auto_scheduled"]]

    def subflow_runs(self, run_id: str) -> list[dict]:
        return self.post("flow_runs/filter", {"flow_runs": {"parent_flow_run_id": {"any_": [run_id]}}})

    def task_runs(self, flow_run_ids: list[str]) -> list[dict]:
        body = {"task_runs": {"flow_run_id": {"any_": flow_run_ids}, "subflow_runs": {"exists_": False}}}
        return self.post("task_runs/filter", body)


def run_overhead(api: PrefectApi, run_id: str) -> dict[str, float]:
    """Seconds from the worker taking the run (Pending) to the flow starting, to its first task, and to the end."""
    states = {s["type"]: _time(s["timestamp"]) for s in reversed(api.states(run_id))}  # earliest of each type
    run_ids = [run_id] + [r["id"] for r in api.subflow_runs(run_id)]
    first_task_at = min(_time(t["start_time"]) for t in api.task_runs(run_ids) if t["start_time"])
    pending_at = states["PENDING"]
    return {
        "scheduled_to_pending_seconds": round((pending_at - states["SCHEDULED"]).total_seconds(), 2),
        "pending_to_flow_start_seconds": round((states["RUNNING"] - pending_at).total_seconds(), 2),
        "pending_to_first_task_seconds": round((first_task_at - pending_at).total_seconds(), 2),
        "pending_to_completed_seconds": round((states["COMPLETED"] - pending_at).total_seconds(), 2),
    }


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def rendered_dom(url: str, expected_text: str, attempts: int = 3, budget_ms: int = 15000) -> str:
    """The page's DOM after its scripts ran, from headless Chromium in a fresh profile.

    The UI fetches its data after loading; a slow machine may need another try to show `expected_text`.
    """
    dom = ""
    for _ in range(attempts):
        with tempfile.TemporaryDirectory(prefix="paperlake-chromium-") as profile:
            result = subprocess.run(
                [CHROMIUM, *chromium_flags(profile), f"--virtual-time-budget={budget_ms}", "--dump-dom", url],
                capture_output=True, text=True, timeout=120,
            )
        dom = result.stdout
        if expected_text in dom:
            return dom
    return dom


def chromium_flags(profile: str) -> list[str]:
    # As root (CI containers) Chromium needs --no-sandbox; the rest keeps it from reaching the internet.
    return [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
    ]


def screenshot(url: str, target: Path, width: int = 1400, height: int = 1000, budget_ms: int = 15000) -> Path:
    """A PNG of the page as Chromium renders it (for the README: see test_e2e_server.py)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="paperlake-chromium-") as profile:
        subprocess.run(
            [CHROMIUM, *chromium_flags(profile), f"--virtual-time-budget={budget_ms}", f"--window-size={width},{height}",
             "--hide-scrollbars", f"--screenshot={target}", url],
            capture_output=True, timeout=120, check=True,
        )
    return target
