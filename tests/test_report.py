"""`paperlake report` drawn by a real browser: headless Chromium over the DevTools protocol.

The protocol (not --dump-dom) is what lets the test see script errors and console errors, block
every network request (the page must draw offline), and take the screenshot. The screenshot is
saved next to the test output, in test-output/ at the repository root.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lake.queries import Window
from paperlake.report import write_report
from tests.explore_scenario import day, write_scenario

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-output"
CHART_IDS = ["papers-per-day", "new-vs-returning", "days-on-list", "top-papers", "upvotes", "quarantine"]
GENERATED_AT = datetime(2024, 3, 8, 9, 30, tzinfo=timezone.utc)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install -y chromium)"),
]

# Read in the page once every chart has drawn: what each chart element holds.
CHART_PROBE = """
(async () => {
  const ids = %s;
  const deadline = Date.now() + 10000;
  const drawn = () => ids.every(id => { const el = document.getElementById(id); return el && el._fullLayout; });
  while (!drawn() && Date.now() < deadline) { await new Promise(r => setTimeout(r, 50)); }
  const out = {};
  for (const id of ids) {
    const el = document.getElementById(id);
    out[id] = el ? {
      plotted: !!el._fullLayout,
      svgs: el.querySelectorAll('svg.main-svg').length,
      // bars a person can see: drawn with a real width and height
      bars: Array.from(el.querySelectorAll('.barlayer .point path')).filter(p => {
        const box = p.getBoundingClientRect(); return box.width > 1 && box.height > 1; }).length,
      lines: el.querySelectorAll('.scatterlayer .trace').length,
      xtitle: (el.querySelector('.g-xtitle') || {}).textContent || '',
      ytitle: (el.querySelector('.g-ytitle') || {}).textContent || '',
      xticks: Array.from(el.querySelectorAll('.xtick text')).map(t => t.textContent),
      // top to bottom, as a person reads them (the DOM order is the axis's category order)
      ylabels: Array.from(el.querySelectorAll('.ytick text'))
        .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top).map(t => t.textContent),
      legend: Array.from(el.querySelectorAll('.legendtext')).map(t => t.textContent),
      text: el.textContent,
      height: el.getBoundingClientRect().height,
    } : null;
  }
  return JSON.stringify(out);
})()
"""


class DevTools:
    """The smallest DevTools-protocol client the test needs: send a command, collect events."""

    def __init__(self, ws_url: str):
        from websockets.sync.client import connect

        self.socket = connect(ws_url, max_size=None, open_timeout=20)
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, timeout: float = 30, **params) -> dict:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for message in self.events:
                if message.get("method") == event:
                    return message
            self.events.append(json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic()))))

    def close(self) -> None:
        self.socket.close()


def _start_chromium(profile: Path) -> tuple[subprocess.Popen, int]:
    browser = subprocess.Popen(
        [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
            "--remote-debugging-port=0", "--remote-allow-origins=*", "--window-size=1280,900", "about:blank",
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while not (port_file.exists() and port_file.read_text().strip()):
        if browser.poll() is not None or time.monotonic() > deadline:
            browser.kill()
            raise RuntimeError("chromium did not start its DevTools endpoint")
        time.sleep(0.05)
    return browser, int(port_file.read_text().splitlines()[0])


def render(page: Path, profile: Path, screenshot: Path) -> dict:
    """Open `page` offline in headless Chromium; return its chart probe, errors and requests."""
    browser, port = _start_chromium(profile)
    try:
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        tab = DevTools(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log", "Network"):
            tab.call(f"{domain}.enable")
        tab.call("Network.setBlockedURLs", urls=["http://*", "https://*", "ws://*", "wss://*"])
        tab.call("Page.navigate", url=page.as_uri())
        tab.wait_for("Page.loadEventFired")
        probe = tab.call("Runtime.evaluate", expression=CHART_PROBE % json.dumps(CHART_IDS), awaitPromise=True, returnByValue=True)
        charts = json.loads(probe["result"]["value"])
        shot = tab.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        tab.close()
    finally:
        browser.terminate()
        browser.wait(timeout=20)
    return {
        "charts": charts,
        "exceptions": [e["params"]["exceptionDetails"] for e in tab.events if e.get("method") == "Runtime.exceptionThrown"],
        "console_errors": [
            e["params"] for e in tab.events
            if (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")
            or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
        ],
        "requests": [e["params"]["request"]["url"] for e in tab.events if e.get("method") == "Network.requestWillBeSent"],
    }


def _keep(screenshot: Path, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(screenshot, ARTIFACTS / name)


def _assert_drew_offline(result: dict, page: Path) -> dict:
    assert result["exceptions"] == [], result["exceptions"]
    assert result["console_errors"] == [], result["console_errors"]
    assert all(url.startswith("file://") for url in result["requests"]), result["requests"]
    charts = result["charts"]
    for chart_id in CHART_IDS:
        chart = charts[chart_id]
        assert chart and chart["plotted"] and chart["svgs"] >= 1 and chart["height"] > 200, (chart_id, chart)
    html = page.read_text(encoding="utf-8")
    assert "<script src" not in html and "cdn." not in html.split("<script>")[0]
    return charts


def test_report_draws_every_chart_offline_with_labelled_date_axes(lake, tmp_path):
    write_scenario(lake)
    page = tmp_path / "report.html"
    write_report(lake, page, Window(), 10, GENERATED_AT)
    result = render(page, tmp_path / "profile", tmp_path / "report.png")
    _keep(tmp_path / "report.png", "report.png")
    charts = _assert_drew_offline(result, page)

    # 12 (day, feed) pairs over 7 days; dates as dates on the axis, with a year.
    assert charts["papers-per-day"]["bars"] == 12
    assert charts["papers-per-day"]["xtitle"] == "snapshot date" and charts["papers-per-day"]["ytitle"] == "papers listed"
    assert "Mar 1" in charts["papers-per-day"]["xticks"][0] and "2024" in charts["papers-per-day"]["xticks"][0]
    assert sorted(charts["papers-per-day"]["legend"]) == ["archive", "arxiv", "hf_daily"]
    # new: days 1, 2 (two), 3, 7 = 4 bars; returning on days 2..7 = 6 bars.
    assert charts["new-vs-returning"]["bars"] == 10
    # papers stayed 1, 2, 3 or 7 days.
    assert charts["days-on-list"]["bars"] == 4 and charts["days-on-list"]["ylabels"] == ["2", "1", "0"]
    assert charts["top-papers"]["bars"] == 5
    assert charts["top-papers"]["ylabels"] == [
        "Sparse Mixture Routing at Scale", "Counting Cats in Satellite Images", "Sparse Routing for Tiny Transformers",
        "Proof Search with Small Models", "Grid-Free Neural Fields for Weather Maps",
    ]
    # upvote lines for the three hf_daily papers, in the top papers' order.
    assert charts["upvotes"]["lines"] == 3 and charts["upvotes"]["ytitle"] == "upvotes"
    assert charts["upvotes"]["legend"] == ["Sparse Mixture Routing at Scale", "Counting Cats in Satellite Images", "Proof Search with Small Models"]
    assert charts["quarantine"]["bars"] == 2 and charts["quarantine"]["ylabels"] == ["title_not_null", "arxiv_version_positive"]
    assert "snapshots of 2024-03-01 to 2024-03-07" in page.read_text(encoding="utf-8")


def test_report_of_a_lake_without_a_quarantine_table_still_draws_and_says_so(lake, tmp_path):
    write_scenario(lake, days=range(1, 3), quarantined=False)
    shutil.rmtree(lake.table_uri("quarantine"))  # a lake from before the quarantine table existed
    page = tmp_path / "report.html"
    write_report(lake, page, Window(since_date=day(2), feed=None), 10, GENERATED_AT)
    result = render(page, tmp_path / "profile", tmp_path / "report-empty.png")
    _keep(tmp_path / "report-empty.png", "report-empty.png")
    charts = _assert_drew_offline(result, page)
    assert "no quarantined rows" in charts["quarantine"]["text"]
    assert charts["papers-per-day"]["bars"] == 3  # day 2: hf_daily, arxiv, archive
    assert charts["upvotes"]["lines"] == 1  # 2403.00001 had 9 upvotes on day 2
