"""How each live feed's days settle: the pure Settling rules, the declared defaults, the env overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from feeds import arxiv, hf_daily, registry
from feeds.base import Settling

MAR_12 = date(2024, 3, 12)


def test_a_day_settles_settle_days_after_it_began_in_utc():
    settling = Settling(settle_days=15, newest_day_lag_days=0)
    assert settling.settles_at(MAR_12) == datetime(2024, 3, 27, tzinfo=UTC)
    assert not settling.is_final(MAR_12, datetime(2024, 3, 26, 23, 59, 59, tzinfo=UTC))
    assert settling.is_final(MAR_12, datetime(2024, 3, 27, tzinfo=UTC))  # at settles_at: final
    # Any time zone is the same moment; a naive time is taken as UTC.
    assert not settling.is_final(MAR_12, datetime(2024, 3, 27, 0, 30, tzinfo=timezone(timedelta(hours=1))))
    assert settling.is_final(MAR_12, datetime(2024, 3, 27))


def test_the_newest_day_that_can_have_content_lags_by_the_feeds_lag():
    early_utc = datetime(2024, 3, 13, 0, 30, tzinfo=UTC)
    assert Settling(15, 0).newest_day(early_utc) == date(2024, 3, 13)
    assert Settling(7, 1).newest_day(early_utc) == date(2024, 3, 12)
    # 20:30 in New York on the 12th is already the 13th in UTC.
    assert Settling(7, 1).newest_day(datetime(2024, 3, 12, 20, 30, tzinfo=timezone(timedelta(hours=-4)))) == date(2024, 3, 12)


def test_zero_settle_days_makes_every_fetch_after_midnight_final_and_negatives_are_refused():
    assert Settling(0).is_final(MAR_12, datetime(2024, 3, 12, tzinfo=UTC))
    with pytest.raises(ValueError, match="are 0 or more"):
        Settling(-1)


def test_with_quiet_days_a_day_waits_for_its_payload_to_stop_changing_up_to_a_maximum_age():
    quiet = Settling(settle_days=15, quiet_days=2, max_settle_days=30)
    settled_at = datetime(2024, 3, 27, 6, tzinfo=UTC)
    assert quiet.is_final(MAR_12, settled_at, last_changed_at=settled_at - timedelta(days=2))
    assert not quiet.is_final(MAR_12, settled_at, last_changed_at=settled_at - timedelta(days=1))  # still moving
    assert not quiet.is_final(MAR_12, settled_at - timedelta(days=1), last_changed_at=datetime(2024, 3, 13, tzinfo=UTC))  # too young
    assert quiet.is_final(MAR_12, datetime(2024, 4, 11, tzinfo=UTC), last_changed_at=datetime(2024, 4, 11, tzinfo=UTC))  # 30 days old


def test_each_live_feed_declares_how_its_days_settle():
    assert hf_daily.SETTLING == Settling(settle_days=15, newest_day_lag_days=0, quiet_days=2, max_settle_days=30)
    assert arxiv.SETTLING == Settling(settle_days=7, newest_day_lag_days=1)
    assert {name: registry.settling_of(name, {}) for name in registry.LIVE_FEEDS} == {
        "hf_daily": hf_daily.SETTLING,
        "arxiv": arxiv.SETTLING,
    }


def test_the_settle_period_is_a_setting_read_where_the_feed_is_configured():
    environ = {"PAPERLAKE_HF_SETTLE_DAYS": "20", "PAPERLAKE_ARXIV_SETTLE_DAYS": " 3 "}
    hf_settling = Settling(20, 0, quiet_days=2, max_settle_days=30)
    assert registry.settling_of("hf_daily", environ) == hf_settling
    assert registry.settling_of("arxiv", environ) == Settling(3, 1)  # the lag is the feed's, not a setting
    with hf_daily.from_env(environ) as hf, arxiv.from_env(environ) as ax:
        assert (hf.settling, ax.settling) == (hf_settling, Settling(3, 1))
    longer = registry.settling_of("hf_daily", {"PAPERLAKE_HF_SETTLE_DAYS": "40"})
    assert (longer.settle_days, longer.max_settle_days) == (40, 40)  # the maximum age never undercuts the setting
    with hf_daily.from_env({}) as hf:
        assert hf.settling == hf_daily.SETTLING


@pytest.mark.parametrize("raw", ["two weeks", "-1", "1.5"])
def test_a_bad_settle_period_names_the_variable(raw):
    with pytest.raises(ValueError, match=r"\$PAPERLAKE_HF_SETTLE_DAYS must be a whole number of days"):
        registry.settling_of("hf_daily", {"PAPERLAKE_HF_SETTLE_DAYS": raw})


def test_an_unknown_feed_has_no_settling():
    with pytest.raises(ValueError, match="unknown feed 'rss'"):
        registry.settling_of("rss", {})
