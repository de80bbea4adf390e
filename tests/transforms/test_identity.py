import polars as pl

from transforms.identity import normalize_title, title_paper_id, with_paper_id, with_title_key


def test_titles_differing_in_case_spacing_punctuation_and_unicode_form_normalize_alike():
    variants = [
        "LoRA Adapters Forget Less: A Study of Continual Fine-Tuning",
        "ＬｏＲＡ Adapters Forget Less — a study of continual fine-tuning",
        "  lora adapters   forget less, a study of continual fine_tuning! ",
    ]
    assert {normalize_title(v) for v in variants} == {"lora adapters forget less a study of continual fine tuning"}


def test_casefold_is_stronger_than_lowercase():
    assert normalize_title("Straße Networks") == normalize_title("STRASSE networks") == "strasse networks"


def test_title_ids_are_stable_literals():
    # A literal on purpose: if this changes, every title-only paper_id in every lake changes.
    assert title_paper_id("sparse routing for tiny transformers") == "title:4ae8a83ab489158cfbdd"


def test_arxiv_id_wins_and_stays_a_string():
    frame = pl.DataFrame({"title": ["A Paper", "Another Paper"], "arxiv_id": ["2503.02130", None]})
    keyed = with_paper_id(with_title_key(frame))
    assert keyed["paper_id"].to_list() == ["2503.02130", title_paper_id("another paper")]
