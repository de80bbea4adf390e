"""The change feed of `papers` and `sightings` after real daily loads (replay server on 127.0.0.1, real Prefect)."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from flows.daily import daily
from lake import table_setup
from lake.changes import CDF_PROPERTY, change_feed_start, read_changes
from paperlake.cli import app
from tests.conftest import assert_keys_unique
from tests.flows.live_fixtures import MAR_11, MAR_12, live, no_heartbeats  # noqa: F401

pytestmark = pytest.mark.usefixtures("prefect_harness", "no_heartbeats")

KEY = ["paper_id"]


def changes_cli(lake, *args: str):
    return CliRunner().invoke(app, ["changes", *args, "--lake", lake.uri])


def files_of_every_version(lake, name: str) -> dict[int, list[str]]:
    table = lake.delta(name)
    found = {}
    for version in range(table.version() + 1):
        table.load_as_version(version)
        found[version] = sorted(table.file_uris())
    return found


def test_the_second_load_shows_as_inserts_and_upvote_updates(live, lake):
    daily(MAR_11, lake_uri=lake.uri)
    before = lake.read("papers")
    papers_since, sightings_since = lake.delta("papers").version() + 1, lake.delta("sightings").version() + 1

    daily(MAR_12, lake_uri=lake.uri)

    after = lake.read("papers")
    changed = read_changes(lake, "papers", since_version=papers_since).rows
    assert set(changed["_change_type"]) <= {"insert", "update_preimage", "update_postimage"}
    assert changed["_commit_version"].min() >= papers_since
    # Every paper new on the 12th is one insert, with the row the table now holds.
    new_ids = sorted(set(after["paper_id"]) - set(before["paper_id"]))
    inserted = changed.filter(pl.col("_change_type") == "insert")
    assert sorted(inserted["paper_id"]) == new_ids and len(new_ids) > 0
    assert inserted.filter(pl.col("paper_id") == new_ids[0])["title"].item() == after.filter(pl.col("paper_id") == new_ids[0])["title"].item()
    # A paper listed again has its old row as the preimage and its new one as the postimage.
    pre = changed.filter(pl.col("_change_type") == "update_preimage").drop("_change_type")
    post = changed.filter(pl.col("_change_type") == "update_postimage").drop("_change_type")
    assert sorted(pre["paper_id"]) == sorted(post["paper_id"]) and pre.height > 0
    first_pre = pre.sort("_commit_version").unique(KEY, keep="first")
    last_post = post.sort("_commit_version").unique(KEY, keep="last")
    again = first_pre.join(last_post, on=KEY, suffix="_after").join(before.select(*KEY, upvotes_stored="upvotes", last_seen_stored="last_seen_date"), on=KEY)
    assert (again["upvotes"].to_list(), again["last_seen_date"].to_list()) == (again["upvotes_stored"].to_list(), again["last_seen_stored"].to_list())
    assert set(again["last_seen_date_after"]) == {MAR_12}
    moved = again.filter(pl.col("upvotes") != pl.col("upvotes_after"))
    assert moved.height > 0  # upvotes of a paper listed both days changed between the two loads
    final = after.filter(pl.col("paper_id").is_in(moved["paper_id"].implode())).sort("paper_id")
    assert final["upvotes"].to_list() == moved.sort("paper_id")["upvotes_after"].to_list()

    sightings = read_changes(lake, "sightings", since_version=sightings_since).rows
    assert set(sightings["_change_type"]) == {"insert"}
    assert set(sightings["snapshot_date"]) == {MAR_12}
    assert sightings.height == lake.read("sightings").filter(pl.col("snapshot_date") == MAR_12).height

    shown = changes_cli(lake, "papers", "--since-version", str(papers_since), "--format", "json")
    assert shown.exit_code == 0, shown.output
    assert len(json.loads(shown.stdout)) == changed.height
    csv = changes_cli(lake, "sightings", "--since-version", str(sightings_since), "--format", "csv")
    assert csv.stdout.splitlines()[0].endswith("_change_type,_commit_version,_commit_timestamp")
    assert len(csv.stdout.splitlines()) == sightings.height + 1


def test_a_lake_made_without_the_feed_gets_it_on_its_next_load_without_a_rewrite(live, lake, monkeypatch):
    old_properties = {name: {k: v for k, v in props.items() if k != CDF_PROPERTY} for name, props in table_setup.TABLE_PROPERTIES.items()}
    with monkeypatch.context() as older:
        older.setattr(table_setup, "TABLE_PROPERTIES", old_properties)
        daily(MAR_11, lake_uri=lake.uri)
    assert change_feed_start(lake.delta("papers")) is None
    no_feed = changes_cli(lake, "papers", "--since-version", "0")
    assert no_feed.exit_code == 2 and "table 'papers' has no change feed yet: the next load" in no_feed.stderr
    files_before = {name: files_of_every_version(lake, name) for name in ("papers", "sightings")}
    versions_before = {name: lake.delta(name).version() for name in files_before}

    daily(MAR_12, lake_uri=lake.uri)

    for name, files in files_before.items():
        table = lake.delta(name)
        assert table.metadata().configuration[CDF_PROPERTY] == "true"
        enabled_at = change_feed_start(table)
        assert enabled_at == versions_before[name] + 1  # the load's first commit to it: the property, nothing else
        assert {entry["version"]: entry["operation"] for entry in table.history()}[enabled_at] == "SET TBLPROPERTIES"
        files_now = files_of_every_version(lake, name)
        assert {v: f for v, f in files_now.items() if v <= versions_before[name]} == files  # older versions read what they did
        assert files_now[enabled_at] == files[versions_before[name]]  # turning it on rewrote no file

        early = changes_cli(lake, name, "--since-version", str(versions_before[name]))
        assert early.exit_code == 2
        assert f"table {name!r} records changes from version {enabled_at} on" in early.stderr
        assert f"give --since-version {enabled_at} or later" in early.stderr
        shown = read_changes(lake, name, since_version=enabled_at).rows
        assert shown.height > 0 and shown["_commit_version"].min() > enabled_at
    assert_keys_unique(lake)

    latest = lake.delta("papers").version()
    beyond = changes_cli(lake, "papers", "--since-version", str(latest + 1))
    assert beyond.exit_code == 2 and f"table 'papers' is at version {latest}" in beyond.stderr
    until = changes_cli(lake, "papers", "--since-version", str(latest), "--until-version", str(latest + 5))
    assert until.exit_code == 2 and f"there is no version {latest + 5}" in until.stderr
    other = changes_cli(lake, "snapshots", "--since-version", "0")
    assert other.exit_code == 2 and "table 'snapshots' keeps no change feed; the tables that do are: papers, sightings" in other.stderr
    unknown = changes_cli(lake, "paper", "--since-version", "0")
    assert unknown.exit_code == 2 and "no table 'paper'; the lake's tables are:" in unknown.stderr
    for result in (no_feed, early, beyond, until, other, unknown):
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
