"""Read commands start fast: what a fresh `paperlake` process imports (issue 14, target 4).

On a ten-year lake `trending`, `show` and `query "select count(*) ..."` have about a second of CPU
each, and start-up was a third to a half of it. These tests hold the import graph, not timings:
the modules a command must not load, checked in a fresh interpreter.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import date, datetime, timezone

import polars as pl
import pytest

from lake import papers as lake_papers
from lake import table_setup, writes
from lake.schemas import SIGHTINGS
from lake.store import Lake
from tests.conftest import paper_row

# Never needed to read the lake: flows, validation, the DataFrame library GX needs, the report's
# charts, the dupes scorer, HTTP, and Pydantic (Typer 0.29 would import it to convert options).
NEVER_FOR_READS = ("prefect", "great_expectations", "pandas", "pydantic", "plotly", "rapidfuzz", "httpx")
# What `import paperlake.cli` alone must not load: the lake's libraries wait for a command that reads it.
NOT_AT_IMPORT = (*NEVER_FOR_READS, "polars", "deltalake", "pyarrow", "duckdb", "numpy")


def imported_by(code: str) -> tuple[str, list[str]]:
    """What `code` printed, and the top-level packages it imported, in a fresh interpreter."""
    probe = f"import sys\n{code}\nprint(sorted({{m.split('.')[0] for m in sys.modules}}))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    *printed, modules = result.stdout.strip().splitlines()
    return "\n".join(printed), ast.literal_eval(modules)


def command_imports(lake_uri: str, *args: str) -> tuple[str, list[str]]:
    """`paperlake ARGS --lake LAKE` run as the console script runs it, in a fresh interpreter."""
    code = (
        "from paperlake.cli import app\n"
        f"try:\n    app([*{list(args)!r}, '--lake', {lake_uri!r}])\n"
        "except SystemExit as stop:\n    assert stop.code in (0, None), stop.code"
    )
    return imported_by(code)


@pytest.fixture
def small_lake(tmp_path) -> Lake:
    """Three papers, each listed on two days of March 2024 by hf_daily."""
    the_lake = Lake(str(tmp_path / "lake"))
    table_setup.ensure_tables(the_lake)
    days = [date(2024, 3, 11), date(2024, 3, 12)]
    rows = [
        {"snapshot_id": f"s{day.day}", "paper_id": f"2403.{n:05d}", "feed": "hf_daily", "snapshot_date": day, "rank": n + 1,
         "title": f"Paper {n}", "title_key": f"paper {n}", "arxiv_id": f"2403.{n:05d}", "upvotes": 10 * n + day.day,
         "fetched_at": datetime(day.year, day.month, day.day, 6, tzinfo=timezone.utc)}
        for day in days for n in range(3)
    ]
    writes.append(the_lake, SIGHTINGS, pl.DataFrame(rows), writes.CommitInfo("test"))
    papers = [dict(paper_row(n, days[0]), last_seen_date=days[1], days_seen=2, sighting_count=2) for n in range(3)]
    lake_papers.upsert_papers(the_lake, pl.DataFrame(papers), writes.CommitInfo("test"))
    return the_lake


def test_importing_the_command_line_loads_none_of_the_heavy_libraries():
    _, loaded = imported_by("import paperlake.cli")
    assert "typer" in loaded and "paperlake" in loaded
    assert [m for m in NOT_AT_IMPORT if m in loaded] == []


@pytest.mark.parametrize(
    ("args", "printed"),
    [
        (("trending", "--days", "30", "--until", "2024-03-12", "-f", "csv"), "2403.00002,Paper 2,2,32"),
        (("show", "2403.00001"), "Paper 1"),
        (("query", "select count(*) from papers", "-f", "csv"), "count_star()\n3"),
        (("papers", "--since", "2024-03-01", "-f", "csv"), "2403.00000,Paper 0"),
        (("new", "--since", "2024-03-01", "-f", "csv"), "2403.00001,Paper 1"),
    ],
    ids=["trending", "show", "count", "papers", "new"],
)
def test_read_commands_load_no_flow_validation_or_pydantic_modules(small_lake, args, printed):
    output, loaded = command_imports(small_lake.uri, *args)
    assert printed in output
    assert [m for m in NEVER_FOR_READS if m in loaded] == []


def test_count_show_and_trending_do_not_load_duckdb(small_lake):
    """DuckDB is for SQL that needs it; a count(*) is in the Delta log."""
    for args in (("query", "select count(*) from papers"), ("show", "2403.00002"), ("trending", "--until", "2024-03-12")):
        output, loaded = command_imports(small_lake.uri, *args)
        assert output and "duckdb" not in loaded, args
