"""What a backfill did, feed-day by feed-day and load by load; the error naming the feed-days that did not land."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flows.reports import LoadReport
from transforms.feed_days import DayChange


@dataclass
class FeedDayOutcome:
    feed: str
    day: date
    # "already": final before this run, not fetched; "landed"; "unchanged": fetched, but the same content
    # was in the lake; "failed"
    status: str
    message: str = ""
    fetch_seconds: float = 0.0
    byte_count: int = 0


@dataclass
class BatchLoad:
    """One load of one feed's fetched days: what it wrote and how long it took."""

    feed: str
    days: list[date]
    report: LoadReport | None
    load_seconds: float

    @property
    def label(self) -> str:
        return f"{self.feed} {self.days[0]}..{self.days[-1]}" if len(self.days) > 1 else f"{self.feed} {self.days[0]}"


@dataclass
class BackfillReport:
    start_date: date
    end_date: date
    feeds: list[str]
    outcomes: list[FeedDayOutcome] = field(default_factory=list)
    loads: list[BatchLoad] = field(default_factory=list)
    commit_counts: dict[str, int] = field(default_factory=dict)  # Delta commits this run made, per table
    changes: list[DayChange] = field(default_factory=list)  # what each fetched day now is (feed_days)

    def with_status(self, status: str) -> list[FeedDayOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def failed(self) -> list[FeedDayOutcome]:
        return self.with_status("failed")

    @property
    def sighting_count(self) -> int:
        return sum(load.report.sighting_count for load in self.loads if load.report)

    @property
    def new_paper_count(self) -> int:
        return sum(load.report.new_paper_count for load in self.loads if load.report)

    def describe(self) -> str:
        counts = {status: len(self.with_status(status)) for status in ("landed", "unchanged", "already", "failed")}
        return (
            f"backfill {self.start_date}..{self.end_date} ({', '.join(self.feeds)}): {counts['landed']} feed-day(s) landed, "
            f"{counts['unchanged']} unchanged, {counts['already']} already in the lake, {counts['failed']} failed; "
            f"{self.sighting_count} sightings, "
            f"{self.new_paper_count} new papers, {sum(self.commit_counts.values())} Delta commits"
        )


class BackfillFailed(RuntimeError):
    """Some feed-days did not land; the others did, and `report` says which. Rerunning retries only those."""

    def __init__(self, report: BackfillReport):
        self.report = report
        failed = report.failed
        total_count = len(report.outcomes)
        super().__init__(
            f"backfill {report.start_date}..{report.end_date}: {len(failed)} of {total_count} feed-day(s) did not land "
            "(run it again to fetch only those): " + "; ".join(o.message for o in failed)
        )

    def __reduce__(self):
        return BackfillFailed, (self.report,)
