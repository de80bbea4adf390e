"""Issue 13, the tool as a new user meets it: no silent empty answers, no tracebacks, readable output.

Runs on the scenario lake of tests/explore_scenario.py (no Prefect): a missing or mistyped lake,
output piped and in a terminal, every --format/--out, every DuckDB type, the small ones.
"""

from __future__ import annotations

import json
import os
import pty
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from paperlake.cli import app
from tests.explore_scenario import A, B, write_scenario

runner = CliRunner()
READ_COMMANDS = [
    ["query", "select count(*) from papers"],
    ["papers"],
    ["papers", "--search", "sparse"],
    ["show", "2403.00001"],
    ["new", "--since", "2024-03-01"],
    ["trending"],
    ["history", "papers"],
    ["changes", "papers", "--since-version", "6"],
    ["quarantine"],
    ["tables"],
    ["dupes"],
    ["report", "--out", "report.html"],
]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    from lake.store import Lake

    return write_scenario(Lake(str(tmp_path_factory.mktemp("newuser") / "lake")))


def run(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The installed command in a fresh process, as a user types it."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "paperlake.cli", *args], capture_output=True, text=True, timeout=60, env=full_env, cwd=cwd)


# --- 1. a missing or mistyped lake -------------------------------------------------------------


def not_lakes(root: Path, lake_uri: str) -> dict[str, tuple[str, str]]:
    """Places a user points at by mistake: (path, what the error must say is there)."""
    (root / "empty").mkdir()
    (root / "file.txt").write_text("not a lake")
    return {
        "typo": (f"{lake_uri}x", "there is no such folder"),
        "empty folder": (str(root / "empty"), "an empty folder without any of the lake's tables"),
        "plain file": (str(root / "file.txt"), "that is a file, not a lake folder"),
        "a table's folder": (f"{lake_uri}/papers", f"that is the lake's 'papers' table, not a lake: the lake is the folder holding its tables, e.g. --lake {lake_uri}"),
    }


def test_every_read_command_says_there_is_no_lake_naming_path_and_source(scenario, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAPERLAKE_LAKE", raising=False)
    for label, (path, what) in not_lakes(tmp_path, scenario.lake.uri).items():
        for command in READ_COMMANDS:
            result = runner.invoke(app, [*command, "--lake", path])
            assert result.exit_code == 1, (label, command, result.output)
            assert f"no lake at {Path(path).absolute()} (from --lake): {what}" in result.stderr, (label, command)
            assert "paperlake ingest FILES" in result.stderr and "rows" not in result.stdout
    assert not (tmp_path / "report.html").exists()


def test_the_lake_from_the_environment_and_the_default_are_named_as_such(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PAPERLAKE_LAKE", str(tmp_path / "lakee"))
    result = runner.invoke(app, ["trending"])
    assert result.exit_code == 1 and f"no lake at {tmp_path / 'lakee'} (from $PAPERLAKE_LAKE): there is no such folder" in result.stderr
    monkeypatch.delenv("PAPERLAKE_LAKE")
    result = runner.invoke(app, ["query", "select count(*) from papers"])
    assert result.exit_code == 1
    assert f"no lake at {tmp_path / 'data' / 'lake'} (the default ./data/lake, from the current folder {tmp_path})" in result.stderr


def test_a_lake_without_a_quarantine_table_yet_says_so(tmp_path):
    from lake.store import Lake

    lake = Lake(str(tmp_path / "lake"))
    write_scenario(lake, days=range(1, 2), quarantined=False)
    import shutil as sh

    sh.rmtree(Path(lake.uri) / "quarantine")  # a lake made before the quarantine table existed
    result = runner.invoke(app, ["quarantine", "--lake", lake.uri])
    assert result.exit_code == 0
    assert f"the lake at {lake.uri} has no 'quarantine' table yet: no load has held a row back" in result.stderr
    result = runner.invoke(app, ["query", "select count(*) as n from quarantine", "-f", "csv", "--lake", lake.uri])
    assert result.exit_code == 0 and result.stdout == "n\n0\n"
    assert "has no 'quarantine' table yet: it reads as empty" in result.stderr


def test_the_demo_hints_work_when_pasted_from_another_folder(scenario, tmp_path):
    from paperlake.demo import explore_hints

    hints = explore_hints(scenario.lake.uri)
    assert len(hints) == 3
    for hint in hints:
        program, *args = shlex.split(hint)
        assert Path(program).is_absolute() and os.access(program, os.X_OK)
        assert args[-2:] == ["--lake", scenario.lake.uri]
    # Pasted in another folder: the hints name the lake, so they still find it.
    program, *args = shlex.split(hints[2])  # history papers: the scenario lake has no days of the demo's
    result = subprocess.run([program, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 9 and "MERGE" in result.stdout


# --- 2. output: whole rows when piped, the terminal's width in one; --format and --out everywhere --

LONG_TITLE = "A Remarkably Long Title About Sparse Mixture Routing That Goes On Well Past Seventy Characters And Then Some More"


def test_piped_output_is_one_whole_line_per_row(scenario):
    result = run("query", f"select '{LONG_TITLE}' as title, 42 as n union all select 'short', 1 order by n desc", "--lake", scenario.lake.uri)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and "│" not in result.stdout and "┃" not in result.stdout
    assert lines[1].startswith(LONG_TITLE) and lines[1].split()[-1] == "42"


def in_terminal(columns: int, *args: str) -> str:
    """Run the command with a pseudo-terminal as its stdout, `columns` wide; what it drew."""
    primary, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm"}
    process = subprocess.Popen([sys.executable, "-m", "paperlake.cli", *args], stdout=secondary, stderr=subprocess.PIPE, env=env)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(primary)
    assert process.returncode == 0, process.stderr.read()
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode())  # colours off


def test_a_terminal_gets_its_full_width_and_words_are_never_split(scenario):
    sql = f"select '{LONG_TITLE}' as title, '{A}' as paper_id"
    wide = in_terminal(250, "query", sql, "--lake", scenario.lake.uri)
    assert any(LONG_TITLE in line for line in wide.splitlines())  # one line, not cut at 70 characters
    narrow = in_terminal(60, "query", sql, "--lake", scenario.lake.uri)
    words = {word for line in narrow.splitlines() for word in line.replace("│", " ").split()}
    assert set(LONG_TITLE.split()) <= words  # wrapped between words only
    assert A in narrow and "(1 row)" in narrow
    # Too narrow for the columns side by side: one record after another, each value whole.
    records = in_terminal(50, "papers", "--lake", scenario.lake.uri)
    assert "paper_id: title:" in records and "title: Sparse Routing for Tiny Transformers" in records.splitlines()
    assert records.count("first_seen_date: ") == 5 and "(5 rows)" in records


LISTINGS = {
    "papers": ["papers"],
    "new": ["new", "--since", "2024-03-01"],
    "trending": ["trending", "--until", "2024-03-07"],
    "history": ["history", "papers"],
    "changes": ["changes", "papers", "--since-version", "6"],
    "quarantine": ["quarantine"],
    "tables": ["tables"],
    "dupes": ["dupes", "--min-score", "0"],
    "query": ["query", "select paper_id from papers"],
}


@pytest.mark.parametrize("name", LISTINGS)
def test_every_listing_takes_format_and_out(scenario, tmp_path, name):
    command, lake = LISTINGS[name], ["--lake", scenario.lake.uri]
    as_json = json.loads(runner.invoke(app, [*command, "-f", "json", *lake]).stdout)
    assert isinstance(as_json, list) and (as_json or name == "dupes")  # the scenario has no look-alike papers
    for suffix in ("csv", "json", "parquet", "txt"):
        target = tmp_path / f"{name}.{suffix}"
        result = runner.invoke(app, [*command, "--out", str(target), *lake])  # the format comes from the extension
        assert result.exit_code == 0, result.output
        assert f"wrote {len(as_json)} row" in result.stdout
    assert pl.read_parquet(tmp_path / f"{name}.parquet").height == len(as_json)
    assert pl.read_csv(tmp_path / f"{name}.csv").height == len(as_json)
    assert json.loads((tmp_path / f"{name}.json").read_text()) == as_json
    assert len((tmp_path / f"{name}.txt").read_text().splitlines()) == len(as_json) + 1


def test_query_out_never_writes_text_into_a_parquet_file(scenario, tmp_path):
    lake = ["--lake", scenario.lake.uri]
    parquet = tmp_path / "x.parquet"
    assert runner.invoke(app, ["query", "select paper_id from papers", "--out", str(parquet), *lake]).exit_code == 0
    assert pl.read_parquet(parquet).height == 5
    unknown = runner.invoke(app, ["query", "select 1", "--out", str(tmp_path / "x.xlsx"), *lake])
    assert unknown.exit_code == 2 and "cannot tell the format" in unknown.output and not (tmp_path / "x.xlsx").exists()
    clash = runner.invoke(app, ["query", "select 1", "-f", "csv", "--out", str(tmp_path / "y.parquet"), *lake])
    assert clash.exit_code == 2 and "does not match" in clash.output and not (tmp_path / "y.parquet").exists()


# --- 3. every DuckDB type prints; an unexpected error is one line ------------------------------


def test_query_prints_lists_structs_and_intervals(scenario):
    lake = ["--lake", scenario.lake.uri]
    sql = f"select paper_id, list(upvotes order by snapshot_date) as ups, {{'n': count(*)}} as st from sightings where paper_id = '{B}' group by 1"
    table = runner.invoke(app, ["query", sql, *lake])
    assert table.exit_code == 0 and "[40, 41, 41]" in table.stdout and '{"n": 3}' in table.stdout
    csv = runner.invoke(app, ["query", sql, "-f", "csv", *lake])
    assert csv.exit_code == 0, csv.output
    row = pl.read_csv(csv.stdout.encode()).row(0, named=True)
    assert json.loads(row["ups"]) == [40, 41, 41] and json.loads(row["st"]) == {"n": 3}
    interval = runner.invoke(app, ["query", "select now() - timestamp '2024-03-01' as age from papers limit 1", "-f", "csv", *lake])
    assert interval.exit_code == 0, interval.output
    assert "days" in interval.stdout.splitlines()[1]
    other = runner.invoke(app, ["query", "select union_value(k := 1) as u, interval 90 minute as i", *lake])
    assert other.exit_code == 0 and other.stdout.splitlines()[1].split() == ["1", "01:30:00"]


def test_an_unexpected_error_is_one_line_and_debug_keeps_the_traceback(scenario, tmp_path):
    broken = tmp_path / "lake"
    shutil.copytree(scenario.lake.uri, broken)
    for log_file in (broken / "sightings" / "_delta_log").glob("*.json"):
        log_file.write_text("{not json\n")  # a transaction log that is not JSON: nothing the command expects
    result = run("papers", "--lake", str(broken))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr.startswith("error: ")
    [line] = result.stderr.strip().splitlines()  # the cause, and how to see the traceback, in one line
    assert "sightings" in line and line.endswith("(`paperlake --debug ...` shows the traceback)")
    debug = run("--debug", "papers", "--lake", str(broken))
    assert debug.returncode == 1 and "Traceback" in debug.stderr


# --- 10. the small ones ------------------------------------------------------------------------


def flat_text(output: str) -> str:
    """Typer's error box, its borders and line breaks gone."""
    return " ".join(output.replace("│", " ").split())


@pytest.mark.parametrize("command", [["papers"], ["new", "--since", "2024-03-01"], ["trending"], ["quarantine"]])
def test_feed_values_are_checked(scenario, command):
    result = runner.invoke(app, [*command, "--feed", "hf", "--lake", scenario.lake.uri])
    assert result.exit_code == 2 and "unknown feed 'hf'; the feeds are: archive, hf_daily, arxiv" in flat_text(result.output)


@pytest.mark.parametrize("url", ["https://arxiv.org/abs/2403.00001v2", "arxiv.org/pdf/2403.00001", "https://huggingface.co/papers/2403.00001"])
def test_show_accepts_a_url(scenario, url):
    result = runner.invoke(app, ["show", url, "--lake", scenario.lake.uri])
    assert result.exit_code == 0 and result.stdout.startswith("Sparse Mixture Routing at Scale")


def test_version():
    from importlib.metadata import version

    result = run("--version")
    assert result.returncode == 0 and result.stdout == f"paperlake {version('paperlake')}\n"


def test_help_reads_like_a_person_wrote_it():
    commands = [name for name in app.registered_commands]
    assert commands
    for command in [None, *(c.name or c.callback.__name__ for c in commands)]:
        result = runner.invoke(app, [command, "--help"] if command else ["--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, command
        for placeholder in ("<bool>", "<str>", "<int>", "<path>", "<list", "{paths}", "{sql}", "{table}", "{paper_id}"):
            assert placeholder not in result.stdout, (command, placeholder)
    assert "Usage: root ingest [OPTIONS] PATH..." in runner.invoke(app, ["ingest", "--help"]).stdout
