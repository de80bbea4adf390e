"""lake/day_ranges.py: sets of days as a few closed ranges, and the predicates that say them."""

from datetime import date, timedelta

import polars as pl

from lake.day_ranges import JOIN_GAP_DAYS, day_ranges, joined, of_days, sql_within, within


def test_days_close_together_make_one_range_and_distant_ones_stay_apart():
    recent = [date(2025, 5, 13) + timedelta(days=n) for n in range(60)]
    assert of_days([date(2022, 5, 8), *recent, None]) == ((date(2022, 5, 8), date(2022, 5, 8)), (date(2025, 5, 13), date(2025, 7, 11)))
    assert of_days([date(2024, 1, 1), date(2024, 1, 1) + timedelta(days=JOIN_GAP_DAYS + 1)]) == (
        (date(2024, 1, 1), date(2024, 1, 1)), (date(2024, 1, 9), date(2024, 1, 9)),
    )
    assert of_days([]) == ()


def test_spans_that_overlap_or_nest_are_joined():
    spans = pl.DataFrame({"start_date": [date(2019, 1, 1), date(2019, 1, 3), date(2019, 2, 1)], "end_date": [date(2019, 1, 20), date(2019, 1, 5), date(2019, 2, 2)]})
    assert day_ranges(spans) == ((date(2019, 1, 1), date(2019, 1, 20)), (date(2019, 2, 1), date(2019, 2, 2)))


def test_scattered_days_are_capped_by_joining_the_closest_ranges_first():
    days = [date(2016, 1, 1) + timedelta(days=30 * n) for n in range(10)] + [date(2025, 1, 1)]
    capped = day_ranges(pl.DataFrame({"start_date": days, "end_date": days}), max_count=3)
    assert len(capped) == 3 and capped[-1] == (date(2025, 1, 1), date(2025, 1, 1))
    assert all(any(start <= d <= end for start, end in capped) for d in days)


def test_unbounded_wins_when_joined_and_the_predicates_select_the_same_rows():
    assert joined(of_days([date(2024, 1, 1)]), None) is None
    assert joined((), of_days([date(2024, 1, 1)])) == ((date(2024, 1, 1), date(2024, 1, 1)),)
    ranges = of_days([date(2024, 1, 1), date(2024, 6, 1)])
    assert sql_within("t.d", ranges) == "((t.d >= '2024-01-01' AND t.d <= '2024-01-01') OR (t.d >= '2024-06-01' AND t.d <= '2024-06-01'))"
    frame = pl.DataFrame({"d": [date(2024, 1, 1), date(2024, 3, 1), date(2024, 6, 1)]})
    assert frame.filter(within("d", ranges))["d"].to_list() == [date(2024, 1, 1), date(2024, 6, 1)]
    assert frame.filter(within("d", ())).is_empty() and sql_within("t.d", ()) == "FALSE"
