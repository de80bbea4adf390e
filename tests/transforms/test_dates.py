from datetime import date

import pytest

from transforms.dates import infer_year, resolve_snapshot_date


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
