"""Hugging Face daily papers: fetching a day from the replay server, and the pure parser."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from feeds import hf_daily
from feeds.base import parse_payload
from feeds.hf_daily import HfDailyFeed, join_json_lists, parse
from feeds.http_response import FetchError
from paperlake.replay import HF_PATH, HTML_TYPE, JSON_TYPE, Fault, serve_replay
from tests.feeds.replay_fixtures import FETCHED_AT, SAMPLES, FakeTime, fake_time, fixture_bytes, make_http, replay  # noqa: F401

MAR_11, MAR_12, MAR_13 = date(2024, 3, 11), date(2024, 3, 12), date(2024, 3, 13)


def feed(replay, fake_time, **options) -> HfDailyFeed:
    return HfDailyFeed(replay.base_url, http=make_http("hf_daily", fake_time), clock=lambda: FETCHED_AT, **options)


def sample(day: date) -> bytes:
    return (SAMPLES / "hf_daily" / f"{day.isoformat()}.json").read_bytes()


# ---- fetch ----


def test_a_day_is_one_payload_of_the_whole_listing(replay, fake_time):
    [payload] = feed(replay, fake_time).fetch(MAR_11)
    assert (payload.feed, payload.format, payload.snapshot_date, payload.fetched_at) == ("hf_daily", "hf_json", MAR_11, FETCHED_AT)
    assert payload.source == f"{replay.base_url}{HF_PATH}?date=2024-03-11&p=0&limit=50"
    result = parse_payload(payload)
    assert result.status == "ok" and result.rows.height == 10
    assert result.rows["arxiv_id"][:3].to_list() == ["2403.05017", "2403.04715", "2403.05120"]
    assert result.rows["title"][0] == "Do Small Models Dream of Long Proofs? Curriculum Distillation for Theorem Proving"
    assert json.loads(payload.content) == json.loads(sample(MAR_11))


def test_pages_are_fetched_until_a_short_page_and_join_to_the_same_bytes(replay, fake_time):
    [paged] = feed(replay, fake_time, page_size=4).fetch(MAR_11)
    assert [(r.params["p"], r.params["limit"]) for r in replay.requests] == [("0", "4"), ("1", "4"), ("2", "4")]
    [whole] = feed(replay, fake_time, page_size=50).fetch(MAR_11)
    assert paged.content == whole.content and paged.snapshot_id == whole.snapshot_id
    assert parse(paged.content, paged.source).rows["rank"].to_list() == list(range(1, 11))


def test_a_full_last_page_is_followed_by_an_empty_one(replay, fake_time):
    [payload] = feed(replay, fake_time, page_size=5).fetch(MAR_11)
    assert [r.params["p"] for r in replay.requests] == ["0", "1", "2"]
    assert parse(payload.content, payload.source).rows.height == 10


def test_a_day_without_papers_is_an_empty_listing(replay, fake_time):
    [payload] = feed(replay, fake_time).fetch(date(2024, 3, 16))
    assert payload.content == b"[]"
    result = parse(payload.content, payload.source)
    assert result.status == "ok" and result.rows.height == 0


def test_a_failing_later_page_fails_the_whole_day(replay, fake_time):
    replay.script(HF_PATH, None, Fault.http_status(404, b"gone"))
    with pytest.raises(FetchError) as caught:
        feed(replay, fake_time, page_size=4).fetch(MAR_12)
    assert str(caught.value).startswith("hf_daily 2024-03-12: Not Found: gone (HTTP 404)")
    assert "p=1" in caught.value.url and len(replay.requests) == 2


def test_a_server_error_on_a_page_is_retried(replay, fake_time):
    replay.script(HF_PATH, None, Fault.http_status(500), Fault.http_status(429, retry_after="2"))
    [payload] = feed(replay, fake_time, page_size=4).fetch(MAR_12)
    assert parse(payload.content, payload.source).rows.height == 10
    assert len(replay.requests) == 5 and fake_time.sleeps[1] == 2.0


@pytest.mark.parametrize(
    ("fault", "rule"),
    [
        (Fault.serve(fixture_bytes("hf_html_error.html"), HTML_TYPE), "html_instead_of_json"),
        (Fault.serve(fixture_bytes("hf_truncated.json"), JSON_TYPE), "invalid_json"),
        (Fault.serve(fixture_bytes("hf_not_list.json"), JSON_TYPE), "not_json_list"),
    ],
)
def test_a_page_that_is_not_a_json_list_fails_the_day_naming_the_rule(replay, fake_time, fault, rule):
    replay.script(HF_PATH, fault)
    with pytest.raises(FetchError) as caught:
        feed(replay, fake_time).fetch(MAR_13)
    message = str(caught.value)
    assert message.startswith("hf_daily 2024-03-13: page p=0 is unusable: ") and f"[{rule}]" in message
    assert "(HTTP 200)" in message and len(replay.requests) == 1  # a well-delivered bad body is not retried


def test_a_server_ignoring_p_is_stopped(replay, fake_time):
    always_full = Fault(rewrite=lambda body: json.dumps(json.loads(sample(MAR_11))[:2]).encode())
    replay.script(HF_PATH, *[always_full] * 3)
    with pytest.raises(FetchError, match="still full pages after 3 pages"):
        feed(replay, fake_time, page_size=2, max_pages=3).fetch(MAR_11)


def test_serve_replay_yields_a_base_url_with_scripted_faults(fake_time):
    with serve_replay(SAMPLES, faults={HF_PATH: [Fault.http_status(503)]}) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        hf = HfDailyFeed(base_url, http=make_http("hf_daily", fake_time), clock=lambda: FETCHED_AT)
        [payload] = hf.fetch(MAR_12)
    assert parse(payload.content, payload.source).rows.height == 10 and len(fake_time.sleeps) == 1


def test_upvotes_change_across_days_for_a_recurring_paper(replay, fake_time):
    hf = feed(replay, fake_time)
    upvotes = []
    for day in (MAR_11, MAR_12, MAR_13):
        [payload] = hf.fetch(day)
        rows = parse(payload.content, payload.source).rows
        upvotes.append(rows.filter(rows["arxiv_id"] == "2403.05017")["upvotes"].item())
    assert upvotes == [58, 71, 77]


def test_from_env_reads_url_and_token(replay, fake_time):
    environ = {hf_daily.BASE_URL_ENV: replay.base_url + "/", hf_daily.TOKEN_ENV: "hf_abc"}
    with hf_daily.from_env(environ, clock=lambda: FETCHED_AT) as hf:
        assert hf.listing_url == replay.base_url + HF_PATH
        hf.fetch(MAR_11)
    assert replay.requests[0].headers["authorization"] == "Bearer hf_abc"
    assert hf_daily.from_env({}).listing_url == "https://huggingface.co/api/daily_papers"


# ---- parse ----


def test_sample_fields_are_read_and_typed():
    rows = parse(sample(MAR_13), "2024-03-13.json").rows
    first = rows.row(0, named=True)
    assert first["arxiv_id"] == "2403.07038" and first["rank"] == 1
    assert first["upvotes"] == 83 and first["comment_count"] == 9
    assert first["published_date"] == date(2024, 3, 12)
    assert first["ai_keywords"] == ["reward models", "length bias", "RLHF"]
    assert "\n" not in first["abstract"] and len(first["abstract"]) > 300
    assert first["arxiv_version"] is None
    proofs = rows.filter(rows["arxiv_id"] == "2403.05017").row(0, named=True)
    assert proofs["github_repo"] == "https://github.com/small-provers/curriculum-distill"
    withdrawn = rows.filter(rows["withdrawn_at"].is_not_null())
    assert withdrawn["arxiv_id"].to_list() == ["2403.06890"]
    assert withdrawn["withdrawn_at"].item() == datetime(2024, 3, 13, 16, 20, 5, tzinfo=UTC)


def test_an_author_without_a_name_is_left_out():
    rows = parse(sample(MAR_11), "x").rows
    authors = rows.filter(rows["arxiv_id"] == "2403.05444")["authors"].item().to_list()
    assert authors and all(isinstance(name, str) and name for name in authors)


def test_ids_stay_strings_with_their_trailing_zeros():
    rows = parse(sample(MAR_11), "x").rows
    assert rows.schema["arxiv_id"].is_(rows.schema["title"])  # String
    assert "2403.05120" in rows["arxiv_id"].to_list()


def test_an_id_sent_as_a_number_keeps_its_digits_or_is_refused():
    result = parse(fixture_bytes("hf_numeric_id.json"), "hf_numeric_id.json")
    assert result.rows["arxiv_id"].to_list() == ["2503.02130", "2503.02130"]
    assert result.rows["rank"].to_list() == [1, 3]
    assert [(i.rule, i.message) for i in result.issues] == [
        ("id_not_string", "item 1: paper.id is the JSON number 2503.02130; kept as the string '2503.02130'"),
        ("invalid_id", "item 2: paper.id is the JSON number 2503.0213, not a valid arXiv id; item skipped"),
    ]
    assert result.status == "partial"


def test_extra_fields_are_ignored_missing_ones_are_null_and_bad_items_are_reported():
    result = parse(fixture_bytes("hf_extra_and_missing.json"), "hf_extra_and_missing.json")
    rows = result.rows
    assert rows["arxiv_id"].to_list() == ["2403.09001", "2403.09002", "2403.09005"]
    assert rows["rank"].to_list() == [1, 2, 5]
    full = rows.row(0, named=True)
    assert full["authors"] == ["Ana Abara", "Bilal Bergström"] and full["comment_count"] == 2
    assert full["published_date"] == date(2024, 3, 13)  # 23:30 UTC stays on the 13th
    bare = rows.row(1, named=True)
    assert bare["abstract"] is None and bare["authors"] is None and bare["upvotes"] is None
    assert bare["ai_keywords"] is None and bare["withdrawn_at"] is None and bare["github_repo"] is None
    wrong = rows.row(2, named=True)
    assert wrong["title"] == "Title Only At The Top Level"
    assert wrong["upvotes"] is None and wrong["published_date"] is None and wrong["comment_count"] is None
    assert [(i.rule, i.message.split(":")[0]) for i in result.issues] == [
        ("missing_field", "item 3"),
        ("missing_field", "item 4"),
        ("bad_timestamp", "item 5"),
        ("wrong_type", "item 5"),
        ("wrong_type", "item 5"),
        ("wrong_type", "item 5"),
        ("not_json_object", "item 6 is a JSON string, not an object"),
        ("missing_field", "item 7 has no `paper` object"),
    ]
    assert "has no paper.id; item skipped" in result.issues[0].message
    assert "has no title; item skipped" in result.issues[1].message
    assert "`upvotes` should be an integer, got string 'many'" in result.issues[3].message
    assert all(i.source == "hf_extra_and_missing.json" for i in result.issues)
    # The four skipped items are row rejects carrying their JSON; a field read as null is not.
    assert [(r.rule, r.message.split(" ")[1].rstrip(":")) for r in result.rejects] == [
        ("missing_field", "3"), ("missing_field", "4"), ("not_json_object", "6"), ("missing_field", "7")
    ]
    assert "id" not in json.loads(result.rejects[0].text)["paper"] and isinstance(json.loads(result.rejects[2].text), str)


@pytest.mark.parametrize(
    ("content", "rule", "line"),
    [
        (fixture_bytes("hf_truncated.json"), "invalid_json", 1),
        (fixture_bytes("hf_html_error.html"), "html_instead_of_json", 1),
        (fixture_bytes("hf_not_list.json"), "not_json_list", None),
        (b"  \n", "empty", None),
        (b"[\xff]", "not_utf8", None),
        (b"[NaN]", "invalid_json", None),
    ],
)
def test_unreadable_payloads_fail_with_one_issue(content, rule, line):
    result = parse(content, "payload")
    assert result.status == "failed" and result.rows.height == 0
    [issue] = result.issues
    assert (issue.rule, issue.line) == (rule, line)


def test_the_error_object_is_quoted_in_the_issue():
    [issue] = parse(fixture_bytes("hf_not_list.json"), "x").issues
    assert "got a JSON object" in issue.message and "Invalid date format" in issue.message


@pytest.mark.parametrize("content", [b"[[1]]", b"[null]", b'[{"paper": "x"}]', b'[{"paper": {"id": true, "title": 3}}]', b"[1e999]"])
def test_odd_json_never_raises(content):
    result = parse(content, "x")
    assert result.rows.height == 0 and result.issues


def test_join_json_lists_keeps_item_bytes():
    assert join_json_lists([b'[{"a":1.10},{"b":2}]', b"[]", b' \n[{"c":3}]\n']) == b'[{"a":1.10},{"b":2},{"c":3}]'


def test_authors_github_repo_and_keywords_are_kept():
    item = {"paper": {"id": "2501.01234", "title": "T", "authors": [{"name": "Ana Ruiz"}, {"name": "Bo  Li"}, {"hidden": True}],
                      "githubRepo": "https://github.com/ana/t", "ai_keywords": ["scaling laws", "MoE"]}}
    row = hf_daily.parse(json.dumps([item]).encode(), "day.json").rows.row(0, named=True)
    assert row["authors"] == ["Ana Ruiz", "Bo Li"]
    assert row["github_repo"] == "https://github.com/ana/t" and row["ai_keywords"] == ["scaling laws", "MoE"]
