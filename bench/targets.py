"""Issue 7's targets as data, checked against a run's figures, and the run as markdown tables."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from bench.workloads import Workload

Workloads = dict[str, Workload]


def median_of(workloads: Workloads, workload: str, key: str) -> float:
    found = workloads.get(workload)
    return found.figures[key].median if found and key in found.figures else math.nan


def floor_seconds(workloads: Workloads) -> float:
    return median_of(workloads, "floor", "seconds")


@dataclass(frozen=True)
class Target:
    label: str
    measure: Callable[[Workloads], float]
    limit: float
    unit: str  # "s", "MB", "x" (a ratio), "files"
    at_most: bool = True  # the measure must be <= limit (else >= limit)

    def value(self, workloads: Workloads) -> float:
        return self.measure(workloads)

    def met(self, workloads: Workloads) -> bool | None:
        value = self.value(workloads)
        if math.isnan(value):
            return None
        return value <= self.limit if self.at_most else value >= self.limit


def _ratio(workloads: Workloads, top: tuple[str, str], bottom: tuple[str, str]) -> float:
    return median_of(workloads, *top) / median_of(workloads, *bottom)


def _most_files_after(workloads: Workloads) -> float:
    found = workloads.get("maintain_365_daily_commits")
    return float(max(found.details["live_files_after"].values())) if found else math.nan


def _command_over_floor(workloads: Workloads) -> float:
    """The one-year `paperlake ingest` less Prefect's own start-up, as a multiple of the floor's command (issue 14, 2)."""
    command = median_of(workloads, "backfill_1y", "command_seconds")
    return (command - median_of(workloads, "floor", "prefect_start_seconds")) / median_of(workloads, "floor", "command_seconds")


def _own_floor_ratio(workload: str, clock: str = "") -> Callable[[Workloads], float]:
    """A backfill's own work over its floor: the same rows, measured in the same run (`clock` "cpu_": in CPU time)."""
    return lambda w: _ratio(w, (workload, f"work_{clock}seconds"), (workload, f"floor_{clock}seconds"))


TARGETS = (
    Target("14.1 ten-year arXiv-volume backfill: peak memory", lambda w: median_of(w, "backfill_volume_10y", "peak_rss_mb"), 1536.0, "MB"),
    Target("14.1 ten-year arXiv-volume backfill: own work / floor", _own_floor_ratio("backfill_volume_10y"), 3.0, "x"),
    Target("14.1 one-year arXiv-volume backfill: peak memory", lambda w: median_of(w, "backfill_volume_1y", "peak_rss_mb"), 1536.0, "MB"),
    Target("14.1 one-year arXiv-volume backfill: own work / floor", _own_floor_ratio("backfill_volume_1y"), 3.0, "x"),
    Target("14.1 ten-year arXiv-volume backfill: own work / floor, CPU time", _own_floor_ratio("backfill_volume_10y", "cpu_"), 3.0, "x"),
    Target("14.1 one-year arXiv-volume backfill: own work / floor, CPU time", _own_floor_ratio("backfill_volume_1y", "cpu_"), 3.0, "x"),
    Target("1. one-year backfill: pipeline's own work / floor", lambda w: _ratio(w, ("backfill_1y", "work_seconds"), ("floor", "seconds")), 3.0, "x"),
    Target("1. one-year backfill: whole command from process start", lambda w: median_of(w, "backfill_1y", "command_seconds"), 30.0, "s"),
    Target("1. one-year backfill: peak memory", lambda w: median_of(w, "backfill_1y", "peak_rss_mb"), 1536.0, "MB"),
    Target("2. ten-year backfill: peak memory", lambda w: median_of(w, "backfill_10y", "peak_rss_mb"), 4096.0, "MB"),
    Target("14.2 one-year page copies: peak memory / the floor command's", lambda w: _ratio(w, ("backfill_1y", "peak_rss_mb"), ("floor", "peak_rss_mb")), 1.5, "x"),
    Target("14.2 one-year page copies: whole command less Prefect's start-up / the floor's command", _command_over_floor, 3.0, "x"),
    Target("3. daily, one-year lake: the day's lake work", lambda w: median_of(w, "daily_1y", "lake_seconds"), 1.0, "s"),
    Target("3. daily, ten-year lake: the day's lake work", lambda w: median_of(w, "daily_10y", "lake_seconds"), 1.0, "s"),
    Target("3. daily: ten-year / one-year lake work", lambda w: _ratio(w, ("daily_10y", "lake_seconds"), ("daily_1y", "lake_seconds")), 1.5, "x"),
    Target("12. scheduled run with its windows, one-year lake: lake work", lambda w: median_of(w, "window_1y", "lake_seconds"), 2.0, "s"),
    Target("12. scheduled run with its windows, ten-year lake: lake work", lambda w: median_of(w, "window_10y", "lake_seconds"), 2.0, "s"),
    Target("12. scheduled run: ten-year / one-year lake work", lambda w: _ratio(w, ("window_10y", "lake_seconds"), ("window_1y", "lake_seconds")), 1.5, "x"),
    Target("12. scheduled run: commits to any one table (a few per table, not per day)", lambda w: median_of(w, "window_10y", "most_table_commits"), 4.0, "commits"),
    # Memory must not grow with the lake (issue 14): a run's own peak, the lake's size aside.
    Target("14.3 scheduled run: peak memory, ten-year / one-year lake", lambda w: _ratio(w, ("window_10y", "peak_rss_mb"), ("window_1y", "peak_rss_mb")), 1.2, "x"),
    *(
        target
        for name, label in (("trending", "`trending --days 30`"), ("search", "`papers --search WORDS`"), ("show", "`show ID`"))
        for target in (
            Target(f"14.4 {label}, own work", lambda w, name=name: median_of(w, "queries_10y", f"{name}_own_seconds"), 1.0, "s"),
            Target(f"14.4 {label}, from process start", lambda w, name=name: median_of(w, "queries_10y", f"{name}_command_seconds"), 2.0, "s"),
        )
    ),
    Target("14.4 `query \"select count(*) from papers\"`, whole command", lambda w: median_of(w, "queries_10y", "count_papers_command_seconds"), 1.5, "s"),
    Target("14.4 `report`, whole command", lambda w: median_of(w, "queries_10y", "report_command_seconds"), 15.0, "s"),
    Target("14.4 report page: first chart drawn in Chromium", lambda w: median_of(w, "queries_10y", "report_first_chart_seconds"), 2.0, "s"),
    Target("14.5 `dupes` on the ten-year lake, whole command", lambda w: median_of(w, "dupes_10y", "command_seconds"), 60.0, "s"),
    Target("14.5 `dupes` on the ten-year lake, peak memory", lambda w: median_of(w, "dupes_10y", "peak_rss_mb"), 2048.0, "MB"),
    Target("14.6 `maintain` after a month of daily runs, whole command", lambda w: median_of(w, "maintain_10y_month", "maintain_command_seconds"), 60.0, "s"),
    *(
        Target(f"14.6 after maintain: {read}, after / before (CPU time)",
               lambda w, read=read: _ratio(w, ("maintain_10y_month", f"{read}_after_cpu_seconds"), ("maintain_10y_month", f"{read}_before_cpu_seconds")), 1.0, "x")
        for read in ("trending", "show", "month_sightings", "count_papers")
    ),
    # "Few files": 365 daily commits leave 365 files a table; compaction to 4 MB files leaves a handful.
    Target("5. maintain: live files per table after (at most)", _most_files_after, 10.0, "files"),
    Target(
        "5. maintain: full read of sightings, after / before",
        lambda w: _ratio(w, ("maintain_365_daily_commits", "read_sightings_after_seconds"), ("maintain_365_daily_commits", "read_sightings_before_seconds")),
        1.0, "x",
    ),
)


def checked(workloads: Workloads) -> list[dict]:
    return [
        {"target": t.label, "value": t.value(workloads), "limit": t.limit, "unit": t.unit, "met": t.met(workloads)}
        for t in TARGETS
    ]


def markdown(workloads: Workloads) -> str:
    return figures_table(workloads) + "\n\n" + targets_table(workloads)


def figures_table(workloads: Workloads) -> str:
    floor = floor_seconds(workloads)
    lines = ["| figure | median | spread | runs | × floor | what |", "| --- | ---: | ---: | ---: | ---: | --- |"]
    for workload in workloads.values():
        for figure in workload.figures.values():
            ratio = f"{figure.median / floor:.2f}" if figure.unit == "s" and floor > 0 else ""
            lines.append(
                f"| `{figure.name}` | {_number(figure.median, figure.unit)} | {_number(figure.spread, figure.unit)} "
                f"| {len(figure.values)} | {ratio} | {figure.note} |"
            )
    return "\n".join(lines)


def targets_table(workloads: Workloads) -> str:
    lines = ["| target | measured | limit | met |", "| --- | ---: | ---: | :---: |"]
    for row in checked(workloads):
        met = {True: "yes", False: "**no**", None: "n/a"}[row["met"]]
        lines.append(f"| {row['target']} | {_number(row['value'], row['unit'])} | {_number(row['limit'], row['unit'])} | {met} |")
    return "\n".join(lines)


def _number(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if unit == "x":
        return f"{value:.2f}×"
    return f"{value:g} {unit}"
