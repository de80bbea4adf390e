"""Great Expectations as the gate uses it: one context, rows mapped back, failures never silent."""

from __future__ import annotations

import dataclasses

import polars as pl

from expectations import gate as gate_module
from expectations import gx_runtime
from expectations.rules import Rule, Suite, between, not_null
from lake.schemas import SIGHTINGS

from .conftest import TODAY, assert_accounted, fixture_rows, gate, sightings

# A table of its own, so this suite never shadows the real `sightings` suite in the shared context.
PROBE = dataclasses.replace(SIGHTINGS, name="sightings_probe")


def test_the_context_is_built_once_per_process():
    assert gx_runtime.context() is gx_runtime.context()


def test_failing_rows_are_the_positions_in_the_polars_batch():
    suite = Suite(PROBE, rules=(not_null("title"), between("rank_positive", "rank", min_value=1)))
    batch = sightings(fixture_rows("clean_rows.json")).with_columns(
        pl.when(pl.col("rank").is_in([2, 5])).then(None).otherwise(pl.col("title")).alias("title"),
        pl.when(pl.col("rank") == 4).then(0).otherwise(pl.col("rank")).cast(pl.Int32).alias("rank"),
    )

    checked = gx_runtime.check(suite, batch, TODAY)

    assert checked.failing_rows == {"title_not_null": [1, 4], "rank_positive": [3]}
    assert checked.errors == {}
    # Kept for Data Docs without the bulky row lists.
    assert all("unexpected_index_list" not in r.result for r in checked.result.results)


def test_a_checked_batch_is_not_kept_by_the_context():
    # GX's engine caches every batch it validated, with its pandas copy, for the life of the context.
    suite = Suite(PROBE, rules=(not_null("title"),))
    batch = sightings(fixture_rows("clean_rows.json"))

    checked = gx_runtime.check(suite, batch, TODAY)

    engine = gx_runtime.context().data_sources.get(gx_runtime.DATASOURCE_NAME).get_execution_engine()
    assert checked.failing_rows == {}
    assert engine.batch_manager.batch_data_cache == {}
    assert engine.batch_manager.active_batch is None


def test_an_expectation_gx_cannot_evaluate_rejects_the_batch_instead_of_passing_rows(monkeypatch):
    # A date column compared with a string bound: GX reports an exception, not a failure.
    broken = Rule("snapshot_date_range", "ExpectColumnValuesToBeBetween", {"column": "snapshot_date", "min_value": "1991"}, "")
    suite = Suite(PROBE, rules=(broken,))
    monkeypatch.setattr(gate_module, "suite_for", lambda table: suite)

    result = gate("sightings_probe", sightings(fixture_rows("clean_rows.json")).pipe(PROBE.conform))

    assert [f.rule for f in result.batch_failures] == ["expectation_error"]
    assert "could not evaluate snapshot_date_range" in result.batch_failures[0].message
    assert result.clean.height == 0
    assert_accounted(result)


def test_batches_checked_from_several_threads_get_their_own_answers():
    # Prefect's default task runner is a thread pool; the shared context must not mix batches up.
    from concurrent.futures import ThreadPoolExecutor

    def one(feed: str):
        rows = fixture_rows("clean_rows.json")
        rows[int(feed[-1])]["title"] = "Subscribe"
        return gate("sightings", sightings(rows, feed=feed), feed=feed)

    feeds = [f"feed{i}" for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one, feeds))

    for i, result in enumerate(results):
        assert result.quarantined_positions == [i]
        assert result.quarantined["feed"].to_list() == [f"feed{i}"]
