"""The lake on object storage: `PAPERLAKE_LAKE=s3://bucket/prefix` against an S3-compatible server
on 127.0.0.1 (moto's server mode), for every command; credentials from the standard AWS variables,
from `--storage-option` pairs or from a Prefect Secret block; and the concurrent runs of
test_concurrency.py against it, which rely on S3 conditional writes.
"""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from lake import storage
from lake.store import Lake
from paperlake.cli import app
from tests.reliability.conftest import SAMPLES, assert_keys_distinct, worker_env
from tests.reliability.ingest_worker import Worker
from tests.reliability.test_concurrency import four_days_at_once, same_day_twice_at_once

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

runner = CliRunner()
DAY = "2024-03-11"


@pytest.fixture
def s3_env(object_store, replay_url, monkeypatch, tmp_path):
    """The AWS variables of the test server, the replay feeds, docs in a temp folder."""
    for name, value in object_store.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PAPERLAKE_HF_URL", replay_url)
    monkeypatch.setenv("PAPERLAKE_ARXIV_URL", replay_url)
    monkeypatch.setenv("PAPERLAKE_ARXIV_MIN_INTERVAL_SECONDS", "0")
    monkeypatch.setenv("PAPERLAKE_DOCS", str(tmp_path / "docs"))
    monkeypatch.chdir(tmp_path)
    return object_store


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"paperlake {' '.join(args)} -> {result.exit_code}\n{result.output}"
    return result.output


def test_every_command_works_on_an_s3_lake(s3_env, monkeypatch, tmp_path):
    uri = s3_env.uri("every-command/lake")
    monkeypatch.setenv("PAPERLAKE_LAKE", uri)

    invoke("ingest", str(SAMPLES / "pages"))
    invoke("run", "--date", DAY)
    invoke("backfill", "--start", "2024-03-12", "--end", "2024-03-13", "--batch-days", "2")
    invoke("reparse", "--feed", "archive")

    lake = Lake(uri)
    counts = assert_keys_distinct(lake)
    assert counts["snapshots"] == 3 + 3 + 2 * 3  # three page copies; hf_daily one payload a day, arXiv two, on three days
    assert "snapshots" in invoke("tables") and str(counts["papers"]) in invoke("tables")
    papers_json = json.loads(invoke("query", "select count(*) as n from papers", "-f", "json"))
    assert papers_json == [{"n": counts["papers"]}]
    paper_id = lake.read("sightings").filter(pl.col("feed") == "hf_daily")["paper_id"][0]
    assert paper_id in invoke("show", paper_id)
    assert json.loads(invoke("papers", "--since", "2024-03-11", "-f", "json"))
    assert json.loads(invoke("new", "--since", "2024-03-13", "-f", "json")) is not None
    assert json.loads(invoke("trending", "--until", "2024-03-13", "-f", "json"))
    assert json.loads(invoke("history", "sightings", "-f", "json"))
    invoke("quarantine", "-f", "json")
    runner_result = runner.invoke(app, ["validate"])
    assert runner_result.exit_code in (0, 1) and "sightings" in runner_result.output  # 1 = rules broken, still ran
    invoke("dupes", "-f", "json")
    invoke("report", "--out", str(tmp_path / "report.html"))
    assert (tmp_path / "report.html").stat().st_size > 100_000
    invoke("maintain", "--retention-days", "0")
    assert assert_keys_distinct(lake) == counts  # the same rows after compaction and vacuum
    keys = s3_env.objects("every-command/lake/")
    assert any(key.startswith("every-command/lake/papers/_delta_log/") for key in keys)


def test_storage_options_on_the_command_line_instead_of_the_environment(s3_env, monkeypatch):
    pairs = []
    for name, value in s3_env.env().items():
        monkeypatch.delenv(name)
        pairs += ["--storage-option", f"{name}={value}"]
    uri = s3_env.uri("options/lake")

    invoke(*pairs, "ingest", str(SAMPLES / "pages" / "2024-03-11.txt"), "--lake", uri)
    assert "papers" in invoke(*pairs, "tables", "--lake", uri)
    assert json.loads(invoke(*pairs, "query", "select count(*) as n from sightings", "--lake", uri, "-f", "json"))[0]["n"] > 0
    assert s3_env.objects("options/lake/snapshots/_delta_log/")


def test_keys_from_a_prefect_secret_block(s3_env, monkeypatch):
    from prefect.blocks.system import Secret

    Secret(value={"AWS_ACCESS_KEY_ID": s3_env.access_key_id, "AWS_SECRET_ACCESS_KEY": s3_env.secret_access_key}).save(
        "paperlake-test-storage", overwrite=True
    )
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv(storage.SECRET_BLOCK_ENV, "paperlake-test-storage")
    uri = s3_env.uri("secret-block/lake")

    assert storage.options_for(uri)["AWS_SECRET_ACCESS_KEY"] == s3_env.secret_access_key
    invoke("ingest", str(SAMPLES / "pages" / "2024-03-12.txt"), "--lake", uri)
    assert Lake(uri).read("sightings").height > 0


def test_commits_use_conditional_writes_and_unsafe_rename_is_refused(s3_env, monkeypatch):
    uri = s3_env.uri("safety/lake")
    assert Lake(uri).storage_options["AWS_CONDITIONAL_PUT"] == "etag"
    assert Lake("/tmp/local-lake").storage_options is None  # nothing to say for a folder

    monkeypatch.setenv("AWS_S3_ALLOW_UNSAFE_RENAME", "true")
    with pytest.raises(storage.StorageOptionError, match="AWS_S3_ALLOW_UNSAFE_RENAME=true lets two runs overwrite"):
        Lake(uri)


@pytest.fixture(scope="module")
def s3_worker(prefect_harness, replay_url, object_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("s3-worker")
    the_worker = Worker(worker_env(replay_url, folder / "docs", **object_store.env()), folder / "worker.log")
    yield the_worker
    the_worker.close()


def s3_lakes(object_store, prefix: str):
    return (lambda name: object_store.uri(f"{prefix}/{name}")), Lake


def test_four_processes_ingesting_different_days_into_s3_equal_a_serial_run(s3_worker, s3_env, tmp_path):
    new_lake_uri, open_lake = s3_lakes(s3_env, "four-days")
    conflict_count = four_days_at_once(s3_worker, new_lake_uri, open_lake, tmp_path)
    print(f"\nS3: 4 concurrent runs landed; {conflict_count} conflicting commit attempts redone")


def test_two_processes_ingesting_the_same_day_into_s3_land_it_once(s3_worker, s3_env, tmp_path):
    new_lake_uri, open_lake = s3_lakes(s3_env, "same-day")
    # One round: each round is the same race (a dozen conflicts apiece), and the local test runs two.
    conflict_count = same_day_twice_at_once(s3_worker, new_lake_uri, open_lake, DAY, tmp_path, rounds=1)
    print(f"\nS3: two runs of one day at once landed once; {conflict_count} conflicting commit attempts redone")
