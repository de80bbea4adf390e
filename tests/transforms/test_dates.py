from datetime import date

import pytest

from transforms.dates import date_in_name, infer_year, resolve_listing_date, resolve_snapshot_date


@pytest.mark.parametrize(
    ("month_day", "saved_on", "expected"),
    [
        ((3, 11), date(2026, 11, 21), date(2026, 3, 11)),
        ((12, 31), date(2025, 1, 2), date(2024, 12, 31)),  # across New Year
        ((1, 2), date(2025, 1, 2), date(2025, 1, 2)),
        ((1, 3), date(2025, 1, 2), date(2025, 1, 3)),  # a day ahead: time zones, still this year
        ((2, 29), date(2025, 3, 1), date(2024, 2, 29)),  # only leap years have it
    ],
)
def test_year_is_inferred_from_the_save_date(month_day, saved_on, expected):
    assert infer_year(*month_day, saved_on) == expected


def test_explicit_date_wins_then_date_line_then_save_date():
    saved_on = date(2024, 3, 14)
    assert resolve_snapshot_date(date(2020, 1, 1), (3, 11), saved_on) == date(2020, 1, 1)
    assert resolve_snapshot_date(None, (3, 11), saved_on) == date(2024, 3, 11)
    assert resolve_snapshot_date(None, None, saved_on) == saved_on


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("daily_papers_2024-03-12.json", date(2024, 3, 12)),
        ("2025-06-10.json", date(2025, 6, 10)),
        ("arxiv-2024-03-12.xml", date(2024, 3, 12)),
        ("2024-03-12-again-2024-03-12.json", date(2024, 3, 12)),  # the same date twice is one date
        ("daily_papers_latest.json", None),
        ("daily_papers_20240312.json", None),  # not YYYY-MM-DD: not read as a date
        ("x12024-03-12.json", None),  # part of a longer run of digits
    ],
)
def test_date_in_name(name, expected):
    assert date_in_name(name) == expected


@pytest.mark.parametrize(
    ("name", "message"),
    [("daily_papers_2024-02-30.json", "2024-02-30 in the name is not a calendar date"), ("2024-03-12_2024-03-13.json", "several dates")],
)
def test_a_name_with_a_bad_or_ambiguous_date_is_an_error(name, message):
    with pytest.raises(ValueError, match=message):
        date_in_name(name)


def test_listing_date_is_the_names_else_the_explicit_one_and_they_must_agree():
    mar_12 = date(2024, 3, 12)
    assert resolve_listing_date(None, mar_12) == mar_12
    assert resolve_listing_date(mar_12, None) == mar_12
    assert resolve_listing_date(mar_12, mar_12) == mar_12
    assert resolve_listing_date(None, None) is None
    with pytest.raises(ValueError, match="the name says 2024-03-12 but --date says 2024-03-13"):
        resolve_listing_date(date(2024, 3, 13), mar_12)
