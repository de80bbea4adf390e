"""Which papers a watch matches: words, all-words, phrases, prefixes, authors, categories; older lakes."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from transforms.watches import TermsError, digest_message, digest_rows, matches, new_to_watch, split_categories, split_names, split_terms

PAPERS = pl.DataFrame(
    {
        "paper_id": ["2403.00001", "2403.00002", "title:abc", "2403.00004"],
        "arxiv_id": ["2403.00001", "2403.00002", None, "2403.00004"],
        "title": ["World Models for Embodied Agents", "Diffusion LLMs at Scale", "Café Résumé Parsing", "Sparse Attention"],
        "abstract": ["We learn a world model from video.", None, "Parsing résumés.", "Attention, but sparse: the world is big."],
        "first_seen_date": [date(2024, 3, 18), date(2024, 3, 18), date(2024, 3, 10), date(2024, 3, 19)],
        "last_seen_date": [date(2024, 3, 19), date(2024, 3, 18), date(2024, 3, 17), date(2024, 3, 19)],
        "feeds": [["arxiv", "hf_daily"], ["arxiv"], ["hf_daily"], ["arxiv"]],
        "upvotes": [12, None, 3, 40],
        "withdrawn_at": [None, None, None, None],
        # The gold columns (issue 15 part 1).
        "authors": [["Yann LeCun", "Fei-Fei Li"], ["Anna Müller"], None, ["Jürgen Schmidhuber"]],
        "primary_category": ["cs.LG", "cs.CL", None, "stat.ML"],
        "categories": [["cs.LG", "cs.AI"], ["cs.CL"], None, ["stat.ML", "cs.LG"]],
        "keywords": [["embodied agents"], ["diffusion language model"], None, None],
    }
)


def matched(watch: dict, papers: pl.DataFrame = PAPERS) -> list[str]:
    return papers.filter(matches(papers, watch))["paper_id"].to_list()


@pytest.mark.parametrize(
    "watch, expected",
    [
        ({"any_terms": ["agents", "attention"]}, ["2403.00001", "2403.00004"]),
        ({"any_terms": ["world model"]}, ["2403.00001"]),  # a phrase: "the world is big" has no "world model"
        ({"any_terms": ["world"]}, ["2403.00001", "2403.00004"]),
        ({"any_terms": ["model"]}, ["2403.00001", "2403.00002"]),  # a whole word: in the abstract, and in a keyword
        ({"any_terms": ["llm"]}, []),  # whole words only
        ({"any_terms": ["llm*"]}, ["2403.00002"]),  # a prefix
        ({"all_terms": ["world", "video"]}, ["2403.00001"]),
        ({"all_terms": ["world", "diffusion"]}, []),
        ({"any_terms": ["cafe resume"]}, ["title:abc"]),  # case and accents folded
        ({"authors": ["lecun"]}, ["2403.00001"]),
        ({"authors": ["Juergen Schmidhuber", "anna muller"]}, ["2403.00002"]),  # ü folds to u, not ue
        ({"authors": ["Fei-Fei Li"]}, ["2403.00001"]),
        ({"categories": ["cs.LG"]}, ["2403.00001", "2403.00004"]),  # primary or cross-listed
        ({"categories": ["cs"]}, ["2403.00001", "2403.00002", "2403.00004"]),  # the whole archive
        ({"categories": ["cs.L"]}, []),
        ({"any_terms": ["world"], "categories": ["stat.ML"]}, ["2403.00004"]),  # each kind given must hold
        ({}, []),
    ],
)
def test_a_watch_matches_the_papers_it_says(watch, expected):
    assert matched(watch) == expected


def test_columns_an_older_lake_lacks_never_match():
    older = PAPERS.drop("authors", "primary_category", "categories", "keywords")
    assert matched({"authors": ["lecun"]}, older) == []
    assert matched({"categories": ["cs"]}, older) == []
    assert matched({"any_terms": ["diffusion language model"]}, older) == []  # it was a keyword
    assert matched({"any_terms": ["world model"]}, older) == ["2403.00001"]
    assert digest_rows(older.head(1))["authors"].to_list() == [None]


def test_new_papers_are_those_listed_since_the_watch_began_and_never_delivered():
    watch = {"any_terms": ["world", "parsing", "diffusion"], "since_date": date(2024, 3, 18)}
    assert new_to_watch(PAPERS, watch, [])["paper_id"].to_list() == ["2403.00001", "2403.00002", "2403.00004"]
    assert new_to_watch(PAPERS, watch, ["2403.00001"])["paper_id"].to_list() == ["2403.00002", "2403.00004"]
    withdrawn = PAPERS.with_columns(withdrawn_at=pl.when(pl.col("paper_id") == "2403.00002").then(pl.lit("2024-03-19").str.to_datetime(time_zone="UTC")))
    assert new_to_watch(withdrawn, watch, [])["paper_id"].to_list() == ["2403.00001", "2403.00004"]


def test_the_digest_lists_most_upvoted_first_with_links():
    rows = digest_rows(PAPERS)
    assert rows.columns == ["paper_id", "title", "authors", "feeds", "upvotes", "link"]
    assert rows["paper_id"].to_list() == ["2403.00004", "2403.00001", "title:abc", "2403.00002"]
    assert rows["link"].to_list() == [
        "https://arxiv.org/abs/2403.00004", "https://arxiv.org/abs/2403.00001", None, "https://arxiv.org/abs/2403.00002"
    ]
    subject, body = digest_message("agents", rows.head(2))
    assert subject == "paperlake digest agents: 2 new papers"
    assert body.splitlines() == [
        "- Sparse Attention - Jürgen Schmidhuber (arxiv, 40 upvotes) https://arxiv.org/abs/2403.00004",
        "- World Models for Embodied Agents - Yann LeCun, Fei-Fei Li (arxiv, hf_daily, 12 upvotes) https://arxiv.org/abs/2403.00001",
    ]


def test_terms_names_and_categories_are_read_as_people_write_them():
    assert split_terms('agents "world model"  llm*') == ["agents", "world model", "llm*"]
    assert split_names("Yann LeCun,  Fei-Fei Li") == ["Yann LeCun", "Fei-Fei Li"]
    assert split_categories("cs.LG, cs.CL stat.ML") == ["cs.LG", "cs.CL", "stat.ML"]
    with pytest.raises(TermsError, match="No closing quotation"):
        split_terms('"world model')
    with pytest.raises(TermsError, match="no letters or digits"):
        split_terms("agents --")
