"""Files that are not page copies cost about what reading them costs, and print a summary, not a line per problem.

The benchmark's two generated files (bench/bad_files.py): 200,000 short lines and 50 MB of random
words. Before, `paperlake ingest` took 5 min 35 s on the first and printed 200,000 warnings.
"""

from __future__ import annotations

import pytest

from bench.bad_files import MAX_WARNING_LINES, generate, time_ingest, time_parse, within_bounds
from feeds.text_page import MAX_ISSUES_LISTED, parse
from tests.reliability.conftest import worker_env


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("bad-files"))


def test_both_files_are_recognised_as_not_page_copies_within_the_bound(bad_files):
    for path in bad_files:
        parsed = time_parse(path)
        assert (parsed["rule"], parsed["row_count"]) == ("not_a_page_copy", 0), parsed
        assert parsed["issue_count"] <= MAX_ISSUES_LISTED + 1
        assert within_bounds(parsed) == []


def test_a_page_with_thousands_of_bad_lines_lists_the_first_few_then_a_count():
    content = b"new\nSubscribe\nMar 11\n" + b"".join(b"Title %d\n" % n for n in range(5000))
    issues = parse(content, "junk.txt").issues
    assert len(issues) == MAX_ISSUES_LISTED + 1
    assert issues[0].rule == "not_a_page_copy" and issues[0].line == 64  # 60 lines after the header
    assert [issue.line for issue in issues[1:4]] == [4, 5, 6]
    assert issues[-1].rule == "more_issues" and "title_without_abstract" in issues[-1].message


@pytest.mark.slow
def test_ingesting_both_files_takes_seconds_and_prints_a_summary(prefect_harness, bad_files, tmp_path):
    env = worker_env("http://127.0.0.1:9", tmp_path / "docs")
    folder = bad_files[0].parent
    ingested = time_ingest(folder, tmp_path / "lake", env)
    assert ingested["exit_code"] == 1
    assert 1 <= ingested["warning_lines"] <= MAX_WARNING_LINES
    assert "not a page copy" in ingested["first_warning"]
    assert ingested["ingest_seconds"] < 60, ingested
