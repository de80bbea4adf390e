"""Builders shared by the whole suite: fixture files with controlled dates, lakes, one Prefect harness."""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl
import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

DATA = Path(__file__).parent / "data"
PAGES = DATA / "pages"
MALFORMED = DATA / "malformed"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session (it takes 7-13 s to start)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    # Without heartbeats a flow run ends at once instead of waiting up to a second for the thread.
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        with prefect_test_harness(server_startup_timeout=120):
            yield


@pytest.fixture
def lake(tmp_path):
    from lake.store import Lake

    return Lake(str(tmp_path / "lake"))


def saved_copy(source: Path, folder: Path, saved_on: date, name: str | None = None) -> Path:
    """Copy a fixture file as if a person had saved it on `saved_on` (its mtime drives date inference)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or source.name)
    shutil.copyfile(source, target)
    stamp = datetime(saved_on.year, saved_on.month, saved_on.day, 12, 0).timestamp()
    os.utime(target, (stamp, stamp))
    return target


@pytest.fixture
def pages(tmp_path) -> Path:
    """The three sample days, each saved on the day after the one it lists."""
    folder = tmp_path / "pages"
    for day in (11, 12, 13):
        saved_copy(PAGES / f"2024-03-{day}.txt", folder, date(2024, 3, day + (day != 12)))
    return folder


@pytest.fixture
def seeds() -> Path:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not beside this clone")
    return SEEDS


def table_rows(the_lake, name: str) -> pl.DataFrame:
    return the_lake.read(name)


def assert_keys_unique(the_lake) -> None:
    """The loader invariant: every table holds each key once."""
    from lake.schemas import TABLES

    for spec in TABLES.values():
        frame = the_lake.read(spec.name)
        distinct = frame.select(list(spec.key)).unique().height
        assert frame.height == distinct, f"{spec.name}: {frame.height} rows but {distinct} distinct keys"


def abstract_for(title: str) -> str:
    """A plausible abstract line: long enough and ending in a period, as the text-page parser expects."""
    return f"We present {title.lower()}, describe how it was built and evaluated, and report results on three public benchmarks."


def write_page(path: Path, titles: list[str], date_line: str | None = None) -> Path:
    """A text page copy with these titles, in the layout of the real saved pages."""
    lines = ["new", "Get trending papers in your email inbox!", "Subscribe", "byAK and the research community"]
    lines += [date_line] if date_line else []
    for title in titles:
        lines += [title, abstract_for(title)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(lines), encoding="utf-8")
    return path


def paper_row(n: int, day: date = date(2024, 3, 11)) -> dict:
    """A `papers` row for paper number n, seen once on `day`."""
    return {"paper_id": f"2403.{n:05d}", "title": f"Paper {n}", "title_key": f"paper {n}", "first_seen_date": day,
            "last_seen_date": day, "days_seen": 1, "sighting_count": 1, "feeds": ["hf_daily"]}


def archive_payload(text: bytes, day: int):
    """A saved archive page of 2024-03-`day` holding `text`, read on 2024-03-14: what the lake's write tests store."""
    from feeds.base import Payload

    return Payload("archive", f"day{day}.txt", "text_page", text, date(2024, 3, day), datetime(2024, 3, 14, tzinfo=timezone.utc))


def papers_in_small_commits(the_lake, count: int):
    """`papers` written as one small append per paper, the shape a year of daily runs leaves."""
    from lake import table_setup, writes
    from lake.schemas import PAPERS

    table_setup.ensure_tables(the_lake)
    for n in range(count):
        writes.append(the_lake, PAPERS, pl.DataFrame([paper_row(n)]), writes.CommitInfo("test"))
    return the_lake


def heavy_modules_after(*commands: list[str], lake_uri: str) -> list[str]:
    """Run CLI commands in a fresh interpreter; return the Prefect / Great Expectations modules they imported.

    Read-only commands must start fast, so this list must stay empty for them.
    """
    import ast
    import subprocess
    import sys

    probe = (
        "import sys; from typer.testing import CliRunner; from paperlake.cli import app\n"
        f"for args in {list(commands)!r}:\n"
        f"    r = CliRunner().invoke(app, [*args, '--lake', {lake_uri!r}]); assert r.exit_code == 0, (args, r.output)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'great_expectations')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.strip().splitlines()[-1])  # the probe prints a list of module names
