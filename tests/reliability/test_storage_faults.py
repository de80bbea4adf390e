"""Issue 8.3: storage faults under a real filesystem.

A lake folder made read-only (a read-only bind mount: chmod does not stop root) and a disk that
fills up during a run (a small tmpfs, filled by another writer the moment the run's first
commit lands) each give a clear error naming the table, leave every table at a committed
version, and the same command succeeds once the fault is gone. Needs root (mount); skipped
without it.
"""

from __future__ import annotations

import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lake.schemas import TABLES
from lake.store import Lake
from paperlake.cli import app
from tests.reliability.conftest import SAMPLES, assert_keys_distinct, assert_same_content, comparable, content_of

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

runner = CliRunner()
DAYS = ("2024-03-11", "2024-03-12")
TMPFS_BYTES = 16 * 1024 * 1024


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


def umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], check=True, capture_output=True, text=True)


@contextmanager
def read_only(folder: Path):
    """`folder` read-only for everyone, root included, until the block ends."""
    mount("--bind", str(folder), str(folder))
    try:
        mount("-o", "remount,bind,ro", str(folder))
        yield
    finally:
        umount(folder)


@contextmanager
def small_disk(folder: Path, size_bytes: int):
    folder.mkdir(parents=True, exist_ok=True)
    mount("-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(folder))
    try:
        yield folder
    finally:
        umount(folder)


@pytest.fixture(autouse=True)
def can_mount(tmp_path):
    """Skip (with the reason) where mounting is not allowed: not root, or no CAP_SYS_ADMIN."""
    probe = tmp_path / "probe"
    probe.mkdir()
    try:
        with small_disk(probe, 64 * 1024):
            pass
    except (subprocess.CalledProcessError, FileNotFoundError, PermissionError) as err:
        pytest.skip(f"cannot mount a tmpfs here ({err}); these tests need root")


@pytest.fixture(autouse=True)
def docs_elsewhere(tmp_path, monkeypatch):
    """Data Docs off the faulty disk: the faults under test are the lake's."""
    monkeypatch.setenv("PAPERLAKE_DOCS", str(tmp_path / "docs"))


def ingest(lake_uri: str, day: str):
    page = SAMPLES / "pages" / f"{day}.txt"
    return runner.invoke(app, ["ingest", str(page), "--lake", lake_uri, "--date", day])


def versions(lake: Lake) -> dict[str, int]:
    return {name: lake.delta(name).version() for name in TABLES if lake.has_table(name)}


@pytest.fixture
def reference(tmp_path) -> dict:
    """Both days ingested with no fault."""
    lake = Lake(str(tmp_path / "reference"))
    for day in DAYS:
        assert ingest(lake.uri, day).exit_code == 0
    return content_of(lake)


def assert_committed(lake: Lake, reference_lake_content_at) -> None:
    for name, frame in content_of(lake).items():
        assert frame.equals(reference_lake_content_at(name, lake.delta(name).version())), f"{name} is not at a committed state"


def test_read_only_lake_folder_names_the_table_and_changes_nothing(tmp_path, reference):
    lake = Lake(str(tmp_path / "lake"))
    assert ingest(lake.uri, DAYS[0]).exit_code == 0
    before, before_versions = content_of(lake), versions(lake)

    with read_only(Path(lake.uri)):
        result = ingest(lake.uri, DAYS[1])
        assert result.exit_code == 1, result.output
        assert "could not write table 'snapshots'" in result.output
        assert "Read-only file system" in result.output
        assert versions(lake) == before_versions
        assert_same_content(lake, before)

    result = ingest(lake.uri, DAYS[1])
    assert result.exit_code == 0, result.output
    assert_same_content(lake, reference)
    assert_keys_distinct(lake)


def fill_up(disk: Path) -> Path:
    """Write a ballast file until the disk has no room left, as a runaway log or a neighbour would."""
    ballast = disk / "ballast"
    chunk = b"\0" * (256 * 1024)
    with open(ballast, "wb") as out:
        try:
            while True:
                out.write(chunk)
                out.flush()
        except OSError:
            pass
    for size in (4096, 512, 1):  # the last bytes too
        try:
            with open(disk / f"ballast-{size}", "wb") as out:
                while True:
                    out.write(b"\0" * size)
                    out.flush()
        except OSError:
            pass
    return ballast


def fill_when_committed(lake: Lake, table: str, disk: Path) -> threading.Thread:
    """Fill the disk as soon as `table` gets its next commit (the run is then between two writes)."""
    start_version = lake.delta(table).version()
    log_dir = Path(lake.table_uri(table)) / "_delta_log"

    def watch() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if (log_dir / f"{start_version + 1:020d}.json").exists():
                fill_up(disk)
                return
            time.sleep(0.001)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("fill_after", [None, "snapshots"], ids=["full-before-the-run", "fills-after-the-raw-snapshot-commit"])
def test_full_disk_names_the_table_keeps_committed_versions_and_recovers(tmp_path, reference, fill_after):
    reference_lake = Lake(str(tmp_path / "reference"))

    def reference_at(name: str, version: int):
        frame = reference_lake.read(name, as_of=version)
        return comparable(name, frame)

    with small_disk(tmp_path / "disk", TMPFS_BYTES) as disk:
        lake = Lake(str(disk / "lake"))
        assert ingest(lake.uri, DAYS[0]).exit_code == 0
        before_versions = versions(lake)
        if fill_after is None:
            fill_up(disk)
        else:
            watcher = fill_when_committed(lake, fill_after, disk)

        result = ingest(lake.uri, DAYS[1])

        if fill_after is not None:
            watcher.join(timeout=5)
        assert result.exit_code == 1, result.output
        assert "No space left on device" in result.output
        named = [name for name in TABLES if f"could not write table '{name}'" in result.output]
        assert named, result.output
        if fill_after is None:
            assert named == ["snapshots"]
            assert versions(lake) == before_versions
        else:  # the raw snapshots landed; a later write of the run met the full disk
            assert versions(lake)["snapshots"] == before_versions["snapshots"] + 1
        assert_committed(lake, reference_at)
        assert_keys_distinct(lake)
        print(f"\ndisk full ({fill_after or 'before the run'}): {result.output.strip().splitlines()[-1][:200]}")

        for ballast in disk.glob("ballast*"):
            ballast.unlink()
        result = ingest(lake.uri, DAYS[1])
        assert result.exit_code == 0, result.output
        assert_same_content(lake, reference)
        assert_keys_distinct(lake)
