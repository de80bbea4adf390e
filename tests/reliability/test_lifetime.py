"""A command's temporary Prefect server ends with it, and a signal stops a run in seconds with one line.

Real processes and real signals: `paperlake ingest` runs with its own temporary Prefect server (no
PREFECT_API_URL), and the test kills it the way a terminal, `timeout` or the OOM killer would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lake.store import Lake
from tests.reliability.ingest_worker import REPO

PAGES = REPO / "tests" / "data" / "pages"
SERVER_MARK = "prefect.server.api.server:create_app"
SERVER_START_TIMEOUT_SECONDS = 90


def _ingest_command(lake: Path, home: Path) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PAPERLAKE_"))}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PAPERLAKE_DOCS=str(home / "docs"))
    return [sys.executable, "-m", "paperlake.cli", "ingest", str(PAGES), "--lake", str(lake)], env


def _children_running(parent_pid: int) -> list[int]:
    """Processes started by `parent_pid` that serve Prefect's API (found by their command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
        if SERVER_MARK in cmdline and ppid == parent_pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in state


def _start_and_wait_for_server(tmp_path: Path) -> tuple[subprocess.Popen, list[int]]:
    command, env = _ingest_command(tmp_path / "lake", tmp_path / "prefect")
    process = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        if servers := _children_running(process.pid):
            return process, servers
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"no temporary Prefect server appeared (exit {process.poll()})")


def _wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.2)
    return [pid for pid in pids if _alive(pid)]


@pytest.mark.slow
def test_sigkilled_command_leaves_no_prefect_server(tmp_path):
    process, servers = _start_and_wait_for_server(tmp_path)
    process.kill()
    process.wait()
    left = _wait_gone(servers, 15)
    for pid in left:  # do not leave it to the next test either
        os.kill(pid, signal.SIGKILL)
    assert not left, f"temporary Prefect server(s) {left} outlived the SIGKILLed command"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "to_group", "exit_code"),
    [(signal.SIGINT, True, 130), (signal.SIGTERM, False, 143)],
    ids=["ctrl-c-to-the-group", "sigterm-to-the-process"],
)
def test_a_signal_stops_the_run_in_seconds_with_one_line(tmp_path, signum, to_group, exit_code):
    process, servers = _start_and_wait_for_server(tmp_path)
    time.sleep(1.5)  # into the flow run: the server answers, tasks run (the whole run takes 8 s or more)
    started_at = time.monotonic()
    if to_group:  # what a terminal's Ctrl-C, `timeout` and systemd do
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"the command was still running 30 s after {signal.Signals(signum).name}")
    stop_seconds = time.monotonic() - started_at
    text = stderr.decode(errors="replace")
    lines = [line for line in text.splitlines() if "interrupted" in line]
    assert process.returncode == exit_code, text[-2000:]
    assert stop_seconds < 12, f"took {stop_seconds:.1f} s to stop"
    assert len(lines) == 1 and "run the same command again" in lines[0], text[-2000:]
    assert "Traceback" not in text and "Crash detected" not in text, text[-2000:]
    assert not _wait_gone(servers, 10), "the temporary Prefect server outlived the command"
    lake = Lake(str(tmp_path / "lake"))
    for name in ("snapshots", "sightings", "papers"):
        if lake.has_table(name):  # at a committed version: it reads
            lake.read(name)
