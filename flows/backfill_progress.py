"""Where a backfill stands: a Prefect progress artifact, and in-process listeners (the terminal's bar)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Callable, Iterator
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact

if TYPE_CHECKING:
    from flows.backfill_report import BatchLoad


@dataclass(frozen=True)
class BackfillProgress:
    """Where a backfill stands, in feed-days. A feed-day is half done once fetched, done once landed or failed."""

    total_count: int
    already_count: int = 0
    fetched_count: int = 0  # fetched, waiting for their batch's load
    landed_count: int = 0
    failed_count: int = 0
    last_step: str = ""

    @property
    def finished_count(self) -> int:
        return self.already_count + self.landed_count + self.failed_count

    @property
    def percent(self) -> float:
        if self.total_count == 0:
            return 100.0
        return round(100.0 * (2 * self.finished_count + self.fetched_count) / (2 * self.total_count), 1)

    def describe(self) -> str:
        return (
            f"{self.finished_count} of {self.total_count} feed-days done: {self.landed_count} landed, "
            f"{self.already_count} already in the lake, {self.failed_count} failed; {self.fetched_count} fetched, loading in a batch"
        )


ProgressListener = Callable[[BackfillProgress], None]
_listeners: list[ProgressListener] = []


@contextmanager
def progress_listener(listener: ProgressListener) -> Iterator[None]:
    """Call `listener` with every progress step of backfills run in this process, inside the block."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


class ProgressTracker:
    """Moves the run's progress artifact and tells the listeners; a failing listener never fails the run."""

    def __init__(self, total_count: int, already_count: int):
        from flows.artifacts import ArtifactKeys

        self.progress = BackfillProgress(total_count, already_count, last_step="planned")
        self.artifact_id: UUID = create_progress_artifact(
            self.progress.percent, key=ArtifactKeys.of("backfill").progress, description=self.progress.describe()
        )
        self._announce()

    def fetched(self, feed: str, day: date) -> None:
        self._step(f"fetched {feed} {day}", fetched_count=self.progress.fetched_count + 1)

    def fetch_failed(self, feed: str, day: date) -> None:
        self._step(f"{feed} {day} failed", failed_count=self.progress.failed_count + 1)

    def loaded(self, load: BatchLoad, landed_count: int, failed_count: int) -> None:
        self._step(
            f"loaded {load.label}",
            fetched_count=self.progress.fetched_count - landed_count - failed_count,
            landed_count=self.progress.landed_count + landed_count,
            failed_count=self.progress.failed_count + failed_count,
        )

    def _step(self, last_step: str, **counts: int) -> None:
        self.progress = replace(self.progress, last_step=last_step, **counts)
        update_progress_artifact(self.artifact_id, self.progress.percent, description=self.progress.describe())
        self._announce()

    def _announce(self) -> None:
        for listener in list(_listeners):
            try:
                listener(self.progress)
            except Exception:
                get_run_logger().warning("a backfill progress listener failed", exc_info=True)
