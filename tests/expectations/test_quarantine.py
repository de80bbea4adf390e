"""A quarantined row keeps everything needed to bring it back."""

from __future__ import annotations

from datetime import date, datetime, timezone

import polars as pl

from expectations.quarantine import quarantine_id, row_to_json, rows_from_json, short
from lake.schemas import SIGHTINGS, SNAPSHOTS

from .conftest import snapshots


def test_every_sightings_type_survives_json_and_back():
    row = {
        "snapshot_id": "5" * 64,
        "paper_id": "2503.02130",  # must stay a string: not 2503.0213
        "feed": "hf_daily",
        "snapshot_date": date(2025, 3, 4),
        "rank": 7,
        "title": "Ünïcode — “quotes” and emoji 🧪",
        "abstract": None,
        "title_key": "unicode quotes and emoji",
        "arxiv_id": "2503.02130",
        "arxiv_version": 3,
        "authors": ["A. Author", "B. Author"],
        "published_date": date(2025, 3, 3),
        "upvotes": 0,
        "comment_count": None,
        "github_repo": "https://github.com/x/y",
        "ai_keywords": [],
        "withdrawn_at": datetime(2025, 3, 5, 17, 4, 5, 123456, tzinfo=timezone.utc),
    }
    frame = pl.DataFrame([row], schema=SIGHTINGS.polars_schema)

    text = row_to_json(frame.row(0, named=True))

    assert '"paper_id": "2503.02130"' in text and "🧪" in text  # readable as is
    assert rows_from_json(SIGHTINGS, [text]).equals(frame)


def test_raw_payload_bytes_survive_as_base64():
    frame = snapshots(1).with_columns(pl.lit(b"\x00\xffraw", dtype=pl.Binary).alias("content"))

    back = rows_from_json(SNAPSHOTS, [row_to_json(frame.row(0, named=True))])

    assert back.equals(frame)


def test_quarantine_id_is_stable_and_row_specific():
    one = quarantine_id("sightings", "hf_daily", date(2024, 3, 11), '{"rank": 1}')

    assert one == quarantine_id("sightings", "hf_daily", date(2024, 3, 11), '{"rank": 1}')
    assert one != quarantine_id("sightings", "hf_daily", date(2024, 3, 11), '{"rank": 2}')
    assert one != quarantine_id("papers", "hf_daily", date(2024, 3, 11), '{"rank": 1}')
    assert len(one) == 32


def test_long_values_are_cut_in_reasons():
    assert short("x" * 3000).endswith("...'") and len(short("x" * 3000)) == 80
    assert short(date(2024, 3, 11)) == "'2024-03-11'"
    assert short(None) == "None"
