"""`paperlake search-index` and `papers --search` on a lake made before the word index: the search
answers by scanning and says once how to build the index; after the build it answers the same."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from lake import table_setup, writes
from lake.schemas import PAPERS
from lake.store import Lake
from paperlake.cli import app
from tests.lake.test_search import made_papers


def test_an_old_lake_scans_says_how_to_build_the_index_and_answers_the_same_after(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    writes.append(lake, PAPERS, made_papers(120), writes.CommitInfo("test"))  # papers from before the index
    table_setup.ensure_tables(lake)  # what its next load does first: every other table, and no half of an index
    assert lake.has_table("sightings") and not lake.has_table("search_words")
    runner = CliRunner()
    scanned = runner.invoke(app, ["papers", "--search", "graph reasoning", "-f", "json", "--lake", lake.uri])
    assert scanned.exit_code == 0
    assert scanned.stderr.count("paperlake search-index") == 1 and "reads every abstract" in scanned.stderr

    built = runner.invoke(app, ["search-index", "--lake", lake.uri])
    assert built.exit_code == 0 and "search_words:" in built.stderr
    indexed = runner.invoke(app, ["papers", "--search", "graph reasoning", "-f", "json", "--lake", lake.uri])
    assert indexed.exit_code == 0 and "search-index" not in indexed.stderr
    assert json.loads(indexed.stdout) == json.loads(scanned.stdout) and json.loads(indexed.stdout)
    windowed = runner.invoke(app, ["papers", "--search", "graph", "--since", "2024-01-01", "--lake", lake.uri])
    assert windowed.exit_code == 0 and "search-index" not in windowed.stderr  # a window reads sightings anyway


def test_an_empty_index_beside_written_papers_is_not_trusted(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    table_setup.ensure_tables(lake)  # a new lake: every table, the index empty
    writes.append(lake, PAPERS, made_papers(120), writes.CommitInfo("test"))  # papers not written by a load
    runner = CliRunner()
    found = runner.invoke(app, ["papers", "--search", "graph reasoning", "-f", "json", "--lake", lake.uri])
    assert found.exit_code == 0 and json.loads(found.stdout)  # the scan answers, not the empty index
    assert "no word index of its papers" in found.stderr and "paperlake search-index" in found.stderr


def test_search_index_on_a_lake_without_papers_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(app, ["search-index", "--lake", str(tmp_path / "empty")])
    assert result.exit_code != 0 and "Traceback" not in result.output


def test_an_index_without_positions_says_once_how_to_give_it_them(tmp_path):
    from deltalake import write_deltalake

    from flows.search_update import rebuild_search_words

    lake = Lake(str(tmp_path / "lake"))
    table_setup.ensure_tables(lake)
    writes.append(lake, PAPERS, made_papers(120), writes.CommitInfo("test"))
    rebuild_search_words(lake, writes.CommitInfo("test"))
    indexed = CliRunner().invoke(app, ["papers", "--search", "graph reasoning", "-f", "json", "--lake", lake.uri])
    older = lake.read("search_words").drop("positions")  # as an older paperlake built it
    write_deltalake(lake.table_uri("search_words"), older.to_arrow(), mode="overwrite", schema_mode="overwrite")
    runner = CliRunner()
    phrase = runner.invoke(app, ["papers", "--search", "graph reasoning", "-f", "json", "--lake", lake.uri])
    assert phrase.exit_code == 0 and json.loads(phrase.stdout) == json.loads(indexed.stdout)
    assert phrase.stderr.count("paperlake search-index") == 1 and "no word positions" in phrase.stderr
    word = runner.invoke(app, ["papers", "--search", "graph", "--lake", lake.uri])
    assert word.exit_code == 0 and "search-index" not in word.stderr  # one word needs no positions


def test_an_index_without_paper_keys_says_once_how_to_rebuild_it(tmp_path):
    from deltalake import write_deltalake

    from flows.search_update import rebuild_search_words

    lake = Lake(str(tmp_path / "lake"))
    table_setup.ensure_tables(lake)
    writes.append(lake, PAPERS, made_papers(120), writes.CommitInfo("test"))
    rebuild_search_words(lake, writes.CommitInfo("test"))
    runner = CliRunner()
    indexed = runner.invoke(app, ["papers", "--search", "graph reasoning", "-n", "5", "-f", "csv", "--lake", lake.uri])
    assert indexed.exit_code == 0 and "search-index" not in indexed.stderr
    older = lake.read("search_words").drop("paper_key")  # as an older paperlake built it
    write_deltalake(lake.table_uri("search_words"), older.to_arrow(), mode="overwrite", schema_mode="overwrite")
    found = runner.invoke(app, ["papers", "--search", "graph reasoning", "-n", "5", "-f", "csv", "--lake", lake.uri])
    assert found.exit_code == 0 and found.stdout == indexed.stdout
    assert found.stderr.count("paperlake search-index") == 1 and "no paper keys" in found.stderr
