"""The one registry of payload formats: name -> parser, how a saved file is recognized, which feed it belongs to.

Every lookup goes through here: a load parses a payload with `parse_payload`, `paperlake ingest`
recognizes a saved file with `detect`, a reparse finds the parser of a stored snapshot's format.
This module imports the feed modules and they never import it (they import feeds.payload), so
there is no cycle.
"""

from __future__ import annotations

from feeds import arxiv, hf_daily, text_page
from feeds.payload import Payload, PayloadFormat, PayloadParser, ParseResult

UTF8_BOM = b"\xef\xbb\xbf"
SNIFF_BYTES = 1024


def _any_text(head: bytes) -> bool:
    # The fallback: a file that is no API answer is read as a page copy, whose parser says what is wrong.
    return True


# In detection order: the first format whose detector accepts a saved file's first bytes is its format.
FORMATS: dict[str, PayloadFormat] = {
    f.name: f
    for f in (
        PayloadFormat(hf_daily.FORMAT, hf_daily.parse, hf_daily.looks_like_json, hf_daily.FEED, hf_daily.canonical_json_list),
        PayloadFormat(arxiv.FORMAT, arxiv.parse, arxiv.looks_like_atom, arxiv.FEED, arxiv.canonical_answer),
        PayloadFormat(text_page.FORMAT, text_page.parse, _any_text),
    )
}


def format_named(name: str) -> PayloadFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"no parser for payload format {name!r}; known: {sorted(FORMATS)}") from None


def parser_for(name: str) -> PayloadParser:
    """The parser registered for a payload format."""
    return format_named(name).parse


def parse_payload(payload: Payload) -> ParseResult:
    return parser_for(payload.format)(payload.content, payload.source)


def detect(content: bytes) -> PayloadFormat:
    """The format of a saved payload, from its first bytes.

    JSON is the daily-papers API (an object too, so its parser can say it is not a list), an XML
    document with an Atom <feed> is the arXiv API; anything else (HTML included) falls back to the
    text page, whose parser reports what is wrong.
    """
    head = content[:SNIFF_BYTES].removeprefix(UTF8_BOM).lstrip()
    return next(f for f in FORMATS.values() if f.detect(head))


def detect_format(content: bytes) -> str:
    return detect(content).name
