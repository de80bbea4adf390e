"""The word index's rows: one per (word, paper), with where the word stands in the title and the abstract."""

from __future__ import annotations

import polars as pl

from transforms.search_words import unpacked, word_rows


def papers(*rows: tuple[str, str | None, str | None]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"paper_id": pl.String, "title": pl.String, "abstract": pl.String}, orient="row")


def places(rows: pl.DataFrame) -> dict[tuple[str, str], list[int]]:
    found = unpacked(rows.filter(pl.col("positions").is_not_null())).group_by("term", "paper_id", maintain_order=True).agg("position")
    return {(term, paper_id): positions for term, paper_id, positions in found.iter_rows()}


def test_each_word_of_a_paper_is_one_row_with_its_fields_and_places_in_text_order():
    rows = word_rows(papers(
        ("2403.00002", "Graph Nets", "Graphs, graphs: nets of graphs."),
        ("2403.00001", "Attention_is all", None),
    ))

    assert rows.select("term", "paper_id", "fields", "paper_key").rows() == [
        ("all", "2403.00001", 1, 480700001),
        ("attention", "2403.00001", 1, 480700001),
        ("graph", "2403.00002", 1, 480700002),
        ("graphs", "2403.00002", 2, 480700002),
        ("is", "2403.00001", 1, 480700001),
        ("nets", "2403.00002", 3, 480700002),
        ("of", "2403.00002", 2, 480700002),
    ]
    # 2 * the word's place in its field, + 1 in the abstract: title places even, abstract places odd.
    assert places(rows) == {
        ("all", "2403.00001"): [4],
        ("attention", "2403.00001"): [0],
        ("graph", "2403.00002"): [0],
        ("graphs", "2403.00002"): [1, 3, 9],
        ("is", "2403.00001"): [2],
        ("nets", "2403.00002"): [2, 5],
        ("of", "2403.00002"): [7],
    }


def test_a_word_placed_past_what_two_bytes_hold_has_no_places_and_the_others_keep_theirs():
    # 32,768 words: the last stands at place 2 * 32,767 + 1 = 65,535 (fits); one more does not.
    long_abstract = " ".join(["filler"] * 32_768 + ["tail"])
    rows = word_rows(papers(("2403.00003", "Short title", long_abstract), ("2403.00004", "Tail end", "the tail")))

    by_word = {(t, p): pos for t, p, pos in rows.select("term", "paper_id", "positions").iter_rows()}
    assert by_word[("tail", "2403.00003")] is None
    assert len(places(rows)[("filler", "2403.00003")]) == 32_768  # the last at 65,535: fits
    assert places(rows)[("short", "2403.00003")] == [0]
    assert places(rows)[("tail", "2403.00004")] == [0, 3]
    assert rows.filter(pl.col("paper_id") == "2403.00003")["fields"].to_list() == [2, 1, 2, 1]  # filler, short, tail, title


def test_no_text_no_rows():
    assert word_rows(papers(("2403.00005", None, None))).is_empty()
    assert word_rows(papers()).columns == ["term", "paper_id", "fields", "positions", "paper_key"]
