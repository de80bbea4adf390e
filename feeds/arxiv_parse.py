"""Reading arXiv API answers (pure): Atom bytes in, paper rows and parse issues out.

XML is parsed with defusedxml and DTDs are refused outright (Atom has none), so entity-expansion
bombs fail fast as a parse issue; plain UTF-8 Atom with no DTD goes through expat's C parser, twice
as fast on a day of Atom. A bad query is answered with a single entry titled `Error`, whose
message is the issue; throttling can be a plain-text body `Rate exceeded.`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # types, ParseError and the C parser for DTD-free UTF-8 only
from datetime import datetime

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from feeds.atom import ARXIV_NS, ATOM_NS, ENTRY_TAG, FEED_TAG, TOTAL_RESULTS_TAG
from feeds.fields import collapse_whitespace, parse_utc, split_versioned_id
from feeds.payload import ParseIssue, ParseResult, parsed_frame, rejected

RATE_EXCEEDED = b"Rate exceeded."

# The notice arXiv authors put in a withdrawn version's abstract or comment; narrow on purpose,
# so an abstract about, say, a drug that "was withdrawn" is not read as a withdrawal.
WITHDRAWN = re.compile(
    r"\b(?:this|the) (?:paper|article|submission|manuscript|preprint|version) (?:has been|is|was) withdrawn\b"
    r"|\bwithdrawn by the authors?\b|^withdrawn\b",
    re.IGNORECASE,
)


def looks_like_atom(head: bytes) -> bool:
    """True if a saved file's first bytes (BOM and leading whitespace removed) are an Atom feed."""
    # An XML declaration alone could be anything; the Atom namespace or a <feed> root decides.
    if not head.startswith(b"<"):
        return False
    lowered = head.lower()
    return b"<feed" in lowered or b"http://www.w3.org/2005/atom" in lowered


def parse(content: bytes, source: str) -> ParseResult:
    root, issue = read_feed(content, source)
    if issue:
        return ParseResult(parsed_frame([]), [issue])
    if (message := api_error(root)) is not None:
        return ParseResult(parsed_frame([]), [ParseIssue(source, "api_error", f"arXiv API error: {message}")])
    records, issues = [], []
    for rank, entry in enumerate(root.findall(ENTRY_TAG), start=1):
        record, entry_issues = read_entry(entry, rank, source)
        if record:
            records.append(record)
        else:  # a dropped entry is a row reject: its XML goes to the quarantine with the issue
            entry_issues = rejected(entry_issues, ET.tostring(entry, encoding="unicode"))
        issues.extend(entry_issues)
    return ParseResult(parsed_frame(records), issues)


def read_feed(content: bytes, source: str) -> tuple[ET.Element | None, ParseIssue | None]:
    """The payload's Atom `<feed>` element, or the one issue that says why there is none."""
    stripped = content.strip()
    if stripped == RATE_EXCEEDED:
        message = "arXiv throttled the request (`Rate exceeded.`), no Atom feed"
        return None, ParseIssue(source, "rate_exceeded", message, 1)
    if not stripped:
        return None, ParseIssue(source, "empty", "the payload is empty")
    head = stripped[:200].lower()
    if head.startswith((b"<!doctype html", b"<html")):
        message = f"an HTML page where Atom was expected: {_excerpt(stripped)!r}"
        return None, ParseIssue(source, "html_instead_of_atom", message, 1)
    if not stripped.startswith(b"<"):
        return None, ParseIssue(source, "not_xml", f"plain text where Atom was expected: {_excerpt(stripped)!r}", 1)
    try:
        root = ET.fromstring(content) if without_dtd(content) else SafeET.fromstring(content, forbid_dtd=True)
    except DefusedXmlException as err:
        message = f"refused unsafe XML ({type(err).__name__}): DTDs and entity declarations are not allowed"
        return None, ParseIssue(source, "unsafe_xml", message)
    except ET.ParseError as err:
        line = err.position[0] if err.position else None
        return None, ParseIssue(source, "invalid_xml", f"invalid XML: {err}", line)
    except LookupError as err:  # the XML declaration names an encoding there is no codec for
        return None, ParseIssue(source, "invalid_xml", f"invalid XML: {err}", 1)
    if root.tag != FEED_TAG:
        return None, ParseIssue(source, "not_atom_feed", f"root element is {root.tag!r}, not an Atom <feed>")
    stack = [(root, 1)]  # Atom nests 4 deep; copying or writing a far deeper tree ends in RecursionError
    while stack:
        element, depth = stack.pop()
        if depth > 64:
            return None, ParseIssue(source, "invalid_xml", "XML nested too deeply to be an Atom feed (over 64 levels)")
        stack.extend((child, depth + 1) for child in element)
    return root, None


UTF8_DECLARATION = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding=[\"'](?:utf-8|utf8|us-ascii)[\"']", re.IGNORECASE)
NO_DECLARED_ENCODING = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml(?:(?!encoding)[^>])*\?>|<[^?])")


def without_dtd(content: bytes) -> bool:
    """True if the document cannot declare an entity: UTF-8 (so the bytes say what the parser reads)
    with no `<!DOCTYPE` or `<!ENTITY` anywhere. Such a document is read by expat's C parser directly;
    anything else goes through defusedxml, whose parser is pure Python (twice as slow on a day of Atom)."""
    head = content[:300]
    utf8 = UTF8_DECLARATION.match(head) or NO_DECLARED_ENCODING.match(head)
    return bool(utf8) and b"\x00" not in content and b"<!DOCTYPE" not in content and b"<!ENTITY" not in content


def api_error(root: ET.Element) -> str | None:
    """The message of arXiv's error answer: a single entry titled `Error` whose id is not a paper."""
    entries = root.findall(ENTRY_TAG)
    if len(entries) != 1 or child_text(entries[0], "title") != "Error":
        return None
    entry_id = child_text(entries[0], "id") or ""
    if split_versioned_id(entry_id) is not None:
        return None  # a real paper that happens to be titled "Error"
    return child_text(entries[0], "summary") or entry_id or "unspecified error"


def total_results(root: ET.Element) -> int | None:
    text = root.findtext(TOTAL_RESULTS_TAG)
    return int(text) if text and text.strip().isdigit() else None


def read_entry(entry: ET.Element, rank: int, source: str) -> tuple[dict | None, list[ParseIssue]]:
    where = f"entry {rank}"
    entry_id, title = child_text(entry, "id"), child_text(entry, "title")
    missing = [name for name, value in (("<id>", entry_id), ("<title>", title)) if not value]
    if missing:
        return None, [ParseIssue(source, "missing_field", f"{where} has no {' and no '.join(missing)}; entry skipped")]
    split = split_versioned_id(entry_id)
    if split is None:
        message = f"{where}: <id> {entry_id!r} is not an arXiv abs URL; entry skipped"
        return None, [ParseIssue(source, "invalid_id", message)]
    issues: list[ParseIssue] = []
    published_at = _timestamp(entry, "published", where, source, issues)
    updated_at = _timestamp(entry, "updated", where, source, issues)
    abstract = child_text(entry, "summary")
    comment = child_text(entry, "comment", ARXIV_NS)
    primary = entry.find(f"{{{ARXIV_NS}}}primary_category")
    primary_category = collapse_whitespace(primary.get("term") or "") or None if primary is not None else None
    # Every <category term> in the entry's order, the primary one first if arXiv left it out.
    categories = [term for c in entry.findall(f"{{{ATOM_NS}}}category") if (term := collapse_whitespace(c.get("term") or ""))]
    if primary_category and primary_category not in categories:
        categories.insert(0, primary_category)
    record = {
        "rank": rank,
        "title": title,
        "abstract": abstract,
        "arxiv_id": split[0],
        "arxiv_version": split[1],
        "authors": [name for a in entry.findall(f"{{{ATOM_NS}}}author") if (name := child_text(a, "name"))],
        "published_date": published_at.date() if published_at else None,
        # <updated> dates the version listed here: the papers row shows the newest version's text.
        "version_date": updated_at.date() if updated_at else None,
        "withdrawn_at": updated_at if _is_withdrawn(abstract, comment) else None,
        "primary_category": primary_category,
        "categories": list(dict.fromkeys(categories)) or None,
        "arxiv_comment": comment,
        "journal_ref": child_text(entry, "journal_ref", ARXIV_NS),
        "doi": child_text(entry, "doi", ARXIV_NS),
        # Not kept: <link>s (the abs and pdf URLs follow from the id and version), <author><arxiv:affiliation>
        # (rare and free-form; an author is a name here), and the category scheme (always arXiv's).
    }
    return record, issues


def _is_withdrawn(abstract: str | None, comment: str | None) -> bool:
    # A withdrawn version's abstract or comment is a notice; that version's <updated> dates the withdrawal.
    return any(text and WITHDRAWN.search(text) for text in (abstract, comment))


def _timestamp(entry: ET.Element, tag: str, where: str, source: str, issues: list[ParseIssue]) -> datetime | None:
    text = child_text(entry, tag)
    if text is None:
        return None
    moment = parse_utc(text)
    if moment is None:
        message = f"{where}: <{tag}> {text!r} is not an ISO 8601 timestamp; read as null"
        issues.append(ParseIssue(source, "bad_timestamp", message))
    return moment


def child_text(element: ET.Element, tag: str, namespace: str = ATOM_NS) -> str | None:
    text = element.findtext(f"{{{namespace}}}{tag}")
    if text is None:
        return None
    return collapse_whitespace(text) or None


def _excerpt(content: bytes, limit: int = 80) -> str:
    text = " ".join(content[: limit * 4].decode("utf-8", errors="replace").split())
    return text[:limit] + ("…" if len(text) > limit else "")
