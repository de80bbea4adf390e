"""Issue 8.4: bad input at scale, property-based.

The text page parser, the hf_daily JSON parser, the arXiv Atom parser and the normalizer get
arbitrary bytes, arbitrary documents of the right shape with fields of any type, and real
payloads mutated (cut, spliced, bytes flipped, lines shuffled). Whatever comes in, a parser
returns a ParseResult (rows plus issues, never an exception) and no row reaches the lake's
shape with an empty title or paper id. Examples are derandomized so CI runs the same payloads
every time; each test prints how many it tried.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from xml.sax.saxutils import escape

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds import arxiv, text_page
from feeds.base import PARSED_SCHEMA, ParseResult
from feeds.formats import FORMATS
from lake.schemas import SIGHTINGS
from tests.reliability.conftest import SAMPLES
from transforms.sightings import to_sightings

EXAMPLES = 250
FUZZ = settings(
    max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
PARSERS = {name: payload_format.parse for name, payload_format in FORMATS.items()}  # the one registry
SAMPLE_PAYLOADS = {
    "text_page": (SAMPLES / "pages" / "2024-03-12.txt").read_bytes(),
    "hf_json": (SAMPLES / "hf_daily" / "2024-03-12.json").read_bytes(),
    "arxiv_atom": (SAMPLES / "arxiv" / "2024-03-12.xml").read_bytes(),
}
tried: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def report_payload_count():
    yield
    print(f"\npayloads tried: {sum(tried.values())} ({', '.join(f'{k} {v}' for k, v in sorted(tried.items()))})")


def check_payload(format: str, content: bytes) -> ParseResult:
    """Parse and normalize one payload; assert the properties every payload must keep."""
    tried[format] += 1
    result = PARSERS[format](content, "fuzzed")  # any exception fails the test: parsers never raise
    assert isinstance(result, ParseResult)
    assert result.rows.schema == PARSED_SCHEMA
    assert all(str(issue) for issue in result.issues)  # each issue renders as a readable line
    assert all(reject.text is not None and reject.rule for reject in result.rejects)  # a dropped row keeps its text
    titles = result.rows["title"].to_list()
    assert all(t is not None and t.strip() for t in titles), f"a row with an empty title: {titles!r}"
    sightings = normalize(result.rows, format)
    assert sightings.height <= result.rows.height
    for column in ("paper_id", "title", "snapshot_id", "feed"):
        values = sightings[column].to_list()
        assert all(v is not None and v.strip() for v in values), f"a sighting with an empty {column}: {values!r}"
    return result


def normalize(rows: pl.DataFrame, format: str) -> pl.DataFrame:
    """The pipeline's normalize step on one parsed payload (identity, dedupe, table shape)."""
    framed = rows.with_columns(
        snapshot_id=pl.lit("0" * 64), feed=pl.lit(format), snapshot_date=pl.lit(date(2024, 3, 12), dtype=pl.Date)
    )
    sightings = to_sightings(framed)
    assert sightings.columns == SIGHTINGS.column_names
    return sightings


# --- mutations of real payloads ---


@st.composite
def mutated(draw, original: bytes) -> bytes:
    """A real payload after a few random edits of the kinds transfers and people make."""
    content = original
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cut", "delete", "insert", "flip", "duplicate", "shuffle_lines"]))
        at = draw(st.integers(0, len(content)))
        if kind == "cut":
            content = content[:at]
        elif kind == "delete":
            content = content[:at] + content[at + draw(st.integers(1, 200)) :]
        elif kind == "insert":
            content = content[:at] + draw(st.binary(min_size=1, max_size=40)) + content[at:]
        elif kind == "flip" and content:
            i = min(at, len(content) - 1)
            content = content[:i] + bytes([content[i] ^ draw(st.integers(1, 255))]) + content[i + 1 :]
        elif kind == "duplicate":
            end = min(len(content), at + draw(st.integers(1, 400)))
            content = content[:end] + content[at:end] + content[end:]
        elif kind == "shuffle_lines":
            lines = content.split(b"\n")
            content = b"\n".join(draw(st.permutations(lines))) if len(lines) < 200 else content
    return content


@pytest.mark.parametrize("format", sorted(PARSERS))
@FUZZ
@given(data=st.data())
def test_mutated_real_payloads(format, data):
    check_payload(format, data.draw(mutated(SAMPLE_PAYLOADS[format])))


@pytest.mark.parametrize("format", sorted(PARSERS))
@FUZZ
@given(content=st.binary(max_size=3000))
def test_arbitrary_bytes(format, content):
    check_payload(format, content)


# --- text pages of the right shape with odd lines ---

odd_text = st.text(st.characters(codec="utf-8"), max_size=400)


@FUZZ
@given(lines=st.lists(st.one_of(odd_text, st.sampled_from(sorted(text_page.HEADER_LINES)), st.just("")), max_size=30),
       newline=st.sampled_from(["\n", "\r\n", "\r", "\u2028"]))
def test_text_pages_of_any_lines(lines, newline):
    check_payload("text_page", newline.join(lines).encode("utf-8"))


# --- hf_daily JSON: listings whose fields hold anything ---

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
ids = st.one_of(st.sampled_from(["2403.05788", "2503.02130", "hep-th/9901001", "2403.05788v2", " ", ""]), json_values)
titles = st.one_of(st.text(max_size=60), st.sampled_from(["", "   ", "\n\t", "!!!", "A Real Title"]), json_values)


@st.composite
def hf_items(draw):
    paper = {"id": draw(ids), "title": draw(titles), "summary": draw(st.one_of(st.text(max_size=80), json_values)),
             "authors": draw(st.one_of(st.lists(st.fixed_dictionaries({"name": st.one_of(st.text(max_size=20), json_values)}), max_size=3), json_values)),
             "publishedAt": draw(st.one_of(st.just("2024-03-09T12:31:27.000Z"), st.text(max_size=30), json_values)),
             "upvotes": draw(st.one_of(st.integers(-5, 10**12), json_values))}
    drop = draw(st.sets(st.sampled_from(sorted(paper))))
    item = {"paper": {k: v for k, v in paper.items() if k not in drop}, "numComments": draw(json_values),
            "publishedAt": draw(st.one_of(st.just("2024-03-12T00:00:00.000Z"), json_values))}
    return draw(st.one_of(st.just(item), json_values))


@FUZZ
@given(items=st.lists(hf_items(), max_size=8))
def test_hf_listings_with_fields_of_any_type(items):
    check_payload("hf_json", json.dumps(items).encode("utf-8"))


# --- arXiv Atom: feeds whose entries hold anything ---

xml_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=60)
entry_ids = st.one_of(st.sampled_from(["http://arxiv.org/abs/2403.07210v1", "http://arxiv.org/abs/hep-th/9901001v2",
                                       "http://arxiv.org/abs/2403.07210", "2403.07210v1", ""]), xml_text)


@st.composite
def atom_entries(draw) -> str:
    fields = {"id": draw(entry_ids), "title": draw(st.one_of(xml_text, st.sampled_from(["", " ", "Error"]))),
              "summary": draw(xml_text), "published": draw(st.one_of(st.just("2024-03-12T18:08:52Z"), xml_text)),
              "updated": draw(st.one_of(st.just("2024-03-12T18:08:52Z"), xml_text))}
    drop = draw(st.sets(st.sampled_from(sorted(fields))))
    inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items() if k not in drop)
    authors = "".join(f"<author><name>{escape(n)}</name></author>" for n in draw(st.lists(xml_text, max_size=3)))
    return f"<entry>{inner}{authors}</entry>"


@FUZZ
@given(entries=st.lists(atom_entries(), max_size=6))
def test_atom_feeds_with_entries_of_any_content(entries):
    document = f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="{arxiv.ATOM_NS}">{"".join(entries)}</feed>'
    check_payload("arxiv_atom", document.encode("utf-8"))


# --- payloads built to hurt ---

NASTY = {
    "hf_json": [b"[" * 100_000, b'[{"paper": ' * 5000, b'{"a": ' * 100_000 + b"1", b"[1e999999]", b"[NaN]", b'["\\ud800"]'],
    "arxiv_atom": [
        f'<feed xmlns="{arxiv.ATOM_NS}">'.encode() + b"<entry>" * 50_000,
        f'<feed xmlns="{arxiv.ATOM_NS}">'.encode() + b"<x>" * 100_000 + b"</x>" * 100_000 + b"</feed>",
        b'<?xml version="1.0" encoding="UTF-16"?><feed/>',
    ],
    "text_page": [b"\xef\xbb\xbf" + b"\n" * 100_000, ("\u0301" * 5000).encode(), b"Subscribe" * 10_000],
}


@pytest.mark.parametrize("format,content", [(f, c) for f, payloads in NASTY.items() for c in payloads])
def test_payloads_built_to_hurt(format, content):
    check_payload(format, content)


def test_a_punctuation_only_title_is_an_issue_not_a_paper_without_id():
    page = "\n".join(["Mar 12", "!!! ???", "We present a method " + "that works " * 20 + "."]).encode()
    result = check_payload("text_page", page)
    assert result.rows.height == 0
    assert [issue.rule for issue in result.issues] == ["title_without_letters"]
