"""Security: what `paperlake query` may touch, hostile XML, response size caps, and secrets.

Each test attacks through the command a user runs and then checks for side effects: files that
must not exist, a lake whose versions must not move, a local server that must get no request,
and, for secrets, every place they could leak to: the command's output, Prefect's database
(logs, artifacts, parameters, events), the lake's files and commit metadata, the Data Docs.
"""

from __future__ import annotations

import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feeds import arxiv
from lake.schemas import TABLES
from lake.store import Lake
from paperlake.cli import app
from paperlake.replay import HF_PATH, Fault, ReplayServer
from tests.reliability.conftest import SAMPLES

pytestmark = pytest.mark.usefixtures("prefect_harness")

runner = CliRunner()
SECRET_TEXT = "paperlake-secret-" + secrets.token_hex(8)


class CountingServer:
    """A local HTTP server that records every request: an attack must not make any."""

    def __init__(self):
        self.paths: list[str] = []
        recorded = self.paths

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                recorded.append(self.path)
                body = f"{SECRET_TEXT}\n".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http_server():
    server = CountingServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def ingested_lake(tmp_path_factory, prefect_harness):
    folder = tmp_path_factory.mktemp("query-lake")
    lake = Lake(str(folder / "lake"))
    result = runner.invoke(app, ["ingest", str(SAMPLES / "pages"), "--lake", lake.uri])
    assert result.exit_code == 0, result.output
    return lake


# --- `paperlake query` cannot write, delete or read files outside the lake ---

WRITES = [
    "copy (select * from papers) to '{out}/stolen.csv'",
    "copy papers to '{out}/stolen.parquet' (format parquet)",
    "export database '{out}/dump'",
    "attach '{out}/evil.duckdb' as evil",
    "create table evil as select * from papers",
    "insert into papers select * from papers",
    "delete from papers",
    "update papers set title = 'owned'",
    "drop table papers",
    "select 1; copy (select 1) to '{out}/second.csv'",
    "select 1; delete from sightings",
    "install httpfs",
    "load httpfs",
    "set enable_external_access = true",
    "reset lock_configuration",
    "create secret evil (type s3, key_id 'x', secret 'y')",
]
READS = [
    "select * from read_text('{secret}')",
    "select * from read_csv('{secret}')",
    "select * from '{secret}'",
    "select * from read_blob('{secret}')",
    "select * from glob('{out}/*')",
    "select * from read_parquet('{lake}/papers/*.parquet')",
    "select * from delta_scan('{lake}/papers')",
    "select * from read_csv('{url}/secret.csv')",
    "with t as (select * from read_text('{secret}')) select * from t",
    "select title from papers where title in (select content from read_text('{secret}'))",
    "select * from sniff_csv('{secret}')",
    "select * from duckdb_secrets()",
]


def lake_versions(lake: Lake) -> dict[str, int]:
    return {name: lake.delta(name).version() for name in TABLES if lake.has_table(name)}


@pytest.mark.parametrize("template", WRITES + READS)
def test_query_cannot_write_delete_or_read_outside_the_lake(ingested_lake, tmp_path, http_server, template):
    out = tmp_path / "out"
    out.mkdir()
    secret_file = tmp_path / "secret.csv"
    secret_file.write_text(f"token\n{SECRET_TEXT}\n")
    versions, counts = lake_versions(ingested_lake), {n: ingested_lake.read(n).height for n in TABLES}
    sql = template.format(out=out, secret=secret_file, lake=ingested_lake.uri, url=http_server.url)

    result = runner.invoke(app, ["query", sql, "--lake", ingested_lake.uri])

    assert result.exit_code == 2, result.output
    assert "error:" in result.output
    assert SECRET_TEXT not in result.output
    assert list(out.iterdir()) == []  # nothing written
    assert http_server.paths == []  # nothing fetched
    assert lake_versions(ingested_lake) == versions  # nothing committed
    assert {n: ingested_lake.read(n).height for n in TABLES} == counts  # nothing deleted


def test_a_plain_select_still_works(ingested_lake):
    result = runner.invoke(app, ["query", "select count(*) as n from papers", "--lake", ingested_lake.uri, "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == str(ingested_lake.read("papers").height)


# --- XML is parsed safely ---

BILLION_LAUGHS = (SAMPLES.parent / "tests" / "data" / "feeds" / "arxiv_billion_laughs.xml").read_bytes()
FEED_OPEN = f'<feed xmlns="{arxiv.ATOM_NS}">'


def hostile_xml(secret_file: Path, url: str) -> dict[str, bytes]:
    entry = "<entry><id>http://arxiv.org/abs/2403.07210v1</id><title>{}</title></entry>"
    return {
        "billion laughs": BILLION_LAUGHS,
        "quadratic blowup": (
            f'<!DOCTYPE feed [<!ENTITY a "{"x" * 50_000}">]>{FEED_OPEN}' + entry.format("&a;" * 50_000) + "</feed>"
        ).encode(),
        "external entity (file)": (
            f'<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file://{secret_file}">]>{FEED_OPEN}' + entry.format("&xxe;") + "</feed>"
        ).encode(),
        "external entity (http)": (
            f'<!DOCTYPE feed [<!ENTITY xxe SYSTEM "{url}/xxe">]>{FEED_OPEN}' + entry.format("&xxe;") + "</feed>"
        ).encode(),
        "external DTD": f'<!DOCTYPE feed SYSTEM "{url}/evil.dtd">{FEED_OPEN}{entry.format("A Title")}</feed>'.encode(),
        "external parameter entity": (
            f'<!DOCTYPE feed [<!ENTITY % p SYSTEM "{url}/p.dtd"> %p;]>{FEED_OPEN}{entry.format("A Title")}</feed>'
        ).encode(),
        "xinclude": (
            f'{FEED_OPEN}<entry xmlns:xi="http://www.w3.org/2001/XInclude"><id>http://arxiv.org/abs/2403.07210v1</id>'
            f'<title><xi:include href="file://{secret_file}" parse="text"/></title></entry></feed>'
        ).encode(),
    }


@pytest.mark.parametrize("attack", ["billion laughs", "quadratic blowup", "external entity (file)", "external entity (http)",
                                    "external DTD", "external parameter entity", "xinclude"])
def test_hostile_xml_is_refused_without_expanding_or_fetching_anything(attack, tmp_path, http_server):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET_TEXT)
    payload = hostile_xml(secret_file, http_server.url)[attack]

    started = time.monotonic()
    result = arxiv.parse(payload, "hostile.xml")

    assert time.monotonic() - started < 2
    assert http_server.paths == []
    assert SECRET_TEXT not in repr(result.rows.to_dicts()) + " ".join(map(str, result.issues))
    if attack == "xinclude":  # no DTD: parsed, but the include stays an element, never fetched or read
        assert result.rows["title"].to_list() in ([], [None])
    else:
        assert result.rows.height == 0
        assert [issue.rule for issue in result.issues] == ["unsafe_xml"]


def test_a_billion_laughs_file_ingests_as_a_failed_snapshot(tmp_path):
    saved = tmp_path / "feeds" / "arxiv-2024-03-12.xml"
    saved.parent.mkdir()
    saved.write_bytes(BILLION_LAUGHS)
    lake = Lake(str(tmp_path / "lake"))

    result = runner.invoke(app, ["ingest", str(saved), "--lake", lake.uri, "--date", "2024-03-12"])

    assert result.exit_code == 1, result.output
    assert "unsafe_xml" in result.output
    snapshot = lake.read("snapshots").row(0, named=True)
    assert (snapshot["format"], snapshot["parse_status"], snapshot["row_count"]) == ("arxiv_atom", "failed", 0)
    assert snapshot["content"] == BILLION_LAUGHS  # the raw payload is kept as it came
    assert lake.read("sightings").height == 0


# --- response sizes are capped ---


@pytest.mark.parametrize("send_length", [True, False], ids=["declared-size", "undeclared-size"])
def test_an_oversized_response_is_refused_at_the_cap(tmp_path, monkeypatch, send_length):
    huge = b"[" + b'{"paper": {"id": "2403.05788", "title": "x"}},' * 20_000 + b"{}]"
    with ReplayServer(SAMPLES, {HF_PATH: [Fault.serve(huge, "application/json", send_length=send_length)]}) as server:
        monkeypatch.setenv("PAPERLAKE_HF_URL", server.base_url)
        monkeypatch.setenv("PAPERLAKE_HTTP_MAX_RESPONSE_BYTES", "100000")
        monkeypatch.setenv("PAPERLAKE_HTTP_MAX_ATTEMPTS", "1")
        monkeypatch.setenv("PAPERLAKE_DOCS", str(tmp_path / "docs"))
        lake = Lake(str(tmp_path / "lake"))

        result = runner.invoke(app, ["run", "--feeds", "hf_daily", "--date", "2024-03-12", "--lake", lake.uri])

    assert result.exit_code == 1, result.output
    assert "response larger than the 100000-byte cap" in result.output
    assert not lake.has_table("snapshots") or lake.read("snapshots").height == 0  # nothing of it was kept


# --- secrets never appear in logs, artifacts or commit metadata ---


def prefect_database_bytes() -> bytes:
    """Everything Prefect's server stored (logs, artifacts, parameters, states, events), as bytes."""
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL

    APILogWorker.drain_all(timeout=10)
    time.sleep(1)  # the server writes what it was sent
    path = Path(PREFECT_SERVER_DATABASE_CONNECTION_URL.value().split(":///", 1)[1])
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def files_bytes(*folders: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file()}


def assert_nowhere(secret_values: list[str], places: dict[str, bytes]) -> None:
    for value in secret_values:
        leaks = [where for where, content in places.items() if value.encode() in content]
        assert not leaks, f"a secret leaked into: {leaks}"


def test_the_api_token_is_sent_but_never_logged_or_stored(tmp_path, monkeypatch):
    token = "hf_" + secrets.token_urlsafe(24)
    faults = {HF_PATH: [Fault.http_status(503, b"busy", retry_after="0"), None]}  # a retry: more log lines
    with ReplayServer(SAMPLES, faults) as server:
        monkeypatch.setenv("PAPERLAKE_HF_URL", server.base_url)
        monkeypatch.setenv("PAPERLAKE_HF_TOKEN", token)
        monkeypatch.setenv("PAPERLAKE_DOCS", str(tmp_path / "docs"))
        lake = Lake(str(tmp_path / "lake"))

        result = runner.invoke(app, ["run", "--feeds", "hf_daily", "--date", "2024-03-12", "--lake", lake.uri])

        sent = [r.headers.get("authorization") for r in server.requests_to(HF_PATH)]
    assert result.exit_code == 0, result.output
    assert sent == [f"Bearer {token}"] * 2  # the token was used, on the retry too
    database = prefect_database_bytes()
    assert server.base_url.encode() in database  # the run's logs did land there: the grep below means something
    assert_nowhere([token], {"output": result.output.encode(), "prefect database": database, **files_bytes(tmp_path)})


def test_the_api_token_can_come_from_a_prefect_secret_block(tmp_path, monkeypatch):
    from prefect.blocks.system import Secret

    from feeds import hf_daily

    token = "hf_" + secrets.token_urlsafe(24)
    Secret(value=token).save("paperlake-test-hf-token", overwrite=True)
    monkeypatch.delenv("PAPERLAKE_HF_TOKEN", raising=False)

    feed = hf_daily.from_env({"PAPERLAKE_HF_TOKEN_SECRET": "paperlake-test-hf-token"})

    assert feed.http.settings.token == token
    assert token not in repr(feed.http.settings)
    feed.close()


def test_object_store_keys_never_reach_logs_artifacts_or_the_lake(object_store, replay_url, tmp_path, monkeypatch):
    for name, value in object_store.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PAPERLAKE_HF_URL", replay_url)
    monkeypatch.setenv("PAPERLAKE_DOCS", str(tmp_path / "docs"))
    uri = object_store.uri("secrets/lake")

    outputs = [
        runner.invoke(app, ["ingest", str(SAMPLES / "pages" / "2024-03-13.txt"), "--lake", uri]),
        runner.invoke(app, ["run", "--feeds", "hf_daily", "--date", "2024-03-13", "--lake", uri]),
        runner.invoke(app, ["history", "papers", "--lake", uri, "-f", "json"]),
        runner.invoke(app, ["tables", "--lake", uri]),
    ]

    assert [r.exit_code for r in outputs] == [0] * len(outputs), [r.output for r in outputs]
    stored = object_store.objects("secrets/lake/")
    assert any("_delta_log/" in key for key in stored)  # commit metadata is among what is grepped
    keys = [object_store.access_key_id, object_store.secret_access_key]
    assert_nowhere(keys, {
        "outputs": "".join(r.output for r in outputs).encode(),
        "prefect database": prefect_database_bytes(),
        **{f"s3://{object_store.bucket}/{key}": body for key, body in stored.items()},
        **files_bytes(tmp_path),
    })
