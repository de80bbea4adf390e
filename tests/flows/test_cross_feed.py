"""Identity across feeds: a paper listed by hf_daily (arXiv id), arxiv (id with version) and a page copy (title only) is one paper.

tests/data/feeds/hf_seed_titles.json is a hand-made hf_daily listing of four papers of ../shared/seeds,
with made-up arXiv ids (2312.9000N) and the seeds' own titles and abstracts; one title differs in case
only, as listings do. hf_same_title_two_ids.json lists two papers with the same title and different ids,
and tests/data/pages/same_title.txt is a page copy listing that title.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from flows.daily import daily
from flows.ingest import ingest_files
from lake.progress import table_versions
from paperlake.replay import ReplayServer
from tests.conftest import PAGES, assert_keys_unique
from tests.feeds.replay_fixtures import FEED_DATA
from tests.flows.live_fixtures import MAR_12, no_heartbeats, point_feeds_at  # noqa: F401
from transforms.identity import normalize_title

pytestmark = pytest.mark.usefixtures("prefect_harness", "no_heartbeats")

MAY_20 = date(2024, 5, 20)
SEED_IDS = {
    "2312.90001": "Bootstrapping SparseFormers from Vision Foundation Models",
    "2312.90002": "Model Fusion via Optimal Transport",  # 004's first title, glued to `Subscribe` there
    "2312.90003": "Demystifying CLIP Data",  # in two seed files
    "2312.90004": "Deep Model Assembling",  # in two seed files; listed as "Deep model assembling"
}
SAME_TITLE = "Sparse Probing of Language Model Features"
SAME_TITLE_IDS = ["2405.10001", "2405.20002"]


@contextmanager
def hf_listing(folder: Path, monkeypatch, listing: Path, day: date):
    """A replay server whose hf_daily listing for `day` is `listing`."""
    (folder / "hf_daily").mkdir(parents=True)
    shutil.copyfile(listing, folder / "hf_daily" / f"{day}.json")
    with ReplayServer(folder) as server:
        point_feeds_at(monkeypatch, server.base_url)
        yield server


def in_order(steps: list, order: str) -> list:
    return steps if order == "page copies first" else steps[::-1]


@pytest.mark.parametrize("order", ["page copies first", "hf_daily first"])
def test_seed_page_copies_and_an_hf_listing_of_the_same_papers_are_one_row_each_with_its_arxiv_id(
    seeds, lake, tmp_path, monkeypatch, order
):
    steps = [lambda: ingest_files([str(seeds)], lake.uri), lambda: daily(MAR_12, ["hf_daily"], lake.uri)]
    with hf_listing(tmp_path / "samples", monkeypatch, FEED_DATA / "hf_seed_titles.json", MAR_12):
        for step in in_order(steps, order):
            step()
        versions = table_versions(lake)
        for step in in_order(steps, order):  # everything again: nothing changes
            step()
    assert table_versions(lake) == versions

    papers = lake.read("papers")
    assert papers.height == 482  # the seeds' distinct papers: the listing added no paper, only ids
    linked = papers.filter(pl.col("arxiv_id").is_in(list(SEED_IDS))).sort("arxiv_id")
    assert linked["paper_id"].to_list() == linked["arxiv_id"].to_list() == list(SEED_IDS)
    assert linked["feeds"].to_list() == [["archive", "hf_daily"]] * 4
    assert linked["sighting_count"].to_list() == [2, 2, 3, 3]  # one page sighting each, two for the recurring ones, plus hf
    title_keys = [normalize_title(title) for title in SEED_IDS.values()]
    leftovers = papers.filter(pl.col("title_key").is_in(title_keys) & pl.col("paper_id").str.starts_with("title:"))
    assert leftovers.is_empty()
    page_sightings = lake.read("sightings").filter((pl.col("feed") == "archive") & pl.col("title_key").is_in(title_keys))
    assert page_sightings.height == 6 and set(page_sightings["paper_id"]) == set(SEED_IDS)
    assert_keys_unique(lake)


@pytest.mark.parametrize("order", ["page copies first", "hf_daily first"])
def test_two_arxiv_ids_with_one_title_stay_two_papers_and_a_title_only_sighting_of_it_stays_unlinked(lake, tmp_path, monkeypatch, order):
    page_reports = []
    steps = [
        lambda: page_reports.append(ingest_files([str(PAGES / "same_title.txt")], lake.uri, MAY_20)),
        lambda: daily(MAY_20, ["hf_daily"], lake.uri),
    ]
    with hf_listing(tmp_path / "samples", monkeypatch, FEED_DATA / "hf_same_title_two_ids.json", MAY_20):
        for step in in_order(steps, order) * 2:
            step()

    papers = lake.read("papers").sort("paper_id")
    assert papers["arxiv_id"].to_list() == [*SAME_TITLE_IDS, None]
    title_only = papers.row(2, named=True)
    assert title_only["paper_id"].startswith("title:") and title_only["feeds"] == ["archive"]
    assert papers["title_key"].unique().to_list() == [normalize_title(SAME_TITLE)]
    page_sighting = lake.read("sightings").filter(pl.col("feed") == "archive").row(0, named=True)
    assert (page_sighting["paper_id"], page_sighting["arxiv_id"]) == (title_only["paper_id"], None)
    if order == "hf_daily first":  # the page's load saw the two ids and says why it linked to neither
        [ambiguous] = page_reports[0].ambiguous_titles.to_dicts()
        assert (ambiguous["title"], ambiguous["arxiv_ids"]) == (SAME_TITLE, SAME_TITLE_IDS)
    assert_keys_unique(lake)
