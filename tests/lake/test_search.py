"""`papers --search` through the word index answers exactly what the scan of every title and
abstract answers: words, prefixes, phrases, limits, ties; and after papers change or go, the
appended rows (with their markers) answer like a rebuild."""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl
import pytest

from flows.search_update import rebuild_search_words, update_search_words
from lake import search as lake_search
from lake import papers as lake_papers
from lake import table_setup, writes
from lake.queries import Window, search
from lake.schemas import PAPERS
from lake.store import Lake

WORDS = "graph graphs reasoning reason sparse routing model models learning neural attention diffusion".split()
QUERIES = [
    "graph", "graph reasoning", "reasoning graph", "Graph-Reasoning!", "grap", "reason", "sparse routing model",
    "models learning", "neural", "diffusion attention", "zebra", "learning learning", "ｓｐａｒｓｅ",
]


def made_papers(count: int, seed: int = 3) -> pl.DataFrame:
    rng = random.Random(seed)
    start = date(2024, 1, 1)
    rows = []
    for n in range(count):
        first = start + timedelta(days=rng.randrange(60))
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(2, 6))).title()
        abstract = None if n % 17 == 0 else ". ".join(" ".join(rng.choice(WORDS) for _ in range(6)) for _ in range(3)) + "."
        rows.append({
            "paper_id": f"2401.{n:05d}", "title": title, "abstract": abstract, "title_key": title.lower(),
            "first_seen_date": first, "last_seen_date": first + timedelta(days=rng.randrange(3) * 20),
            "days_seen": 1 + rng.randrange(3), "sighting_count": 1, "feeds": ["arxiv"],
        })
    return PAPERS.conform(pl.DataFrame(rows))


@pytest.fixture
def lake(tmp_path) -> Lake:
    the_lake = Lake(str(tmp_path / "lake"))
    table_setup.ensure_tables(the_lake)
    for part in made_papers(400).iter_slices(100):  # several files, like a lake written day by day
        writes.append(the_lake, PAPERS, part, writes.CommitInfo("test"))
    rebuild_search_words(the_lake, writes.CommitInfo("test"))
    return the_lake


def answers(the_lake: Lake, text: str, limit: int | None, indexed: bool) -> list[tuple]:
    words = the_lake.scan("search_words") if indexed else None
    found = search(the_lake.scan("sightings"), text, Window(), limit, the_lake.scan("papers"), words)
    return found.select("paper_id", "score", "title", "last_seen_date", "feeds").rows()


def assert_same_as_the_scan(the_lake: Lake) -> None:
    for text in QUERIES:
        for limit in (None, 5):
            assert answers(the_lake, text, limit, True) == answers(the_lake, text, limit, False), (text, limit)


def test_the_index_answers_what_the_scan_answers(lake):
    assert_same_as_the_scan(lake)
    assert answers(lake, "graph reasoning", 5, True)[0][1] >= 20  # the phrase in title and abstract: scores order it
    assert answers(lake, "zebra", None, True) == []


def test_many_matches_read_the_recent_papers_first_and_still_agree(lake, monkeypatch):
    monkeypatch.setattr(lake_search, "DIRECT_PAPER_COUNT", 10)
    monkeypatch.setattr(lake_search, "FIRST_WINDOW_DAYS", 2)
    monkeypatch.setattr(lake_search, "VERIFY_BATCH", 3)
    assert_same_as_the_scan(lake)


def test_changed_and_removed_papers_answer_like_a_rebuild(lake):
    changed = lake.read("papers").head(30).with_columns(
        pl.lit("Zebra Routing").alias("title"), pl.lit("nothing about graphs here").alias("abstract"),
        pl.lit(date(2024, 6, 1)).alias("last_seen_date"),
    )
    removed = ["2401.00040", "2401.00041"]
    fresh = made_papers(5, seed=9).with_columns(pl.format("2402.{}", pl.col("paper_id").str.slice(5)).alias("paper_id"))
    lake_papers.upsert_papers(lake, pl.concat([changed, fresh]), writes.CommitInfo("test"), removed_ids=removed)
    update_search_words(lake, pl.concat([changed, fresh]), fresh["paper_id"].to_list(), removed, writes.CommitInfo("test"))
    update_search_words(lake, changed.head(3), [], [], writes.CommitInfo("test"))  # touched again, same text
    assert_same_as_the_scan(lake)
    assert {r[0] for r in answers(lake, "zebra", None, True)} == set(changed["paper_id"].to_list())  # old words gone, new ones found
    appended = current_words(lake)
    rebuild_search_words(lake, writes.CommitInfo("test"))
    assert current_words(lake).equals(appended)  # what the appends hold now is what a rebuild writes
    assert lake.read("search_words")["term"].ne("").all()  # a rebuild has no markers
    assert_same_as_the_scan(lake)


def current_words(the_lake: Lake) -> pl.DataFrame:
    from transforms.search_words import current_rows

    return current_rows(the_lake.read("search_words")).select("term", "paper_id", "fields", "positions", "paper_key").sort("term", "paper_id")


# Phrases the positions must settle exactly as the scan's " t1 t2" in the padded, normalized text does.
TRICKY = [
    ("Graph Reasoning Graph Reasoning", "graph graph reasoning reasoning"),  # repeated words, the phrase twice
    ("Graphs Reasoning", "a graph, reasoning."),  # first term only a prefix in the title; the phrase across a comma
    ("Sparse graph\n  reasoners", "routing over a sparse graph reason"),  # hard-wrapped title; the last term a prefix; at the end
    ("Graph of Reasoning", "graph then reasoning; reasoning graph"),  # words present but apart, and reversed
    ("Learning Learning Learning", "graph_reasoning and graph-reasoning"),  # underscore and hyphen split words
    ("Model graph", "reasoning model graph reasoning"),  # the phrase would span title and abstract: not one
    ("ｇｒａｐｈ ＲＥＡＳＯＮＩＮＧ", None),  # full width, no abstract
    ("graph's reasoning", "the graph s reasoning"),  # an apostrophe makes a word of its own
    ("Graph", "graph graph graph"),
    ("Reasoning about graph reasoning graph", "graph reasoning graph reasoning graph"),
]
TRICKY_QUERIES = [
    "graph reasoning", "graph reason", "graph graph", "reasoning graph", "graph s reasoning", "learning learning",
    "learning learning learning learning", "sparse graph reason", "graph reasoning graph", "graph graph reasoning",
    "model graph", "graph reasoning reasoning", "gr re", "a graph reasoning", "Graph—Reasoning",
]


def test_phrases_from_positions_answer_what_the_scan_answers(tmp_path):
    the_lake = Lake(str(tmp_path / "lake"))
    table_setup.ensure_tables(the_lake)
    papers = made_papers(len(TRICKY), seed=5).with_columns(
        pl.Series("title", [t for t, _ in TRICKY]), pl.Series("abstract", [a for _, a in TRICKY], pl.String),
    )
    writes.append(the_lake, PAPERS, papers, writes.CommitInfo("test"))
    rebuild_search_words(the_lake, writes.CommitInfo("test"))
    for text in TRICKY_QUERIES:
        assert answers(the_lake, text, None, True) == answers(the_lake, text, None, False), text
        assert settled_from_the_index(the_lake, text), text  # no text read to settle a bonus
    scores = dict((r[2], r[1]) for r in answers(the_lake, "graph reasoning", None, True))
    assert scores["Graph Reasoning Graph Reasoning"] == 10 + 6 + 2 + 2 and scores["Graphs Reasoning"] == 6 + 2 + 2
    assert scores["Graph of Reasoning"] == 6 + 2 and scores["Model graph"] == 3 + 2 + 2


def settled_from_the_index(the_lake: Lake, text: str) -> bool:
    from lake.queries import search_terms
    from lake.search_words import rows_of_terms
    from transforms.search_words import without_superseded

    terms = search_terms(text)
    rows = without_superseded(rows_of_terms(the_lake.scan("search_words"), terms, positions=True))
    matches = lake_search.term_hits(rows, terms)
    if "positions" in rows.columns:
        matches = lake_search.with_phrases(matches, rows, terms)
    return matches["low"].equals(matches["high"])


def test_an_index_without_positions_still_answers_what_the_scan_answers(lake):
    """An index an older paperlake built has no positions, and its loads add none (not half of
    them): its phrases are settled by reading texts, to the same answers, until a rebuild."""
    from deltalake import write_deltalake

    old = lake.read("search_words").drop("positions")
    write_deltalake(lake.table_uri("search_words"), old.to_arrow(), mode="overwrite", schema_mode="overwrite")
    assert_same_as_the_scan(lake)

    table_setup.ensure_tables(lake)  # what the next load does first
    changed = lake.read("papers").head(40).with_columns(pl.lit("Graph Reasoning Sparse Routing").alias("title"))
    lake_papers.upsert_papers(lake, changed, writes.CommitInfo("test"))
    update_search_words(lake, changed, [], [], writes.CommitInfo("test"))
    assert "positions" not in lake.scan("search_words").collect_schema().names()
    assert lake.read("search_words").height > old.height
    assert_same_as_the_scan(lake)
    assert not settled_from_the_index(lake, "graph reasoning")

    rebuild_search_words(lake, writes.CommitInfo("test"))
    assert lake.read("search_words")["positions"].null_count() == 0
    assert settled_from_the_index(lake, "graph reasoning")
    assert_same_as_the_scan(lake)


def paper(paper_id: str, title: str, abstract: str, last_seen: date) -> dict:
    return {"paper_id": paper_id, "title": title, "abstract": abstract, "title_key": title.lower(),
            "first_seen_date": last_seen - timedelta(days=2), "last_seen_date": last_seen, "days_seen": 1, "sighting_count": 1, "feeds": ["arxiv"]}


@pytest.fixture
def dated_lake(tmp_path) -> Lake:
    """Old papers (2301.*, seen 2023) with the word in title and abstract, and recent ones (2512.*)."""
    the_lake = Lake(str(tmp_path / "lake"))
    table_setup.ensure_tables(the_lake)
    last = date(2025, 12, 28)
    old = [paper(f"2301.{n:05d}", "Graph Learning", "a graph model", date(2023, 1, 20) + timedelta(days=n)) for n in range(4)]
    recent = [paper(f"2512.{n:05d}", "Graph Models" if n % 2 else "Sparse Graph", "graph routing" if n != 3 else "routing", last - timedelta(days=n)) for n in range(6)]
    for part in (old, recent):  # two files: the old papers' and the recent ones'
        writes.append(the_lake, PAPERS, PAPERS.conform(pl.DataFrame(part)), writes.CommitInfo("test"))
    rebuild_search_words(the_lake, writes.CommitInfo("test"))
    return the_lake


def reading_spy(monkeypatch) -> list[dict]:
    from lake import search_words

    calls = []
    real = search_words.rows_of_terms

    def spy(words, terms, **options):
        calls.append(options)
        return real(words, terms, **options)

    monkeypatch.setattr(lake_search, "rows_of_terms", spy)
    return calls


def test_one_common_word_reads_the_rows_of_recent_papers_only(dated_lake, monkeypatch):
    calls = reading_spy(monkeypatch)
    found = search(dated_lake.scan("sightings"), "graph", Window(), 3, dated_lake.scan("papers"), dated_lake.scan("search_words"))
    assert found.select("paper_id", "score").rows() == [("2512.00000", 16), ("2512.00001", 16), ("2512.00002", 16)]
    assert calls == [{"positions": False, "from_paper_id": "2512.00000"}]  # the old papers' rows were not read
    assert answers(dated_lake, "graph", 3, True) == answers(dated_lake, "graph", 3, False)


def test_one_word_falls_back_to_the_whole_index_when_the_recent_papers_are_too_few(dated_lake, monkeypatch):
    calls = reading_spy(monkeypatch)
    found = search(dated_lake.scan("sightings"), "graph", Window(), 7, dated_lake.scan("papers"), dated_lake.scan("search_words"))
    # five recent papers score 16 (graph in title and abstract), then the old ones, newest first; 2512.00003 lacks it in the abstract
    assert found["paper_id"].to_list() == ["2512.00000", "2512.00001", "2512.00002", "2512.00004", "2512.00005", "2301.00003", "2301.00002"]
    assert calls[-1] == {"positions": False}  # the whole index: no paper left out
    for text, limit in (("graph", 7), ("graph", None), ("routing", 2), ("graph model", 3), ("model", 1), ("zebra", 3)):
        assert answers(dated_lake, text, limit, True) == answers(dated_lake, text, limit, False), (text, limit)


def test_the_answer_has_the_columns_asked_for_and_the_log_gives_the_dates(dated_lake):
    from lake.search_words import papers_last_seen_range

    assert papers_last_seen_range(dated_lake) == (date(2023, 1, 20), date(2025, 12, 28))
    columns = ["paper_id", "title", "last_seen_date", "feeds"]
    dates = papers_last_seen_range(dated_lake)
    indexed, scanned = (
        search(dated_lake.scan("sightings"), "graph", Window(), 7, dated_lake.scan("papers"), words, columns, dates)
        for words in (dated_lake.scan("search_words"), None)
    )
    assert indexed.columns == scanned.columns == [*columns, "score"]
    assert indexed.equals(scanned) and indexed["paper_id"].to_list()[:2] == ["2512.00000", "2512.00001"]



def keyed_lake(tmp_path) -> Lake:
    """Old papers holding 'graph reasoning' in the title (some with 'graphs' alone in the abstract)
    and recent ones holding it in the abstract."""
    the_lake = Lake(str(tmp_path / "lake"))
    table_setup.ensure_tables(the_lake)
    last = date(2025, 12, 28)
    titled = [
        paper(f"2301.{n:05d}", "Graph Reasoning at Scale" if n % 3 else "Reasoning on a Graph",
              ["graph reasoning and graphs", "graphs for reasoning", "nothing"][n % 3], date(2023, 1, 20) + timedelta(days=n))
        for n in range(12)
    ]
    others = [paper(f"2512.{n:05d}", "Sparse Routing", "graph reasoning, graph reasoning", last - timedelta(days=n)) for n in range(30)]
    for part in (titled, others):
        writes.append(the_lake, PAPERS, PAPERS.conform(pl.DataFrame(part)), writes.CommitInfo("test"))
    rebuild_search_words(the_lake, writes.CommitInfo("test"))
    return the_lake


def test_the_index_has_one_integer_key_per_paper_in_id_order(tmp_path):
    keys = keyed_lake(tmp_path).read("search_words").select("paper_id", "paper_key").unique()
    assert keys["paper_key"].n_unique() == keys["paper_id"].n_unique() == 42
    assert keys.sort("paper_id")["paper_key"].is_sorted()


def test_several_words_read_keys_first_then_the_whole_rows_of_the_papers_that_can_rank(tmp_path, monkeypatch):
    the_lake = keyed_lake(tmp_path)
    calls = reading_spy(monkeypatch)
    for text, limit in (("graph reasoning", 5), ("graph reasoning", 13), ("graph reasoning", 40), ("reasoning graph", 4), ("grap reason", 2),
                        ("routing graph", 3), ("sparse graph reasoning", 5)):
        calls.clear()
        assert answers(the_lake, text, limit, True) == answers(the_lake, text, limit, False), (text, limit)
        assert not any(set(c) <= {"positions"} for c in calls), (text, calls)  # never every whole row
    assert answers(the_lake, "graph reasoning", None, True) == answers(the_lake, "graph reasoning", None, False)


def test_matches_spread_over_many_id_months_read_the_recent_papers_first_and_still_agree(tmp_path, monkeypatch):
    the_lake = keyed_lake(tmp_path)  # 'graph reasoning' in 2301's titles and 2512's abstracts
    recency_by_id = []
    real = lake_search._rows_of

    def spy(papers, rows, columns):
        if columns == ["paper_id", *lake_search.RECENCY]:
            recency_by_id.append(sorted(rows["paper_id"].str.slice(0, 4).unique()))
        return real(papers, rows, columns)

    monkeypatch.setattr(lake_search, "_rows_of", spy)
    cases = (("graph reasoning", 13), ("graph reasoning", 40), ("reasoning graph", 4), ("graph reasoning", None))
    for text, limit in cases:
        assert answers(the_lake, text, limit, True) == answers(the_lake, text, limit, False), (text, limit)
    assert recency_by_id == [["2301", "2512"], ["2301", "2512"], ["2301"], ["2301", "2512"]]  # by id: both months under the default

    recency_by_id.clear()
    monkeypatch.setattr(lake_search, "DIRECT_MONTH_COUNT", 1)
    for text, limit in cases:
        assert answers(the_lake, text, limit, True) == answers(the_lake, text, limit, False), (text, limit)
    # Over the month count with a limit: the recent window's papers instead (no read by id); one month, or every match asked for, by id.
    assert recency_by_id == [["2301"], ["2301", "2512"]]


def test_an_index_without_paper_keys_still_answers_what_the_scan_answers(lake, monkeypatch):
    """An index an older paperlake built has no paper_key, and its loads add none (not half of
    them): it answers the same, reading every row of the words whole, until a rebuild."""
    from deltalake import write_deltalake

    old = lake.read("search_words").drop("paper_key")
    write_deltalake(lake.table_uri("search_words"), old.to_arrow(), mode="overwrite", schema_mode="overwrite")
    calls = reading_spy(monkeypatch)
    assert_same_as_the_scan(lake)
    assert not any("of_keys" in c for c in calls)

    table_setup.ensure_tables(lake)  # what the next load does first
    changed = lake.read("papers").head(40).with_columns(pl.lit("Graph Reasoning Sparse Routing").alias("title"))
    lake_papers.upsert_papers(lake, changed, writes.CommitInfo("test"))
    update_search_words(lake, changed, [], [], writes.CommitInfo("test"))
    assert "paper_key" not in lake.scan("search_words").collect_schema().names()
    assert_same_as_the_scan(lake)

    rebuild_search_words(lake, writes.CommitInfo("test"))
    assert lake.read("search_words")["paper_key"].null_count() == 0
    calls.clear()
    assert_same_as_the_scan(lake)
    assert any("of_keys" in c for c in calls)
