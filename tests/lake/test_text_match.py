"""lake.text_match: the words of a search, their score, and the cheap filter that runs before the
exact test (it may let through more, never fewer)."""

import polars as pl

from lake.text_match import match_and_score, may_hold_every, search_terms


def scored(frame: pl.DataFrame, text: str) -> list[tuple[str, int]]:
    every_term, score = match_and_score(search_terms(text))
    found = frame.filter(every_term).with_columns(score.alias("score")).sort("score", "paper_id", descending=[True, False])
    return list(found.select("paper_id", "score").iter_rows())


PAPERS = pl.DataFrame({
    "paper_id": ["title-phrase", "title-words", "abstract-phrase", "split", "inside-a-word", "wide"],
    "title": ["Sparse Routing for MoE", "Routing that is sparse", "A model", "Sparse models", "Outings", "ｓｐａｒｓｅ　ＲＯＵＴＩＮＧ"],
    "abstract": ["", None, "We study sparse-routing.", "and routing", "sparse outing", None],
})


def test_search_words_are_normalized_like_titles():
    assert search_terms("  SPARSE-routing!? ") == ["sparse", "routing"]
    assert search_terms("ｓｐａｒｓｅ") == ["sparse"]  # full-width letters, NFKC
    assert search_terms(" -- ") == []


def test_the_phrase_in_the_title_scores_highest_then_words_in_the_title_then_the_abstract():
    assert scored(PAPERS, "sparse routing") == [
        ("title-phrase", 16),  # 10 phrase in title + 2 x 3 words in title
        ("wide", 16),  # the same once full-width letters are normalized
        ("title-words", 6),
        ("abstract-phrase", 4),  # 2 phrase in abstract + 2 x 1 word in abstract
        ("split", 4),  # one word in the title (3), the other in the abstract (1); ties by id
    ]


def test_a_word_matches_the_start_of_a_word_only():
    assert [paper_id for paper_id, _ in scored(PAPERS, "outing")] == ["inside-a-word"]  # "outing", not "routing"
    assert [paper_id for paper_id, _ in scored(PAPERS, "rout")] == ["title-phrase", "title-words", "wide", "abstract-phrase", "split"]


def test_the_cheap_filter_keeps_every_row_the_exact_test_keeps():
    for text in ("sparse routing", "outing", "rout", "models and"):
        every_term, _ = match_and_score(search_terms(text))
        exact = set(PAPERS.filter(every_term)["paper_id"])
        cheap = set(PAPERS.filter(may_hold_every(search_terms(text)))["paper_id"])
        assert exact <= cheap, text
    # rows without the words at all are dropped before the exact test
    assert "inside-a-word" not in set(PAPERS.filter(may_hold_every(["model"]))["paper_id"])
