"""The Data Docs site reads offline: headless Chromium with every http(s) request blocked, as the
report test does. GX's own pages load their CSS and JS from CDNs and draw the index table with
bootstrap-table, so without the rewrite the index shows no validation at all.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from expectations.docs import build_data_docs
from expectations.docs_offline import MARKER
from tests.test_report import CHROMIUM, DevTools, _start_chromium

from .conftest import fixture_rows, gate, papers, sightings

PAGE_PROBE = """
JSON.stringify({
  text: document.body.innerText,
  rows: Array.from(document.querySelectorAll('table.ge-index-page-validation-results-table tbody tr')).map(
    tr => Array.from(tr.cells).map(td => td.innerText.trim())),
  links: Array.from(document.querySelectorAll('table.ge-index-page-validation-results-table a')).map(a => a.getAttribute('href')),
  styled: getComputedStyle(document.querySelector('table') || document.body).borderCollapse,
  height: document.body.scrollHeight,
})
"""


def open_offline(page: Path, profile: Path) -> dict:
    """`page` in headless Chromium with the network off: what it shows, its errors and its requests."""
    browser, port = _start_chromium(profile)
    try:
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        tab = DevTools(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Network"):
            tab.call(f"{domain}.enable")
        tab.call("Network.setBlockedURLs", urls=["http://*", "https://*", "ws://*", "wss://*"])
        tab.call("Page.navigate", url=page.as_uri())
        tab.wait_for("Page.loadEventFired")
        probe = tab.call("Runtime.evaluate", expression=PAGE_PROBE, returnByValue=True)
        shown = json.loads(probe["result"]["value"])
        tab.close()
    finally:
        browser.terminate()
        browser.wait(timeout=20)
    shown["exceptions"] = [e["params"]["exceptionDetails"] for e in tab.events if e.get("method") == "Runtime.exceptionThrown"]
    shown["requests"] = [e["params"]["request"]["url"] for e in tab.events if e.get("method") == "Network.requestWillBeSent"]
    return shown


def test_pages_lose_their_cdn_assets_and_the_index_table_is_html(tmp_path):
    index = build_data_docs([gate("sightings", sightings(fixture_rows("arxiv_version_suffix.json")), feed="arxiv")], tmp_path)
    page = index.read_text(encoding="utf-8")
    assert MARKER in page and "cdn.jsdelivr.net" not in page and "unpkg.com" not in page and "<script src=" not in page
    assert "<tbody><tr" in page and "arxiv-2024-03-11" in page.split("<tbody>")[1]  # the rows are in the HTML
    build_data_docs([], tmp_path)  # a later build rewrites its fresh pages once, and leaves the others
    assert all(p.read_text(encoding="utf-8").count(MARKER) == 1 for p in tmp_path.rglob("*.html"))


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install -y chromium)")
def test_the_data_docs_render_in_a_browser_without_network(tmp_path):
    clean = gate("sightings", sightings(fixture_rows("clean_rows.json")))
    held = gate("sightings", sightings(fixture_rows("arxiv_version_suffix.json")), feed="arxiv")
    index = build_data_docs([clean, held, gate("papers", papers())], tmp_path / "validation")

    shown = open_offline(index, tmp_path / "profile")

    assert shown["exceptions"] == [] and all(url.startswith("file://") for url in shown["requests"]), shown["requests"]
    assert shown["styled"] == "collapse"  # the inline stylesheet applies
    statuses = sorted((row[0].split()[-1], row[4]) for row in shown["rows"])
    assert statuses == [("Failed", "arxiv-2024-03-11"), ("Success", "hf_daily-2024-03-11"), ("Success", "hf_daily-2024-03-11")]
    failed_page = next(link for link in shown["links"] if "arxiv-2024-03-11" in link)
    detail = open_offline(index.parent / failed_page, tmp_path / "profile2")
    assert detail["exceptions"] == [] and all(url.startswith("file://") for url in detail["requests"])
    assert "arxiv_id_format" in detail["text"] or "arxiv_id" in detail["text"]
    assert detail["height"] > 500


def test_each_lake_has_its_own_site(tmp_path, monkeypatch):
    from paperlake.config import validation_docs_dir

    monkeypatch.delenv("PAPERLAKE_DOCS", raising=False)
    sites = {validation_docs_dir(str(tmp_path / name)) for name in ("lake", "lake2", "archive-lake")}
    assert sites == {str(tmp_path / "validation"), str(tmp_path / "lake2-validation"), str(tmp_path / "archive-lake-validation")}
