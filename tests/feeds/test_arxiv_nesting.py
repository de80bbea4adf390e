"""Deeply nested XML in an arXiv answer is named as a rule, as the JSON path does, never a RecursionError."""

from __future__ import annotations

from datetime import date

import pytest

from feeds.arxiv import ArxivFeed, parse
from feeds.http_response import FetchError
from paperlake.replay import ARXIV_PATH, ATOM_TYPE, Fault
from tests.feeds.replay_fixtures import FAST, fake_time, make_http, replay  # noqa: F401

DEEP = (
    b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2403.00001v1</id>'
    b"<title>Deep</title>" + b"<a>" * 50_000 + b"</a>" * 50_000 + b"</entry></feed>"
)


def test_a_deeply_nested_answer_fails_the_day_naming_the_rule(replay, fake_time):
    replay.script(ARXIV_PATH, Fault.serve(DEEP, ATOM_TYPE))
    with pytest.raises(FetchError) as failure:
        ArxivFeed(replay.base_url, http=make_http("arxiv", fake_time, FAST)).fetch(date(2024, 3, 11))
    assert "XML nested too deeply to be an Atom feed" in str(failure.value)
    assert "[invalid_xml]" in str(failure.value)


def test_a_deeply_nested_payload_parses_to_one_issue():
    result = parse(DEEP, "deep.xml")
    assert result.rows.height == 0
    assert [(issue.rule, issue.message[:38]) for issue in result.issues] == [("invalid_xml", "XML nested too deeply to be an Atom fe")]
