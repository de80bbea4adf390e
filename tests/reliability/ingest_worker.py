"""A forking worker that runs real ingests in child processes, for the kill and concurrency tests.

Each Python process that runs a flow would pay 5-10 s of imports (Prefect, Great Expectations,
no .pyc cache here) before touching the lake: too slow for dozens of kills. So this worker
imports everything once and forks one child per run; a child is a real process that the test
(or a kill point below) ends with SIGKILL.

    python -m tests.reliability.ingest_worker     # cwd: the repo root; PREFECT_API_URL set

Protocol: one JSON job per line on stdin, `{"runs": [RUN, ...], "kill": KILL | null, "trace": PATH | null}`.
The worker forks a child per RUN at once (several runs = concurrent processes), prints
`{"pids": [...]}`, then `{"exits": [{"pid", "code", "signal"}, ...]}` when all have ended.
A RUN may carry its own "kill" and "trace", which win over the job's. With "barrier"
({"folder", "parties"}), the runs wait for each other before each commit (see Barrier).

RUN  {"kind": "ingest", "lake": URI, "paths": [...], "date": "YYYY-MM-DD" | null}
     {"kind": "daily", "lake": URI, "day": "YYYY-MM-DD", "feeds": ["hf_daily", "arxiv"]}
     {"kind": "day", "lake": URI, "day": ..., "feeds": [...], "paths": [...]}  (daily, then ingest)
KILL {"at": "commit", "n": N, "when": "before" | "after" | "files"}   the Nth lake commit of the run:
         before it starts, after it landed, or as soon as its first data file appears (written,
         not committed)
     {"at": "parse", "n": N}   as the Nth payload starts being parsed
     {"at": "fetch", "n": N}   after the Nth HTTP response was read, before the day is fetched whole

Kill points are installed in the child only, by wrapping the deltalake calls lake/writes.py and lake/*_writes.py make
(write_deltalake, TableMerger.execute, DeltaTable.create): the production code has no test hooks.
Children also skip rendering Great Expectations Data Docs (a third of a run's time, spent after
the last lake commit, so it changes nothing the tests check): they write a stub index instead.
With "trace", the child writes one JSON line per commit ({"n", "table", "op"}) to that file, and
one with "conflict": true per commit attempt that lost to a concurrent commit (and was redone).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from datetime import date
from pathlib import Path

from deltalake.exceptions import CommitFailedError

REPO = Path(__file__).resolve().parents[2]


# --- the child's kill points ---


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _data_files(table_dir: str) -> set[str]:
    found = set()
    for root, dirs, files in os.walk(table_dir):
        dirs[:] = [d for d in dirs if d != "_delta_log"]
        found.update(os.path.join(root, f) for f in files)
    return found


def _kill_on_new_file(table_dir: str) -> None:
    """SIGKILL this process the moment a new data file shows up in `table_dir` (deltalake writes
    the data files first and the commit last, with the GIL released, so this thread runs meanwhile)."""
    before = _data_files(table_dir)

    def watch() -> None:
        while True:
            if _data_files(table_dir) - before:
                _die()
            time.sleep(0.0002)

    threading.Thread(target=watch, daemon=True).start()


class Barrier:
    """Holds concurrent runs at each commit until all have reached it, so they really race.

    Without it, runs started together drift apart (Prefect calls, parsing) and seldom commit at
    the same moment; with it, each checks what the table holds and then all commit at once.
    A commit is known by table, operation and how many such commits already landed, so a
    commit redone after a conflict does not wait again.

    Runs whose commits differ (the loser of a race finds the day landed and skips a commit) would
    wait for each other in vain: so each run says where it is (`state.PID`: a key it waits at,
    "running" or "done"), and a run stops waiting as soon as every run that is not at its key is
    waiting at another key or done. Waiting longer could not bring them to the same commit; before
    this, each such wait cost `timeout` seconds (a minute and more per test). `timeout` is left
    for a run still working towards its next commit.
    """

    def __init__(self, folder: str, parties: int, timeout: float = 5.0):
        self.folder, self.parties, self.timeout = Path(folder), parties, timeout
        self.landed: dict[tuple[str, str], int] = {}
        self.waited: set[str] = set()
        self.pid = str(os.getpid())

    def wait(self, table: str, op: str) -> None:
        key = f"{table}.{op}.{self.landed.get((table, op), 0)}"
        if key in self.waited:
            return
        self.waited.add(key)
        (self.folder / f"{key}.{self.pid}").touch()
        self._say(key)
        deadline = time.monotonic() + self.timeout
        while not self._nobody_else_coming(key) and time.monotonic() < deadline:
            time.sleep(0.005)
        self._say("running")

    def _nobody_else_coming(self, key: str) -> bool:
        arrived = {path.name.rsplit(".", 1)[1] for path in self.folder.glob(f"{key}.*")}
        if len(arrived) >= self.parties:
            return True
        states = {path.name.split(".", 1)[1]: path.read_text() for path in self.folder.glob("state.*")}
        if len(states) < self.parties:
            return False  # a run that has not reached its first commit yet
        return all(state != "running" for pid, state in states.items() if pid not in arrived)

    def _say(self, state: str) -> None:
        scratch = self.folder / f".state.{self.pid}"
        scratch.write_text(state)
        scratch.replace(self.folder / f"state.{self.pid}")  # atomic: a reader never sees half a state

    def finished(self) -> None:
        self._say("done")

    def landed_one(self, table: str, op: str) -> None:
        self.landed[(table, op)] = self.landed.get((table, op), 0) + 1


class CommitPoints:
    """Counts the lake commits of a run and applies the KILL at the chosen one."""

    def __init__(self, kill: dict | None, trace: str | None, barrier: Barrier | None = None):
        self.kill = kill if kill and kill["at"] == "commit" else None
        self.trace, self.barrier = trace, barrier
        self.count = 0

    def around(self, table_uri: str, op: str, call):
        self.count += 1
        n, table = self.count, table_uri.rstrip("/").rsplit("/", 1)[-1]
        if self.barrier and op != "create":  # a run creates a table only if no other run did first
            self.barrier.wait(table, op)
        when = self.kill["when"] if self.kill and self.kill["n"] == n else None
        if when == "before":
            _die()
        if when == "files":
            _kill_on_new_file(table_uri.removeprefix("file://"))
        try:
            result = call()
        except CommitFailedError:  # a concurrent commit won; lake/writes.py redoes the write
            self._trace({"n": n, "table": table, "op": op, "conflict": True})
            raise
        if when in ("after", "files"):  # "files" reaching here: the commit wrote no data file
            _die()
        if self.barrier:
            self.barrier.landed_one(table, op)
        self._trace({"n": n, "table": table, "op": op})
        return result

    def _trace(self, entry: dict) -> None:
        if self.trace:
            with open(self.trace, "a") as out:
                out.write(json.dumps(entry) + "\n")


def _stub_data_docs(results, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    index = folder / "index.html"
    index.write_text(f"<p>{len(results)} validation results (Data Docs not rendered by the test worker)</p>")
    return index


def install_kill_points(kill: dict | None, trace: str | None, barrier: dict | None = None) -> CommitPoints:
    import deltalake
    from deltalake.table import TableMerger

    import expectations.docs
    import flows.load_steps
    import feeds.http
    from lake import quarantine_writes, sighting_writes, writes

    expectations.docs.build_data_docs = _stub_data_docs

    points = CommitPoints(kill, trace, Barrier(**barrier) if barrier else None)
    write_deltalake, execute, create = writes.write_deltalake, TableMerger.execute, deltalake.DeltaTable.create.__func__

    def hooked_write(table_or_uri, *args, **kwargs):
        uri = table_or_uri if isinstance(table_or_uri, str) else table_or_uri.table_uri
        return points.around(uri, "write", lambda: write_deltalake(table_or_uri, *args, **kwargs))

    def hooked_execute(self):
        return points.around(self._table.table_uri(), "merge", lambda: execute(self))

    def hooked_create(cls, table_uri, *args, **kwargs):
        return points.around(table_uri, "create", lambda: create(cls, table_uri, *args, **kwargs))

    for module in (writes, sighting_writes, quarantine_writes):  # each module's own name for it
        module.write_deltalake = hooked_write
    TableMerger.execute = hooked_execute
    deltalake.DeltaTable.create = classmethod(hooked_create)
    if kill and kill["at"] == "parse":
        flows.load_steps.parse_payload = _nth_call(flows.load_steps.parse_payload, kill["n"], before=True)
    if kill and kill["at"] == "fetch":
        feeds.http.HttpClient._read = _nth_call(feeds.http.HttpClient._read, kill["n"], before=False)
    return points


def _nth_call(function, n: int, *, before: bool):
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if before and calls[0] == n:
            _die()
        result = function(*args, **kwargs)
        if not before and calls[0] == n:
            _die()
        return result

    return wrapper


def run_one(run: dict) -> None:
    from flows.daily import daily
    from flows.ingest import ingest_files

    if run["kind"] in ("daily", "day"):
        state = daily(date.fromisoformat(run["day"]), run["feeds"], run["lake"], return_state=True)
        if not state.is_completed():
            raise RuntimeError(f"daily run ended {state.name}: {state.message}")
    if run["kind"] in ("ingest", "day"):
        day = date.fromisoformat(run["date"]) if run.get("date") else None
        ingest_files(run["paths"], run["lake"], day)


def child(run: dict, kill: dict | None, trace: str | None, barrier: dict | None) -> None:
    os.dup2(2, 1)  # the worker's stdout carries the protocol; Prefect's output goes to stderr
    code, points = 0, None
    try:
        points = install_kill_points(kill, trace, barrier)
        run_one(run)
    except BaseException:
        traceback.print_exc()
        code = 1
    if points is not None and points.barrier:
        points.barrier.finished()  # the others stop waiting for this run's commits
    sys.stderr.flush()
    os._exit(code)


def serve() -> None:
    import expectations.docs  # noqa: F401
    import expectations.gate  # noqa: F401  (Great Expectations, the slowest import)
    import flows.daily  # noqa: F401
    import flows.ingest  # noqa: F401
    import feeds.arxiv  # noqa: F401
    import feeds.hf_daily  # noqa: F401

    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    print(json.dumps({"ready": True, "threads": threading.active_count()}), file=protocol)
    for line in sys.stdin:
        job = json.loads(line)
        pids = []
        for run in job["runs"]:
            pid = os.fork()
            if pid == 0:
                child(run, run.get("kill", job.get("kill")), run.get("trace", job.get("trace")), job.get("barrier"))
            pids.append(pid)
        print(json.dumps({"pids": pids}), file=protocol)
        exits = []
        for pid in pids:
            _, status = os.waitpid(pid, 0)
            exits.append({"pid": pid, "code": os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else None,
                          "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None})
        print(json.dumps({"exits": exits}), file=protocol)


# --- the test side ---


class Worker:
    """The worker process as the tests drive it."""

    def __init__(self, env: dict[str, str], log_path: Path, module: str = "tests.reliability.ingest_worker"):
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", module], cwd=REPO, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True, bufsize=1,
        )
        hello = self._read()
        assert hello.get("ready"), hello

    def start(self, runs: list[dict], kill: dict | None = None, trace: Path | None = None, barrier: Path | None = None) -> list[int]:
        job = {"runs": runs, "kill": kill, "trace": str(trace) if trace else None}
        if barrier is not None:
            barrier.mkdir(parents=True, exist_ok=True)
            job["barrier"] = {"folder": str(barrier), "parties": len(runs)}
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        return self._read()["pids"]

    def wait(self) -> list[dict]:
        return self._read()["exits"]

    def run(self, runs: list[dict], kill: dict | None = None, trace: Path | None = None, barrier: Path | None = None) -> list[dict]:
        self.start(runs, kill, trace, barrier)
        return self.wait()

    def _read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the ingest worker exited ({self.process.poll()}); see {self.log.name}")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


if __name__ == "__main__":
    serve()
