"""Payload formats paperlake can parse, and how to tell them apart in a saved file."""

from __future__ import annotations

from feeds import text_page

PARSERS = {
    text_page.FORMAT: text_page.parse,
}


def detect_format(content: bytes) -> str:
    """Best guess of a saved payload's format; the text page is the fallback so its parser reports what is wrong."""
    return text_page.FORMAT
