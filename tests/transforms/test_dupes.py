"""Near-duplicates on labelled fixtures (precision and recall at the default score), blocking, and
how confirmed merges are applied to sightings."""

import json
import random
from datetime import date

import numpy as np
import polars as pl
import pytest

from lake.schemas import SIGHTINGS
from tests.conftest import DATA
from transforms.dupes import (
    DEFAULT_MIN_SCORE,
    MAX_BLOCK_SIZE,
    ambiguous_title_papers,
    find_duplicates,
    link_id,
    score_pair,
)
from transforms.identity import normalize_title
from transforms.merges import apply_merges, merge_targets, remap, restore_listed_ids

LABELLED = json.loads((DATA / "identity" / "dupes_labelled.json").read_text(encoding="utf-8"))
TRICKY = json.loads((DATA / "identity" / "dupes_tricky.json").read_text(encoding="utf-8"))["papers"]
# What find_duplicates(..., 0) returned for these papers before issue 14 made it fast (every candidate pair).
EXPECTED = json.loads((DATA / "identity" / "dupes_tricky_expected.json").read_text(encoding="utf-8"))
PIIP, PIIP_EXTENDED = "2406.04330", "2501.07783"


def keyed(rows: list[dict]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema_overrides={"abstract": pl.String, "first_seen_date": pl.String}, infer_schema_length=None)
    if "first_seen_date" in frame.columns:
        frame = frame.with_columns(pl.col("first_seen_date").str.to_date())
    return frame.with_columns(pl.col("title").map_elements(normalize_title, return_dtype=pl.String).alias("title_key"))


def labelled_papers() -> pl.DataFrame:
    return keyed(LABELLED["papers"])


def labels(duplicate: bool) -> dict[str, str]:
    return {link_id(p["paper_id"], p["other_paper_id"]): p["case"] for p in LABELLED["pairs"] if p["duplicate"] is duplicate}


def precision_recall(min_score: float) -> tuple[float, float, set[str]]:
    listed = set(find_duplicates(labelled_papers(), min_score)["link_id"].to_list())
    true = set(labels(True))
    precision = len(listed & true) / len(listed) if listed else 1.0
    return precision, len(listed & true) / len(true), listed


def test_precision_and_recall_on_the_labelled_fixtures_at_the_default_score():
    precision, recall, listed = precision_recall(DEFAULT_MIN_SCORE)
    assert (precision, recall) == (1.0, 1.0), sorted(listed ^ set(labels(True)))
    assert not listed & set(labels(False))


def test_each_kind_of_duplicate_is_explained():
    found = {row["link_id"]: row for row in find_duplicates(labelled_papers(), DEFAULT_MIN_SCORE).to_dicts()}
    reasons = {labels(True)[k]: found[k]["reason"] for k in labels(True)}
    assert reasons["typo in the title, same abstract"] == "titles differ by a typo or a word (97.8); same abstract"
    assert reasons["subtitle added, same abstract"] == "one title adds a subtitle to the other; same abstract"
    assert reasons["punctuation and case only, two arXiv ids"] == "same title; same abstract"
    assert reasons["retitled, same abstract"].endswith("; same abstract")
    assert reasons["retitled, lightly edited abstract"].startswith("different titles (")
    assert "near-identical abstracts" in reasons["retitled, lightly edited abstract"]
    assert reasons["typo in the title, one abstract missing"].endswith("no abstract to compare")
    assert reasons["name put in front of the title, same abstract"] == "one title adds a subtitle to the other; same abstract"


def test_distinct_works_with_similar_titles_score_below_the_default():
    found = {row["link_id"]: row for row in find_duplicates(labelled_papers(), 0).to_dicts()}
    for link, case in labels(False).items():
        if link in found:  # else the pair was not even a candidate
            assert found[link]["score"] < DEFAULT_MIN_SCORE, case
            assert "abstracts differ" in found[link]["reason"], case


def test_the_two_piip_papers_are_related_at_most():
    pair = find_duplicates(labelled_papers(), 0).filter(pl.col("link_id") == link_id(PIIP, PIIP_EXTENDED)).row(0, named=True)
    assert pair["reason"].startswith("one title adds a subtitle to the other; abstracts differ")
    assert pair["score"] < DEFAULT_MIN_SCORE


def test_the_paper_kept_is_the_arxiv_one_then_the_older_one():
    by_link = {row["link_id"]: row for row in find_duplicates(labelled_papers(), DEFAULT_MIN_SCORE).to_dicts()}
    assert by_link[link_id("2403.20001", "title:typo-routing")]["paper_id"] == "2403.20001"
    older = labelled_papers().with_columns(
        pl.when(pl.col("paper_id") == "2403.20104").then(date(2024, 1, 1)).otherwise(date(2024, 6, 1)).alias("first_seen_date")
    )
    assert find_duplicates(older).filter(pl.col("link_id") == link_id("2403.20004", "2403.20104"))["paper_id"].item() == "2403.20104"


def test_the_same_pairs_and_scores_in_any_row_order():
    forward = find_duplicates(labelled_papers(), 0)
    shuffled = find_duplicates(labelled_papers().sample(fraction=1.0, shuffle=True, seed=3), 0)
    assert forward.equals(shuffled)


@pytest.mark.parametrize("name", ["tricky", "labelled", "both"])
def test_the_tricky_cases_find_exactly_what_they_found_before(name):
    """Retitled v2s, one title over different papers, Hugging Face-only titles, punctuation runs,
    accented capitals, clauses at the length floor, abstract boundaries, a title on more papers
    than the window: the same candidate pairs, scores, reasons and order as before issue 14."""
    rows = {"tricky": TRICKY, "labelled": LABELLED["papers"], "both": TRICKY + LABELLED["papers"]}[name]
    assert find_duplicates(keyed(rows), 0).to_dicts() == EXPECTED[name]
    shuffled = keyed(rows).sample(fraction=1.0, shuffle=True, seed=7)  # ties in the title sort go by id, not by row
    assert find_duplicates(shuffled, 0).to_dicts() == EXPECTED[name]


def test_titles_and_keys_compared_a_slice_at_a_time_find_the_same_pairs(monkeypatch):
    from transforms import dupes_blocking

    monkeypatch.setattr(dupes_blocking, "TITLE_SLICE_ROWS", 3)  # the window runs across every slice's end
    monkeypatch.setattr(dupes_blocking, "KEY_SLICE_ROWS", 5)
    assert find_duplicates(keyed(TRICKY + LABELLED["papers"]), 0).to_dicts() == EXPECTED["both"]


def test_pairs_scored_a_slice_at_a_time_find_the_same_pairs(monkeypatch):
    from transforms import dupes

    monkeypatch.setattr(dupes, "SCORED_PAIRS_PER_SLICE", 2)  # every slice's best pair kept, the rest of the order kept
    assert find_duplicates(keyed(TRICKY + LABELLED["papers"]), 0).to_dicts() == EXPECTED["both"]
    assert find_duplicates(keyed(TRICKY + LABELLED["papers"]), 70).to_dicts() == [p for p in EXPECTED["both"] if p["score"] >= 70]


def test_only_the_best_pairs_are_kept_a_slice_at_a_time_and_the_rest_counted(monkeypatch):
    from transforms import dupes
    from transforms.dupes import candidate_pairs, prepared, scored_best_first

    monkeypatch.setattr(dupes, "SCORED_PAIRS_PER_SLICE", 3)  # the best pairs come from different slices
    rows = prepared(keyed(TRICKY + LABELLED["papers"]))
    above_50 = [p for p in EXPECTED["both"] if p["score"] >= 50]
    scored = scored_best_first(rows, candidate_pairs(rows), 50, max_pairs=4)
    assert scored.pairs.to_dicts() == above_50[:4] and scored.pair_count == len(above_50) > 4


def test_titles_sort_by_key_then_equal_titles_by_paper_id():
    from transforms.dupes_blocking import _sorted_order

    keys = pl.Series(["b a", "a", "b a", "a b", "a", ""])
    paper_ids = pl.Series(["2403.00005", "2403.00009", "2403.00001", "2403.00003", "2403.00002", "2403.00007"])
    assert _sorted_order(keys, paper_ids).to_list() == [5, 4, 1, 3, 2, 0]


def test_byte_counts_bound_the_common_subsequence_of_two_titles():
    from rapidfuzz.distance import LCSseq

    from transforms.dupes_blocking import byte_counts

    keys = ["graph neural networks", "neural graph networks", "réseaux de neurones", "reseaux neuronaux", "", None, "ab 12"]
    counts = byte_counts(pl.Series(keys, dtype=pl.String))
    assert counts.shape == (7, 32)
    assert counts.sum(axis=1).tolist() == [21, 21, 20, 17, 0, 0, 5]  # bytes: "é" is two
    assert counts[6].tolist()[1:3] == [1, 1]  # "a" and "b" are each their own kind
    texts = [k or "" for k in keys]
    for i, a in enumerate(texts):
        for j, b in enumerate(texts):
            assert LCSseq.similarity(a, b) <= np.minimum(counts[i], counts[j]).sum(), (a, b)
    assert np.minimum(counts[0], counts[1]).sum() == 21  # same letters: the bound lets rapidfuzz decide


def test_an_empty_or_single_paper_frame_has_no_pairs():
    assert find_duplicates(keyed(TRICKY[:1]), 0).is_empty()
    assert find_duplicates(keyed(TRICKY).head(0), 0).is_empty()


def filler_titles(count: int, seed: int = 5) -> list[str]:
    """Titles of made-up words, each unlike the others."""
    rng = random.Random(seed)
    syllables = "ka ri to mo ne la shi vu de pa ro mi zu te ga lo fe ni bu sa".split()
    return [" ".join("".join(rng.sample(syllables, 3)) for _ in range(5)).title() for _ in range(count)]


def test_a_typo_at_either_end_of_a_title_is_found():
    rows = [{"paper_id": f"2403.3{i:04d}", "title": t, "abstract": None} for i, t in enumerate(filler_titles(40))]
    rows += [
        {"paper_id": "2403.40001", "title": "Adaptive Tokenizers for Multilingual Speech", "abstract": None},
        {"paper_id": "title:start", "title": "Adpative Tokenizers for Multilingual Speech", "abstract": None},  # sorts far away
        {"paper_id": "2403.40002", "title": "Graph Kernels for Molecule Retrieval", "abstract": None},
        {"paper_id": "title:end", "title": "Graph Kernels for Molecule Retrieva", "abstract": None},
    ]
    links = set(find_duplicates(keyed(rows), DEFAULT_MIN_SCORE)["link_id"].to_list())
    assert links == {link_id("2403.40001", "title:start"), link_id("2403.40002", "title:end")}


def test_a_clause_shared_by_many_abstracts_is_boilerplate_not_evidence():
    boilerplate = "We release the data and the code to support future research on this problem."
    rows = [
        {"paper_id": f"2403.5{i:04d}", "title": title, "abstract": f"{title} is studied here for the first time. {boilerplate}"}
        for i, title in enumerate(filler_titles(MAX_BLOCK_SIZE + 1))
    ]
    assert find_duplicates(keyed(rows), 0).is_empty()


def test_scoring_a_chosen_pair_keeps_the_order_given():
    pair = score_pair(labelled_papers(), "title:typo-routing", "2403.20001").row(0, named=True)
    assert (pair["paper_id"], pair["other_paper_id"], pair["score"]) == ("title:typo-routing", "2403.20001", 100.0)


def test_title_only_papers_matching_several_arxiv_papers_are_listed():
    papers = keyed([
        {"paper_id": "2403.60001", "title": "A Simple Baseline", "abstract": "x"},
        {"paper_id": "2403.60002", "title": "A simple baseline!", "abstract": "y"},
        {"paper_id": "title:amb", "title": "A Simple Baseline.", "abstract": "z"},
        {"paper_id": "title:single", "title": "Only Here", "abstract": "w"},
    ]).with_columns(pl.when(pl.col("paper_id").str.starts_with("title:")).then(None).otherwise(pl.col("paper_id")).alias("arxiv_id"))
    listed = ambiguous_title_papers(papers)
    assert listed.select("paper_id", "arxiv_ids").rows() == [("title:amb", ["2403.60001", "2403.60002"])]


# --- confirmed merges on sightings ----------------------------------------------------------


def sightings(*rows: tuple) -> pl.DataFrame:
    """(paper_id, snapshot_id, rank) rows; arXiv ids carry their arxiv_id, title ids none."""
    records = [
        {"snapshot_id": s, "paper_id": p, "feed": "archive", "snapshot_date": date(2024, 3, 11), "rank": r, "title": f"{p} as listed",
         "title_key": p, "arxiv_id": None if p.startswith("title:") else p}
        for p, s, r in rows
    ]
    return SIGHTINGS.conform(pl.DataFrame(records, schema_overrides={"snapshot_date": pl.Date}))


def confirmed(*pairs: tuple[str, str]) -> pl.DataFrame:
    return merge_targets(pl.DataFrame(pairs, schema=["paper_id", "other_paper_id"], orient="row"))


def test_a_merged_papers_sightings_move_and_remember_the_listed_id():
    moved = apply_merges(sightings(("title:b", "s1", 2), ("2403.00001", "s2", 1)), confirmed(("2403.00001", "title:b")))
    assert moved.sort("snapshot_id").select("paper_id", "arxiv_id", "merged_from_id").rows() == [
        ("2403.00001", "2403.00001", "title:b"),
        ("2403.00001", "2403.00001", None),
    ]


def test_both_papers_in_one_snapshot_leave_one_row_at_the_best_rank():
    moved = apply_merges(sightings(("2403.00002", "s1", 1), ("2403.00001", "s1", 4)), confirmed(("2403.00001", "2403.00002")))
    assert moved.select("paper_id", "rank", "merged_from_id").rows() == [("2403.00001", 1, "2403.00002")]


def test_chains_of_merges_end_in_the_last_paper_kept():
    targets = confirmed(("2403.00001", "2403.00002"), ("2403.00009", "2403.00001"))
    assert dict(targets.iter_rows()) == {"2403.00001": "2403.00009", "2403.00002": "2403.00009"}
    cycle = confirmed(("2403.00001", "2403.00002"), ("2403.00002", "2403.00001"))
    assert dict(cycle.iter_rows()) == {"2403.00001": "2403.00002", "2403.00002": "2403.00001"}


def test_remap_undoes_a_merge_that_is_no_longer_confirmed():
    merged = apply_merges(sightings(("title:b", "s1", 2), ("2403.00001", "s2", 1)), confirmed(("2403.00001", "title:b")))
    assert restore_listed_ids(merged).sort("snapshot_id").select("paper_id", "arxiv_id", "merged_from_id").rows() == [
        ("title:b", None, None),
        ("2403.00001", "2403.00001", None),
    ]
    assert remap(merged, confirmed(("2403.00001", "title:b"))).sort("snapshot_id").equals(merged.sort("snapshot_id"))


@pytest.mark.parametrize("targets", [pl.DataFrame(schema={"other_paper_id": pl.String, "paper_id": pl.String})])
def test_no_decisions_change_nothing(targets):
    rows = sightings(("title:b", "s1", 2))
    assert apply_merges(rows, targets).equals(rows)
