"""Data Docs land beside the lake, index every run, and the run gets a short summary."""

from __future__ import annotations

from datetime import datetime, timezone

from expectations.docs import build_data_docs, summary_markdown

from .conftest import fixture_rows, gate, papers, sightings


def test_data_docs_are_built_and_index_each_suite_and_run(tmp_path):
    docs_dir = tmp_path / "validation"
    clean = gate("sightings", sightings(fixture_rows("clean_rows.json")))
    held = gate("sightings", sightings(fixture_rows("arxiv_version_suffix.json")), feed="arxiv")

    index = build_data_docs([clean, held, gate("papers", papers())], docs_dir)

    assert index == docs_dir.resolve() / "index.html" and index.is_file()
    html = index.read_text(encoding="utf-8")
    for suite in ("sightings", "papers", "snapshots"):
        assert (docs_dir / "expectations" / f"{suite}.html").is_file()
        assert suite in html
    assert "hf_daily-2024-03-11" in html and "arxiv-2024-03-11" in html
    pages = sorted(p.name for p in (docs_dir / "validations").rglob("*.html"))
    assert pages == ["arxiv-2024-03-11.html", "hf_daily-2024-03-11.html", "hf_daily-2024-03-11.html"]
    assert "arxiv_id_format" in (docs_dir / "expectations" / "sightings.html").read_text(encoding="utf-8")


def test_a_later_run_adds_to_the_same_site(tmp_path):
    first = gate("sightings", sightings(fixture_rows("clean_rows.json")))
    build_data_docs([first], tmp_path)
    later = gate("sightings", sightings(fixture_rows("clean_rows.json")), run_id="run-0002",
                 quarantined_at=datetime(2026, 11, 11, tzinfo=timezone.utc))

    html = build_data_docs([later], tmp_path).read_text(encoding="utf-8")

    assert "run-0001" in html and "run-0002" in html


def test_summary_names_each_feed_day_its_counts_and_failed_rules(tmp_path):
    held = gate("sightings", sightings(fixture_rows("arxiv_version_suffix.json")))
    rejected = gate("sightings", sightings(fixture_rows("duplicate_keys.json")), feed="arxiv")

    text = summary_markdown([held, rejected], tmp_path / "index.html")

    lines = text.splitlines()
    assert lines[2].startswith("| sightings | hf_daily | 2024-03-11 | 2 | 1 | 1 | 0 | arxiv_id_format (1), paper_id_format (1)")
    assert lines[3].startswith("| sightings | arxiv | 2024-03-11 | 3 | 0 | 0 | 3 | duplicate_key (2) — **rejected by duplicate_key**")
    assert f"({(tmp_path / 'index.html').as_uri()})" in text


def test_a_detached_result_makes_the_same_page_and_summary_without_its_rows(tmp_path):
    held = gate("sightings", sightings(fixture_rows("arxiv_version_suffix.json")), feed="arxiv")
    detached = held.detached()

    assert detached.clean.height == 0 and detached.quarantined.height == 0
    assert detached.summary == held.summary and held.summary["rows_quarantined"] > 0
    index = build_data_docs([detached], tmp_path / "validation")
    assert "arxiv-2024-03-11" in index.read_text(encoding="utf-8")
