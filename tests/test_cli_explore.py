"""The read-only commands as a user runs them: query (time travel, formats, refusals), papers,
show, new, trending, history and report. Most run on the scenario lake of
tests/explore_scenario.py (written without Prefect); one runs on a lake `paperlake ingest` filled.
"""

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.conftest import heavy_modules_after
from paperlake.cli import app
from tests.explore_scenario import A, B, C, D, T, write_scenario

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    from lake.store import Lake

    return write_scenario(Lake(str(tmp_path_factory.mktemp("explore") / "lake")))


def cli(*args: str, lake=None):
    arguments = [*args, "--lake", lake.uri] if lake is not None else list(args)
    return runner.invoke(app, arguments)


def ok(*args: str, lake=None) -> str:
    result = cli(*args, lake=lake)
    assert result.exit_code == 0, result.output
    return result.stdout


def csv_rows(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.strip().splitlines()]


# --- query ------------------------------------------------------------------------------------

def test_query_as_of_a_version_and_a_time(scenario):
    lake = scenario.lake
    assert csv_rows(ok("query", "select count(*) as n from sightings", "--as-of", "2", "-f", "csv", lake=lake)) == [["n"], ["2"]]
    moment = scenario.moments[3].isoformat()
    counts = json.loads(ok("query", "select (select count(*) from sightings) s, (select count(*) from papers) p", "--as-of", moment, "-f", "json", lake=lake))
    assert counts == [{"s": 7, "p": 4}]


def test_query_writes_parquet_json_csv_and_table_files(scenario, tmp_path):
    lake = scenario.lake
    sql = "select paper_id, days_seen from papers order by days_seen desc, paper_id"
    output = ok("query", sql, "--format", "parquet", "--out", str(tmp_path / "top.parquet"), lake=lake)
    assert f"wrote 5 rows to {tmp_path / 'top.parquet'}" in output
    written = pl.read_parquet(tmp_path / "top.parquet")
    assert written.rows() == [(A, 7), (B, 3), (T, 2), (D, 1), (C, 1)]
    ok("query", sql, "-f", "json", "-o", str(tmp_path / "top.json"), lake=lake)
    assert json.loads((tmp_path / "top.json").read_text())[0] == {"paper_id": A, "days_seen": 7}
    ok("query", sql, "-f", "csv", "-o", str(tmp_path / "top.csv"), lake=lake)
    assert csv_rows((tmp_path / "top.csv").read_text())[1] == [A, "7"]
    ok("query", sql, "-o", str(tmp_path / "top.txt"), lake=lake)
    assert A in (tmp_path / "top.txt").read_text() and "days_seen" in (tmp_path / "top.txt").read_text()


def test_query_refusals_say_why(scenario):
    lake = scenario.lake
    parquet = cli("query", "select 1", "-f", "parquet", lake=lake)
    assert parquet.exit_code == 2 and "give --out FILE" in parquet.output
    write = cli("query", "delete from sightings", lake=lake)
    assert write.exit_code == 2 and "read-only: a DELETE statement is not allowed" in write.stderr
    outside = cli("query", "select * from read_csv('/etc/passwd')", lake=lake)
    assert outside.exit_code == 2 and "files, URLs and extensions are off limits" in outside.stderr
    table = cli("query", "select * from paper", lake=lake)
    assert "the lake's tables are: snapshots, sightings, papers, quarantine" in table.stderr
    column = cli("query", "select upvote from sightings", lake=lake)
    assert "columns of sightings:" in column.stderr and "upvotes" in column.stderr and "papers:" not in column.stderr
    version = cli("query", "select * from papers", "--as-of", "99", lake=lake)
    assert version.exit_code == 2 and "table 'papers' has versions 0..7" in version.stderr
    when = cli("query", "select * from papers", "--as-of", "last tuesday", lake=lake)
    assert when.exit_code == 2 and "neither a version number nor a date" in when.stderr


# --- papers, show, new, trending ------------------------------------------------------------

def test_papers_in_a_window_newest_first(scenario):
    found = csv_rows(ok("papers", "--since", "2024-03-03", "--until", "2024-03-06", "-f", "csv", lake=scenario.lake))
    assert found[0] == ["paper_id", "title", "first_seen_date", "last_seen_date", "days_seen", "feeds"]
    assert [(r[0], r[2], r[3], r[4]) for r in found[1:]] == [
        (T, "2024-03-02", "2024-03-06", "1"),
        (A, "2024-03-01", "2024-03-06", "4"),
        (B, "2024-03-03", "2024-03-05", "3"),
    ]


def test_papers_of_a_feed_with_a_limit_as_a_table(scenario):
    output = ok("papers", "--feed", "arxiv", "--limit", "1", lake=scenario.lake)
    header, row = output.splitlines()  # not a terminal: a header and whole rows, nothing else
    assert header.split() == ["paper_id", "title", "first_seen_date", "last_seen_date", "days_seen", "feeds"]
    assert row.split("  ")[:2] == [A, "Sparse Mixture Routing at Scale"] and D not in output


def test_papers_search_best_matches_first(scenario):
    found = json.loads(ok("papers", "--search", "SPARSE Routing", "-f", "json", lake=scenario.lake))
    assert [(p["paper_id"], p["score"]) for p in found] == [(T, 16), (A, 6), (B, 4)]
    nothing = cli("papers", "--search", "--", lake=scenario.lake)
    assert nothing.exit_code == 2 and "at least one letter" in nothing.output


def test_papers_search_that_finds_nothing_says_so_on_stderr(scenario):
    result = cli("papers", "--search", "quantum knitting", lake=scenario.lake)
    assert result.exit_code == 0
    assert result.stdout.split() == ["paper_id", "title", "first_seen_date", "last_seen_date", "days_seen", "feeds", "score"]
    assert "no paper has 'quantum knitting' in its title or abstract" in result.stderr
    windowed = cli("papers", "--search", "sparse", "--since", "2031-01-01", lake=scenario.lake)
    assert "no paper in the window given has 'sparse'" in windowed.stderr


def test_papers_refuses_a_window_that_ends_before_it_starts(scenario):
    result = cli("papers", "--since", "2024-03-05", "--until", "2024-03-01", lake=scenario.lake)
    assert result.exit_code == 2 and "is after --until" in result.output


def test_show_tells_sightings_versions_and_first_appearances(scenario):
    output = ok("show", "arXiv:2403.00001v2", lake=scenario.lake)
    assert output.startswith("Sparse Mixture Routing at Scale")
    assert "days seen: 7" in output and "feeds: arxiv, hf_daily" in output
    sightings = rows_under(output, "observations: each listing as it was fetched")
    assert len(sightings) == 9
    assert sightings[1] == {
        "snapshot_date": "2024-03-01", "feed": "hf_daily", "fetched_at": "", "rank": "1", "upvotes": "5", "comment_count": "", "arxiv_version": "",
    }  # fetched_at: this scenario's sightings were written without it, as older lakes hold them
    assert [(v["arxiv_version"], v["first_seen_date"]) for v in rows_under(output, "arXiv versions")] == [("1", "2024-03-01"), ("2", "2024-03-05")]
    upvotes = [(v["value"], v["first_seen_date"]) for v in rows_under(output, "values, and when each first appeared") if v["field"] == "upvotes"]
    assert upvotes == [("5", "2024-03-01"), ("9", "2024-03-02"), ("14", "2024-03-03"), ("20", "2024-03-04"), ("22", "2024-03-05"), ("23", "2024-03-06")]


def rows_under(output: str, title: str) -> list[dict]:
    """The rows of the plain table printed under `# title` (piped output: a header, then one line per row)."""
    lines = output.splitlines()
    start = lines.index(f"# {title}") + 1
    header, body = lines[start], []
    for line in lines[start + 1:]:
        if not line.strip() or line.startswith("# "):
            break
        body.append(line)
    names = header.split()
    starts = [header.index(name) for name in names]  # columns are aligned under their names
    bounds = list(zip(starts, starts[1:] + [None]))
    return [{name: line[a:b].strip() for name, (a, b) in zip(names, bounds)} for line in body]


def test_show_of_an_unknown_paper_exits_1(scenario):
    result = cli("show", "1234.56789", lake=scenario.lake)
    assert result.exit_code == 1 and "no paper '1234.56789' in the lake" in result.stderr


def test_new_since_a_date(scenario):
    fresh = csv_rows(ok("new", "--since", "2024-03-02", "-f", "csv", lake=scenario.lake))
    assert [(r[0], r[2]) for r in fresh[1:]] == [(C, "2024-03-07"), (B, "2024-03-03"), (T, "2024-03-02"), (D, "2024-03-02")]
    assert csv_rows(ok("new", "--since", "2024-03-02", "--feed", "arxiv", "-f", "csv", lake=scenario.lake))[1][0] == D


def test_trending_over_the_last_days(scenario):
    ranked = json.loads(ok("trending", "--until", "2024-03-07", "--days", "3", "-f", "json", lake=scenario.lake))
    # Ranked by how each was received: latest upvotes first, then days on the list.
    assert [(p["paper_id"], p["days_seen"], p["upvotes"]) for p in ranked] == [(B, 1, 41), (A, 3, 23), (C, 1, 2), (T, 1, None)]
    week = csv_rows(ok("trending", "--until", "2024-03-07", "-n", "2", "-f", "csv", lake=scenario.lake))
    assert [r[0] for r in week[1:]] == [B, A]


def test_trending_on_a_stale_lake_points_at_its_latest_day(scenario):
    result = cli("trending", "--until", "2024-04-30", lake=scenario.lake)
    assert result.exit_code == 0 and result.stdout.split() == ["paper_id", "title", "days_seen", "upvotes", "best_rank", "first_seen_date", "last_seen_date"]
    assert "the latest snapshot is of 2024-03-07: try --until 2024-03-07" in result.stderr


# --- history and report -------------------------------------------------------------------

def test_history_lists_versions_with_rows_and_runs(scenario):
    versions = json.loads(ok("history", "sightings", "-f", "json", lake=scenario.lake))
    assert [v["version"] for v in versions] == list(range(12, -1, -1))
    newest, oldest = versions[0], versions[-1]
    assert (newest["operation"], newest["rows_added"], newest["run_id"], newest["feed"], newest["snapshot_dates"]) == (
        "WRITE (append)", 2, "run-7", "hf_daily", "2024-03-07",
    )
    assert (oldest["operation"], oldest["rows_added"]) == ("CREATE TABLE", 0)
    merges = json.loads(ok("history", "papers", "-n", "2", "-f", "json", lake=scenario.lake))
    assert [(m["version"], m["operation"], m["rows_added"], m["rows_updated"], m["run_id"]) for m in merges] == [
        (7, "MERGE", 1, 1, "run-7"), (6, "MERGE", 0, 2, "run-6"),
    ]
    table = ok("history", "quarantine", lake=scenario.lake)
    header, *rows = table.splitlines()
    assert header.split()[:3] == ["version", "committed_at", "operation"] and len(rows) == 2 and rows[0].endswith("run-q")


def test_history_of_an_unknown_table_lists_the_tables(scenario):
    result = cli("history", "paper", lake=scenario.lake)
    assert result.exit_code == 2 and "the lake's tables are: snapshots, sightings, papers, quarantine" in result.stderr


def test_report_writes_one_self_contained_page(scenario, tmp_path):
    page = tmp_path / "out" / "report.html"
    output = ok("report", "--out", str(page), "--since", "2024-03-03", lake=scenario.lake)
    assert "snapshots of 2024-03-03 to 2024-03-07, 11 sightings" in output
    html = page.read_text(encoding="utf-8")
    for chart_id in ("papers-per-day", "new-vs-returning", "days-on-list", "top-papers", "upvotes", "quarantine"):
        assert f'id="{chart_id}"' in html
    assert "<script src" not in html and len(html) > 3_000_000  # plotly.js is inline


# --- on a lake `paperlake ingest` filled, and without Prefect --------------------------------

def test_commands_on_an_ingested_lake(pages, lake, prefect_harness):
    assert runner.invoke(app, ["ingest", str(pages), "--lake", lake.uri]).exit_code == 0
    found = json.loads(ok("papers", "--since", "2024-03-12", "-f", "json", lake=lake))
    assert [(p["title"], p["first_seen_date"], p["last_seen_date"], p["days_seen"]) for p in found] == [
        ("Proof Search with Small Models", "2024-03-13", "2024-03-13", 1),
        ("Sparse Routing for Tiny Transformers", "2024-03-11", "2024-03-13", 1),
        ("Counting Cats in Satellite Images", "2024-03-12", "2024-03-12", 1),
        ("GRID-FREE neural fields   for weather maps", "2024-03-11", "2024-03-12", 1),
        ("ＬｏＲＡ Adapters Forget Less — a study of continual fine-tuning", "2024-03-11", "2024-03-12", 1),
    ]
    routing = found[1]["paper_id"]
    assert routing.startswith("title:")
    assert [p["title"] for p in json.loads(ok("papers", "--search", "lora adapters", "-f", "json", lake=lake))] == [found[4]["title"]]
    assert "days seen: 2" in ok("show", routing, lake=lake)
    assert csv_rows(ok("query", "select count(*) as n from sightings", "--as-of", "0", "-f", "csv", lake=lake)) == [["n"], ["0"]]
    assert json.loads(ok("history", "snapshots", "-n", "1", "-f", "json", lake=lake))[0]["run_id"]  # the flow run's id


READ_COMMANDS = [
    ["query", "select count(*) from papers"],
    ["papers", "--since", "2024-03-01"],
    ["papers", "--search", "sparse"],
    ["show", "2403.00001"],
    ["new", "--since", "2024-03-05"],
    ["trending", "--until", "2024-03-07"],
    ["history", "papers"],
    ["changes", "sightings", "--since-version", "3"],
]


def test_read_commands_import_neither_prefect_nor_great_expectations(scenario, tmp_path):
    commands = [*READ_COMMANDS, ["report", "--out", str(tmp_path / "report.html")]]
    assert heavy_modules_after(*commands, lake_uri=scenario.lake.uri) == []


def test_query_out_refuses_a_file_inside_the_lake(scenario):
    target = f"{scenario.lake.uri}/papers/_delta_log/00000000000000000000.json"
    result = cli("query", "select 1 as x", "--format", "csv", "--out", target, lake=scenario.lake)
    assert result.exit_code == 2
    assert "is inside the lake" in result.output


def test_quarantine_lists_held_rows_filtered_by_feed_and_date(scenario):
    every = json.loads(ok("quarantine", "-f", "json", lake=scenario.lake))
    assert [(r["feed"], r["snapshot_date"], r["rule"]) for r in every] == [
        ("hf_daily", "2024-03-02", "title_not_null"),
        ("hf_daily", "2024-03-03", "title_not_null"),
        ("arxiv", "2024-03-05", "arxiv_version_positive"),
    ]
    recent = json.loads(ok("quarantine", "--feed", "hf_daily", "--since", "2024-03-03", "-f", "json", lake=scenario.lake))
    assert [(r["snapshot_date"], r["rule"]) for r in recent] == [("2024-03-03", "title_not_null")]
    assert "title_not_null" in ok("quarantine", lake=scenario.lake)
