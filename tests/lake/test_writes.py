from datetime import date, datetime, timedelta, timezone

import polars as pl

from expectations.batch_checks import volume_problem
from feeds.base import Payload, payload_frame
from lake import writes
from lake.schemas import PAPERS

COMMIT = writes.CommitInfo(operation="test", run_id="run-1", feed="archive", snapshot_dates=(date(2024, 3, 11), date(2024, 3, 13)))
NOW = datetime(2024, 3, 14, tzinfo=timezone.utc)


def payload(text: bytes, day: int) -> Payload:
    return Payload("archive", f"day{day}.txt", "text_page", text, date(2024, 3, day), NOW)


def test_raw_snapshots_dedupe_on_content_hash(lake):
    writes.ensure_tables(lake)
    first = payload_frame([payload(b"page one", 11), payload(b"page two", 12), payload(b"page one", 13)])
    assert writes.store_snapshots(lake, first, COMMIT) == 2
    assert writes.store_snapshots(lake, first, COMMIT) == 0
    stored = lake.read("snapshots").sort("snapshot_date")
    assert stored["content"].to_list() == [b"page one", b"page two"]
    assert stored["parse_status"].to_list() == ["pending", "pending"]


def test_every_commit_records_run_feed_dates_and_version(lake):
    writes.ensure_tables(lake)
    writes.store_snapshots(lake, payload_frame([payload(b"page", 11)]), COMMIT)
    [latest] = lake.history("snapshots", limit=1)
    assert latest["paperlake.run_id"] == "run-1"
    assert latest["paperlake.feed"] == "archive"
    assert latest["paperlake.snapshot_dates"] == "2024-03-11..2024-03-13"
    assert latest["paperlake.version"] == "0.1.0"


def test_upsert_updates_matched_and_inserts_new_papers(lake):
    writes.ensure_tables(lake)

    def paper(pid: str, days: int):
        return {"paper_id": pid, "title": pid.upper(), "title_key": pid, "first_seen_date": date(2024, 3, 11),
                "last_seen_date": date(2024, 3, 11), "days_seen": days, "sighting_count": days, "feeds": ["archive"]}

    writes.upsert_papers(lake, pl.DataFrame([paper("a", 1), paper("b", 1)]), COMMIT)
    metrics = writes.upsert_papers(lake, pl.DataFrame([paper("b", 2), paper("c", 1)]), COMMIT)
    assert (metrics["num_target_rows_inserted"], metrics["num_target_rows_updated"]) == (1, 1)
    papers = lake.read("papers").sort("paper_id")
    assert papers[["paper_id", "days_seen"]].rows() == [("a", 1), ("b", 2), ("c", 1)]
    assert papers.schema == PAPERS.polars_schema


def test_missing_table_reads_as_empty_frame_of_its_schema(lake):
    assert lake.read("sightings").height == 0
    assert "paper_id" in lake.read("sightings").columns


def sightings_of_snapshot(snapshot_id: str, day: date, count: int = 2) -> pl.DataFrame:
    return pl.DataFrame([
        {"snapshot_id": snapshot_id, "paper_id": f"2403.{n:05d}", "feed": "archive", "snapshot_date": day, "rank": n + 1,
         "title": f"Paper {n}", "title_key": f"paper {n}"}
        for n in range(count)
    ])


def test_sightings_of_a_snapshot_land_once_even_when_its_content_comes_again_for_another_day(lake):
    """The check reads only the files of the snapshots' days: the day its content was first stored counts
    too (an id is a content hash), so a load that died after its sightings and is redone later adds nothing."""
    writes.ensure_tables(lake)
    first = payload(b"page one", 11)
    writes.store_snapshots(lake, payload_frame([first]), COMMIT)
    assert writes.store_sightings(lake, sightings_of_snapshot(first.snapshot_id, date(2024, 3, 11)), COMMIT) == 2
    for day in (11, 13):  # the same load again, and the same content listed for a later day
        assert writes.store_sightings(lake, sightings_of_snapshot(first.snapshot_id, date(2024, 3, day)), COMMIT) == 0
    other = payload(b"page two", 13)
    writes.store_snapshots(lake, payload_frame([other]), COMMIT)
    assert writes.store_sightings(lake, sightings_of_snapshot(other.snapshot_id, date(2024, 3, 13), 3), COMMIT) == 3
    stored = lake.read("sightings")
    assert stored.height == 5 and stored.select("snapshot_id", "paper_id").is_unique().all()


def test_title_lookups_read_only_the_keys_asked_for(lake):
    writes.ensure_tables(lake)
    def paper(paper_id: str, title_key: str) -> dict:
        return {"paper_id": paper_id, "arxiv_id": None if paper_id.startswith("title:") else paper_id, "title": title_key,
                "title_key": title_key, "first_seen_date": date(2024, 3, 11), "last_seen_date": date(2024, 3, 11),
                "days_seen": 1, "sighting_count": 1, "feeds": ["archive"]}

    papers = [paper("2403.00001", "a study"), paper("2403.00002", "another study"), paper("title:0abc", "a study"), paper("title:0def", "unrelated")]
    writes.upsert_papers(lake, pl.DataFrame(papers), COMMIT)
    assert writes.arxiv_titles(lake, []).rows() == []
    assert writes.arxiv_titles(lake, ["a study", "unrelated"]).rows() == [("a study", "2403.00001")]
    found = writes.papers_with_title_keys(lake, ["a study", "another study"], id_prefix="title:")
    assert found.rows() == [("title:0abc", "a study")]
    assert sorted(writes.papers_with_title_keys(lake, ["a study"])["paper_id"]) == ["2403.00001", "title:0abc"]


def _loaded_snapshot(feed: str, day: date, row_count: int) -> dict:
    at = datetime(2024, 6, 30, tzinfo=timezone.utc)
    return {"snapshot_id": f"{feed}-{day}", "feed": feed, "snapshot_date": day, "source": "test", "format": "hf_json",
            "fetched_at": at, "byte_count": 1, "content": b"x", "parse_status": "ok", "row_count": row_count, "loaded_at": at}


def test_the_volume_rule_compares_a_weekend_day_with_weekend_days_and_a_weekday_with_weekdays(lake):
    from lake.schemas import SNAPSHOTS

    writes.ensure_tables(lake)
    june = [date(2024, 6, 1) + timedelta(days=n) for n in range(28)]  # 2024-06-01 is a Saturday
    rows = [_loaded_snapshot("hf_daily", day, 2 if day.weekday() >= 5 else 40) for day in june]
    writes.append(lake, SNAPSHOTS, pl.DataFrame(rows), writes.CommitInfo("test"))
    saturday, monday, early_sunday = date(2024, 6, 29), date(2024, 7, 1), date(2024, 6, 2)

    counts = writes.recent_row_counts_of(lake, [("hf_daily", saturday), ("hf_daily", monday), ("hf_daily", early_sunday)])

    assert counts[("hf_daily", saturday)] == [2] * 8  # every weekend day loaded before it (fewer than 14)
    assert counts[("hf_daily", monday)] == [40] * 14  # the last 14 weekdays, not the light weekends between
    assert counts[("hf_daily", early_sunday)] == [2]  # under 3 days of its kind: the last days of any kind
    assert volume_problem(1, counts[("hf_daily", saturday)]) is None  # a quiet Saturday is not a collapse
    assert volume_problem(1, counts[("hf_daily", monday)]) is not None  # a Monday of one paper is


def _paper(pid: str, days: int, day: date = date(2024, 3, 11)) -> dict:
    return {"paper_id": pid, "title": pid.upper(), "title_key": pid, "first_seen_date": day,
            "last_seen_date": day, "days_seen": days, "sighting_count": days, "feeds": ["archive"]}


def test_a_papers_merge_of_changed_rows_only_holds_what_a_whole_merge_holds(lake, tmp_path):
    """A refetched day re-summarizes every paper it lists: the rows as they were are left out of the
    MERGE, which then rewrites only the file of the changed paper, and commits nothing when none changed."""
    from lake.store import Lake

    whole = Lake(str(tmp_path / "whole"))
    for the_lake in (lake, whole):
        writes.ensure_tables(the_lake)
        for month in (1, 2, 3):  # one file per month of first sightings, like a lake's recent files
            rows = [_paper(f"24{month:02d}.{n:05d}", 1, date(2024, month, 11)) for n in range(3)]
            writes.upsert_papers(the_lake, pl.DataFrame(rows), COMMIT)
    files_before = set(lake.delta("papers").file_uris())
    refetched = [_paper(f"24{month:02d}.{n:05d}", 1, date(2024, month, 11)) for month in (1, 2, 3) for n in range(3)]
    refetched[4] = _paper("2402.00001", 2, date(2024, 2, 11))  # one paper listed again
    refetched.append(_paper("2403.00099", 1, date(2024, 3, 11)))  # and a new one

    metrics = writes.upsert_papers(lake, pl.DataFrame(refetched), COMMIT, skip_unchanged=True)
    writes.upsert_papers(whole, pl.DataFrame(refetched), COMMIT)

    assert (metrics["num_target_rows_inserted"], metrics["num_target_rows_updated"]) == (1, 1)
    assert sorted(metrics["changed_paper_ids"]) == ["2402.00001", "2403.00099"] and len(metrics["stored_paper_ids"]) == 9
    assert lake.read("papers").sort("paper_id").equals(whole.read("papers").sort("paper_id"))
    assert lake.read("papers").height == 10 == lake.read("papers")["paper_id"].n_unique()  # nothing doubled
    rewritten = files_before - set(lake.delta("papers").file_uris())
    assert len(rewritten) == 1  # February's file; January's and March's stay as they were

    version = lake.delta("papers").version()
    again = writes.upsert_papers(lake, pl.DataFrame(refetched), COMMIT, skip_unchanged=True)
    assert again["changed_paper_ids"] == [] and lake.delta("papers").version() == version  # no commit at all
    assert lake.read("papers").sort("paper_id").equals(whole.read("papers").sort("paper_id"))


def test_marking_a_load_loaded_rewrites_only_the_files_of_pending_snapshots(lake):
    """A load marks its own snapshots, which sit in the file it appended: the raw payloads earlier loads
    stored for the same days are neither read nor written again."""
    writes.ensure_tables(lake)
    first = [payload(b"page one", 11), payload(b"page two", 12)]
    writes.store_snapshots(lake, payload_frame(first), COMMIT)
    writes.mark_snapshots_loaded(lake, _outcomes(first), COMMIT)
    earlier_files = set(lake.delta("snapshots").file_uris())
    refetched = [payload(b"page one, changed", 11)]
    writes.store_snapshots(lake, payload_frame(refetched), COMMIT)

    metrics = writes.mark_snapshots_loaded(lake, _outcomes(refetched), COMMIT)

    assert (metrics["num_target_files_scanned"], metrics["num_target_files_skipped_during_scan"]) == (1, 1)
    assert earlier_files <= set(lake.delta("snapshots").file_uris())
    states = dict(lake.read("snapshots").select("content", "parse_status").iter_rows())
    assert states == {b"page one": "ok", b"page two": "ok", b"page one, changed": "ok"}


def test_a_reparse_marks_snapshots_that_were_loaded_before(lake):
    writes.ensure_tables(lake)
    pages = [payload(b"page one", 11)]
    writes.store_snapshots(lake, payload_frame(pages), COMMIT)
    writes.mark_snapshots_loaded(lake, _outcomes(pages), COMMIT)
    writes.mark_snapshots_loaded(lake, _outcomes(pages, status="partial", row_count=1), COMMIT, pending_only=False)
    assert lake.read("snapshots").select("parse_status", "row_count").rows() == [("partial", 1)]


def _outcomes(pages: list[Payload], status: str = "ok", row_count: int = 2) -> pl.DataFrame:
    return pl.DataFrame({
        "snapshot_id": [p.snapshot_id for p in pages], "parse_status": [status] * len(pages),
        "parse_errors": [[]] * len(pages), "row_count": [row_count] * len(pages), "loaded_at": [NOW] * len(pages),
    }, schema_overrides={"row_count": pl.Int32, "parse_errors": pl.List(pl.String)})
