"""Issue 8.2: concurrent runs into one lake.

Four processes ingesting four different days at once all land, and the tables equal a serial run
(the days share papers, so every papers MERGE races with the others and days_seen must still
count all four). Two processes ingesting the same day at once land it exactly once.

The runs wait for each other before each commit (the worker's barrier), so they check the lake
and then commit at the same moment: without that they drift apart and seldom race at all. With
it, and without the guard on appends, every round of the same-day test doubled the day.

The same checks run against S3 in test_s3.py: the helpers here take the lake's URI.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import pytest

from lake.store import Lake
from tests.conftest import write_page
from tests.reliability.conftest import assert_keys_distinct, assert_same_content, content_of, day_run

pytestmark = pytest.mark.slow

FIRST_DAY = date(2024, 4, 1)
PROCESS_COUNT = 4
SHARED_TITLES = [f"Shared Results on Sparse Routing, Part {k}" for k in range(6)]
SAME_DAY_ROUNDS = 2


def four_day_pages(folder: Path) -> list[tuple[date, Path]]:
    """Four page copies of four days: six papers on every day, three on two days, three on one."""
    pages = []
    for i in range(PROCESS_COUNT):
        day = FIRST_DAY + timedelta(days=i)
        pair = [f"Paired Study {j} of Mixture Models" for j in (i, (i + 1) % PROCESS_COUNT)]
        titles = SHARED_TITLES + pair + [f"Unique Contribution {i}-{k} to Retrieval" for k in range(3)]
        pages.append((day, write_page(folder / f"{day}.txt", titles, date_line=day.strftime("%b %d"))))
    return pages


def ingest_run(lake_uri: str, day: date, page: Path) -> dict:
    return {"kind": "ingest", "lake": lake_uri, "paths": [str(page)], "date": day.isoformat()}


def conflicts_in(trace: Path) -> int:
    if not trace.exists():
        return 0
    return sum(1 for line in trace.read_text().splitlines() if json.loads(line).get("conflict"))


def four_days_at_once(worker, new_lake_uri: Callable[[str], str], open_lake: Callable[[str], Lake], folder: Path) -> int:
    """The four-process check; returns how many commit attempts conflicted and were redone."""
    pages = four_day_pages(folder / "pages")
    serial = new_lake_uri("serial")
    for day, page in pages:
        assert [e["code"] for e in worker.run([ingest_run(serial, day, page)])] == [0]
    expected = content_of(open_lake(serial))
    assert expected["papers"].height == len(SHARED_TITLES) + 4 + 4 * 3
    assert expected["papers"].filter(expected["papers"]["days_seen"] == 4).height == len(SHARED_TITLES)

    at_once = new_lake_uri("at-once")
    traces = [folder / f"trace-{i}.jsonl" for i in range(PROCESS_COUNT)]
    runs = [{**ingest_run(at_once, day, page), "trace": str(trace)} for (day, page), trace in zip(pages, traces)]
    exits = worker.run(runs, barrier=folder / "barrier")

    assert [e["code"] for e in exits] == [0] * PROCESS_COUNT, f"not every run landed: {exits}"
    lake = open_lake(at_once)
    assert_same_content(lake, expected)
    assert_keys_distinct(lake)
    return sum(conflicts_in(trace) for trace in traces)


def same_day_twice_at_once(
    worker, new_lake_uri: Callable[[str], str], open_lake: Callable[[str], Lake], day: str, folder: Path, rounds: int = SAME_DAY_ROUNDS,
) -> int:
    """Two processes, one day (every feed) at once, `rounds` times: the day lands once each time.

    Returns how many commit attempts conflicted and were redone."""
    single = new_lake_uri("single")
    assert [e["code"] for e in worker.run([day_run(single, day)])] == [0]
    expected = content_of(open_lake(single))
    assert expected["sightings"].height > 0
    conflict_count = 0
    for round_index in range(rounds):
        twice = new_lake_uri(f"twice-{round_index}")
        traces = [folder / f"same-day-{round_index}-{k}.jsonl" for k in range(2)]
        runs = [{**day_run(twice, day), "trace": str(trace)} for trace in traces]
        exits = worker.run(runs, barrier=folder / f"barrier-{round_index}")
        assert [e["code"] for e in exits] == [0, 0], f"round {round_index}: {exits}"
        lake = open_lake(twice)
        assert_same_content(lake, expected)
        assert_keys_distinct(lake)
        conflict_count += sum(conflicts_in(trace) for trace in traces)
    assert conflict_count > 0  # the two runs did race: the guard turned the race into conflicts
    return conflict_count


def local_lakes(tmp_path: Path) -> tuple[Callable[[str], str], Callable[[str], Lake]]:
    return (lambda name: str(tmp_path / name)), Lake


def test_four_processes_ingesting_different_days_equal_a_serial_run(worker, tmp_path):
    new_lake_uri, open_lake = local_lakes(tmp_path)
    conflict_count = four_days_at_once(worker, new_lake_uri, open_lake, tmp_path)
    print(f"\n{PROCESS_COUNT} concurrent runs landed; {conflict_count} conflicting commit attempts redone")


def test_two_processes_ingesting_the_same_day_land_it_once(worker, tmp_path):
    new_lake_uri, open_lake = local_lakes(tmp_path)
    conflict_count = same_day_twice_at_once(worker, new_lake_uri, open_lake, "2024-03-11", tmp_path)
    print(f"\n{SAME_DAY_ROUNDS} rounds of two runs of one day at once: landed once each; {conflict_count} conflicting commit attempts redone")
