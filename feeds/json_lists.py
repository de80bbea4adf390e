"""Bytes-level handling of the daily-papers API's JSON lists (pure): join pages, canonicalize saved copies.

The live fetch stores what the server sent, its pages spliced together; a saved copy of the same
answer is often re-indented (and sometimes re-escaped) by whoever saved it. `compact_json` undoes
that so both store the same bytes, hence the same content hash, hence one snapshot.
"""

from __future__ import annotations

import json
import re

UTF8_BOM = b"\xef\xbb\xbf"
# A list of objects, an empty list or an object: not a title that happens to start with "[".
JSON_START = re.compile(rb"^(?:\[\s*[{\]]|\{\s*[\"}])")
# A string literal (escapes included), a run of JSON whitespace, or anything else (punctuation, numbers, literals).
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[ \t\n\r]+|[^" \t\n\r]+', re.DOTALL)
_WHITESPACE = frozenset(b" \t\n\r")
_QUOTE = ord('"')


def looks_like_json(head: bytes) -> bool:
    """True if a saved file's first bytes (BOM and leading whitespace removed) open a JSON list or object."""
    return bool(JSON_START.match(head))


def join_json_lists(bodies: list[bytes]) -> bytes:
    """Several JSON list documents as one, splicing their inner text: items stay byte for byte.

    Each body must already have been read as a JSON list (fetch checks every page).
    """
    inners = [body.removeprefix(UTF8_BOM).strip()[1:-1].strip() for body in bodies]
    return b"[" + b",".join(inner for inner in inners if inner) + b"]"


def compact_json(content: bytes) -> bytes:
    """A valid JSON document in the form the API writes (JSON.stringify's): no whitespace between
    tokens, strings as UTF-8 with only the escapes JSON requires. Numbers are kept as written
    (2503.02130 stays 2503.02130), and so is key order.

    For an answer saved as the server sent it this changes nothing; for a re-indented copy (even
    one whose saver escaped non-ASCII as \\uXXXX) it gives back the bytes the server sent.
    """
    out = []
    for token in _TOKEN.findall(content.removeprefix(UTF8_BOM)):
        if token[0] == _QUOTE:
            out.append(_compact_string(token))
        elif token[0] not in _WHITESPACE:
            out.append(token)
    return b"".join(out)


def _compact_string(token: bytes) -> bytes:
    try:
        return json.dumps(json.loads(token), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (\ud800) has no UTF-8 form: keep the escape as written
        return token
