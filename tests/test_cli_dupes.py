"""`paperlake dupes` as a user runs it: list, --min-score, --merge, --dismiss, --all, --ambiguous.

The lake is written straight through lake.writes and lake.papers (no Prefect) from the labelled fixtures of
tests/data/identity/dupes_labelled.json: one sighting per paper, arXiv papers from the arxiv
feed, title-only ones from a saved page.
"""

import csv
import io
import json
from datetime import date, timedelta

import polars as pl
import pytest
from typer.testing import CliRunner

from lake import papers as lake_papers
from lake import table_setup, writes
from lake.schemas import SIGHTINGS
from lake.store import Lake
from paperlake.cli import app
from tests.conftest import DATA, assert_keys_unique, heavy_modules_after
from transforms.dupes import DEFAULT_MIN_SCORE, link_id
from transforms.identity import normalize_title
from transforms.papers import summarize_papers

runner = CliRunner(env={"COLUMNS": "200"})
LABELLED = json.loads((DATA / "identity" / "dupes_labelled.json").read_text(encoding="utf-8"))
TRUE_LINKS = {link_id(p["paper_id"], p["other_paper_id"]) for p in LABELLED["pairs"] if p["duplicate"]}
TYPO = ("2403.20001", "title:typo-routing")
PIIP = ("2406.04330", "2501.07783")


def labelled_sightings(papers: list[dict]) -> pl.DataFrame:
    rows = []
    for n, paper in enumerate(papers):
        title_only = paper["paper_id"].startswith("title:")
        rows.append({
            "snapshot_id": f"snapshot-{n:02d}", "paper_id": paper["paper_id"], "feed": "archive" if title_only else "arxiv",
            "snapshot_date": date(2024, 3, 1) + timedelta(days=n), "rank": 1, "title": paper["title"], "abstract": paper["abstract"],
            "title_key": normalize_title(paper["title"]), "arxiv_id": None if title_only else paper["paper_id"],
            "arxiv_version": None if title_only else 1,
        })
    return SIGHTINGS.conform(pl.DataFrame(rows, infer_schema_length=None))


def write_lake(lake: Lake, papers: list[dict]) -> Lake:
    table_setup.ensure_tables(lake)
    sightings = labelled_sightings(papers)
    writes.append(lake, SIGHTINGS, sightings, writes.CommitInfo("ingest"))
    lake_papers.upsert_papers(lake, summarize_papers(sightings), writes.CommitInfo("ingest"))
    return lake


@pytest.fixture
def labelled_lake(lake):
    return write_lake(lake, LABELLED["papers"])


def dupes(lake, *args: str, code: int = 0):
    result = runner.invoke(app, ["dupes", *args, "--lake", lake.uri])
    assert result.exit_code == code, result.output
    return result


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def listed_links(lake, *args: str) -> set[str]:
    return {link_id(r["paper_id"], r["other_paper_id"]) for r in csv_rows(dupes(lake, *args, "-f", "csv").stdout)}


def test_lists_the_true_duplicates_with_score_and_reason_and_keeps_them(labelled_lake):
    rows = csv_rows(dupes(labelled_lake, "-f", "csv").stdout)

    assert {link_id(r["paper_id"], r["other_paper_id"]) for r in rows} == TRUE_LINKS  # precision and recall 1.0
    assert all(float(r["score"]) >= DEFAULT_MIN_SCORE and r["status"] == "suggested" for r in rows)
    typo = next(r for r in rows if r["other_paper_id"] == TYPO[1])
    assert (typo["paper_id"], typo["score"], typo["reason"]) == (TYPO[0], "100.0", "titles differ by a typo or a word (97.8); same abstract")
    stored = labelled_lake.read("paper_links")
    assert set(stored["link_id"]) >= TRUE_LINKS and set(stored["status"]) == {"suggested"}
    assert labelled_lake.read("papers").height == len(LABELLED["papers"])  # listed, never merged


def test_a_second_run_writes_nothing(labelled_lake):
    dupes(labelled_lake)
    version = labelled_lake.delta("paper_links").version()
    dupes(labelled_lake)
    assert labelled_lake.delta("paper_links").version() == version
    assert_keys_unique(labelled_lake)


def test_a_lower_min_score_lists_related_papers_like_the_piip_pair(labelled_lake):
    rows = {link_id(r["paper_id"], r["other_paper_id"]): r for r in csv_rows(dupes(labelled_lake, "--min-score", "40", "-f", "csv").stdout)}
    piip = rows[link_id(*PIIP)]
    assert float(piip["score"]) < DEFAULT_MIN_SCORE
    assert piip["reason"].startswith("one title adds a subtitle to the other; abstracts differ")
    assert "possible duplicates (score >= 85)" in dupes(labelled_lake).stderr  # piped: the title goes to stderr


def test_merge_makes_one_paper_and_is_listed_as_confirmed(labelled_lake):
    result = dupes(labelled_lake, "--merge", "arXiv:2403.20001v1", TYPO[1])

    assert f"merged {TYPO[1]} into {TYPO[0]} (score 100.0" in result.stdout
    papers = labelled_lake.read("papers")
    assert TYPO[1] not in papers["paper_id"].to_list()
    routing = papers.filter(pl.col("paper_id") == TYPO[0]).row(0, named=True)
    assert (routing["sighting_count"], routing["feeds"]) == (2, ["archive", "arxiv"])
    assert link_id(*TYPO) not in listed_links(labelled_lake)
    confirmed = [r for r in csv_rows(dupes(labelled_lake, "--all", "-f", "csv").stdout) if r["status"] == "confirmed"]
    assert [(r["paper_id"], r["other_paper_id"]) for r in confirmed] == [TYPO]
    assert_keys_unique(labelled_lake)


def test_merge_keeps_the_arxiv_paper_and_refuses_unknown_papers(labelled_lake):
    refused = dupes(labelled_lake, "--merge", TYPO[1], TYPO[0], code=1)
    assert f"keep the arXiv paper, so its id stays the paper's id: paperlake dupes --merge {TYPO[0]} {TYPO[1]}" in refused.output
    unknown = dupes(labelled_lake, "--merge", TYPO[0], "2499.99999", code=1)
    assert "no paper 2499.99999 in the lake" in unknown.output
    assert labelled_lake.read("paper_links").filter(pl.col("status") != "suggested").is_empty()
    dupes(labelled_lake, "--merge", "a", "b", "--dismiss", "a", "b", code=2)


def test_dismiss_hides_the_pair_and_records_the_decision(labelled_lake):
    dupes(labelled_lake, "--dismiss", *PIIP)

    assert link_id(*PIIP) not in listed_links(labelled_lake, "--min-score", "0")
    [row] = labelled_lake.read("paper_links").filter(pl.col("status") == "dismissed").to_dicts()
    assert (row["link_id"], row["decided_at"] is not None) == (link_id(*PIIP), True)
    assert link_id(*PIIP) in listed_links(labelled_lake, "--min-score", "0", "--all")
    version = labelled_lake.delta("paper_links").version()
    dupes(labelled_lake, "--dismiss", *reversed(PIIP))  # the same pair, given the other way round
    assert labelled_lake.delta("paper_links").version() == version


def test_when_every_pair_that_scores_is_decided_the_empty_listing_says_so(labelled_lake):
    for row in csv_rows(dupes(labelled_lake, "-f", "csv").stdout):
        dupes(labelled_lake, "--dismiss", row["paper_id"], row["other_paper_id"])

    result = dupes(labelled_lake, "-f", "csv")
    assert result.stdout.splitlines() == ["score,status,paper_id,other_paper_id,reason,title,other_title"]
    assert f"the {len(TRUE_LINKS)} pair(s) scoring 85 or more are all confirmed or dismissed already; `--all` lists them" in result.stderr
    assert "no pair among" not in result.stderr


def test_ambiguous_lists_title_only_papers_matching_several_arxiv_papers(lake):
    shared = "A Simple Baseline for Video Object Segmentation"
    papers = [
        {"paper_id": "2403.10004", "title": shared, "abstract": "Masks propagated from the first frame with a plain memory."},
        {"paper_id": "2403.10005", "title": shared, "abstract": "A re-identification head recovers objects that left the scene."},
        {"paper_id": "title:ambiguous", "title": shared + ".", "abstract": "Masks propagated from the first frame with a plain memory."},
    ]
    write_lake(lake, papers)
    rows = csv_rows(dupes(lake, "--ambiguous", "-f", "csv").stdout)
    assert [(r["paper_id"], json.loads(r["arxiv_ids"])) for r in rows] == [("title:ambiguous", ["2403.10004", "2403.10005"])]


def test_an_empty_lake_lists_nothing_and_no_lake_is_an_error(lake):
    assert "no lake at" in dupes(lake, code=1).stderr
    from lake import table_setup

    table_setup.ensure_tables(lake)
    result = dupes(lake)
    assert result.stdout.splitlines() == ["score  status  paper_id  other_paper_id  reason  title  other_title"]
    assert "no pair among the lake's 0 papers scores 85 or more; `--min-score 60` lists weaker look-alikes" in result.stderr


def test_the_default_in_the_help_is_the_transform_default():
    assert DEFAULT_MIN_SCORE == 85.0  # paperlake/cli.py spells it out so the command starts without polars


def test_dupes_imports_neither_prefect_nor_great_expectations(labelled_lake):
    assert heavy_modules_after(["dupes"], lake_uri=labelled_lake.uri) == []


TRICKY = json.loads((DATA / "identity" / "dupes_tricky.json").read_text(encoding="utf-8"))["papers"]
EXPECTED = json.loads((DATA / "identity" / "dupes_tricky_expected.json").read_text(encoding="utf-8"))


def test_every_candidate_pair_in_a_lake_is_what_the_finder_found_before_issue_14(lake):
    """The streaming read of the lake (clause keys cut as files are read, texts read again for
    candidates only) scores the same pairs, the same, as the finder over all papers in memory did
    before it was rewritten for the ten-year lake."""
    write_lake(lake, TRICKY + LABELLED["papers"])
    rows = csv_rows(dupes(lake, "--min-score", "0", "-n", "1000", "-f", "csv").stdout)

    def found(pairs) -> dict:
        return {link_id(r["paper_id"], r["other_paper_id"]): (float(r["score"]), r["reason"]) for r in pairs}

    assert found(rows) == found(EXPECTED["both"])
    stored = lake.read("paper_links")
    assert sorted(stored["link_id"]) == sorted(k for k, (score, _) in found(rows).items() if score >= 60)
    version = lake.delta("paper_links").version()
    assert found(csv_rows(dupes(lake, "--min-score", "0", "-n", "1000", "-f", "csv").stdout)) == found(rows)
    assert lake.delta("paper_links").version() == version  # the second run writes nothing
    assert_keys_unique(lake)
    assert lake.read("papers").height == len(TRICKY) + len(LABELLED["papers"])  # listed, never merged


def test_the_lake_read_finds_what_the_finder_finds_in_memory(labelled_lake):
    import paperlake.dupes as lake_dupes
    from transforms.dupes import find_duplicates

    whole = find_duplicates(labelled_lake.read("papers").select(lake_dupes.PAPER_COLUMNS), 0)
    assert lake_dupes._find_duplicates(labelled_lake, 0)[0].pairs.equals(whole)


def test_a_run_keeps_the_best_pairs_up_to_the_bound_and_says_how_many_more(labelled_lake, monkeypatch):
    from transforms import dupes as finder

    everything = csv_rows(dupes(labelled_lake, "--min-score", "60", "-n", "1000", "-f", "csv").stdout)
    assert len(everything) > 3 and not dupes(labelled_lake, "--min-score", "60").stderr.count("warning")
    monkeypatch.setattr(finder, "MAX_KEPT_PAIRS", 3)

    result = dupes(labelled_lake, "--min-score", "60", "-n", "1000", "-f", "csv")

    best = sorted(everything, key=lambda r: (-float(r["score"]), link_id(r["paper_id"], r["other_paper_id"])))[:3]
    assert csv_rows(result.stdout) == best
    assert f"warning: {len(everything) - 3:,} more pairs scored high enough to suggest, past the best 3 kept" in result.stderr
    assert sorted(labelled_lake.read("paper_links")["link_id"]) == sorted(link_id(r["paper_id"], r["other_paper_id"]) for r in best)
