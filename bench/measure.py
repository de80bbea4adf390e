"""Timing and memory: repeated runs summarized as median and spread, and child processes measured.

Absolute times drift on a shared machine, so every figure keeps all its runs (the spread shows the
drift) and is compared with the floor measured in the same benchmark run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, TypeVar

T = TypeVar("T")


@dataclass
class Figure:
    """One measured quantity over several runs; `unit` is "s" or "MB"."""

    name: str
    unit: str
    values: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def spread(self) -> float:
        """Largest minus smallest run: how much the machine moved the figure."""
        return max(self.values) - min(self.values) if self.values else float("nan")

    def as_json(self) -> dict:
        return asdict(self) | {"median": self.median, "spread": self.spread, "run_count": len(self.values)}


def timed(function: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def repeat_timed(function: Callable[[], object], repeat_count: int) -> list[float]:
    return [timed(function)[0] for _ in range(repeat_count)]


def warm_repeat_timed(function: Callable[[], object], repeat_count: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of `repeat_count` runs after one untimed run, so every timed run finds the
    files in the page cache: a before/after comparison then measures the reads, not the disk."""
    function()
    walls, cpus = [], []
    for _ in range(repeat_count):
        cpu_started = time.process_time()
        walls.append(timed(function)[0])
        cpus.append(time.process_time() - cpu_started)
    return walls, cpus


@dataclass
class ProcessRun:
    """A child process: wall time from spawn to exit, and its peak resident memory."""

    wall_seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0  # user + system of it and its reaped children: steadier than wall time on a busy machine

    def check(self, what: str) -> ProcessRun:
        if self.returncode != 0:
            raise RuntimeError(f"{what} exited {self.returncode}:\n{self.stderr[-4000:]}")
        return self


def run_process(args: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> ProcessRun:
    """Run `args` to completion; peak memory is wait4's ru_maxrss (the largest of it and the children it reaped)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(args, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(child.pid, 0)
        wall_seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        out.seek(0), err.seek(0)
        return ProcessRun(
            wall_seconds, usage.ru_maxrss / 1024, child.returncode,
            out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"), usage.ru_utime + usage.ru_stime,
        )
