"""The format registry: every payload format has a parser, and saved files are told apart by content."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds import arxiv, hf_daily, text_page
from feeds.base import PARSED_SCHEMA, Payload, parse_payload, parser_for
from feeds.formats import FORMATS, detect, detect_format, format_named
from tests.feeds.replay_fixtures import FEED_DATA, FETCHED_AT, SAMPLES

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def test_every_feed_format_is_registered():
    assert {name: f.parse for name, f in FORMATS.items()} == {"text_page": text_page.parse, "hf_json": hf_daily.parse, "arxiv_atom": arxiv.parse}
    assert parser_for("hf_json") is hf_daily.parse and parser_for("arxiv_atom") is arxiv.parse
    # Saved answers of a live feed are filed under that feed; anything else is a page copy.
    assert {name: f.saved_feed for name, f in FORMATS.items()} == {"hf_json": "hf_daily", "arxiv_atom": "arxiv", "text_page": None}
    with pytest.raises(ValueError, match="no parser for payload format 'rss'.*arxiv_atom"):
        format_named("rss")


def test_feeds_has_no_import_cycle():
    """No module of feeds/ imports one that (directly or not) imports it back: the registry sits above the feeds."""
    import ast

    package = Path(hf_daily.__file__).parent
    imports = {}
    for path in package.glob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "feeds":
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("feeds."):
                names.add(node.module.removeprefix("feeds."))
        imports[path.stem] = names

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        return any(n == target or (n not in seen and reaches(n, target, seen | {n})) for n in imports.get(start, ()))

    assert [m for m in imports if reaches(m, m, {m})] == []
    assert "base" not in imports["hf_daily"] | imports["arxiv"] | imports["text_page"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [(p, p.parent.name) for p in sorted(SAMPLES.glob("*/*.*"))],
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_samples_are_recognised(path, expected):
    formats = {"hf_daily": "hf_json", "arxiv": "arxiv_atom", "pages": "text_page"}
    assert detect_format(path.read_bytes()) == formats[expected]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'[{"paper": {"id": "2403.05017"}}]', "hf_json"),
        (b"\xef\xbb\xbf\n  [\n  ]", "hf_json"),
        (b'{"error": "Invalid date"}', "hf_json"),  # its parser then says "not a JSON list"
        (b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"></feed>', "arxiv_atom"),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", "arxiv_atom"),
        (b"[Re] Reproducing Sparse Routing\n\nWe reproduce ...", "text_page"),  # a title, not JSON
        (b"new\n\nGet trending papers in your email inbox!\n", "text_page"),
        (b"<!DOCTYPE html><html><body>maintenance</body></html>", "text_page"),
        (b"Rate exceeded.", "text_page"),
        (b"", "text_page"),
    ],
)
def test_content_decides_the_format(content, expected):
    assert detect_format(content) == expected == detect(content).name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hf_truncated.json", "hf_json"),
        ("hf_numeric_id.json", "hf_json"),
        ("arxiv_error_entry.xml", "arxiv_atom"),
        ("arxiv_billion_laughs.xml", "arxiv_atom"),
        ("arxiv_rss.xml", "text_page"),
        ("hf_html_error.html", "text_page"),
    ],
)
def test_malformed_files_go_to_the_parser_that_explains_them(name, expected):
    content = (FEED_DATA / name).read_bytes()
    fmt = detect_format(content)
    assert fmt == expected
    result = parser_for(fmt)(content, name)  # never raises
    assert result.rows.schema == PARSED_SCHEMA


def test_seed_pages_stay_text_pages():
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not beside this clone")
    assert {detect_format(p.read_bytes()) for p in SEEDS.iterdir()} == {"text_page"}


def test_the_three_sample_feeds_overlap_by_id_and_title():
    day = "2024-03-13"
    hf_rows = hf_daily.parse((SAMPLES / "hf_daily" / f"{day}.json").read_bytes(), "hf").rows
    page_rows = text_page.parse((SAMPLES / "pages" / f"{day}.txt").read_bytes(), "page").rows
    arxiv_rows = arxiv.parse((SAMPLES / "arxiv" / "2024-03-12.xml").read_bytes(), "arxiv").rows
    assert set(page_rows["title"]) <= set(hf_rows["title"])
    assert set(arxiv_rows["arxiv_id"]) & set(hf_rows["arxiv_id"]) == {"2403.06890", "2403.06954", "2403.07038", "2403.07102"}


@pytest.mark.parametrize(("feed", "fmt", "suffix"), [("hf_daily", "hf_json", "json"), ("arxiv", "arxiv_atom", "xml")])
def test_a_sample_payload_parses_through_the_registry(feed, fmt, suffix):
    path = SAMPLES / feed / f"2024-03-12.{suffix}"
    payload = Payload(feed, str(path), fmt, path.read_bytes(), FETCHED_AT.date(), FETCHED_AT)
    result = parse_payload(payload)
    assert result.status == "ok" and result.rows.height >= 5
    assert result.rows.schema == PARSED_SCHEMA
