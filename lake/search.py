"""`papers --search` through the word index (`search_words`): the same answer as the scan of every
title and abstract (lake/queries.py `search`), from a few words' rows and the best papers' rows.

    one or two words, a limit: the index rows of the papers seen in the last 30 days (from the
    oldest id among them: file statistics skip the older papers' files) -> if `limit` of them
    reach the best score there is, that is the answer; else, or for more words:
    the terms' index rows (row groups of those words only) -> per paper: which terms are in the
    title, which in the abstract -> papers holding every term, with their score or its bounds
    -> those that can reach the top `limit` -> their phrase bonuses from the words' positions
    -> their recency (last seen, first seen, days seen) from `papers`: all of it for a few thousand
       papers; else the recently seen papers first (file statistics skip the rest), widening the
       window until nothing older can rank in
    -> top `limit` (an index without positions: the best ones' text read to settle the phrases)

For one word the index gives the exact score (the phrase is the word). For several, each term's
presence per field is exact, and the phrase bonuses (10 in the title, 2 in the abstract) come from
the words' positions (transforms/search_words.py `phrase_fields`). On an index an older paperlake
built (no positions until `paperlake search-index` rebuilds it), or for a paper whose places do not
fit, the bonuses stay open: the paper is read when its upper bound could still put it in the top
`limit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from lake.queries import NEWEST_FIRST
from lake.search_words import has_paper_keys, rows_of_terms
from lake.text_match import match_and_score, normalized_text
from transforms.search_words import ABSTRACT_FIELD, MARKER_TERM, TITLE_FIELD, phrase_fields, term_range, without_superseded

SUMMARY = [
    "paper_id", "title", "first_seen_date", "last_seen_date", "days_seen", "sighting_count",
    "upvotes", "comment_count", "feeds", "abstract", "title_key",
]
RECENCY = ["last_seen_date", "first_seen_date", "days_seen"]
# Up to this many matches in up to this many id months, read their recency by id (one read per
# month, of its few files); above, recent papers first. Matches spread over years cost a read of
# nearly every papers file by id (ten years' 20 k "graph reasoning" matches: 2.9 s), where the
# recent window's files settle the top of a common query (1.2 s); a rare word's few old matches
# are cheaper by id.
DIRECT_PAPER_COUNT = 20_000
DIRECT_MONTH_COUNT = 24
_ID_MONTH = pl.col("paper_id").str.slice(0, 4)  # an arXiv id's month: the unit _rows_of reads by
FIRST_WINDOW_DAYS = 30
VERIFY_BATCH = 2_000
RECENT_FIRST_TERMS = 2  # a longer phrase is rarely in a month's titles and abstracts: not worth the try


def indexed_search(
    words: pl.LazyFrame, papers: pl.LazyFrame, terms: list[str], limit: int | None,
    columns: list[str] | None = None, last_seen_range: tuple[date, date] | None = None,
) -> pl.DataFrame:
    """The answer's `columns` (all of SUMMARY if None) and score; `last_seen_range`: the papers' first
    and last last_seen_date if the caller knows them (the table's log), else read here."""
    wanted = SUMMARY if columns is None else [c for c in SUMMARY if c in columns or c in ("paper_id", *RECENCY)]
    if limit is not None and len(terms) <= RECENT_FIRST_TERMS:
        last_date = last_seen_range[1] if last_seen_range else papers.select(pl.col("last_seen_date").max()).collect().item()
        found = _recent_first(words, papers, terms, limit, wanted, last_date) if last_date is not None else None
        if found is not None:
            return _answer(found, columns)
    matches = _keyed_matches(words, terms, limit) if limit is not None and len(terms) > 1 and has_paper_keys(words) else None
    if matches is None:
        matches = _matches(without_superseded(rows_of_terms(words, terms, positions=len(terms) > 1)), terms, limit)
    if matches.is_empty():
        return _answer(papers.select(wanted).head(0).collect().with_columns(pl.lit(None, pl.Int32).alias("score")), columns)
    if limit is None or (matches.height <= DIRECT_PAPER_COUNT and _id_month_count(matches) <= DIRECT_MONTH_COUNT):
        known = _rows_of(papers, matches, ["paper_id", *RECENCY]).join(matches, on="paper_id")
        return _answer(_settled(papers, known, terms, limit, None, _Verified(), wanted), columns)
    first_date, last_date = last_seen_range or papers.select(
        pl.col("last_seen_date").min().alias("first"), pl.col("last_seen_date").max().alias("last")
    ).collect().row(0)
    days, done = FIRST_WINDOW_DAYS, _Verified()
    while True:
        since = last_date - timedelta(days=days - 1)
        known = _recency(papers, pl.col("last_seen_date") >= since).join(matches, on="paper_id")
        everything = since <= first_date
        # Most often the known papers win against the best bound of all: no need to find the unread ones.
        found = _settled(papers, known, terms, limit, None if everything else matches["high"].max(), done, wanted)
        if found is None and not everything:
            unread = matches.join(known.select("paper_id"), on="paper_id", how="anti")
            found = _settled(papers, known, terms, limit, unread["high"].max() if unread.height else None, done, wanted)
        if found is not None:
            return _answer(found, columns)
        days *= 4


def _recent_first(words: pl.LazyFrame, papers: pl.LazyFrame, terms: list[str], limit: int, wanted: list[str], last_date: date) -> pl.DataFrame | None:
    """The top `limit` when that many papers seen in the last FIRST_WINDOW_DAYS reach the best score
    there is (every term and the phrase in the title and in the abstract): no paper seen before can
    outrank them. Only the index rows of papers from the oldest id seen in the window on are read:
    ids follow first-seen order, so file statistics skip most files (a common word otherwise reads a
    row per paper, two common words millions). None when the window has fewer: the whole index then
    answers."""
    best = 4 * len(terms) + 12  # 3 a term in the title, 1 in the abstract, 10 and 2 for the phrase (one term: itself)
    since = last_date - timedelta(days=FIRST_WINDOW_DAYS - 1)
    recent = _recency(papers, pl.col("last_seen_date") >= since)
    if recent.height < limit:
        return None
    rows = without_superseded(rows_of_terms(words, terms, positions=len(terms) > 1, from_paper_id=recent["paper_id"].min()))
    matches = _matches(rows.join(recent.select("paper_id"), on="paper_id", how="semi"), terms, limit)
    if matches.filter(pl.col("low") == best).height < limit:
        return None
    return _settled(papers, recent.join(matches, on="paper_id"), terms, limit, best, _Verified(), wanted)


def _keyed_matches(words: pl.LazyFrame, terms: list[str], limit: int) -> pl.DataFrame | None:
    """The matches that can rank, from every row of the terms read twice: first their words, fields
    and integer paper keys only (no string id, no positions: several common words are millions of
    rows), which bound each paper's score and keep those that can reach the top `limit`; then the
    whole rows of those papers only, which settle their phrases. None when a row has no key (an id
    that is not arXiv's): the rows are then read once, whole."""
    wanted = pl.any_horizontal(pl.col("term") == MARKER_TERM, *(term_range(t) for t in terms))
    keyed = words.filter(wanted).select("term", pl.col("paper_key").alias("paper_id"), "fields", "indexed_version").collect()
    if keyed["paper_id"].has_nulls():
        return None
    bounded = in_reach(_hits_in_reach(without_superseded(keyed), terms, limit), limit)
    if bounded.is_empty():
        return bounded.with_columns(pl.col("paper_id").cast(pl.String))
    whole = without_superseded(rows_of_terms(words, terms, positions=True, of_keys=bounded["paper_id"]))
    return _matches(whole, terms, limit)


def _matches(rows: pl.DataFrame, terms: list[str], limit: int | None) -> pl.DataFrame:
    """The papers of the terms' current `rows` that can still rank, with their score's bounds: the
    phrase bonuses settled from the positions if the rows have them."""
    matches = in_reach(_hits_in_reach(rows, terms, limit), limit)
    if "positions" in rows.columns:
        matches = in_reach(with_phrases(matches, rows, terms), limit)
    return matches


def _answer(found: pl.DataFrame, columns: list[str] | None) -> pl.DataFrame:
    return found if columns is None else found.select(*columns, "score")


def term_hits(rows: pl.DataFrame, terms: list[str]) -> pl.DataFrame:
    """paper_id, low, high: papers whose current words hold every term (each as a word's start), with
    their score's bounds (equal for one term).

    Each row's fields as bits per term (term i: bit 2i title, 2i+1 abstract), OR-ed per paper: one
    integer aggregate, and none at all when each term is one word (a paper's rows are then distinct)."""
    n = len(terms)
    by = paper_column(rows)
    if n > 1:  # only the papers of the rarest term can hold them all: group those rows, not every row read
        holds = [pl.col("term").str.starts_with(t) for t in terms]
        counts = rows.select(h.sum().alias(str(i)) for i, h in enumerate(holds)).row(0)
        if min(counts) < rows.height // 2:  # a join, not is_in: testing millions of rows against a million ids takes seconds
            rows = rows.join(rows.filter(holds[counts.index(min(counts))]).select(by), on=by, how="semi")
    code = pl.sum_horizontal(
        pl.col("term").str.starts_with(t).cast(pl.Int64) * pl.col("fields").cast(pl.Int64) * (1 << (2 * i)) for i, t in enumerate(terms)
    ) if n > 1 else pl.col("fields").cast(pl.Int64)
    coded = rows.select(*{by, "paper_id"}, code.alias("code"))
    if n > 1 or rows["term"].n_unique() > 1:
        coded = coded.group_by(by).agg(pl.col("code").bitwise_or(), *([pl.col("paper_id").first()] if by != "paper_id" else []))
    bit = lambda i, field: ((pl.col("code") // (1 << (2 * i + field - 1))) % 2).cast(pl.Int32)  # noqa: E731
    in_title = pl.sum_horizontal(bit(i, TITLE_FIELD) for i in range(n))
    in_abstract = pl.sum_horizontal(bit(i, ABSTRACT_FIELD) for i in range(n))
    every_term = pl.all_horizontal((pl.col("code") // (1 << (2 * i))) % 4 != 0 for i in range(n))
    if n == 1:  # the phrase is the term: the score is exact
        low = high = 13 * in_title + 3 * in_abstract
    else:
        low = 3 * in_title + in_abstract
        high = low + 10 * (in_title == n).cast(pl.Int32) + 2 * (in_abstract == n).cast(pl.Int32)
    return coded.filter(every_term).select(
        "paper_id", low.cast(pl.Int32).alias("low"), high.cast(pl.Int32).alias("high"), ((high - low) % 10 == 2).alias("abstract_bonus") if n > 1 else pl.lit(False).alias("abstract_bonus"),
    )


def paper_column(rows: pl.DataFrame) -> str:
    """What to group index rows by paper on: the integer key when every row has one (an arXiv id),
    else the id itself."""
    return "paper_key" if "paper_key" in rows.columns and not rows["paper_key"].has_nulls() else "paper_id"


def _hits_in_reach(rows: pl.DataFrame, terms: list[str], limit: int | None) -> pl.DataFrame:
    """term_hits, of the papers holding every term in their title alone when `limit` of them hold
    every term in the abstract too: those score at least 4n, and a paper missing a term in its title
    at most 4n - 1 (3 per title term, 1 per abstract term, 2 for the abstract's phrase)."""
    n = len(terms)
    rows = rows.select("term", "paper_id", "fields", *(["paper_key"] if "paper_key" in rows.columns else []))  # the positions stay where they are
    if limit is None or n == 1:
        return term_hits(rows, terms)
    titled = term_hits(rows.filter((pl.col("fields") & TITLE_FIELD) != 0), terms).select("paper_id")
    hits = term_hits(rows.join(titled, on="paper_id", how="semi"), terms)
    if hits.filter(pl.col("low") >= 4 * n).height >= limit:
        return hits
    return term_hits(rows, terms)


def in_reach(matches: pl.DataFrame, limit: int | None) -> pl.DataFrame:
    """The matches whose best score reaches the `limit`-th surest: the others cannot rank (`limit`
    papers score more), whatever their phrase bonuses and recency. Ties with it are kept."""
    if limit is None or matches.height <= limit:
        return matches
    return matches.filter(pl.col("high") >= matches["low"].top_k(limit).min())


def with_phrases(matches: pl.DataFrame, rows: pl.DataFrame, terms: list[str]) -> pl.DataFrame:
    """`matches` with the open phrase bonuses settled from the rows' positions: low = high for every
    paper whose rows have them."""
    open_ids = matches.filter(pl.col("high") > pl.col("low")).select("paper_id")
    if open_ids.is_empty():
        return matches
    phrases = phrase_fields(rows.join(open_ids, on="paper_id", how="semi"), terms)
    exact = pl.col("low") + 10 * pl.col("title_phrase").cast(pl.Int32) + 2 * pl.col("abstract_phrase").cast(pl.Int32)
    known = pl.col("title_phrase").is_not_null()
    return matches.join(phrases, on="paper_id", how="left").with_columns(
        pl.when(known).then(exact).otherwise("low").cast(pl.Int32).alias("low"),
        pl.when(known).then(exact).otherwise("high").cast(pl.Int32).alias("high"),
        pl.when(known).then(False).otherwise("abstract_bonus").alias("abstract_bonus"),
    ).drop("title_phrase", "abstract_phrase")


def _rows_of(papers: pl.LazyFrame, rows: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """The papers rows (`columns`) of `rows`: one read per id's first four characters (an arXiv
    id's month), bounded by its ids, so file statistics skip the files that cannot hold them (papers
    are in first-seen order: a month's ids are a few files, each a narrow range of ids); the reads
    run together. Bounded by the days they were last seen (a file's span months), or by all the ids
    at once, a search's best papers or a rare word's, spread over years, read most files."""
    groups = rows.group_by(_ID_MONTH.alias("month")).agg(
        pl.col("paper_id").min().alias("low"), pl.col("paper_id").max().alias("high"), pl.col("paper_id").alias("ids"),
    )
    parts = [
        papers.filter(pl.col("paper_id").is_between(pl.lit(low), pl.lit(high)) & pl.col("paper_id").is_in(pl.lit(pl.Series(ids)).implode())).select(columns)
        for low, high, ids in groups.select("low", "high", "ids").iter_rows()
    ]
    return pl.concat(parts).collect() if parts else papers.select(columns).head(0).collect()


def _id_month_count(rows: pl.DataFrame) -> int:
    """How many id months (an arXiv id's first four characters) `rows` span: _rows_of's reads."""
    return rows.select(_ID_MONTH.n_unique()).item()


def _recency(papers: pl.LazyFrame, wanted: pl.Expr) -> pl.DataFrame:
    return papers.filter(wanted).select("paper_id", *RECENCY).collect()


@dataclass
class _Verified:
    """What reading text settled so far, kept across widening windows: exact scores, the phrase in
    the title per paper, and the rows read (the answer's columns)."""

    scores: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={"paper_id": pl.String, "exact": pl.Int32}))
    titles: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={"paper_id": pl.String, "title_phrase": pl.Boolean}))
    rows: list[pl.DataFrame] = field(default_factory=list)


def _settled(
    papers: pl.LazyFrame, known: pl.DataFrame, terms: list[str], limit: int | None, unread_best: int | None, done: _Verified,
    wanted: list[str] = SUMMARY,
) -> pl.DataFrame | None:
    """The top `limit` of `known` by exact score, then newest, with the `wanted` columns; None when a
    paper not read yet (each scoring at most `unread_best`, each seen before every known one) could
    still rank among them.

    Open scores (several terms: the phrase bonuses) are settled best bound first, the title's phrase
    from titles alone (10 points), then the abstract's (2 points) from the whole row."""
    by, descending = NEWEST_FIRST
    order = dict(by=["key", *by], descending=[True, *descending], nulls_last=True)
    phrase = " " + " ".join(terms)
    every_term, score = match_and_score(terms)
    while True:
        known = _with_settled(known, done)
        if limit is not None and known.height > limit:  # a paper whose best is below the limit-th sure score is out
            known = known.filter(pl.col("high") >= known["low"].top_k(limit).min())
        ranked = known.with_columns(pl.coalesce("score", "high").alias("key")).sort(**order)
        top = ranked if limit is None else ranked.head(limit)
        if top["score"].null_count():
            open_rows = ranked.filter(pl.col("score").is_null()).head(max(VERIFY_BATCH, limit or 0))
            untitled = open_rows.filter(pl.col("title_phrase").is_null())
            if untitled.height:
                titles = _rows_of(papers, untitled, ["paper_id", "title"]).select(
                    "paper_id", normalized_text(pl.col("title")).str.contains(phrase, literal=True).alias("title_phrase")
                )
                done.titles = pl.concat([done.titles, titles])
                continue
            read = _rows_of(papers, open_rows, SUMMARY)
            done.rows.append(read)
            exact = read.select("paper_id", pl.when(every_term).then(score).otherwise(-1).cast(pl.Int32).alias("exact"))  # -1: no match after all
            done.scores = pl.concat([done.scores, exact])
            continue
        if unread_best is not None and (limit is None or top.height < limit or top["score"].min() < unread_best):
            return None
        break
    have = pl.concat(done.rows).unique("paper_id").select(wanted) if done.rows else papers.select(wanted).head(0).collect()
    missing = top.join(have.select("paper_id"), on="paper_id", how="anti")
    if missing.height:
        have = pl.concat([have, _rows_of(papers, missing, wanted)])
    return top.select("paper_id", "score").join(have, on="paper_id").select(*wanted, "score").sort(
        ["score", *by], descending=[True, *descending], nulls_last=True
    )


def _with_settled(known: pl.DataFrame, done: _Verified) -> pl.DataFrame:
    """`known` with score (exact, or null while a bonus is open) and title_phrase (null until read);
    high lowered by what the titles read said."""
    known = known.drop("score", "title_phrase", strict=False)
    known = known.join(done.titles, on="paper_id", how="left").join(done.scores, on="paper_id", how="left")
    high = pl.when(pl.col("title_phrase").is_null()).then(pl.col("high")).otherwise(
        pl.col("low") + 10 * pl.col("title_phrase").cast(pl.Int32) + 2 * pl.col("abstract_bonus").cast(pl.Int32)
    )
    known = known.with_columns(high.cast(pl.Int32).alias("high"))
    settled = pl.coalesce(
        "exact",
        pl.when(pl.col("low") == pl.col("high")).then(pl.col("low")),
    )
    return known.with_columns(settled.alias("score")).filter(pl.col("score").is_null() | (pl.col("score") >= 0)).drop("exact")
