"""Saved files: page copies stay the `archive` feed; saved HF and arXiv API answers are filed under their
own feed and the date in their name (or --date), stored as the live fetch would store them."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds import archive, arxiv, hf_daily
from feeds.archive import SnapshotDateError, read_payload
from feeds.base import parse_payload
from feeds.json_lists import compact_json
from paperlake.replay import arxiv_error_feed
from tests.feeds.replay_fixtures import FETCHED_AT, ROOT, SAMPLES

SAVED = ROOT / "tests" / "data" / "saved_answers"
MAR_11, MAR_12 = date(2024, 3, 11), date(2024, 3, 12)


def read(path: Path, snapshot_date: date | None = None):
    return read_payload(path, snapshot_date=snapshot_date, fetched_at=FETCHED_AT)


def test_a_reindented_hf_answer_is_filed_under_hf_daily_and_the_names_date_in_the_live_form():
    reindented, compact = read(SAVED / "daily_papers_2024-03-12.json"), read(SAVED / "2024-03-12.json")
    assert (reindented.feed, reindented.format, reindented.snapshot_date) == ("hf_daily", "hf_json", MAR_12)
    assert (compact.feed, compact.snapshot_date) == ("hf_daily", MAR_12)
    # The API's compact bytes, whatever the indentation and \uXXXX escapes of the saved copy: one snapshot.
    assert compact.content == (SAVED / "2024-03-12.json").read_bytes()
    assert reindented.content == compact.content and reindented.snapshot_id == compact.snapshot_id
    assert "café" in reindented.content.decode("utf-8")
    assert parse_payload(reindented).rows.equals(parse_payload(compact).rows)


def test_the_items_own_dates_never_date_the_list():
    payload = read(SAVED / "daily_papers_2024-03-12.json")
    assert {item["publishedAt"][:10] for item in json.loads(payload.content)} == {"2024-03-11"}
    assert payload.snapshot_date == MAR_12


def test_the_files_modification_time_never_dates_a_saved_answer(tmp_path):
    saved = tmp_path / "2025-06-10.json"
    saved.write_bytes(b"[]")
    os.utime(saved, (datetime(2030, 1, 1).timestamp(),) * 2)
    assert read(saved).snapshot_date == date(2025, 6, 10)


def test_date_gives_the_date_when_the_name_has_none():
    payload = read(SAVED / "undated" / "daily_papers_latest.json", MAR_12)
    assert (payload.feed, payload.snapshot_date) == ("hf_daily", MAR_12)


@pytest.mark.parametrize(
    ("name", "snapshot_date", "message"),
    [
        ("undated/daily_papers_latest.json", None, "saved hf_daily answer with no date in its name and no --date"),
        ("undated/daily_papers_2024-02-30.json", None, "2024-02-30 in the name is not a calendar date"),
        ("undated/daily_papers_2024-03-12_2024-03-13.json", None, "several dates"),
        ("daily_papers_2024-03-12.json", MAR_11, "the name says 2024-03-12 but --date says 2024-03-11"),
    ],
)
def test_a_saved_answer_without_one_clear_date_is_refused_by_name(name, snapshot_date, message):
    with pytest.raises(SnapshotDateError, match=message) as refused:
        read(SAVED / name, snapshot_date)
    assert str(SAVED / name) in str(refused.value) and "never its items' dates" in str(refused.value)


def test_a_saved_arxiv_answer_is_filed_under_arxiv_in_the_live_fetchs_form():
    path = SAVED / "arxiv_2024-03-11.xml"
    payload = read(path)
    assert (payload.feed, payload.format, payload.snapshot_date) == ("arxiv", "arxiv_atom", MAR_11)
    # The live fetch's header (only what is stable for the query), the entries as saved, in id order.
    query = "(cat:cs.LG OR cat:cs.CV OR cat:cs.CL OR cat:cs.AI) AND submittedDate:[202403110000 TO 202403112359]"
    assert f"<title type=\"html\">arXiv query: {query}</title>".encode() in payload.content
    assert b"<updated>" not in payload.content.split(b"<entry>")[0]
    def papers(rows):
        return rows.drop("rank").sort("arxiv_id")

    assert papers(parse_payload(payload).rows).equals(papers(arxiv.parse(path.read_bytes(), str(path)).rows))


def test_a_saved_arxiv_page_that_is_not_the_whole_answer_is_kept_as_saved(tmp_path):
    whole = (SAVED / "arxiv_2024-03-11.xml").read_bytes()
    for name, content in {
        "arxiv_2024-03-11_p1.xml": whole.replace(b"&amp;start=0&amp;", b"&amp;start=200&amp;"),  # a later page
        "arxiv_2024-03-11_short.xml": whole.replace(b">2</opensearch:totalResults>", b">9</opensearch:totalResults>"),
        "arxiv_2024-03-11_error.xml": arxiv_error_feed("incorrect id format for abc"),
    }.items():
        (tmp_path / name).write_bytes(content)
        assert read(tmp_path / name).content == content, name


def test_page_copies_stay_the_archive_feed_dated_as_before():
    payload = read(SAMPLES / "pages" / "2024-03-11.txt")  # its date line `Mar 11`, the year from when it was saved
    assert (payload.feed, payload.format, payload.snapshot_date.month, payload.snapshot_date.day) == ("archive", "text_page", 3, 11)


def test_a_saved_file_that_is_no_json_list_is_kept_as_read_for_its_parser_to_explain(tmp_path):
    saved = tmp_path / "daily_papers_2024-03-12.json"
    saved.write_bytes(b'{\n  "error": "Invalid date"\n}\n')
    payload = read(saved)
    assert payload.content == saved.read_bytes()
    assert [i.rule for i in parse_payload(payload).issues] == ["not_json_list"]


@pytest.mark.parametrize(
    ("saved", "compact"),
    [
        (b'[\n  {"a": [1, 2.50, "x y"]},\n  {}\n]\n', b'[{"a":[1,2.50,"x y"]},{}]'),  # numbers as written
        (b'\xef\xbb\xbf[ "\\u00e9\\/\\n\\"" ]', '["é/\\n\\""]'.encode()),  # only the escapes JSON needs
        (b'["\\ud800"]', b'["\\ud800"]'),  # a lone surrogate has no UTF-8 form: kept escaped
        (b"[ ]", b"[]"),
    ],
)
def test_compact_json_gives_the_apis_form(saved, compact):
    assert compact_json(saved) == compact
    assert hf_daily.canonical_json_list(saved) == compact


def test_feed_of_a_batch():
    hf, page = read(SAVED / "2024-03-12.json"), read(SAMPLES / "pages" / "2024-03-11.txt")
    assert archive.feed_of([hf, hf]) == "hf_daily"
    assert archive.feed_of([hf, page]) is None and archive.feed_of([]) is None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(st.characters(blacklist_categories=("Cs",))),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(st.lists(JSON_VALUES, max_size=5), st.sampled_from([None, 0, 1, 2, "\t"]), st.booleans())
def test_any_saved_list_compacts_to_what_the_api_writes(items, indent, ascii_escaped):
    saved = json.dumps(items, indent=indent, ensure_ascii=ascii_escaped).encode("utf-8")
    api_bytes = json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert hf_daily.canonical_json_list(saved) == api_bytes
