"""Issue 8.1: runs killed with SIGKILL at many points of an ingest lose nothing and double nothing.

A base lake holds one day of every feed. For each kill point, a copy of it gets the next day in a
child process that is SIGKILLed there: while fetching, while parsing, before a commit, after one,
and after a commit's data files are written but before the commit itself (every commit of the
run: so also between the commits of two tables); more kills land at random moments. After each kill every table must read exactly as the uninterrupted run's table
did at the same version (a committed state, nothing half-written), and the next run must complete
the day to exactly the uninterrupted run's tables (counts equal distinct keys).
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lake.schemas import TABLES
from lake.store import Lake
from tests.reliability.conftest import (
    SAMPLES,
    assert_keys_distinct,
    assert_same_content,
    comparable,
    content_of,
    copy_lake,
    day_run,
    uncommitted_files,
)

pytestmark = pytest.mark.slow

BASE_DAY, KILL_DAY = "2024-03-11", "2024-03-12"
RANDOM_KILLS = {"live": 1, "archive": 3}


def live_run(lake_uri: str) -> dict:
    """hf_daily and arxiv fetched from the replay server: fetch, parse, write, per feed."""
    return {"kind": "daily", "lake": lake_uri, "day": KILL_DAY, "feeds": ["hf_daily", "arxiv"]}


def archive_run(lake_uri: str) -> dict:
    """The day's saved page copy through `paperlake ingest`'s flow."""
    return {"kind": "ingest", "lake": lake_uri, "paths": [str(SAMPLES / "pages" / f"{KILL_DAY}.txt")], "date": KILL_DAY}


SCENARIOS = {"live": live_run, "archive": archive_run}


@dataclass
class Reference:
    """The uninterrupted run of a scenario: its lake, its commits in order, how long it took."""

    lake: Lake
    commits: list[dict]
    seconds: float
    content: dict = field(default_factory=dict)


@dataclass
class Kill:
    scenario: str
    point: str  # e.g. "before commit 3 (papers merge)"
    plan: dict | None = None  # a kill point inside the child
    delay_seconds: float | None = None  # or a SIGKILL from outside after this long


@pytest.fixture(scope="module")
def base_lake(worker, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "base"
    exits = worker.run([day_run(str(path), BASE_DAY)])
    assert [e["code"] for e in exits] == [0]
    return path


@pytest.fixture(scope="module")
def references(worker, base_lake, tmp_path_factory) -> dict[str, Reference]:
    import json

    folder = tmp_path_factory.mktemp("references")
    found = {}
    for name, run in SCENARIOS.items():
        lake = copy_lake(base_lake, folder / name)
        trace = folder / f"{name}.jsonl"
        started = time.monotonic()
        exits = worker.run([run(lake.uri)], trace=trace)
        assert [e["code"] for e in exits] == [0], f"the uninterrupted {name} run failed; see the worker log"
        commits = [json.loads(line) for line in trace.read_text().splitlines()]
        found[name] = Reference(lake, commits, time.monotonic() - started, content_of(lake))
    return found


def kills_for(name: str, reference: Reference, rng: random.Random) -> list[Kill]:
    """While the data files of a commit are written, before a commit, after the last one, while
    fetching and parsing, and at random moments. The live run's second feed repeats its first
    feed's commits, so only its first four are killed one by one."""
    kills = []
    for commit in reference.commits[:4]:
        label = f"commit {commit['n']} ({commit['table']} {commit['op']})"
        kills.append(Kill(name, f"data files of {label} written", {"at": "commit", "n": commit["n"], "when": "files"}))
        if name == "archive" and commit["n"] > 1:
            kills.append(Kill(name, f"before {label}", {"at": "commit", "n": commit["n"], "when": "before"}))
    last = reference.commits[-1]
    kills.append(Kill(name, f"after commit {last['n']} ({last['table']} {last['op']})", {"at": "commit", "n": last["n"], "when": "after"}))
    kills.append(Kill(name, "while parsing the first payload", {"at": "parse", "n": 1}))
    if name == "live":
        kills.append(Kill(name, "while fetching (hf_daily answered, arxiv not yet)", {"at": "fetch", "n": 1}))
        second = reference.commits[4]
        kills.append(Kill(name, f"between the feeds: before commit {second['n']} ({second['table']} {second['op']})",
                          {"at": "commit", "n": second["n"], "when": "before"}))
        kills.append(Kill(name, "while parsing the second feed", {"at": "parse", "n": 2}))
    for _ in range(RANDOM_KILLS[name]):
        delay = round(rng.uniform(0.1, 0.9) * reference.seconds, 2)
        kills.append(Kill(name, f"at random, {delay} s in", delay_seconds=delay))
    return kills


def kill_later(pid: int, delay_seconds: float) -> None:
    def kill() -> None:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it finished first

    threading.Timer(delay_seconds, kill).start()


def assert_committed_state(lake: Lake, reference: Reference) -> None:
    """Every table reads, and reads exactly as the uninterrupted run's table at the same version."""
    killed = content_of(lake)
    for name, spec in TABLES.items():
        version = lake.delta(name).version()
        then = reference.lake.read(name, as_of=version)
        expected = comparable(name, then)
        assert killed[name].equals(expected), f"{name} at version {version} differs from the uninterrupted run's version {version}"


def test_kills_at_many_points_lose_and_double_nothing(worker, base_lake, references, tmp_path):
    rng = random.Random(8)
    kills = [kill for name, reference in references.items() for kill in kills_for(name, reference, rng)]
    survived: Counter[str] = Counter()
    uncommitted_seen = 0
    # Two kills at a time, each in its own lake: the machine's two cores, half the wall time.
    for index in range(0, len(kills), 2):
        pair = kills[index : index + 2]
        lakes = [copy_lake(base_lake, tmp_path / f"lake-{index + k}") for k in range(len(pair))]
        runs = [{**SCENARIOS[kill.scenario](lake.uri), "kill": kill.plan} for kill, lake in zip(pair, lakes)]
        pids = worker.start(runs)
        for kill, pid in zip(pair, pids):
            if kill.delay_seconds is not None:
                kill_later(pid, kill.delay_seconds)
        exits = worker.wait()

        for kill, lake, exit in zip(pair, lakes, exits):
            if kill.plan is not None:
                assert exit["signal"] == signal.SIGKILL, f"{kill.point}: the kill point was not reached ({exit})"
            if exit["signal"] != signal.SIGKILL:
                continue  # a random kill that came after the run had finished: not a kill
            reference = references[kill.scenario]
            assert_committed_state(lake, reference)
            assert_keys_distinct(lake)
            if any(uncommitted_files(Path(lake.uri) / name) for name in TABLES):
                uncommitted_seen += 1
            survived["at random" if kill.delay_seconds is not None else kill.point] += 1

        recovery = worker.run([SCENARIOS[kill.scenario](lake.uri) for kill, lake in zip(pair, lakes)])
        assert [e["code"] for e in recovery] == [0] * len(pair), f"the run after {[k.point for k in pair]} failed"
        for kill, lake in zip(pair, lakes):
            assert_same_content(lake, references[kill.scenario].content)
            counts = assert_keys_distinct(lake)
            expected = {name: frame.height for name, frame in references[kill.scenario].content.items()}
            # the word index's rows include markers a rerun may add; what it indexes was compared just above
            assert {k: v for k, v in counts.items() if k != "search_words"} == {k: v for k, v in expected.items() if k != "search_words"}

    total = sum(survived.values())
    print("\nuninterrupted runs: " + ", ".join(f"{name} {ref.seconds:.1f} s, {len(ref.commits)} commits" for name, ref in references.items()))
    print(f"kills survived: {total} ({uncommitted_seen} with data files written but not committed)")
    for point, count in sorted(survived.items()):
        print(f"  {count} x {point}")
    assert total >= 20
    # The point of the "files" kills: some really did leave written, uncommitted files behind.
    assert uncommitted_seen >= 3
