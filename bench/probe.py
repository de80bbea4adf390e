"""Where a load's time goes, without touching the code measured: timers wrapped around functions.

`lake.*` is every public function of the LAKE_MODULES (lake/writes.py and the table writers beside
it, table_setup, links, feed_days, papers, gold: reads and commits), counted at the outermost call
only, so `upsert_papers` includes the `committing` it calls. Their sum is "the lake work" of a load.
The other labels time the Great Expectations gate, Data Docs and the pure transforms the same way.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import time
from collections import defaultdict
from typing import Any

# (module, attribute, label): functions the pipeline looks up on these modules at call time.
NAMED_TARGETS = (
    ("expectations.gate", "gate_feed_days", "validate.gx_gate"),
    ("flows.write_steps", "_gate_papers", "validate.papers_gate"),
    ("flows.gold_update", "_gate_rows", "validate.gold_gate"),
    ("expectations.docs", "build_data_docs", "validate.data_docs"),
    ("flows.load_steps", "parse_payload", "transform.parse"),
    ("flows.load_steps", "to_sightings", "transform.to_sightings"),
    ("flows.write_steps", "summarize_papers", "transform.summarize_papers"),
    ("flows.load_steps", "link_title_only", "transform.link_title_only"),
    ("flows.gold_update", "author_deltas", "transform.gold_authors"),
    ("flows.gold_update", "topics_from", "transform.gold_topics"),
    ("flows.daily", "due_dates", "transform.due_dates"),
    # The whole gold step (its lake part is also in lake.gold.*, so in the lake work).
    ("flows.gold_update", "update_gold_tables", "step.gold"),
)
# lake.gold: the gold step's reads and MERGEs (authors, topics), part of every load's lake work.
LAKE_MODULES = (
    "lake.writes", "lake.table_setup", "lake.snapshot_writes", "lake.sighting_writes", "lake.quarantine_writes",
    "lake.links", "lake.feed_days", "lake.papers", "lake.gold",
)


class Probe:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        # CPU time (every thread of the process) of the same calls: what a loaded machine inflates least.
        self.cpu_seconds: dict[str, float] = defaultdict(float)
        self.call_counts: dict[str, int] = defaultdict(int)
        self._depth: dict[str, int] = defaultdict(int)  # per label group: only outermost calls count
        self._undo: list[tuple[Any, str, Any]] = []

    def install(self) -> Probe:
        for module_name in LAKE_MODULES:
            module = importlib.import_module(module_name)
            for name, function in inspect.getmembers(module, inspect.isfunction):
                if function.__module__ == module_name and not name.startswith("_"):
                    self._wrap(module, name, f"lake.{name}")
        for module_name, attribute, label in NAMED_TARGETS:
            module = importlib.import_module(module_name)
            if hasattr(module, attribute):  # a step the pipeline may not have (any more)
                self._wrap(module, attribute, label)
        return self

    def uninstall(self) -> None:
        for module, attribute, original in reversed(self._undo):
            setattr(module, attribute, original)
        self._undo.clear()

    def lake_seconds(self) -> float:
        """Lake reads and commits. lake.papers.write_papers calls the papers summary and its gate back
        (its rounds redo them when sightings move): that time is the transform's and the gate's, not the lake's."""
        nested = self.seconds.get("validate.papers_gate", 0.0) + self.seconds.get("transform.summarize_papers", 0.0)
        return sum(s for label, s in self.seconds.items() if label.startswith("lake.")) - nested

    def snapshot(self) -> dict[str, float]:
        return dict(self.seconds)

    def reset(self) -> None:
        self.seconds.clear()
        self.cpu_seconds.clear()
        self.call_counts.clear()

    def _wrap(self, module: Any, attribute: str, label: str) -> None:
        original = getattr(module, attribute)
        group = label.split(".", 1)[0]

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._depth[group] += 1
            started, cpu_started = time.perf_counter(), time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self._depth[group] -= 1
                if self._depth[group] == 0:
                    self.seconds[label] += time.perf_counter() - started
                    self.cpu_seconds[label] += time.process_time() - cpu_started
                    self.call_counts[label] += 1

        setattr(module, attribute, timed)
        self._undo.append((module, attribute, original))


def top(seconds: dict[str, float], count: int = 8) -> dict[str, float]:
    """The `count` largest entries, rounded, largest first."""
    return {label: round(s, 3) for label, s in sorted(seconds.items(), key=lambda item: -item[1])[:count]}

