"""arXiv API: fetching a day's submissions from the replay server, its quirks, and the pure parser."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime

import polars as pl
import pytest

from feeds import arxiv
from feeds.arxiv import ArxivFeed, parse, search_query
from feeds.base import parse_payload
from feeds.http_response import FetchError
from paperlake.replay import ARXIV_PATH, ATOM_TYPE, Fault, arxiv_error_feed
from tests.feeds.replay_fixtures import FAST, FETCHED_AT, SAMPLES, fake_time, fixture_bytes, make_http, replay  # noqa: F401

MAR_11, MAR_12, MAR_13 = date(2024, 3, 11), date(2024, 3, 12), date(2024, 3, 13)
MAR_11_IDS = ["2403.06599", "2403.06512", "2403.06455", "2403.06377", "2403.06241", "2403.06130"]


def feed(replay, fake_time, **options) -> ArxivFeed:
    return ArxivFeed(replay.base_url, http=make_http("arxiv", fake_time), clock=lambda: FETCHED_AT, **options)


def test_the_query_asks_for_one_day_in_the_categories():
    assert search_query(["cs.LG", "cs.CV"], MAR_11) == "(cat:cs.LG OR cat:cs.CV) AND submittedDate:[202403110000 TO 202403112359]"


# ---- fetch ----


def submitted_requests(replay):
    return [r for r in replay.requests if r.params["sortBy"] == "submittedDate"]


def test_a_day_is_two_atom_payloads_its_submissions_and_its_replacements(replay, fake_time):
    [payload, versions] = feed(replay, fake_time).fetch(MAR_11)
    assert (payload.feed, payload.format, payload.snapshot_date, payload.fetched_at) == ("arxiv", "arxiv_atom", MAR_11, FETCHED_AT)
    [request, versions_request] = replay.requests
    assert versions_request.params["search_query"] == search_query(arxiv.DEFAULT_CATEGORIES, MAR_11, field="lastUpdatedDate")
    assert versions_request.params["sortBy"] == "lastUpdatedDate"
    # Papers updated on the 11th were all first submitted that day: no replacement in its listing.
    assert parse_payload(versions).status == "ok" and parse_payload(versions).rows.height == 0
    assert request.params == {
        "search_query": search_query(arxiv.DEFAULT_CATEGORIES, MAR_11),
        "start": "0",
        "max_results": str(arxiv.DEFAULT_PAGE_SIZE),
        "sortBy": "submittedDate",
        "sortOrder": "descending",
    }
    assert payload.source.startswith(f"{replay.base_url}{ARXIV_PATH}?search_query=%28cat%3Acs.LG+OR")
    result = parse_payload(payload)
    assert result.status == "ok"
    # 2403.06620 is stat.ML only: outside the query's categories.
    assert result.rows["arxiv_id"].to_list() == sorted(MAR_11_IDS)  # in id order: the same listing, the same bytes
    assert result.rows["rank"].to_list() == [1, 2, 3, 4, 5, 6]


def test_a_new_version_of_an_older_paper_is_in_the_listing_of_the_day_it_is_dated(replay, fake_time):
    [submitted, versions] = feed(replay, fake_time).fetch(MAR_13)
    # 2403.06599 and 2403.06130, first submitted on the 11th, have a v2 dated the 13th.
    rows = parse_payload(versions).rows
    assert rows.select("arxiv_id", "arxiv_version", "published_date").rows() == [
        ("2403.06130", 2, date(2024, 3, 11)), ("2403.06599", 2, date(2024, 3, 11)),
    ]
    assert not set(rows["arxiv_id"]) & set(parse_payload(submitted).rows["arxiv_id"])
    # 2403.06954's v2 is dated the day of its v1: it is in that day's submissions, not twice.
    [submitted_12, versions_12] = feed(replay, fake_time).fetch(MAR_12)
    assert parse_payload(versions_12).rows.height == 0
    assert dict(parse_payload(submitted_12).rows.select("arxiv_id", "arxiv_version").iter_rows())["2403.06954"] == 2


def test_pages_follow_start_and_max_results_and_combine_to_the_same_bytes(replay, fake_time):
    [paged, _] = feed(replay, fake_time, page_size=4).fetch(MAR_11)
    assert [(r.params["start"], r.params["max_results"]) for r in submitted_requests(replay)] == [("0", "4"), ("4", "4")]
    [whole, _] = feed(replay, fake_time).fetch(MAR_11)
    assert paged.content == whole.content and paged.snapshot_id == whole.snapshot_id
    assert b"<updated>2024-03-12T00:00:00" not in paged.content  # the per-request feed stamp is left out


def test_paging_stops_when_total_results_are_in(replay, fake_time):
    feed(replay, fake_time, page_size=3).fetch(MAR_11)
    assert [r.params["start"] for r in submitted_requests(replay)] == ["0", "3"]  # 6 results: no third, empty page


def test_an_empty_page_short_of_the_announced_total_fails_the_day(replay, fake_time):
    replay.script(ARXIV_PATH, Fault.serve(arxiv.atom_feed([], title="ArXiv Query: flaky", total_count=6), ATOM_TYPE))
    with pytest.raises(FetchError, match=r"^arxiv 2024-03-11: got 0 of the 6 results the API announced"):
        feed(replay, fake_time).fetch(MAR_11)


def test_an_error_entry_fails_the_day_without_retrying(replay, fake_time):
    replay.script(ARXIV_PATH, Fault.serve(arxiv_error_feed("incorrect id format for 1234.12345"), ATOM_TYPE))
    with pytest.raises(FetchError) as caught:
        feed(replay, fake_time).fetch(MAR_12)
    assert str(caught.value).startswith("arxiv 2024-03-12: arXiv API error: incorrect id format for 1234.12345 (HTTP 200)")
    assert len(replay.requests) == 1 and fake_time.sleeps == []


def test_an_http_400_error_answer_reports_arxivs_own_message(replay, fake_time):
    """Today's API: a malformed query is HTTP 400 with the Error entry; its message, not the body, is the reason."""
    body = arxiv_error_feed("incorrect id format for abc")
    replay.script(ARXIV_PATH, Fault.serve(body, ATOM_TYPE, status=400))
    with pytest.raises(FetchError) as caught:
        feed(replay, fake_time).fetch(MAR_12)
    assert caught.value.status_code == 400 and caught.value.reason == "arXiv API error: incorrect id format for abc"
    assert str(caught.value).startswith("arxiv 2024-03-12: arXiv API error: incorrect id format for abc (HTTP 400) GET ")
    assert "<feed" not in str(caught.value) and "http://arxiv.org/api/errors" not in str(caught.value)
    assert len(replay.requests) == 1 and fake_time.sleeps == []  # a 400 is not retried


@pytest.mark.parametrize("body", [b"", b"Bad Request", b"<html><body>400</body></html>", arxiv.atom_feed([], title="x", total_count=0)])
def test_an_http_400_without_an_error_entry_keeps_the_status_and_an_excerpt(replay, fake_time, body):
    replay.script(ARXIV_PATH, Fault.serve(body, ATOM_TYPE, status=400))
    with pytest.raises(FetchError, match=r"^arxiv 2024-03-12: Bad Request.* \(HTTP 400\)") as caught:
        feed(replay, fake_time).fetch(MAR_12)
    assert "arXiv API error" not in str(caught.value)


def test_the_servers_own_error_entry_for_a_bad_parameter(replay, fake_time):
    with pytest.raises(FetchError, match="arXiv API error: start must be non-negative and max_results at most 30000"):
        feed(replay, fake_time, page_size=40_000).fetch(MAR_12)


def test_rate_exceeded_is_throttling_backed_off_then_retried(replay, fake_time):
    replay.script(ARXIV_PATH, Fault.serve(b"Rate exceeded."), Fault.serve(b"Rate exceeded.", status=503))
    [payload, _] = feed(replay, fake_time).fetch(MAR_12)
    assert parse(payload.content, payload.source).rows.height == 5
    assert len(fake_time.sleeps) == 2 and fake_time.sleeps[1] > fake_time.sleeps[0] / 2


def test_rate_exceeded_every_time_gives_up_with_a_clear_error(replay, fake_time):
    replay.script(ARXIV_PATH, *[Fault.serve(b"Rate exceeded.")] * 3)
    with pytest.raises(FetchError, match=r"^arxiv 2024-03-13: gave up after 3 attempts: throttled: 'Rate exceeded.' \(HTTP 200\)"):
        feed(replay, fake_time).fetch(MAR_13)


def test_a_billion_laughs_answer_is_refused_quickly(replay, fake_time):
    replay.script(ARXIV_PATH, Fault.serve(fixture_bytes("arxiv_billion_laughs.xml"), ATOM_TYPE))
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"page start=0 is unusable: refused unsafe XML .*\[unsafe_xml\]"):
        feed(replay, fake_time).fetch(MAR_13)
    assert time.monotonic() - started < 1.0


def test_a_truncated_answer_fails_the_day(replay, fake_time):
    replay.script(ARXIV_PATH, Fault.serve(fixture_bytes("arxiv_truncated.xml"), ATOM_TYPE))
    with pytest.raises(FetchError, match=r"\[invalid_xml\]"):
        feed(replay, fake_time).fetch(MAR_13)


def test_a_day_without_submissions_is_an_empty_feed(replay, fake_time):
    for payload in feed(replay, fake_time).fetch(date(2024, 3, 16)):
        result = parse(payload.content, payload.source)
        assert result.status == "ok" and result.rows.height == 0


def test_polite_interval_is_the_default_for_the_real_service():
    with ArxivFeed() as real:
        assert real.http.settings.min_interval_seconds == 3.0
        assert real.query_url == "https://export.arxiv.org/api/query"


def test_pages_and_days_are_spaced_by_the_polite_interval_across_feed_objects(replay, fake_time):
    polite = replace(FAST, min_interval_seconds=3.0)
    ArxivFeed(replay.base_url, http=make_http("arxiv", fake_time, polite), page_size=2).fetch(MAR_11)
    first_count = len(replay.requests)
    assert len(submitted_requests(replay)) == 3 and fake_time.sleeps == [3.0] * (first_count - 1)  # every request after the first
    # A flow opens a new feed per day; the shared pacer still spaces its first request.
    ArxivFeed(replay.base_url, http=make_http("arxiv", fake_time, polite)).fetch(MAR_12)
    assert fake_time.sleeps == [3.0] * (len(replay.requests) - 1)


def test_from_env_reads_url_categories_and_interval(replay):
    environ = {
        arxiv.BASE_URL_ENV: replay.base_url,
        arxiv.CATEGORIES_ENV: "stat.ML, cs.LG",
        arxiv.INTERVAL_ENV: "0",
        "PAPERLAKE_HTTP_MAX_ATTEMPTS": "2",
    }
    with arxiv.from_env(environ) as configured:
        assert configured.categories == ("stat.ML", "cs.LG")
        assert configured.query_url == replay.base_url + ARXIV_PATH
        assert configured.http.settings.min_interval_seconds == 0.0 and configured.http.settings.max_attempts == 2
        [payload, _] = configured.fetch(MAR_13)
    # stat.ML brings in 2403.07777, which the default categories leave out.
    assert "2403.07777" in parse(payload.content, payload.source).rows["arxiv_id"].to_list()
    with arxiv.from_env({}) as default:
        assert default.http.settings.min_interval_seconds == 3.0 and default.categories == arxiv.DEFAULT_CATEGORIES


# ---- parse ----


def test_sample_entries_are_read_with_versions_and_withdrawals():
    rows = parse((SAMPLES / "arxiv" / "2024-03-11.xml").read_bytes(), "2024-03-11.xml").rows
    by_id = {row["arxiv_id"]: row for row in rows.iter_rows(named=True)}
    assert by_id["2403.06130"]["arxiv_version"] == 2 and by_id["2403.06241"]["arxiv_version"] == 1
    assert by_id["2403.06130"]["title"] == "Self-Correcting Retrieval for Open-Domain Code Generation"  # line wrap collapsed
    assert by_id["2403.06130"]["published_date"] == MAR_11
    assert by_id["2403.06599"]["withdrawn_at"] == datetime(2024, 3, 13, 11, 26, 9, tzinfo=UTC)
    assert by_id["2403.06455"]["withdrawn_at"] is None
    assert all("\n" not in a and "  " not in a for a in rows["abstract"])
    assert by_id["2403.06620"]["rank"] == 1  # the file itself, unfiltered, lists it first
    assert len(by_id["2403.06130"]["authors"]) >= 3


def test_id_forms_and_entries_with_gaps():
    result = parse(fixture_bytes("arxiv_ids_and_gaps.xml"), "arxiv_ids_and_gaps.xml")
    rows = result.rows
    assert rows.select("arxiv_id", "arxiv_version").rows() == [
        ("hep-th/9901001", 2),
        ("math.GT/0309136", 1),
        ("2203.01250", None),
        ("2503.02130", 12),
    ]
    assert rows["title"][0] == "An Old-Style Identifier" and rows["abstract"][0] == "Old ids carry an archive name and a slash."
    assert rows["abstract"][1] is None and rows["authors"][1].to_list() == []
    assert rows["withdrawn_at"][3] is None  # "a drug that was withdrawn" is not a withdrawal notice
    assert [(i.rule, i.message.split(":")[0]) for i in result.issues] == [
        ("bad_timestamp", "entry 4"),
        ("missing_field", "entry 5 has no <title>; entry skipped"),
        ("invalid_id", "entry 6"),
        ("missing_field", "entry 7 has no <id>; entry skipped"),
    ]
    assert result.status == "partial"
    # The three skipped entries are row rejects carrying their XML, the bad timestamp is not.
    assert [(r.rule, r.text.startswith("<")) for r in result.rejects] == [("missing_field", True), ("invalid_id", True), ("missing_field", True)]


def test_an_error_feed_parses_as_an_api_error_issue():
    result = parse(fixture_bytes("arxiv_error_entry.xml"), "error.xml")
    assert result.status == "failed"
    [issue] = result.issues
    assert (issue.rule, issue.message) == ("api_error", "arXiv API error: incorrect id format for 1234.12345")


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("arxiv_billion_laughs.xml", "unsafe_xml"),
        ("arxiv_rate_exceeded.txt", "rate_exceeded"),
        ("arxiv_truncated.xml", "invalid_xml"),
        ("arxiv_rss.xml", "not_atom_feed"),
        ("hf_html_error.html", "html_instead_of_atom"),
        ("hf_not_list.json", "not_xml"),
    ],
)
def test_unreadable_payloads_fail_with_one_issue(name, rule):
    started = time.monotonic()
    result = parse(fixture_bytes(name), name)
    assert time.monotonic() - started < 1.0
    assert result.status == "failed" and result.rows.height == 0
    [issue] = result.issues
    assert issue.rule == rule and issue.source == name


def test_an_invalid_xml_issue_has_its_line():
    [issue] = parse(fixture_bytes("arxiv_truncated.xml"), "t.xml").issues
    assert issue.line == 5 and str(issue).startswith("t.xml:5: invalid XML")


def test_a_paper_titled_error_is_still_a_paper():
    entry = fixture_bytes("arxiv_ids_and_gaps.xml").replace(b"An Old-Style\n      Identifier", b"Error", 1)
    # Keep just the first entry so the feed has a single entry titled Error, as an error answer would.
    head, _, rest = entry.partition(b"<entry>")
    first = b"<entry>" + rest.split(b"</entry>")[0] + b"</entry>"
    result = parse(head + first + b"</feed>", "x")
    assert result.rows["title"].to_list() == ["Error"] and result.issues == []


def test_categories_comment_journal_ref_and_doi_are_kept():
    entry = """<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"><entry>
      <id>http://arxiv.org/abs/2501.01234v2</id><title>A Paper</title><summary>Text.</summary>
      <author><name>Ana  Ruiz</name></author><author><name>Bo Li</name></author>
      <arxiv:comment>12 pages, 3 figures</arxiv:comment>
      <arxiv:journal_ref>Proceedings of ICML 2025, pp. 1-12</arxiv:journal_ref>
      <arxiv:doi>10.5555/icml.2025.1</arxiv:doi>
      <arxiv:primary_category term="stat.ML"/>
      <category term="cs.LG"/><category term="stat.ML"/></entry></feed>"""
    row = parse(entry.encode(), "entry.xml").rows.row(0, named=True)
    assert row["authors"] == ["Ana Ruiz", "Bo Li"]
    assert row["primary_category"] == "stat.ML" and row["categories"] == ["cs.LG", "stat.ML"]
    assert row["arxiv_comment"] == "12 pages, 3 figures"
    assert row["journal_ref"] == "Proceedings of ICML 2025, pp. 1-12" and row["doi"] == "10.5555/icml.2025.1"


def test_sample_entries_keep_their_cross_lists():
    rows = parse((SAMPLES / "arxiv" / "2024-03-11.xml").read_bytes(), "2024-03-11.xml").rows
    assert all(row["primary_category"] in row["categories"] for row in rows.iter_rows(named=True))
    assert rows.filter(pl.col("categories").list.len() > 1).height > 0


def test_a_plain_utf8_feed_takes_the_fast_parser_and_reads_the_same():
    from feeds.arxiv_parse import without_dtd

    plain = b'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2401.00001v2</id><title>A</title></entry></feed>'
    assert without_dtd(plain)
    assert parse(plain, "x").rows["arxiv_id"].to_list() == ["2401.00001"]
    # Anything that could declare an entity, or whose bytes are not what the parser reads, goes through defusedxml.
    assert not without_dtd(plain.replace(b"\n<feed", b'\n<!DOCTYPE feed [<!ENTITY a "b">]><feed'))
    assert not without_dtd(plain.replace(b"UTF-8", b"UTF-7"))
    assert not without_dtd(plain.decode().replace("UTF-8", "UTF-16").encode("utf-16"))
