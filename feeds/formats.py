"""Payload formats paperlake can parse, and how to tell them apart in a saved file."""

from __future__ import annotations

import re

from feeds import arxiv, hf_daily, text_page

PARSERS = {
    text_page.FORMAT: text_page.parse,
    hf_daily.FORMAT: hf_daily.parse,
    arxiv.FORMAT: arxiv.parse,
}

UTF8_BOM = b"\xef\xbb\xbf"
SNIFF_BYTES = 1024
# A list of objects, an empty list or an object: not a title that happens to start with "[".
JSON_START = re.compile(rb"^(?:\[\s*[{\]]|\{\s*[\"}])")


def detect_format(content: bytes) -> str:
    """Best guess of a saved payload's format from its first bytes.

    JSON is the daily-papers API (an object too, so its parser can say it is not a list), an XML
    document with an Atom <feed> is the arXiv API; anything else (HTML included) falls back to the
    text page, whose parser reports what is wrong.
    """
    head = content[:SNIFF_BYTES].removeprefix(UTF8_BOM).lstrip()
    if JSON_START.match(head):
        return hf_daily.FORMAT
    if _looks_like_atom(head):
        return arxiv.FORMAT
    return text_page.FORMAT


def _looks_like_atom(head: bytes) -> bool:
    # An XML declaration alone could be anything; the Atom namespace or a <feed> root decides.
    if not head.startswith(b"<"):
        return False
    lowered = head.lower()
    return b"<feed" in lowered or b"http://www.w3.org/2005/atom" in lowered
