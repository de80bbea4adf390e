"""Builders shared by the whole suite: fixture files with controlled dates, lakes, one Prefect harness."""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime, timedelta, timezone
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


def land_load(the_lake, sightings: pl.DataFrame, gold: bool = True, now: datetime = datetime(2024, 3, 20, tzinfo=timezone.utc)):
    """One load as flows/pipeline.py writes it, without Prefect or validation: a snapshot per feed and
    day stored pending, the sightings, the papers rows, the gold tables (with `gold`), then the
    snapshots marked ok. `sightings` need no snapshot_id. Returns the lake.papers.PapersWritten."""
    from feeds.base import Payload, payload_frame
    from flows.gold_update import update_gold_tables
    from lake import papers as lake_papers
    from lake import sighting_writes, snapshot_writes, table_setup, writes
    from lake.schemas import SIGHTINGS
    from transforms.papers import summarize_papers

    table_setup.ensure_tables(the_lake)
    days = sightings.select("feed", "snapshot_date").unique().sort("feed", "snapshot_date").rows()
    payloads = {(feed, day): Payload(feed, f"{feed}-{day}", "text_page", f"{feed} {day}".encode(), day, now) for feed, day in days}
    ids = pl.DataFrame({"feed": [f for f, _ in days], "snapshot_date": [d for _, d in days], "snapshot_id": [p.snapshot_id for p in payloads.values()]})
    sightings = SIGHTINGS.conform(sightings.drop("snapshot_id", strict=False).join(ids, on=["feed", "snapshot_date"]))
    commit = writes.CommitInfo("test", feed=None, snapshot_dates=tuple(sorted({d for _, d in days})))
    snapshot_writes.store_snapshots(the_lake, payload_frame(list(payloads.values())), commit)
    sighting_writes.store_sightings(the_lake, sightings, commit)
    summarized = []  # every sighting of the load's papers, as the gold step gets them

    def summarize(rows: pl.DataFrame) -> pl.DataFrame:
        summarized[:] = [rows]
        return summarize_papers(rows)

    written = lake_papers.write_papers(the_lake, set(sightings["paper_id"]), set(), summarize, commit)
    if gold:
        update_gold_tables(
            the_lake, summarized[0], written.papers, written.removed_paper_ids, commit, now, validate=False, sightings_version=written.sightings_version,
        )
    outcomes = ids.select("snapshot_id").with_columns(
        parse_status=pl.lit("ok"), parse_errors=pl.lit(None, pl.List(pl.String)), row_count=pl.lit(1, pl.Int32), loaded_at=pl.lit(now),
    )
    snapshot_writes.mark_snapshots_loaded(the_lake, outcomes, commit)
    return written


# A load a year on these days (three papers first listed on each, listed again the next day): the
# lake a load listing a paper first seen years ago lands in (lake_of_years).
YEARS_LAKE_DAYS = (date(2019, 1, 14), date(2020, 6, 15), date(2021, 6, 14), date(2022, 6, 13))


def listing(paper_id: str, day: date, rank: int, feed: str = "arxiv", upvotes: int | None = None) -> dict:
    """A sighting of arXiv paper `paper_id` (yymm.nnnnn): its authors, category and keyword made from its number."""
    number = int(paper_id[-1])
    return {"paper_id": paper_id, "arxiv_id": paper_id, "feed": feed, "snapshot_date": day, "rank": rank,
            "title": f"Paper {paper_id}", "title_key": f"paper {paper_id}", "authors": ["Ana Ruiz", f"Author {number}"],
            "primary_category": "cs.LG", "categories": ["cs.LG", f"cs.{'CV' if number % 2 else 'CL'}"],
            "ai_keywords": [f"topic {number}"] if feed == "hf_daily" else None, "upvotes": upvotes}


def lake_of_years(the_lake, gold: bool = True):
    for first_day in YEARS_LAKE_DAYS:
        ids = [f"{first_day:%y%m}.{n:05d}" for n in (1, 2, 3)]
        rows = [listing(paper_id, first_day + timedelta(days=later), rank) for later in (0, 1) for rank, paper_id in enumerate(ids, 1)]
        land_load(the_lake, pl.DataFrame(rows), gold=gold)
    return the_lake


def hide_files_between(the_lake, start_date: date, end_date: date) -> dict[str, list[tuple[Path, Path]]]:
    """Move away the data files of sightings, papers and author_papers whose rows all lie between the
    two days: a read or MERGE that opens one fails. Returns, per table, the (from, to) moves to undo.
    (Lake checks every file of a version it opens: a test hiding some must turn that check off.)"""
    moved: dict[str, list[tuple[Path, Path]]] = {}
    for table, column in (("sightings", "snapshot_date"), ("papers", "first_seen_date"), ("author_papers", "first_listed_date")):
        if not the_lake.has_table(table):
            continue
        files = pl.DataFrame(the_lake.delta(table).get_add_actions(flatten=True))
        inside = files.filter((pl.col(f"min.{column}") >= start_date) & (pl.col(f"max.{column}") <= end_date))["path"]
        folder = Path(the_lake.table_uri(table))
        for name in inside:
            target = folder.parent / f"{table}-hidden" / name
            target.parent.mkdir(exist_ok=True)
            shutil.move(folder / name, target)
            moved.setdefault(table, []).append((folder / name, target))
    return moved


def put_back(moved: dict[str, list[tuple[Path, Path]]]) -> None:
    for source, target in (pair for pairs in moved.values() for pair in pairs):
        shutil.move(target, source)


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
