"""Near-duplicates: pairs of distinct papers that look like the same work, scored and explained.

Comparing every pair of a ten-year lake (300k papers, 45 billion pairs) is out of the question, so
candidate pairs come from blocking first, in time that grows with the number of papers:

- titles (sorted neighbourhood): the normalized titles sorted, and sorted again with their words
  read backwards; each is compared with the next TITLE_WINDOW ones with rapidfuzz. A typo late in a
  title keeps it beside its twin in the first order, one early in the title in the second; a
  subtitle added at the end sorts right after the short title, a name put in front right after it
  in the second order;
- abstracts: papers sharing whole clauses (the text between two of `. , ; :`, hashed; a clause
  many papers share, like "code is available online", is skipped): a retitled copy shares all of
  them, a lightly edited one most, and unrelated abstracts practically none.

Candidates are then scored with rapidfuzz: the character ratio of the normalized titles and the
word ratio of the abstracts, combined so that clearly different abstracts outweigh similar titles
(a paper and its extended version are related, not the same work).

Sentence and word hashes here only decide which pairs get compared and never leave the process,
so Polars' fast hash is fine for them (ids, which must be stable across versions, never use it).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from transforms.identity import TITLE_ID_PREFIX

# What `paperlake dupes` lists by default, and the floor of what paper_links keeps as suggestions.
DEFAULT_MIN_SCORE = 85.0
STORED_MIN_SCORE = 60.0

# Blocking.
TITLE_WINDOW = 6  # neighbours compared in each sort order
TITLE_CANDIDATE_SCORE = 80.0  # rapidfuzz ratio of two titles worth scoring in full
MIN_KEY_WORDS = 3  # a shorter title inside a longer one says little ("deep learning")
MIN_CLAUSE_CHARS = 25  # shorter clauses ("in this paper") are shared by chance
MAX_BLOCK_SIZE = 50  # a clause in more abstracts than this is boilerplate, not evidence
MIN_SHARED_FRACTION = 0.3  # of the shorter abstract's clauses: a copy shares far more
CLAUSE_ENDS = (", ", "; ", ": ")  # besides ". ", where the text is cut into clauses
# Abstracts cut into clauses this many at a time: Polars' split of a year of them (257,000, 320 MB)
# asked for 5 GB at once; slices of 20,000 take memory in proportion.
CLAUSE_BATCH_ROWS = 20_000

# Scoring (all on a 0-100 scale).
TYPO_TITLE_SCORE = 90.0  # titles this close differ by a typo or a word
SUBTITLE_TITLE_SCORE = 90.0  # a title that is the other's first or last words counts as this close
SAME_ABSTRACT_SCORE = 90.0  # abstracts this close are one text, lightly edited: the same work, whatever the titles
TITLE_WEIGHT = 0.35  # the abstract, when both have one, says more than the title
NO_ABSTRACT_FACTOR = 0.95  # a title alone never makes a certain pair

PAPER_COLUMNS = ("paper_id", "title", "title_key", "abstract")
PAIR_SCHEMA = {
    "link_id": pl.String, "paper_id": pl.String, "other_paper_id": pl.String, "score": pl.Float64, "reason": pl.String,
    "title_score": pl.Float64, "abstract_score": pl.Float64, "title": pl.String, "other_title": pl.String,
}
INDEX_PAIRS_SCHEMA = {"a": pl.UInt32, "b": pl.UInt32}


def find_duplicates(papers: pl.DataFrame, min_score: float = STORED_MIN_SCORE) -> pl.DataFrame:
    """Pairs of distinct papers scoring at least `min_score`, best first (PAIR_SCHEMA).

    `papers` holds one row per paper with paper_id, title, title_key and abstract; first_seen_date,
    if present, decides which of two title-only or two arXiv papers is the one to keep (the older).
    """
    prepared = _prepared(papers)
    pairs = candidate_pairs(prepared)
    scored = score_pairs(prepared, pairs)
    return scored.filter(pl.col("score") >= min_score).sort(["score", "link_id"], descending=[True, False])


def link_id(paper_id: str, other_paper_id: str) -> str:
    """One id per unordered pair: a decision replaces a suggestion whichever way round it is given."""
    return " ".join(sorted((paper_id, other_paper_id)))


def _prepared(papers: pl.DataFrame) -> pl.DataFrame:
    first_seen = pl.col("first_seen_date") if "first_seen_date" in papers.columns else pl.lit(None, dtype=pl.Date)
    return papers.select(*PAPER_COLUMNS, first_seen.alias("first_seen_date")).with_columns(pl.col("title_key").fill_null(""))


def _normalized(text: pl.Expr) -> pl.Expr:
    """The title_key normalization (NFKC, lower case, non-alphanumeric runs to one space), vectorized."""
    return text.str.normalize("NFKC").str.to_lowercase().str.replace_all(r"[\W_]+", " ").str.strip_chars()


# --- blocking ------------------------------------------------------------------------------


def candidate_pairs(prepared: pl.DataFrame) -> pl.DataFrame:
    """Row-index pairs (a < b) worth scoring, from sorted titles and shared abstract clauses."""
    frames = [_title_candidates(prepared), _abstract_candidates(prepared["abstract"])]
    return pl.concat(frames).unique().sort("a", "b")


def _title_candidates(prepared: pl.DataFrame) -> pl.DataFrame:
    from rapidfuzz import fuzz, process

    keys = prepared["title_key"]
    frames = []
    for ordering in (keys, _words_reversed(keys)):
        # Ties (the same title) in paper_id order, so the windows are the same on every run.
        order = pl.DataFrame({"key": ordering, "paper_id": prepared["paper_id"]}).select(pl.arg_sort_by("key", "paper_id"))
        index = order.to_series().cast(pl.UInt32)
        ordered = ordering.gather(index)
        ordered_list = ordered.to_list()
        # In the first order a short title comes right before the titles it begins; in the second,
        # before those it ends (their words reversed begin with its own).
        with_space = ordered + " "
        long_enough = (ordered.str.count_matches(" ") >= MIN_KEY_WORDS - 1).to_numpy()
        for step in range(1, min(TITLE_WINDOW, len(ordered_list) - 1) + 1):
            scores = process.cpdist(
                ordered_list[:-step], ordered_list[step:], scorer=fuzz.ratio, score_cutoff=TITLE_CANDIDATE_SCORE, workers=-1
            )
            extends = ordered.tail(-step).str.starts_with(with_space.head(-step)).to_numpy() & long_enough[:-step]
            hits = np.flatnonzero((scores > 0) | extends)
            frames.append(_index_pairs(index.gather(hits).to_numpy(), index.gather(hits + step).to_numpy()))
    return pl.concat(frames) if frames else pl.DataFrame(schema=INDEX_PAIRS_SCHEMA)


def clause_keys(abstracts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(row, clause hash) of every long enough clause of these abstracts: what the abstract blocking
    needs of them, a few bytes a clause, so a caller can read a large lake's abstracts in parts."""
    parts = [_clause_keys(abstracts.slice(start, CLAUSE_BATCH_ROWS), start) for start in range(0, abstracts.len(), CLAUSE_BATCH_ROWS)]
    doc = np.concatenate([d for d, _ in parts]) if parts else np.zeros(0, dtype=np.int64)
    keys = np.concatenate([k for _, k in parts]) if parts else np.zeros(0, dtype=np.uint64)
    return doc, keys


def candidate_pairs_by_keys(prepared: pl.DataFrame, doc: np.ndarray, keys: np.ndarray) -> pl.DataFrame:
    """candidate_pairs, with the abstracts' clause keys given (rows of `prepared`, any order)."""
    order = np.argsort(doc, kind="stable")
    frames = [_title_candidates(prepared), _abstract_candidates_of(doc[order], keys[order], prepared.height)]
    return pl.concat(frames).unique().sort("a", "b")


def _words_reversed(keys: pl.Series) -> pl.Series:
    """Each key with its words in reverse order, CLAUSE_BATCH_ROWS keys at a time (Polars' split of
    a ten-year lake's 3.85 million titles at once took gigabytes)."""
    parts = [keys.slice(start, CLAUSE_BATCH_ROWS).str.split(" ").list.reverse().list.join(" ") for start in range(0, keys.len(), CLAUSE_BATCH_ROWS)]
    return pl.concat(parts) if parts else keys


def _abstract_candidates(abstracts: pl.Series) -> pl.DataFrame:
    return _abstract_candidates_of(*clause_keys(abstracts), abstracts.len())


def _abstract_candidates_of(doc: np.ndarray, keys: np.ndarray, doc_count: int) -> pl.DataFrame:
    doc, keys = _unique_entries(doc, keys)
    sizes = np.bincount(doc, minlength=doc_count)
    a, b = _pairs_in_small_blocks(doc, keys)
    if a.size == 0:
        return pl.DataFrame(schema=INDEX_PAIRS_SCHEMA)
    codes, shared = np.unique(a.astype(np.uint64) << np.uint64(32) | b.astype(np.uint64), return_counts=True)
    a, b = (codes >> np.uint64(32)).astype(np.int64), (codes & np.uint64(0xFFFFFFFF)).astype(np.int64)
    enough = shared >= np.maximum(1, np.ceil(MIN_SHARED_FRACTION * np.minimum(sizes[a], sizes[b])))
    return _index_pairs(a[enough], b[enough])


def _clause_keys(abstracts: pl.Series, first_doc: int) -> tuple[np.ndarray, np.ndarray]:
    """(doc, clause hash) of every long enough clause of these abstracts, docs numbered from `first_doc`."""
    text = abstracts.fill_null("").str.to_lowercase()
    for end in CLAUSE_ENDS:  # literal replaces: far cheaper than a regex over every abstract
        text = text.str.replace_all(end, ". ", literal=True)
    clauses = text.str.split(". ")
    counts = clauses.list.len().fill_null(0).to_numpy().astype(np.int64)
    flat = clauses.explode()
    doc = np.repeat(np.arange(first_doc, first_doc + counts.size, dtype=np.int64), counts)
    long_enough = (flat.str.len_chars().fill_null(0) >= MIN_CLAUSE_CHARS).to_numpy()
    return doc[long_enough], flat.filter(long_enough).hash(seed=9).to_numpy()


def _unique_entries(doc: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(doc, key) entries sorted by key then doc, each once (a clause twice in one abstract counts once)."""
    order = np.argsort(keys, kind="stable")  # doc is ascending already, so ties stay in doc order
    doc, keys = doc[order], keys[order]
    first = np.ones(doc.size, dtype=bool)
    first[1:] = (keys[1:] != keys[:-1]) | (doc[1:] != doc[:-1])
    return doc[first], keys[first]


def _pairs_in_small_blocks(doc: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of docs sharing a key, over keys held by 2 to MAX_BLOCK_SIZE docs; entries sorted by key."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    sizes = np.diff(np.concatenate([starts, [keys.size]]))
    block_size = np.repeat(sizes, sizes)
    position = np.arange(keys.size) - np.repeat(starts, sizes)
    # Each entry pairs with the entries after it in its block, when the block is small enough.
    partners = np.where((block_size >= 2) & (block_size <= MAX_BLOCK_SIZE), block_size - position - 1, 0)
    first = np.repeat(np.arange(keys.size), partners)
    offset = np.arange(first.size) - np.repeat(np.cumsum(partners) - partners, partners)
    second = first + 1 + offset
    a, b = doc[first], doc[second]
    return np.minimum(a, b), np.maximum(a, b)


def _index_pairs(a: np.ndarray, b: np.ndarray) -> pl.DataFrame:
    low, high = np.minimum(a, b), np.maximum(a, b)
    keep = low != high
    return pl.DataFrame({"a": pl.Series(low[keep], dtype=pl.UInt32), "b": pl.Series(high[keep], dtype=pl.UInt32)})


# --- scoring -------------------------------------------------------------------------------


def score_pair(papers: pl.DataFrame, paper_id: str, other_paper_id: str) -> pl.DataFrame:
    """One PAIR_SCHEMA row for two given papers, paper_id first (a person chose which to keep)."""
    prepared = _prepared(papers)
    ids = prepared["paper_id"].to_list()
    pair = pl.DataFrame({"a": [ids.index(paper_id)], "b": [ids.index(other_paper_id)]}, schema={"a": pl.UInt32, "b": pl.UInt32})
    return score_pairs(prepared, pair, orient=False)


def score_pairs(prepared: pl.DataFrame, pairs: pl.DataFrame, orient: bool = True) -> pl.DataFrame:
    """Score and explain each candidate pair (row indices into `prepared`)."""
    from rapidfuzz import fuzz, process

    if pairs.is_empty():
        return pl.DataFrame(schema=PAIR_SCHEMA)
    left, right = (
        prepared.select(pl.all().gather(pairs[side])).with_columns(_normalized(pl.col("abstract")).alias("abstract_key"))
        for side in ("a", "b")
    )
    words_left, words_right = _as_word_strings(left["abstract_key"], right["abstract_key"])
    title_score = process.cpdist(left["title_key"].to_list(), right["title_key"].to_list(), scorer=fuzz.ratio, workers=-1)
    abstract_score = process.cpdist(words_left, words_right, scorer=fuzz.ratio, workers=-1)
    both_have_abstracts = (left["abstract_key"].fill_null("") != "") & (right["abstract_key"].fill_null("") != "")
    features = pl.DataFrame(
        {
            "title_score": title_score.astype(np.float64),
            "abstract_score": pl.Series(abstract_score.astype(np.float64)).round(1),
            "has_abstracts": both_have_abstracts,
        }
    ).with_columns(
        pl.when(pl.col("has_abstracts")).then(pl.col("abstract_score")).otherwise(None).alias("abstract_score"),
        pl.col("title_score").round(1),
    )
    joined = pl.concat([_side(left, ""), _side(right, "other_"), features], how="horizontal")
    return _explained(_oriented(joined) if orient else joined)


def _as_word_strings(left: pl.Series, right: pl.Series) -> tuple[list[str], list[str]]:
    """Each text as a string of one character per word, so rapidfuzz's fast character ratio is a
    ratio of words (a shared "the" weighs as little as any shared word, not as three letters)."""
    both = pl.concat([left, right]).fill_null("")
    words = both.str.split(" ").list.filter(pl.element() != "")
    counts = words.list.len().to_numpy().astype(np.int64)
    flat = words.explode().drop_nulls()
    # Dense ids of the words' 64-bit hashes: one character per distinct word (ranking the hashes
    # is much faster than ranking the strings, and 64-bit collisions do not happen in practice).
    ids = flat.hash(seed=9).rank("dense").cast(pl.Int64).to_numpy() if flat.len() else np.zeros(0, dtype=np.int64)
    codepoints = ids + 0x100
    codepoints = np.where(codepoints >= 0xD800, codepoints + 0x800, codepoints)  # skip the surrogates
    codepoints = np.minimum(codepoints, 0x10FFFF).astype("<u4")
    text = codepoints.tobytes().decode("utf-32-le")
    ends = np.cumsum(counts)
    strings = [text[end - count : end] for end, count in zip(ends.tolist(), counts.tolist())]
    return strings[: left.len()], strings[left.len() :]


def _side(frame: pl.DataFrame, prefix: str) -> pl.DataFrame:
    return frame.select(
        pl.col("paper_id").alias(f"{prefix}paper_id"), pl.col("title").alias(f"{prefix}title"),
        pl.col("title_key").alias(f"{prefix}title_key"), pl.col("first_seen_date").alias(f"{prefix}first_seen_date"),
    )


def _oriented(pairs: pl.DataFrame) -> pl.DataFrame:
    """paper_id is the one to keep if the pair is merged: an arXiv paper over a title-only one,
    then the one seen first, then the smaller id."""
    def rank(prefix: str) -> list[pl.Expr]:
        return [pl.col(f"{prefix}paper_id").str.starts_with(TITLE_ID_PREFIX), pl.col(f"{prefix}first_seen_date"), pl.col(f"{prefix}paper_id")]

    mine, other = rank(""), rank("other_")
    swap = pl.lit(False)
    decided = pl.lit(False)
    for a, b in zip(mine, other):
        # Nulls (no first_seen_date) compare as equal, so the next criterion decides.
        differs = a.is_not_null() & b.is_not_null() & (a != b)
        swap = pl.when(~decided & differs).then(a > b).otherwise(swap)
        decided = decided | differs
    names = ["paper_id", "title", "title_key"]
    return pairs.with_columns(
        *[pl.when(swap).then(pl.col(f"other_{n}")).otherwise(pl.col(n)).alias(n) for n in names],
        *[pl.when(swap).then(pl.col(n)).otherwise(pl.col(f"other_{n}")).alias(f"other_{n}") for n in names],
    )


def _explained(pairs: pl.DataFrame) -> pl.DataFrame:
    title, other = pl.col("title_key"), pl.col("other_title_key")
    shorter_words = pl.min_horizontal(title.str.count_matches(" ") + 1, other.str.count_matches(" ") + 1)
    extends = (
        other.str.starts_with(title + " ") | other.str.ends_with(" " + title)
        | title.str.starts_with(other + " ") | title.str.ends_with(" " + other)
    )
    relation = (
        pl.when(title == other).then(pl.lit("same"))
        .when(extends & (shorter_words >= MIN_KEY_WORDS)).then(pl.lit("subtitle"))
        .when(pl.col("title_score") >= TYPO_TITLE_SCORE).then(pl.lit("typo"))
        .otherwise(pl.lit("different"))
    )
    effective_title = (
        pl.when(pl.col("relation") == "same").then(100.0)
        .when(pl.col("relation") == "subtitle").then(pl.max_horizontal("title_score", pl.lit(SUBTITLE_TITLE_SCORE)))
        .otherwise(pl.col("title_score"))
    )
    abstract = pl.col("abstract_score")
    blended = TITLE_WEIGHT * effective_title + (1 - TITLE_WEIGHT) * abstract
    score = (
        pl.when(abstract.is_null()).then(NO_ABSTRACT_FACTOR * effective_title)
        .when(abstract >= SAME_ABSTRACT_SCORE).then(pl.max_horizontal(blended, abstract))
        .otherwise(blended)
    )
    return (
        pairs.with_columns(relation.alias("relation"))
        .with_columns(score.round(1).alias("score"), _reason().alias("reason"))
        .with_columns(
            pl.concat_str(pl.min_horizontal("paper_id", "other_paper_id"), pl.lit(" "), pl.max_horizontal("paper_id", "other_paper_id")).alias("link_id")
        )
        .select(list(PAIR_SCHEMA))
    )


def _reason() -> pl.Expr:
    title_part = (
        pl.when(pl.col("relation") == "same").then(pl.lit("same title"))
        .when(pl.col("relation") == "subtitle").then(pl.lit("one title adds a subtitle to the other"))
        .when(pl.col("relation") == "typo").then(pl.format("titles differ by a typo or a word ({})", pl.col("title_score")))
        .otherwise(pl.format("different titles ({})", pl.col("title_score")))
    )
    abstract = pl.col("abstract_score")
    abstract_part = (
        pl.when(abstract.is_null()).then(pl.lit("no abstract to compare"))
        .when(abstract >= 99.5).then(pl.lit("same abstract"))
        .when(abstract >= SAME_ABSTRACT_SCORE).then(pl.format("near-identical abstracts ({})", abstract))
        .otherwise(pl.format("abstracts differ ({})", abstract))
    )
    return pl.concat_str(title_part, pl.lit("; "), abstract_part)


# --- title-only papers that match several arXiv papers ------------------------------------


def ambiguous_title_papers(papers: pl.DataFrame) -> pl.DataFrame:
    """Title-only papers whose normalized title is that of several arXiv papers: linked to none of
    them (transforms/linking.py), so a person should look. title_key, paper_id, title, arxiv_ids."""
    from transforms.linking import arxiv_title_index

    index = arxiv_title_index(papers.filter(pl.col("arxiv_id").is_not_null()))
    title_only = papers.filter(pl.col("paper_id").str.starts_with(TITLE_ID_PREFIX))
    return (
        title_only.join(index.filter(pl.col("arxiv_id_count") > 1), on="title_key")
        .select("paper_id", "title", "title_key", "arxiv_ids")
        .sort("title_key", "paper_id")
    )
