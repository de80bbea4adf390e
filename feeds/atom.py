"""Writing arXiv-style Atom documents, deterministically (parsing is feeds.arxiv's, through defusedxml).

The live fetch gathers a day's `<entry>` elements into one document whose header holds only what is
stable for the query, and the replay server answers in the same shape; both write it here.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET  # building and writing only
from typing import Iterable

ATOM_NS = "http://www.w3.org/2005/Atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
ARXIV_NS = "http://arxiv.org/schemas/atom"
# Write the conventional prefixes instead of ns0/ns1 (this only affects serialization).
ET.register_namespace("atom", ATOM_NS)
ET.register_namespace("opensearch", OPENSEARCH_NS)
ET.register_namespace("arxiv", ARXIV_NS)
ATOM_PREFIX = f"{{{ATOM_NS}}}"

FEED_TAG = f"{ATOM_PREFIX}feed"
ENTRY_TAG = f"{ATOM_PREFIX}entry"
TOTAL_RESULTS_TAG = f"{{{OPENSEARCH_NS}}}totalResults"


def atom_feed(
    entries: Iterable[ET.Element],
    *,
    title: str,
    total_count: int | None,
    start_index: int = 0,
    items_per_page: int | None = None,
    feed_id: str | None = None,
    updated: str | None = None,
) -> bytes:
    """An arXiv-style Atom document around `entries` (copied, not moved), written deterministically."""
    root = ET.Element(FEED_TAG)
    ET.SubElement(root, f"{{{ATOM_NS}}}title", type="html").text = title
    if feed_id:
        ET.SubElement(root, f"{{{ATOM_NS}}}id").text = feed_id
    if updated:
        ET.SubElement(root, f"{{{ATOM_NS}}}updated").text = updated
    if total_count is not None:
        ET.SubElement(root, TOTAL_RESULTS_TAG).text = str(total_count)
    ET.SubElement(root, f"{{{OPENSEARCH_NS}}}startIndex").text = str(start_index)
    if items_per_page is not None:
        ET.SubElement(root, f"{{{OPENSEARCH_NS}}}itemsPerPage").text = str(items_per_page)
    root.extend(copy.deepcopy(entry) for entry in entries)
    ET.indent(root, space="  ")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + _atom_default_namespace(root) + "\n").encode("utf-8")


def _atom_default_namespace(root: ET.Element) -> str:
    """Serialize with Atom as the default namespace, as arXiv writes it (`<feed xmlns=...>`, not `<atom:feed>`).

    ET's own `default_namespace=` rejects the unprefixed attributes every Atom feed has, so the
    Atom tags are unqualified here and the root declares the namespace. That is only equivalent
    when no element was unqualified to begin with; otherwise the `atom:` prefix is kept.
    """
    if not all(isinstance(e.tag, str) and e.tag.startswith("{") for e in root.iter()):
        return ET.tostring(root, encoding="unicode")
    for element in root.iter():
        element.tag = element.tag.removeprefix(ATOM_PREFIX)
    root.set("xmlns", ATOM_NS)
    return ET.tostring(root, encoding="unicode")
