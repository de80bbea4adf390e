"""`paperlake serve` and `paperlake maintain` as a user runs them; serving itself is in test_e2e_server.py."""

import os
import socket
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from paperlake.cli import app


def serve_without_server(tmp_path, api_url: str | None) -> subprocess.CompletedProcess:
    """`paperlake serve` in a fresh Prefect home (no profile to fall back on), in its own process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return subprocess.run([sys.executable, "-m", "paperlake.cli", "serve"], capture_output=True, text=True, timeout=60, env=env)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def test_serve_without_an_api_url_says_to_start_a_server(tmp_path):
    result = serve_without_server(tmp_path, None)
    assert result.returncode == 2
    assert "PREFECT_API_URL is not set" in result.stderr
    assert "prefect server start" in result.stderr and "export PREFECT_API_URL=http://127.0.0.1:4200/api" in result.stderr


def test_serve_with_no_server_answering_names_the_url(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/api"
    result = serve_without_server(tmp_path, url)
    assert result.returncode == 2
    assert f"no Prefect server answers at PREFECT_API_URL={url}" in result.stderr
    assert "prefect server start" in result.stderr


def test_serve_refuses_a_bad_cron_before_anything_else():
    result = CliRunner().invoke(app, ["serve", "--daily-cron", "61 * * * *"])
    assert result.exit_code == 2
    assert "is not a cron schedule" in result.output


@pytest.mark.usefixtures("prefect_harness")
def test_maintain_prints_files_before_and_after(lake):
    from tests.conftest import papers_in_small_commits

    papers_in_small_commits(lake, 3)

    result = CliRunner().invoke(app, ["maintain", "--lake", lake.uri, "--retention-days", "0"], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    assert "time travel kept for 0 day(s)" in result.output
    [papers_line] = [line for line in result.output.splitlines() if line.startswith("│ papers")]
    assert "3 → 1" in papers_line


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_ctrl_c_stops_serve_and_pauses_its_deployments(tmp_path):
    """Ctrl-C as a terminal sends it: the tty turns the keystroke into SIGINT for the whole foreground
    process group. serve exits, and its deployments are paused so no schedule fires for nobody."""
    import fcntl
    import pty
    import termios
    import time

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env |= {"PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "COLUMNS": "120"}
    primary, secondary = pty.openpty()

    def own_terminal() -> None:  # in the child: a session of its own, with the pty as its controlling terminal
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    serving = subprocess.Popen(
        [sys.executable, "-m", "paperlake.cli", "serve", "--lake", str(tmp_path / "lake")],
        stdin=secondary, stdout=secondary, stderr=secondary, env=env, preexec_fn=own_terminal,
    )
    os.close(secondary)
    try:
        with get_client(sync_client=True) as client:
            deadline = time.monotonic() + 90
            while not _served(client) and serving.poll() is None and time.monotonic() < deadline:
                time.sleep(0.5)
            assert serving.poll() is None and _served(client), _drain(primary)
            time.sleep(2)  # the runner's loops are up
            os.write(primary, b"\x03")  # Ctrl-C typed at the terminal
            try:
                serving.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pytest.fail("serve was still running 60 s after Ctrl-C:\n" + _drain(primary))
            paused = {name: client.read_deployment_by_name(f"{name}/{name}").paused for name in ("daily", "maintain", "backfill")}
        shown = _drain(primary)
    finally:
        if serving.poll() is None:
            serving.kill()
        os.close(primary)
    assert serving.returncode == 0, shown
    assert "Traceback" not in shown and "the deployments daily, maintain, backfill are paused" in " ".join(shown.split())
    assert paused == {"daily": True, "maintain": True, "backfill": True}


def _drain(primary: int) -> str:
    """What the terminal received so far."""
    import select

    chunks = []
    while select.select([primary], [], [], 0.2)[0]:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def _served(client) -> bool:
    try:
        return all(not client.read_deployment_by_name(f"{name}/{name}").paused for name in ("daily", "maintain", "backfill"))
    except Exception:  # not registered yet
        return False
