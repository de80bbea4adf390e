from datetime import date

import pytest

from flows.ingest import ingest_files
from flows.reparse import reparse_archive
from tests.conftest import assert_keys_unique

pytestmark = pytest.mark.usefixtures("prefect_harness")
STABLE = {"snapshots": ["snapshot_id", "parse_status", "row_count"], "sightings": None, "papers": None}


def contents(lake):
    frames = {}
    for name, columns in STABLE.items():
        frame = lake.read(name)
        selected = frame.select(columns or frame.columns)
        frames[name] = selected.sort(selected.columns[:3])
    return frames


def test_reparse_without_fetching_gives_the_same_tables(pages, lake):
    ingest_files([str(pages)], lake.uri)
    before = contents(lake)

    report = reparse_archive(lake.uri)

    assert report.sighting_count == 8
    after = contents(lake)
    for name in STABLE:
        assert after[name].equals(before[name]), name
    assert_keys_unique(lake)


def test_reparse_since_a_date_rebuilds_only_those_days(pages, lake):
    ingest_files([str(pages)], lake.uri)
    before = contents(lake)
    versions = {n: lake.delta(n).version() for n in STABLE}

    report = reparse_archive(lake.uri, feed="archive", since=date(2024, 3, 13))

    assert [s.snapshot_date for s in report.snapshots] == [date(2024, 3, 13)]
    assert report.sighting_count == 2
    assert lake.delta("sightings").version() == versions["sightings"] + 1
    after = contents(lake)
    for name in STABLE:
        assert after[name].equals(before[name]), name


def test_after_a_parser_fix_reparse_releases_the_lines_it_could_not_place(lake, monkeypatch):
    from dataclasses import replace

    import polars as pl

    from feeds import formats, text_page
    from feeds.payload import parsed_frame
    from tests.conftest import MALFORMED

    ingest_files([str(MALFORMED / "misplaced_lines.txt")], lake.uri, date(2024, 3, 15))
    assert sorted(lake.read("quarantine").filter(pl.col("table") == "parse")["rule"]) == ["abstract_without_title", "title_without_abstract"]

    def titles_may_lack_abstracts(content, source):
        """A parser 'fix': a title with no abstract is a paper with a null abstract."""
        result = text_page.parse(content, source)
        fixed = [r for r in result.rejects if r.rule == "title_without_abstract"]
        extra = parsed_frame([{"rank": result.rows.height + n, "title": r.text} for n, r in enumerate(fixed, start=1)])
        rejects = [r for r in result.rejects if r not in fixed]
        return replace(result, rows=pl.concat([result.rows, extra]), issues=rejects, rejects=rejects)

    monkeypatch.setitem(formats.FORMATS, text_page.FORMAT, replace(formats.FORMATS[text_page.FORMAT], parse=titles_may_lack_abstracts))
    for _ in range(2):  # a second reparse changes nothing
        reparse_archive(lake.uri)
        held = lake.read("quarantine")
        assert sorted(zip(held["table"], held["rule"])) == [("parse", "abstract_without_title"), ("sightings", "title_length")]
        assert "A Second Title That Lost Its Abstract" in lake.read("sightings")["title"].to_list()
        assert lake.read("sightings").height + held.height == 6
    assert_keys_unique(lake)
