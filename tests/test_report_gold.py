"""paperlake/report_gold.py: the whole lake's most upvoted paper found from a known lower bound
(`papers`' highest upvotes: file statistics skip the files below it) is the one found without it."""

from lake.queries import Window
from paperlake.report_gold import upvote_observations
from tests.explore_scenario import B, TITLES, scenario_sightings


def test_a_lower_bound_on_the_most_upvoted_finds_the_same_paper_even_when_too_high():
    sightings = scenario_sightings().lazy()
    plain, title = upvote_observations(sightings, Window(), None)
    assert title == f"{TITLES[B]} ({B})" and plain["upvotes"].to_list() == [40, 41, 41]  # days 3, 4 and 5
    for at_least in (0, 41, 1000):  # 1000: a papers table ahead of its sightings falls back to every sighting
        rows, bounded_title = upvote_observations(sightings, Window(), None, at_least)
        assert bounded_title == title and rows.equals(plain), at_least
