import polars as pl

from transforms.linking import ambiguous_titles, arxiv_title_index, link_title_only, relinks


def frame(rows):
    return pl.DataFrame(rows, schema={"paper_id": pl.String, "title_key": pl.String, "arxiv_id": pl.String, "title": pl.String}, orient="row")


ARXIV = frame(
    [
        ("2403.00001", "sparse routing", "2403.00001", "Sparse Routing"),
        ("2403.00002", "same title", "2403.00002", "Same Title"),
        ("2403.00003", "same title", "2403.00003", "Same Title"),
    ]
)


def test_title_only_sighting_takes_the_one_arxiv_id_with_its_title():
    sightings = frame([("title:aaa", "sparse routing", None, "Sparse routing!"), ("title:bbb", "unknown paper", None, "Unknown")])
    linked = link_title_only(sightings, arxiv_title_index(ARXIV))
    assert linked[["paper_id", "arxiv_id"]].rows() == [("2403.00001", "2403.00001"), ("title:bbb", None)]


def test_a_title_shared_by_two_arxiv_ids_links_to_neither_and_is_listed():
    sightings = frame([("title:ccc", "same title", None, "Same title")])
    index = arxiv_title_index(ARXIV)
    assert link_title_only(sightings, index)["paper_id"].to_list() == ["title:ccc"]
    assert ambiguous_titles(sightings, index).rows() == [("same title", "Same title", ["2403.00002", "2403.00003"])]


def test_two_arxiv_papers_with_one_title_stay_two_papers():
    linked = link_title_only(ARXIV, arxiv_title_index(ARXIV))
    assert linked["paper_id"].to_list() == ["2403.00001", "2403.00002", "2403.00003"]


def test_title_only_paper_in_the_lake_is_relinked_when_its_arxiv_id_arrives():
    lake_papers = frame([("title:aaa", "sparse routing", None, "Sparse routing"), ("title:ccc", "same title", None, "x")])
    moved = relinks(lake_papers, arxiv_title_index(ARXIV))
    assert moved.rows() == [("title:aaa", "2403.00001")]
