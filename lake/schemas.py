"""Every lake table, declared once, as data, and TABLES: all of them by name, in the order they are created.

Polars schemas, Arrow/Delta schemas, not-null rules and merge keys are all derived from
these declarations (lake/table_spec.py); nothing else in the project spells out a column list.
The gold tables are declared in lake/gold_schemas.py and listed here.
"""

from __future__ import annotations

import polars as pl

from lake.gold_schemas import AUTHOR_PAPERS, AUTHORS, TOPICS
from lake.table_spec import UTC_TIMESTAMP, Column, TableSpec


SNAPSHOTS = TableSpec(
    name="snapshots",
    description="Bronze: every distinct raw payload of every feed, content-hashed, with its parse outcome.",
    key=("snapshot_id",),
    columns=(
        Column("snapshot_id", pl.String, True, "sha256 of the raw content (hex)"),
        Column("feed", pl.String, True, "feed the payload came from (archive, hf_daily, arxiv)"),
        Column("snapshot_date", pl.Date, True, "the day the payload lists"),
        Column("source", pl.String, True, "file path or URL it was read from"),
        Column("format", pl.String, True, "payload format (text_page, hf_json, arxiv_atom)"),
        Column("fetched_at", UTC_TIMESTAMP, True, "when paperlake read or fetched it"),
        Column("byte_count", pl.Int64, True, "size of the raw content"),
        Column("content", pl.Binary, True, "the raw payload, byte for byte"),
        Column("parse_status", pl.String, True, "pending until loaded; then ok, partial or failed"),
        Column("parse_errors", pl.List(pl.String), False, "what the parser could not read, with file and line"),
        Column("row_count", pl.Int32, False, "rows the parser read"),
        Column("loaded_at", UTC_TIMESTAMP, False, "when its sightings and papers were committed"),
    ),
)

SIGHTINGS = TableSpec(
    name="sightings",
    description="Silver: one row per paper per snapshot, as the feed listed it.",
    key=("paper_id", "feed", "snapshot_id"),
    columns=(
        Column("snapshot_id", pl.String, True),
        Column("paper_id", pl.String, True, "arXiv id without version, else title:<hash of title_key>"),
        Column("feed", pl.String, True),
        Column("snapshot_date", pl.Date, True),
        Column("rank", pl.Int32, True, "1-based position in the snapshot"),
        Column("title", pl.String, True),
        Column("abstract", pl.String, False),
        Column("title_key", pl.String, True, "normalized title: NFKC, casefolded, non-alphanumerics to one space"),
        Column("arxiv_id", pl.String, False, "arXiv id without version, as a string"),
        Column("arxiv_version", pl.Int32, False, "the vN the feed listed"),
        Column("authors", pl.List(pl.String), False),
        Column("published_date", pl.Date, False, "arXiv v1 date"),
        Column("upvotes", pl.Int32, False),
        Column("comment_count", pl.Int32, False),
        Column("github_repo", pl.String, False),
        Column("ai_keywords", pl.List(pl.String), False),
        Column("withdrawn_at", UTC_TIMESTAMP, False),
        # Added with issue 9 (one paper, one row); nullable, appended last so older lakes evolve in place.
        Column("version_date", pl.Date, False, "the listed arXiv version's date (arXiv <updated>); null when the feed has no versions"),
        Column("merged_from_id", pl.String, False, "the paper id the feed listed, when a confirmed duplicate (paper_links) moved the sighting"),
        # Added with issue 12 (living feeds): a feed-day is observed many times; the latest observation wins.
        Column("fetched_at", UTC_TIMESTAMP, False, "when the snapshot holding this sighting was fetched or read"),
        # Added with issue 15 (authors, topics): what arXiv says about the paper besides its text.
        # (authors, github_repo and ai_keywords were kept from the start.)
        Column("primary_category", pl.String, False, "arXiv <arxiv:primary_category>"),
        Column("categories", pl.List(pl.String), False, "arXiv <category> terms, the primary one included, in the feed's order"),
        Column("arxiv_comment", pl.String, False, "arXiv <arxiv:comment> (pages, venue, withdrawal notice)"),
        Column("journal_ref", pl.String, False, "arXiv <arxiv:journal_ref>"),
        Column("doi", pl.String, False, "arXiv <arxiv:doi>"),
    ),
)

PAPERS = TableSpec(
    name="papers",
    description="Gold: one row per distinct paper with when and how often it was seen.",
    key=("paper_id",),
    columns=(
        Column("paper_id", pl.String, True),
        Column("arxiv_id", pl.String, False),
        Column("title", pl.String, True, "from the newest version seen (else the latest sighting)"),
        Column("abstract", pl.String, False, "from the newest version seen (else the latest sighting)"),
        Column("title_key", pl.String, True),
        Column("first_seen_date", pl.Date, True),
        Column("last_seen_date", pl.Date, True),
        Column("days_seen", pl.Int32, True, "distinct snapshot dates it was listed on"),
        Column("sighting_count", pl.Int32, True, "listings: distinct (feed, day) pairs that listed it, however often each was fetched"),
        Column("feeds", pl.List(pl.String), True, "feeds that listed it, sorted"),
        # Added with issue 9; nullable, appended last so older lakes evolve in place.
        Column("latest_version", pl.Int32, False, "the highest arXiv version any feed listed"),
        Column("version_count", pl.Int32, False, "distinct arXiv versions listed"),
        Column("withdrawn_at", UTC_TIMESTAMP, False, "when the paper was withdrawn (marked, never deleted); null if it is not"),
        # Added with issue 12; counts keep moving for weeks, so these are the latest observation's.
        Column("upvotes", pl.Int32, False, "Hugging Face upvotes at the latest observation"),
        Column("comment_count", pl.Int32, False, "Hugging Face comments at the latest observation"),
        Column("counts_observed_at", UTC_TIMESTAMP, False, "when the upvotes and comment_count were fetched"),
        # Added with issue 15: what the feeds say about the paper, as of its latest observation that says it
        # (arXiv's fields from its newest version; Hugging Face's from its latest fetch). Nullable, appended last.
        Column("authors", pl.List(pl.String), False, "author names in the paper's order, from the latest observation that lists them"),
        Column("primary_category", pl.String, False, "arXiv primary category"),
        Column("categories", pl.List(pl.String), False, "arXiv categories, the primary one included (cross-lists too)"),
        Column("arxiv_comment", pl.String, False, "arXiv comment of the newest version"),
        Column("journal_ref", pl.String, False, "arXiv journal reference"),
        Column("doi", pl.String, False, "arXiv DOI (the published version's)"),
        Column("github_repo", pl.String, False, "GitHub repository URL Hugging Face links"),
        Column("keywords", pl.List(pl.String), False, "Hugging Face ai_keywords"),
    ),
)

TABLES: dict[str, TableSpec] = {spec.name: spec for spec in (SNAPSHOTS, SIGHTINGS, PAPERS)}

QUARANTINE = TableSpec(
    name="quarantine",
    description="Rows the validation gate held back, and rows the parsers could not place, with the rule; released once they pass.",
    key=("quarantine_id",),
    columns=(
        # A stable id lets a re-check replace a row's entry (new rule, new reason) and a release
        # delete exactly the rows it brought into the lake.
        Column("quarantine_id", pl.String, True, "blake2b of table, feed, snapshot_date and row_json"),
        Column("table", pl.String, True, "the table the row was meant for; `parse` for a line or item the parser could not place"),
        Column("feed", pl.String, True),
        Column("snapshot_date", pl.Date, True),
        Column("snapshot_id", pl.String, False, "the row's snapshot, when its table has one"),
        Column("rule", pl.String, True, "the first rule the row broke, in the suite's order"),
        Column("reason", pl.String, True, "every rule the row broke, with the offending values"),
        Column("row_json", pl.String, True, "the row as JSON (dates ISO, binary base64), enough to release it; for `parse`: source, line, text"),
        Column("run_id", pl.String, False, "the flow run that quarantined it"),
        Column("quarantined_at", UTC_TIMESTAMP, True),
    ),
)

TABLES[QUARANTINE.name] = QUARANTINE

PAPER_LINKS = TableSpec(
    name="paper_links",
    description="Pairs of papers that look like the same work: suggested by `paperlake dupes`, confirmed or dismissed by a person.",
    key=("link_id",),
    columns=(
        # One row per unordered pair, so a decision replaces the suggestion whichever way round it was given.
        Column("link_id", pl.String, True, "the two paper ids, sorted, joined by a space"),
        Column("paper_id", pl.String, True, "the paper kept: a confirmed merge moves other_paper_id's sightings to it"),
        Column("other_paper_id", pl.String, True),
        Column("status", pl.String, True, "suggested, confirmed (merged) or dismissed (not the same work)"),
        Column("score", pl.Float64, True, "0-100: how alike the two look"),
        Column("reason", pl.String, True, "what is alike: titles (typo, subtitle, same) and abstracts"),
        Column("title_score", pl.Float64, False, "rapidfuzz ratio of the normalized titles"),
        Column("abstract_score", pl.Float64, False, "rapidfuzz ratio of the abstracts' words; null when one has none"),
        Column("title", pl.String, False, "paper_id's title when the pair was found or decided"),
        Column("other_title", pl.String, False),
        Column("found_at", UTC_TIMESTAMP, True, "when the pair was first suggested (or decided, if never suggested)"),
        Column("decided_at", UTC_TIMESTAMP, False, "when a person confirmed or dismissed it"),
    ),
)

TABLES[PAPER_LINKS.name] = PAPER_LINKS

FEED_DAYS = TableSpec(
    name="feed_days",
    description="Where each live feed stands: one row per feed and day, provisional while the day can still change, final once settled.",
    key=("feed", "snapshot_date"),
    columns=(
        Column("feed", pl.String, True),
        Column("snapshot_date", pl.Date, True, "the day the feed lists"),
        Column("status", pl.String, True, "provisional (fetched again by every run) or final (settled; runs leave it)"),
        Column("settles_at", UTC_TIMESTAMP, True, "from then on a fetch is the day's final observation (the feed's settle period)"),
        Column("first_fetched_at", UTC_TIMESTAMP, False),
        Column("last_fetched_at", UTC_TIMESTAMP, False),
        Column("last_changed_at", UTC_TIMESTAMP, False, "the last fetch whose payloads differed from the one before"),
        Column("fetch_count", pl.Int32, True, "successful fetches"),
        Column("change_count", pl.Int32, True, "distinct observations stored (fetches that brought new bytes)"),
        Column("snapshot_ids", pl.List(pl.String), False, "the payloads of the latest observation"),
        Column("row_count", pl.Int32, False, "rows in the latest observation"),
        Column("final_at", UTC_TIMESTAMP, False, "when the day became final"),
        Column("last_error", pl.String, False, "why the last attempt failed; null once a fetch succeeds"),
        Column("last_error_at", UTC_TIMESTAMP, False),
    ),
)

TABLES[FEED_DAYS.name] = FEED_DAYS

# Gold tables of issue 15 (lake/gold_schemas.py), rebuilt by each load for the keys it touched (flows/gold_steps.py).
TABLES[AUTHORS.name] = AUTHORS
TABLES[AUTHOR_PAPERS.name] = AUTHOR_PAPERS
TABLES[TOPICS.name] = TOPICS

# Added with issue 15 (watchlists and digests): a person's standing questions, and what each was sent.
WATCHES = TableSpec(
    name="watches",
    description="Watchlists: what a person wants to hear about, and where to send it; removing one marks it, so history stays.",
    key=("watch_name",),
    columns=(
        Column("watch_name", pl.String, True, "lowercase letters, digits and dashes: it names the digest-NAME artifact"),
        Column("any_terms", pl.List(pl.String), False, "--words: a paper matches if any of them is in its title, abstract or keywords"),
        Column("all_terms", pl.List(pl.String), False, "--all-words: every one of them must be there"),
        Column("authors", pl.List(pl.String), False, "--authors: any of them among the paper's authors"),
        Column("categories", pl.List(pl.String), False, "--categories: any of them among the paper's arXiv categories (`cs` means cs.*)"),
        Column("notify_block", pl.String, False, "the Prefect notification block digests go through (type-slug/name); null: artifact only"),
        Column("webhook_url", pl.String, False, "the URL given with --webhook (its block is notify_block)"),
        Column("status", pl.String, True, "active, or removed (never deleted, so its deliveries still mean something)"),
        Column("since_date", pl.Date, True, "digests hold papers listed on or after this day"),
        Column("created_at", UTC_TIMESTAMP, True),
        Column("removed_at", UTC_TIMESTAMP, False),
    ),
)

TABLES[WATCHES.name] = WATCHES

DIGEST_DELIVERIES = TableSpec(
    name="digest_deliveries",
    description="Which paper went out in which watch's digest: claimed before it is sent, so a paper is in at most one digest of a watch.",
    key=("watch_name", "paper_id"),
    columns=(
        Column("watch_name", pl.String, True),
        Column("paper_id", pl.String, True),
        Column("digest_id", pl.String, True, "the digest it went out in: watch name and the run's clock (digest-NAME-YYYYMMDDTHHMMSS)"),
        Column("claimed_at", UTC_TIMESTAMP, True, "when the digest claimed it (before sending)"),
        Column("status", pl.String, True, "claimed (not sent yet, or the run died before saying), sent, failed, or artifact_only (the watch names no block)"),
        Column("sent_at", UTC_TIMESTAMP, False),
        Column("error", pl.String, False, "why sending failed; the paper is not sent again (at most once)"),
        Column("run_id", pl.String, False, "the flow run that claimed it"),
    ),
)

TABLES[DIGEST_DELIVERIES.name] = DIGEST_DELIVERIES

# Added with issue 14 (search at arXiv volume): the word index `papers --search` reads instead of every
# abstract. Each load appends its touched papers' rows (flows/search_steps.py); nothing is rewritten
# in place, so a paper's older rows stay until `paperlake search-index` rebuilds the table. `positions`
# came later: an index built before it lacks the column until that rebuild (a load does not add it).
SEARCH_WORDS = TableSpec(
    name="search_words",
    description=(
        "Derived: one row per paper and distinct word of its normalized title and abstract, rows sorted by word "
        "in each file, so a search reads a few words' rows instead of every abstract (and, from their positions, whether they stand together as the phrase). A paper's current rows are "
        "those of its highest indexed_version (its marker row, term '', included): older ones are superseded."
    ),
    key=("term", "paper_id", "indexed_version"),
    columns=(
        Column("term", pl.String, True, "a word of the title or abstract as search normalizes them (NFKC, lower case, non-alphanumeric runs split words); '' on a marker row"),
        Column("paper_id", pl.String, True),
        Column("fields", pl.Int8, True, "where the word is: 1 the title, 2 the abstract, 3 both; 0 on a marker row"),
        Column("indexed_version", pl.Int64, True, "the table version that wrote the row"),
        Column(
            "positions", pl.Binary, False,
            "where the word stands: 2 x its place among the field's words (0 the first), + 1 in the abstract, each "
            "as 2 bytes (little-endian, unsigned); the title's places first, each field in text order; empty on a "
            "marker row; null on a row whose places do not fit (a search then reads "
            "that paper's text for the phrase)",
            rebuilt=True,
        ),
    ),
)

TABLES[SEARCH_WORDS.name] = SEARCH_WORDS
