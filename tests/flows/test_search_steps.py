"""`search_words` after daily runs against the living world: each load's appended rows (markers
included) hold what a rebuild from every paper holds, searches through the index answer what the
scan answers, and a rerun that loads nothing writes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from flows.daily import daily
from flows.search_update import rebuild_search_words
from lake import writes
from lake.queries import Window, search
from tests.conftest import assert_keys_unique
from tests.flows.live_fixtures import no_heartbeats  # noqa: F401
from tests.flows.living_fixtures import living, living_world, scheduled_at  # noqa: F401
from transforms.search_words import current_rows, word_rows

pytestmark = pytest.mark.usefixtures("prefect_harness", "no_heartbeats")

DAYS = [date(2024, 3, 18) + timedelta(days=n) for n in range(3)]


def current(lake) -> pl.DataFrame:
    return current_rows(lake.read("search_words")).select("term", "paper_id", "fields", "positions", "paper_key").sort("term", "paper_id")


def assert_index_is_a_rebuild(lake) -> None:
    papers = lake.read("papers")
    assert current(lake).equals(word_rows(papers.select("paper_id", "title", "abstract")).sort("term", "paper_id"))
    title_word = papers["title"][0].split()[-1]
    for text in (title_word, "learning", "sparse attention", title_word[:3]):
        indexed = search(lake.scan("sightings"), text, Window(), 20, lake.scan("papers"), lake.scan("search_words"))
        scanned = search(lake.scan("sightings"), text, Window(), 20, lake.scan("papers"))
        assert indexed.select("paper_id", "score").rows() == scanned.select("paper_id", "score").rows(), text


def test_daily_runs_keep_the_word_index_equal_to_a_rebuild(living, lake):
    for day in DAYS:
        living.set_clock(scheduled_at(day + timedelta(days=1)))
        daily(day, lake_uri=lake.uri)
        assert_index_is_a_rebuild(lake)
    living.set_clock(scheduled_at(DAYS[-1] + timedelta(days=20)))  # the days settle: papers touched again
    for day in DAYS:
        daily(day, lake_uri=lake.uri)
    assert_index_is_a_rebuild(lake)
    assert_keys_unique(lake)
    assert lake.read("search_words").filter(pl.col("term") == "").height > 0  # touched papers superseded their rows

    version = lake.delta("search_words").version()
    for day in DAYS:  # the same answers again: nothing loaded, nothing appended
        daily(day, lake_uri=lake.uri)
    assert lake.delta("search_words").version() == version

    before = current(lake)
    rebuild_search_words(lake, writes.CommitInfo("rebuild"))
    assert current(lake).equals(before)
    assert lake.read("search_words").height == before.height  # a rebuild keeps no superseded rows
