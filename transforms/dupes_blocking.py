"""Blocking for the near-duplicate finder: which pairs of papers are worth scoring at all.

Comparing every pair of a ten-year lake (3.85 million papers, 7 trillion pairs) is out of the
question, so candidate pairs come from blocking first, in time that grows with the number of papers:

- titles (sorted neighbourhood): the normalized titles sorted, and sorted again with their words
  read backwards; each is compared with the next TITLE_WINDOW ones with rapidfuzz. A typo late in a
  title keeps it beside its twin in the first order, one early in the title in the second; a
  subtitle added at the end sorts right after the short title, a name put in front right after it
  in the second order;
- abstracts: papers sharing whole clauses (the text between two of `. , ; :`, hashed; a clause
  many papers share, like "code is available online", is skipped): a retitled copy shares all of
  them, a lightly edited one most, and unrelated abstracts practically none.

Blocking reads of a paper only its title key and one 64-bit key per clause (`clause_keys`, an
expression a reader can evaluate a slice of papers at a time, so a large lake's abstracts are never
held whole). Clause hashes only decide which pairs get compared and never leave the process, so
Polars' fast hash is fine for them (ids, which must be stable across versions, never use it).
"""

from __future__ import annotations

import numpy as np
import polars as pl

TITLE_WINDOW = 6  # neighbours compared in each sort order
TITLE_CANDIDATE_SCORE = 80.0  # rapidfuzz ratio of two titles worth scoring in full
MIN_KEY_WORDS = 3  # a shorter title inside a longer one says little ("deep learning")
MIN_CLAUSE_CHARS = 25  # shorter clauses ("in this paper") are shared by chance
MAX_BLOCK_SIZE = 50  # a clause in more abstracts than this is boilerplate, not evidence
MIN_SHARED_FRACTION = 0.3  # of the shorter abstract's clauses: a copy shares far more
CLAUSE_ENDS = (", ", "; ", ": ")  # besides ". ", where the text is cut into clauses
# Sorted titles compared this many at a time: rapidfuzz needs Python strings, and 3.85 million of
# them at once are half a gigabyte.
TITLE_SLICE_ROWS = 250_000
BYTE_KINDS = 32  # byte_counts' kinds of bytes
COUNT_SLICE_ROWS = 20_000
# Keys looked up this many at a time (the lookup's temporaries are 8 bytes a key).
KEY_SLICE_ROWS = 4_000_000
CLAUSE_SEED = 9
INDEX_PAIRS_SCHEMA = {"a": pl.UInt32, "b": pl.UInt32}


def clause_keys(abstract: pl.Expr) -> pl.Expr:
    """The hash of each clause of at least MIN_CLAUSE_CHARS characters, lower-cased (List[UInt64]).

    One pass of literal replacements (', ' '; ' ': ' become '. ') then one split: three
    separate replace_all passes cost four times as much over a lake's abstracts.
    """
    text = abstract.fill_null("").str.to_lowercase().str.replace_many(list(CLAUSE_ENDS), [". "] * len(CLAUSE_ENDS))
    clause = pl.element()
    long_enough = pl.when(clause.str.len_chars() >= MIN_CLAUSE_CHARS).then(clause.hash(CLAUSE_SEED))
    return text.str.split(". ").list.eval(long_enough).list.drop_nulls()


def combined(*frames: pl.DataFrame) -> pl.DataFrame:
    """Candidate pairs from several blockings, each pair once, in (a, b) order."""
    return pl.concat(frames).unique().sort("a", "b")


# --- titles ------------------------------------------------------------------------------


def title_candidates(titles: pl.DataFrame) -> pl.DataFrame:
    """Row-index pairs (a < b) of titles near each other in either sort order (paper_id, title_key)."""
    frames = []
    # Reversing a key's words keeps its length and its word count: both are measured once, for both orders.
    lengths = titles["title_key"].str.len_chars().to_numpy().astype(np.uint32)
    long_enough = (titles["title_key"].str.count_matches(" ", literal=True) >= MIN_KEY_WORDS - 1).to_numpy()
    counts = byte_counts(titles["title_key"])  # and the bytes it is made of
    for reverse in (False, True):
        ordering = _words_reversed(titles["title_key"]) if reverse else titles["title_key"]
        index = _sorted_order(ordering, titles["paper_id"]).to_numpy()
        # Gathered a slice at a time: gathering all the keys at once copies their text (400 MB, the
        # peak of the run), since the keys read come in hundreds of chunks.
        for start in range(0, index.size, TITLE_SLICE_ROWS):
            rows = index[start : start + TITLE_SLICE_ROWS + TITLE_WINDOW]
            a, b = _window_hits(ordering.gather(rows), TITLE_SLICE_ROWS, lengths[rows].astype(np.int64), long_enough[rows], counts[rows])
            frames.append(_index_pairs(index[start + a], index[start + b]))
        del ordering, index
    return pl.concat(frames) if frames else pl.DataFrame(schema=INDEX_PAIRS_SCHEMA)


def _sorted_order(keys: pl.Series, paper_ids: pl.Series) -> pl.Series:
    """Rows in key order, ties (the same title) in paper_id order so the windows are the same on every
    run. One arg-sort by both columns: half the CPU of sorting the keys, then each run of equal keys
    by id, and its temporaries (~125 MB for 3.85 million titles) are a third of a sorted frame's."""
    return pl.DataFrame({"key": keys, "paper_id": paper_ids}).select(pl.arg_sort_by("key", "paper_id")).to_series()


def _window_hits(
    ordered: pl.Series, own_count: int, lengths: np.ndarray, long_enough: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Positions (i, i + step) in these sorted keys, i < own_count, whose titles are close or where
    one extends the other; the keys past own_count are the next slice's, there to be compared with.
    `lengths` (characters), `long_enough` (at least MIN_KEY_WORDS words) and `counts` (byte_counts)
    are the keys', in order."""
    from rapidfuzz import fuzz, process

    keys = np.array(ordered.to_list(), dtype=object)
    # In the first order a short title comes right before the titles it begins; in the second,
    # before those it ends (their words reversed begin with its own).
    with_space = ordered + " "
    firsts, seconds = [], []
    for step in range(1, TITLE_WINDOW + 1):
        count = min(own_count, keys.size - step)
        if count <= 0:
            break
        # The ratio is 2 x their longest common subsequence / their total length, so titles whose
        # lengths differ too much cannot reach it: rapidfuzz (most of the time here) is spared them.
        shorter, total = np.minimum(lengths[:count], lengths[step : step + count]), lengths[:count] + lengths[step : step + count]
        maybe = np.flatnonzero(200 * shorter >= TITLE_CANDIDATE_SCORE * total - 1)
        # Nor can titles sharing too few bytes of each kind (their common subsequence is at most
        # that many characters): this spares rapidfuzz two thirds of the rest.
        shared = np.minimum(counts[maybe], counts[maybe + step]).sum(axis=1, dtype=np.int64)
        maybe = maybe[200 * shared >= TITLE_CANDIDATE_SCORE * total[maybe] - 1]
        scores = process.cpdist(keys[maybe], keys[maybe + step], scorer=fuzz.ratio, score_cutoff=TITLE_CANDIDATE_SCORE, workers=-1)
        close = np.zeros(count, dtype=bool)
        close[maybe] = scores > 0
        extends = ordered.slice(step, count).str.starts_with(with_space.head(count)).to_numpy() & long_enough[:count]
        hits = np.flatnonzero(close | extends)
        firsts.append(hits)
        seconds.append(hits + step)
    if not firsts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(firsts), np.concatenate(seconds)


def byte_counts(keys: pl.Series) -> np.ndarray:
    """How many bytes of each of 32 kinds (the byte's low five bits: a-z are each their own) each key
    holds, one row per key. Two keys' common subsequence has at most sum(min(row, other row))
    characters: each of its characters is a byte or more of one kind, in both keys."""
    max_bytes = int(keys.str.len_bytes().max() or 0)
    counts = np.zeros((keys.len(), BYTE_KINDS), dtype=np.uint8 if max_bytes < 256 else np.uint32)
    for start in range(0, keys.len(), COUNT_SLICE_ROWS):  # small slices: the tallies stay in cache
        text = keys.slice(start, COUNT_SLICE_ROWS).fill_null("").to_arrow(compat_level=pl.CompatLevel.oldest())
        offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset : text.offset + len(text) + 1]
        if offsets[-1] == offsets[0]:
            continue
        data = np.frombuffer(text.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
        row = np.repeat(np.arange(0, len(text) * BYTE_KINDS, BYTE_KINDS), np.diff(offsets))
        tally = np.bincount(row + (data & (BYTE_KINDS - 1)), minlength=len(text) * BYTE_KINDS)
        counts[start : start + len(text)] = tally.reshape(len(text), BYTE_KINDS)
    return counts


def _words_reversed(keys: pl.Series) -> pl.Series:
    """Each key with its words in reverse order, a slice at a time (Polars' split of a ten-year
    lake's 3.85 million titles at once took gigabytes); the streaming engine uses both cores."""
    reversed_words = pl.col("key").str.split(" ").list.reverse().list.join(" ")
    return keys.to_frame("key").lazy().select(reversed_words).collect(engine="streaming").to_series()


# --- abstracts ---------------------------------------------------------------------------


def abstract_candidates(clause_keys: pl.Series) -> pl.DataFrame:
    """Row-index pairs (a < b) of abstracts sharing at least MIN_SHARED_FRACTION of the shorter
    one's clauses, counting only clauses held by 2 to MAX_BLOCK_SIZE abstracts.

    Most clauses are in one abstract only: they are set aside first (one sort of the bare keys),
    so the per-block work, and its memory, is on the few keys held more than once.
    """
    counts = clause_keys.list.len().fill_null(0).to_numpy().astype(np.int64)
    keys = clause_keys.explode(empty_as_null=False, keep_nulls=False).to_numpy()
    if keys.size == 0:
        return pl.DataFrame(schema=INDEX_PAIRS_SCHEMA)
    positions = np.flatnonzero(_held_more_than_once(keys))
    doc = np.searchsorted(np.cumsum(counts), positions, side="right")  # rows ascending, like positions
    repeated_doc, repeated_keys = _unique_entries(doc, keys[positions])
    # Distinct clauses per abstract: a clause twice in one abstract is a repeated key, counted once.
    sizes = counts - np.bincount(doc, minlength=counts.size) + np.bincount(repeated_doc, minlength=counts.size)
    a, b = _pairs_in_small_blocks(repeated_doc, repeated_keys)
    if a.size == 0:
        return pl.DataFrame(schema=INDEX_PAIRS_SCHEMA)
    codes, shared = np.unique(a.astype(np.uint64) << np.uint64(32) | b.astype(np.uint64), return_counts=True)
    a, b = (codes >> np.uint64(32)).astype(np.int64), (codes & np.uint64(0xFFFFFFFF)).astype(np.int64)
    enough = shared >= np.maximum(1, np.ceil(MIN_SHARED_FRACTION * np.minimum(sizes[a], sizes[b])))
    return _index_pairs(a[enough], b[enough])


def _held_more_than_once(keys: np.ndarray) -> np.ndarray:
    """Which entries' key occurs at least twice among all the keys (booleans, same order)."""
    ordered = np.sort(keys)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    del ordered
    held = np.zeros(keys.size, dtype=bool)
    if repeated.size == 0:
        return held
    for start in range(0, keys.size, KEY_SLICE_ROWS):
        part = keys[start : start + KEY_SLICE_ROWS]
        found = np.minimum(np.searchsorted(repeated, part), repeated.size - 1)
        held[start : start + part.size] = repeated[found] == part
    return held


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
