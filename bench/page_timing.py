"""How fast a report page draws in headless Chromium: time to the first chart drawn, and to all.

Chromium is driven over the DevTools protocol, as tests/test_report.py does (no Playwright), with
every network request blocked: the page must draw offline. Times are the page's own clock
(`performance.now()`, milliseconds since navigation started), read when the chart elements get
plotly's `_fullLayout`, so the browser's start-up is not counted.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")

# Installed before the page's own scripts run: records when the first chart and the last finished
# drawing (plotly sets `_fullLayout` on a chart's element once drawn).
RECORDER = """
window.__charts = {first: null, all: null};
const __poll = setInterval(() => {
  const charts = Array.from(document.querySelectorAll('[data-chart]')).map(box => document.getElementById(box.dataset.chart)).filter(el => el);
  const drawn = charts.filter(el => el._fullLayout).length;
  if (drawn > 0 && window.__charts.first === null) window.__charts.first = performance.now();
  if (document.readyState === 'complete' && drawn === charts.length) {
    window.__charts.all = performance.now(); window.__charts.count = charts.length; clearInterval(__poll);
  }
}, 5);
"""

PROBE = """
(async () => {
  const deadline = performance.now() + 60000;
  while (!(window.__charts && window.__charts.all) && performance.now() < deadline) { await new Promise(r => setTimeout(r, 20)); }
  const c = window.__charts || {};
  return JSON.stringify({first_chart_ms: c.first, all_charts_ms: c.all, chart_count: c.count || 0});
})()
"""


def chromium() -> str | None:
    return next((path for path in CHROMIUM_PATHS if Path(path).exists()), None) or shutil.which("chromium")


def time_to_charts(page: Path) -> dict:
    """Open `page` offline; {first_chart_ms, all_charts_ms, chart_count, drawn_count, load_event_ms}."""
    binary = chromium()
    if binary is None:
        raise RuntimeError("no Chromium found (apt-get install -y chromium)")
    # Chromium's helper processes may still be writing the profile as the browser exits: a leftover
    # file must not turn a measured page into an error.
    with tempfile.TemporaryDirectory(prefix="paperlake-chromium-", ignore_cleanup_errors=True) as profile:
        browser = _start(binary, Path(profile))
        try:
            return _measure(browser.port, page)
        finally:
            browser.process.terminate()
            browser.process.wait(timeout=20)


class _Browser:
    def __init__(self, process: subprocess.Popen, port: int):
        self.process, self.port = process, port


def _start(binary: str, profile: Path) -> _Browser:
    process = subprocess.Popen(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", "--remote-debugging-port=0", "--remote-allow-origins=*",
         "--window-size=1280,900", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while not (port_file.exists() and port_file.read_text().strip()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("chromium did not start its DevTools endpoint")
        time.sleep(0.05)
    return _Browser(process, int(port_file.read_text().splitlines()[0]))


def _measure(port: int, page: Path) -> dict:
    from websockets.sync.client import connect

    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
    url = next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"]
    with connect(url, max_size=None, open_timeout=20) as socket:
        calls = iter(range(1, 1_000_000))

        def call(method: str, **params) -> dict:
            call_id = next(calls)
            socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
            while True:
                message = json.loads(socket.recv(timeout=120))
                if message.get("id") == call_id:
                    if "error" in message:
                        raise RuntimeError(f"{method}: {message['error']}")
                    return message["result"]

        call("Page.enable")
        call("Network.enable")
        call("Network.setBlockedURLs", urls=["http://*", "https://*", "ws://*", "wss://*"])
        call("Page.addScriptToEvaluateOnNewDocument", source=RECORDER)
        call("Page.navigate", url=page.resolve().as_uri())
        while json.loads(socket.recv(timeout=120)).get("method") != "Page.loadEventFired":
            pass
        probe = call("Runtime.evaluate", expression=PROBE, awaitPromise=True, returnByValue=True)
        figures = json.loads(probe["result"]["value"])
        timing = call("Runtime.evaluate", expression="performance.getEntriesByType('navigation')[0].loadEventEnd", returnByValue=True)
        figures["load_event_ms"] = timing["result"].get("value")
    return figures
