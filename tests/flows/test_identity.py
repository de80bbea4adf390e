"""One paper, one row, through the whole pipeline: arXiv versions, withdrawals, ambiguous and
late-linked titles, and duplicates a person confirmed or dismissed, kept through a reparse.

Fixtures: tests/data/identity (see its README). arXiv and hf_daily payloads are loaded as those
feeds (the path a daily run takes); the text page goes through `ingest`.
"""

from datetime import date, datetime, timezone

import polars as pl
import pytest
from prefect import flow

from feeds.base import Payload
from flows.ingest import ingest_files
from flows.pipeline import load_payloads
from flows.reparse import reparse_archive
from lake import writes
from lake.paper_history import show_paper, table_history
from lake.store import Lake
from paperlake import dupes
from tests.conftest import DATA, assert_keys_unique
from transforms.dupes import DEFAULT_MIN_SCORE, link_id
from transforms.identity import normalize_title, title_paper_id

pytestmark = pytest.mark.usefixtures("prefect_harness")

IDENTITY = DATA / "identity"
ROUTING, PENGUINS, SPEECH, BASELINE_A, BASELINE_B, TABLES = (
    "2403.10001", "2403.10002", "2403.10003", "2403.10004", "2403.10005", "2403.10006",
)
TYPO_ID = title_paper_id(normalize_title("Sparse Mixture Routnig for Small Transformers"))
AMBIGUOUS_ID = title_paper_id(normalize_title("A Simple Baseline for Video Object Segmentation"))
TABLES_TITLE_ID = title_paper_id(normalize_title("Grounded Answers from Tables"))
FETCHED_AT = datetime(2024, 3, 16, 6, 0, tzinfo=timezone.utc)
LIVE = {"arxiv_2024-03-11.xml": ("arxiv", "arxiv_atom", date(2024, 3, 11)), "arxiv_2024-03-14.xml": ("arxiv", "arxiv_atom", date(2024, 3, 14)),
        "hf_2024-03-15.json": ("hf_daily", "hf_json", date(2024, 3, 15))}


@flow(name="load-fixture")
def load_fixture(lake_uri: str, name: str):
    feed, payload_format, day = LIVE[name]
    payload = Payload(feed, str(IDENTITY / name), payload_format, (IDENTITY / name).read_bytes(), day, FETCHED_AT)
    return load_payloads(Lake(lake_uri), [payload], writes.CommitInfo("daily", feed=feed, snapshot_dates=(day,)))


def load(lake, *names: str) -> None:
    for name in names:
        if name.endswith(".txt"):
            ingest_files([str(IDENTITY / name)], lake.uri, date(2024, 3, 12))
        else:
            load_fixture(lake.uri, name)


def paper(lake, paper_id: str) -> dict:
    [row] = lake.read("papers").filter(pl.col("paper_id") == paper_id).to_dicts()
    return row


def stable(lake) -> dict[str, pl.DataFrame]:
    return {name: lake.read(name).sort(lake.read(name).columns[:3]) for name in ("sightings", "papers")}


# --- 1. versions ------------------------------------------------------------------------------


def test_v1_then_v2_is_one_paper_showing_v2_and_each_sighting_keeps_its_version(lake):
    load(lake, "arxiv_2024-03-11.xml", "arxiv_2024-03-14.xml")

    routing = paper(lake, ROUTING)
    assert routing["title"] == "Sparse Expert Routing for Small Transformers"
    assert routing["abstract"].startswith("Mixture-of-experts layers grow capacity without growing compute, yet")
    assert (routing["latest_version"], routing["version_count"], routing["days_seen"]) == (2, 2, 2)
    seen = lake.read("sightings").filter(pl.col("paper_id") == ROUTING).sort("snapshot_date")
    assert seen.select("arxiv_version", "version_date", "title").rows() == [
        (1, date(2024, 3, 11), "Sparse Mixture Routing for Small Transformers"),
        (2, date(2024, 3, 14), "Sparse Expert Routing for Small Transformers"),
    ]
    # `paperlake show` lists the versions with the day each was first seen.
    detail = show_paper(lake.scan("sightings"), lake.scan("papers"), "arXiv:2403.10001v1")
    assert detail.versions.select("arxiv_version", "first_seen_date").rows() == [(1, date(2024, 3, 11)), (2, date(2024, 3, 14))]

    before = stable(lake)
    load(lake, "arxiv_2024-03-11.xml", "arxiv_2024-03-14.xml")  # a second run: nothing doubled
    after = stable(lake)
    for name in before:
        assert after[name].equals(before[name]), name
    assert lake.read("papers").height == lake.read("sightings")["paper_id"].n_unique() == 5
    assert_keys_unique(lake)


def test_the_newest_version_wins_in_any_load_order(lake, tmp_path):
    load(lake, "arxiv_2024-03-14.xml", "arxiv_2024-03-11.xml")  # v2's day first, then v1's
    in_order = Lake(str(tmp_path / "in-order"))
    load(in_order, "arxiv_2024-03-11.xml", "arxiv_2024-03-14.xml")
    assert paper(lake, ROUTING) == paper(in_order, ROUTING)
    assert paper(lake, ROUTING)["title"] == "Sparse Expert Routing for Small Transformers"


# --- 2. withdrawals ---------------------------------------------------------------------------


def test_withdrawn_papers_are_marked_not_deleted(lake):
    load(lake, "arxiv_2024-03-11.xml", "arxiv_2024-03-14.xml", "hf_2024-03-15.json")

    penguins = paper(lake, PENGUINS)  # arXiv: v2 is a withdrawal notice
    assert penguins["withdrawn_at"] == datetime(2024, 3, 14, 10, 0, tzinfo=timezone.utc)
    assert penguins["abstract"].startswith("Penguin colonies are surveyed")  # the last real abstract, not the notice
    assert (penguins["latest_version"], penguins["sighting_count"]) == (2, 2)
    speech = paper(lake, SPEECH)  # hf_daily: withdrawnAt
    assert speech["withdrawn_at"] == datetime(2024, 3, 15, 8, 0, tzinfo=timezone.utc)
    assert speech["title"] == "Robust Speech Tokens for Noisy Rooms"
    assert paper(lake, ROUTING)["withdrawn_at"] is None
    assert lake.read("sightings").filter(pl.col("withdrawn_at").is_not_null())["paper_id"].sort().to_list() == [PENGUINS, SPEECH]


# --- 3. title-only sightings --------------------------------------------------------------------


def test_a_title_of_several_arxiv_papers_links_to_none_and_is_listed(lake):
    load(lake, "arxiv_2024-03-11.xml", "page_2024-03-12.txt")

    assert paper(lake, AMBIGUOUS_ID)["arxiv_id"] is None
    assert paper(lake, BASELINE_A)["sighting_count"] == paper(lake, BASELINE_B)["sighting_count"] == 1
    listed = dupes.ambiguous(lake)
    assert listed.select("paper_id", "arxiv_ids").rows() == [(AMBIGUOUS_ID, [BASELINE_A, BASELINE_B])]
    # The abstract tells which of the two it is: dupes suggests that pair, and only that one.
    suggested = dupes.find_and_store(lake, DEFAULT_MIN_SCORE, datetime.now(timezone.utc)).pairs
    ambiguous_pairs = suggested.filter(pl.col("other_paper_id") == AMBIGUOUS_ID)
    assert ambiguous_pairs.select("paper_id", "reason").rows() == [(BASELINE_A, "same title; same abstract")]


def test_a_title_only_paper_becomes_the_arxiv_paper_when_its_id_arrives_and_history_shows_it(lake):
    load(lake, "page_2024-03-12.txt")
    assert paper(lake, TABLES_TITLE_ID)["arxiv_id"] is None
    papers_before = lake.read("papers").height

    load(lake, "arxiv_2024-03-14.xml")

    tables = paper(lake, TABLES)
    assert (tables["days_seen"], tables["sighting_count"], tables["feeds"]) == (2, 2, ["archive", "arxiv"])
    assert lake.read("papers").filter(pl.col("paper_id") == TABLES_TITLE_ID).is_empty()
    assert lake.read("papers").height == papers_before - 1 + 3  # the title-only row became 2403.10006; 10001 and 10002 are new
    page_row = lake.read("sightings").filter(pl.col("feed") == "archive", pl.col("title") == "Grounded Answers from Tables")
    assert page_row.select("paper_id", "arxiv_id").rows() == [(TABLES, TABLES)]
    relinks = [h for h in table_history(lake.history("sightings")).to_dicts() if h["operation"] == "MERGE"]
    assert [(h["rows_updated"], h["paperlake_operation"], h["feed"]) for h in relinks] == [(1, "daily", "arxiv")]
    papers_merge = table_history(lake.history("papers")).filter(pl.col("operation") == "MERGE").row(0, named=True)
    assert papers_merge["rows_deleted"] == 1 and papers_merge["paperlake_operation"] == "daily"
    assert_keys_unique(lake)


# --- 4. near-duplicates: suggested, confirmed, dismissed, through reparse ------------------------


def test_a_confirmed_merge_makes_one_paper_and_survives_reparse_and_new_loads(lake):
    load(lake, "arxiv_2024-03-11.xml", "page_2024-03-12.txt")
    now = datetime.now(timezone.utc)
    suggested = dupes.find_and_store(lake, DEFAULT_MIN_SCORE, now).pairs
    typo = suggested.filter(pl.col("other_paper_id") == TYPO_ID).row(0, named=True)
    assert (typo["paper_id"], typo["status"]) == (ROUTING, "suggested")
    assert typo["reason"] == "titles differ by a typo or a word (97.8); same abstract"
    assert lake.read("papers").filter(pl.col("paper_id") == TYPO_ID).height == 1  # suggested only: nothing merged

    dupes.merge(lake, ROUTING, TYPO_ID, now)

    assert lake.read("papers").filter(pl.col("paper_id") == TYPO_ID).is_empty()
    assert (paper(lake, ROUTING)["sighting_count"], paper(lake, ROUTING)["feeds"]) == (2, ["archive", "arxiv"])
    moved = lake.read("sightings").filter(pl.col("merged_from_id") == TYPO_ID)
    assert moved.select("paper_id", "arxiv_id", "title").rows() == [(ROUTING, ROUTING, "Sparse Mixture Routnig for Small Transformers")]
    [decision] = lake.read("paper_links").filter(pl.col("status") == "confirmed").to_dicts()
    assert (decision["paper_id"], decision["other_paper_id"], decision["score"]) == (ROUTING, TYPO_ID, 100.0)
    assert decision["decided_at"] is not None
    versions = {name: lake.delta(name).version() for name in ("sightings", "papers", "paper_links")}
    dupes.merge(lake, ROUTING, TYPO_ID, now)  # again: nothing to do
    assert {name: lake.delta(name).version() for name in versions} == versions

    merged = stable(lake)
    reparse_archive(lake.uri)  # sightings rebuilt from the raw snapshots: the decision is re-applied
    for name, frame in stable(lake).items():
        assert frame.equals(merged[name]), name
    load(lake, "arxiv_2024-03-14.xml", "hf_2024-03-15.json")  # later loads keep it too
    assert lake.read("papers").filter(pl.col("paper_id") == TYPO_ID).is_empty()
    assert paper(lake, ROUTING)["sighting_count"] == 4
    assert dupes.find_and_store(lake, 0, now).pairs.filter(pl.col("other_paper_id") == TYPO_ID).is_empty()
    assert_keys_unique(lake)


def test_a_dismissed_pair_is_not_suggested_again_even_after_reparse(lake):
    load(lake, "arxiv_2024-03-11.xml", "page_2024-03-12.txt")
    now = datetime.now(timezone.utc)
    dupes.find_and_store(lake, DEFAULT_MIN_SCORE, now)

    dupes.dismiss(lake, BASELINE_A, AMBIGUOUS_ID, now)
    reparse_archive(lake.uri)

    listed = dupes.find_and_store(lake, 0, now).pairs
    assert listed.filter(pl.col("other_paper_id") == AMBIGUOUS_ID)["paper_id"].to_list() == [BASELINE_B]  # the other one stays
    decided = dupes.find_and_store(lake, 0, now, show_decided=True).pairs.filter(pl.col("status") == "dismissed")
    assert decided.select("paper_id", "other_paper_id").rows() == [(BASELINE_A, AMBIGUOUS_ID)]
    assert lake.read("papers").filter(pl.col("paper_id") == AMBIGUOUS_ID).height == 1
    assert lake.read("paper_links").filter(pl.col("link_id") == link_id(BASELINE_A, AMBIGUOUS_ID))["status"].to_list() == ["dismissed"]


def test_dismissing_a_merged_pair_takes_it_apart(lake):
    load(lake, "arxiv_2024-03-11.xml", "page_2024-03-12.txt")
    now = datetime.now(timezone.utc)
    before = stable(lake)
    dupes.merge(lake, ROUTING, TYPO_ID, now)

    dupes.dismiss(lake, ROUTING, TYPO_ID, now)

    for name, frame in stable(lake).items():
        assert frame.equals(before[name]), name


@pytest.mark.slow
def test_the_two_piip_papers_of_the_seeds_are_related_at_most_never_merged(seeds, lake):
    ingest_files([str(seeds)], lake.uri)
    now = datetime.now(timezone.utc)

    assert dupes.find_and_store(lake, DEFAULT_MIN_SCORE, now).pairs.is_empty()
    related = dupes.find_and_store(lake, 40, now).pairs
    piip = related.filter(pl.col("title").str.starts_with("Parameter-Inverted Image Pyramid Networks"))
    assert piip.height == 1
    assert piip["reason"].item().startswith("one title adds a subtitle to the other; abstracts differ")
    assert piip["score"].item() < DEFAULT_MIN_SCORE
    assert lake.read("papers").height == 482
    assert lake.read("paper_links").filter(pl.col("status") != "suggested").is_empty()


def test_a_lake_written_before_versions_gains_the_new_columns_in_place(lake):
    from deltalake import DeltaTable

    from lake.schemas import PAPERS, SIGHTINGS

    new_columns = {"sightings": ["version_date", "merged_from_id"], "papers": ["latest_version", "version_count", "withdrawn_at"]}
    for spec in (SIGHTINGS, PAPERS):  # the tables as the previous paperlake created them
        DeltaTable.create(lake.table_uri(spec.name), schema=spec.empty_frame().drop(new_columns[spec.name]).to_arrow().schema)

    load(lake, "arxiv_2024-03-11.xml")

    for name, columns in new_columns.items():
        assert set(columns) <= {field.name for field in lake.delta(name).schema().fields}, name
        assert any(h["operation"] == "ADD COLUMN" for h in lake.history(name)), name
    assert paper(lake, ROUTING)["latest_version"] == 1
    assert_keys_unique(lake)
