"""The living world (paperlake/living*.py): seeded, pure, and as alive as the real feeds."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from feeds.arxiv import ATOM_PREFIX, parse as parse_arxiv, search_query
from feeds.fields import split_versioned_id
from paperlake.living import LivingWorld, WorldSettings
from paperlake.living_model import MAIN_CATEGORIES, announced_at, grown_count

START, END = date(2024, 3, 4), date(2024, 4, 14)  # Monday to Sunday, across the US DST switch (Mar 10)
WORLD = LivingWorld(START, END, seed=7)
LATE = datetime(2024, 6, 1, tzinfo=UTC)  # everything announced, listed and settled


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def day_at(day: date, hours: float) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hours)


def ids(items: list[dict]) -> list[str]:
    return [item["paper"]["id"] for item in items]


def entry_versions(entries: list[ET.Element]) -> dict[str, int]:
    """{arxiv id: version} of Atom entries (the parser's own reading is tested below)."""
    return dict(split_versioned_id(entry.findtext(f"{ATOM_PREFIX}id")) for entry in entries)


def atom_of(entries: list[ET.Element]) -> bytes:
    from feeds.arxiv import atom_feed

    return atom_feed(entries, title="test", total_count=len(entries))


def day_query(day: date, field: str = "submittedDate") -> str:
    return search_query(MAIN_CATEGORIES, day).replace("submittedDate", field)


def weekdays() -> list[date]:
    return [START + timedelta(days=n) for n in range((END - START).days + 1) if (START + timedelta(days=n)).weekday() < 5]


# ---- deterministic ----


def test_the_same_seed_gives_the_same_world_and_another_seed_another():
    again, other = LivingWorld(START, END, seed=7), LivingWorld(START, END, seed=8)
    moment, day = at("2024-03-14T15:00:00"), date(2024, 3, 13)
    assert again.hf_items(day, moment) == WORLD.hf_items(day, moment)
    query = day_query(day)
    assert atom_of(again.arxiv_entries(query, moment)) == atom_of(WORLD.arxiv_entries(query, moment))
    assert again.truth(LATE) == WORLD.truth(LATE)
    assert other.truth(LATE) != WORLD.truth(LATE)


# ---- Hugging Face ----


def test_an_hf_list_is_empty_early_on_its_day_and_full_after_the_next_morning():
    partly_filled = early_count = full_count = 0
    for day in weekdays():
        early = WORLD.hf_items(day, day_at(day, 6))
        evening = WORLD.hf_items(day, day_at(day, 18))
        full = WORLD.hf_items(day, day_at(day, 24 + 10))
        assert len(early) <= 2 and set(ids(early)) <= set(ids(evening)) <= set(ids(full))
        assert sorted(ids(full)) == list(WORLD.truth(LATE).hf_lists[day])
        partly_filled += 0 < len(evening) < len(full)
        early_count, full_count = early_count + len(early), full_count + len(full)
    assert partly_filled >= 5  # lists fill through the day and into the next morning
    assert 0 < early_count < 0.1 * full_count  # a run at 06:00 sees a few papers, not none: the day has begun
    assert WORLD.hf_items(date(2024, 3, 20), at("2024-03-19T12:00:00")) == []  # a date still to come


def test_hf_counts_grow_for_the_growth_period_then_stop():
    world = LivingWorld(START, END, seed=7, settings=replace(WorldSettings(), count_growth_days=5))
    day = date(2024, 3, 12)
    history = [world.hf_items(day, at("2024-03-13T10:00:00") + timedelta(days=n)) for n in range(10)]
    upvotes = [{i["paper"]["id"]: i["paper"]["upvotes"] for i in items} for items in history]
    for earlier, later in zip(upvotes, upvotes[1:]):
        assert all(later[paper_id] >= count for paper_id, count in earlier.items())
    assert upvotes[0] != upvotes[5]  # still growing in the first days
    assert history[6] == history[7] == history[9]  # listed by D+1 10:00, settled 5 days later
    settled = world.truth(at("2024-03-20T00:00:00"))
    assert all(settled.hf_papers[i].settled and settled.hf_papers[i].upvote_count == n for i, n in upvotes[9].items())
    assert grown_count(40, at("2024-03-01T00:00:00"), at("2024-03-01T00:00:00"), 14) == 0


def test_hf_lists_are_ordered_like_the_site_and_a_paper_is_on_one_date_only():
    listed = []
    for day in weekdays():
        items = WORLD.hf_items(day, LATE)
        site_order = [(-item["paper"]["upvotes"], item["paper"]["id"]) for item in items]
        assert site_order == sorted(site_order)
        listed.extend(ids(items))
    assert len(listed) == len(set(listed))
    world_ids = {paper.arxiv_id for paper in WORLD.arxiv_papers}
    assert sum(paper_id in world_ids for paper_id in listed) > 0.7 * len(listed)


def test_hf_items_have_the_real_api_shape():
    item = WORLD.hf_items(date(2024, 3, 12), LATE)[0]
    assert {"paper", "publishedAt", "numComments", "title", "summary"} <= item.keys()
    assert {"id", "title", "summary", "authors", "publishedAt", "upvotes", "ai_keywords"} <= item["paper"].keys()
    assert all(set(author) >= {"name"} for author in item["paper"]["authors"])
    assert item["publishedAt"].endswith("Z") and item["paper"]["publishedAt"] < item["publishedAt"]


def test_settings_out_of_range_are_refused():
    with pytest.raises(ValueError, match="hf_weekday_count, throttle_share"):
        WorldSettings(hf_weekday_count=(5, 2), throttle_share=1.5)


def test_an_hf_paper_is_listed_after_its_arxiv_announcement_and_marked_once_withdrawn():
    papers = {paper.arxiv_id: paper for paper in WORLD.arxiv_papers}
    marked_later = 0
    for listings in WORLD.hf_listings.values():
        for listing in listings:
            paper = papers.get(listing.arxiv_id)
            assert paper is None or paper.versions[0].announced_at < listing.listed_at
            if paper is None or not paper.versions[-1].is_withdrawal:
                continue
            withdrawn_at = paper.versions[-1].announced_at
            [after] = [i for i in WORLD.hf_items(listing.listing_date, LATE) if i["paper"]["id"] == paper.arxiv_id]
            assert after["paper"]["withdrawnAt"] == withdrawn_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            if withdrawn_at > listing.listed_at:
                items = WORLD.hf_items(listing.listing_date, withdrawn_at - timedelta(seconds=1))
                [before] = [i for i in items if i["paper"]["id"] == paper.arxiv_id]
                assert "withdrawnAt" not in before["paper"]
                marked_later += 1
    assert marked_later >= 1


def test_weekend_volume_is_a_setting():
    quiet = LivingWorld(START, END, seed=7, settings=replace(WorldSettings(), hf_weekend_count=(0, 0), arxiv_weekend_count=(0, 0)))
    saturday = date(2024, 3, 9)
    assert quiet.hf_items(saturday, LATE) == []
    assert quiet.arxiv_entries(day_query(saturday), LATE) == []
    assert WORLD.arxiv_entries(day_query(saturday), LATE)  # the defaults have a few


# ---- arXiv: announcements ----


@pytest.mark.parametrize(
    "submitted, announced",
    [
        ("2024-03-11T15:00:00", "2024-03-12T00:00:00"),  # Monday 11:00 EDT: Monday 20:00 EDT
        ("2024-03-11T18:30:00", "2024-03-13T00:00:00"),  # Monday 14:30 EDT, after the cutoff: Tuesday evening
        ("2024-03-08T18:00:00", "2024-03-11T00:00:00"),  # Friday 13:00 EST: Sunday 20:00 EDT
        ("2024-03-08T20:00:00", "2024-03-12T00:00:00"),  # Friday 15:00 EST: Monday 20:00 EDT
        ("2024-03-09T12:00:00", "2024-03-12T00:00:00"),  # Saturday: Monday evening
        ("2024-01-15T12:00:00", "2024-01-16T01:00:00"),  # winter: 20:00 EST is 01:00 UTC
        ("2024-11-01T18:30:00", "2024-11-05T01:00:00"),  # Friday 14:30 EDT, after the cutoff: Monday 20:00 EST
    ],
)
def test_announcements_follow_the_eastern_cutoff_and_schedule(submitted, announced):
    assert announced_at(at(submitted)) == at(announced)


def test_a_holiday_moves_its_submissions_to_the_next_cutoff():
    assert announced_at(at("2024-03-11T15:00:00"), holidays=[date(2024, 3, 11)]) == at("2024-03-13T00:00:00")


def submitted_on(weekday: int, earliest_hour: int, latest_hour: int) -> list:
    return [p for p in WORLD.arxiv_papers if p.submitted_at.weekday() == weekday and earliest_hour <= p.submitted_at.hour < latest_hour
            and set(p.categories) & set(MAIN_CATEGORIES)]


def test_a_monday_morning_submission_is_invisible_monday_night_and_visible_tuesday():
    papers = submitted_on(0, 0, 17)  # before 14:00 Eastern (13:00 EDT is 17:00 UTC)
    assert papers
    for paper in papers:
        day = paper.submitted_at.date()
        monday_night, tuesday = day_at(day, 23), day_at(day, 26)
        assert paper.arxiv_id not in entry_versions(WORLD.arxiv_entries(day_query(day), monday_night))
        assert paper.arxiv_id in entry_versions(WORLD.arxiv_entries(day_query(day), tuesday))


def test_friday_evening_and_weekend_submissions_wait_for_monday_evening():
    papers = submitted_on(4, 20, 24) + submitted_on(5, 0, 24) + submitted_on(6, 0, 24)
    assert papers
    for paper in papers:
        day = paper.submitted_at.date()
        monday = day + timedelta(days=7 - day.weekday())
        monday_evening_et = day_at(monday, 24 + (1 if monday < date(2024, 3, 10) else 0))  # 20:00 EST or EDT
        assert paper.arxiv_id not in entry_versions(WORLD.arxiv_entries(day_query(day), monday_evening_et - timedelta(minutes=1)))
        assert paper.arxiv_id in entry_versions(WORLD.arxiv_entries(day_query(day), monday_evening_et))


def test_a_new_version_shows_in_its_v1_day_and_in_its_own_last_updated_day():
    paper = next(p for p in WORLD.arxiv_papers if len(p.versions) >= 2 and set(p.categories) & set(MAIN_CATEGORIES))
    v1_day, v2 = paper.submitted_at.date(), paper.versions[1]
    before, after = v2.announced_at - timedelta(minutes=1), v2.announced_at
    assert entry_versions(WORLD.arxiv_entries(day_query(v1_day), before))[paper.arxiv_id] == 1
    assert paper.arxiv_id not in entry_versions(WORLD.arxiv_entries(day_query(v2.submitted_at.date(), "lastUpdatedDate"), before))
    assert entry_versions(WORLD.arxiv_entries(day_query(v1_day), after))[paper.arxiv_id] == 2
    assert entry_versions(WORLD.arxiv_entries(day_query(v2.submitted_at.date(), "lastUpdatedDate"), after))[paper.arxiv_id] == 2


def test_about_a_third_of_papers_get_new_versions_and_a_few_are_withdrawn():
    version_counts = [len(p.versions) for p in WORLD.arxiv_papers]
    assert 0.2 < sum(n >= 2 for n in version_counts) / len(version_counts) < 0.5
    assert any(n >= 3 for n in version_counts)
    truth = WORLD.truth(LATE)
    withdrawn = [t for t in truth.arxiv_papers.values() if t.withdrawn]
    assert withdrawn
    rows = parse_arxiv(atom_of(WORLD.arxiv_entries(day_query(withdrawn[0].v1_date), LATE)), "test").rows
    assert rows.filter(rows["arxiv_id"] == withdrawn[0].arxiv_id)["withdrawn_at"].is_not_null().all()


def test_entries_read_back_through_the_real_parser():
    entries = WORLD.arxiv_entries(day_query(date(2024, 3, 12)), LATE, sort_by="submittedDate")
    result = parse_arxiv(atom_of(entries), "test")
    assert result.issues == [] and result.rows.height == len(entries) > 0
    published = [e.findtext("{http://www.w3.org/2005/Atom}published") for e in entries]
    assert published == sorted(published, reverse=True)
    titles = [e.findtext("{http://www.w3.org/2005/Atom}title") for e in WORLD.arxiv_entries(day_query(date(2024, 3, 12)), LATE)]
    assert any("\n" in title for title in titles)  # hard-wrapped, as arXiv does
    assert all("\n" not in title for title in result.rows["title"].to_list())


def test_categories_filter_and_bad_queries_fail():
    day = date(2024, 3, 12)
    everything = WORLD.arxiv_entries(f"submittedDate:[{day:%Y%m%d}0000 TO {day:%Y%m%d}2359]", LATE)
    followed = WORLD.arxiv_entries(day_query(day), LATE)
    only_cv = WORLD.arxiv_entries(f"cat:cs.CV AND submittedDate:[{day:%Y%m%d}0000 TO {day:%Y%m%d}2359]", LATE)
    assert len(only_cv) < len(followed) <= len(everything)
    with pytest.raises(ValueError):
        WORLD.arxiv_entries("ti:transformers", LATE)
    with pytest.raises(ValueError):
        WORLD.arxiv_entries("submittedDate:[202413010000 TO 202413012359]", LATE)


# ---- the truth ----


def test_truth_is_what_the_apis_show_once_everything_is_announced():
    truth = WORLD.truth(LATE)
    shown = {}
    for day in [START + timedelta(days=n) for n in range((END - START).days + 1)]:
        shown.update(entry_versions(WORLD.arxiv_entries(day_query(day), LATE)))
        assert sorted(ids(WORLD.hf_items(day, LATE))) == list(truth.hf_lists[day])
    assert shown == {paper_id: t.version for paper_id, t in truth.arxiv_papers.items()}
    assert all(t.settled for t in truth.hf_papers.values())
    assert {p for listed in truth.hf_lists.values() for p in listed} == set(truth.hf_papers)


def test_truth_at_a_moment_knows_only_what_was_out_by_then():
    moment = at("2024-03-13T06:00:00")
    truth = WORLD.truth(moment)
    assert max(truth.hf_lists) == date(2024, 3, 13) and truth.hf_lists[date(2024, 3, 13)] == ()
    assert all(t.updated_at < moment for t in truth.arxiv_papers.values())
    assert not any(t.settled for t in truth.hf_papers.values() if t.listing_date >= date(2024, 3, 1))
    assert WORLD.hf_day_settled_at(date(2024, 3, 12)) < at("2024-03-27T10:00:00")
    assert WORLD.arxiv_day_announced_at(date(2024, 3, 8)) == at("2024-03-12T00:00:00")  # Friday's: Monday 20:00 EDT
    assert WORLD.arxiv_day_announced_at(date(2024, 3, 12)) == at("2024-03-14T00:00:00")  # a Tuesday's late papers: Wednesday


# ---- a perfect observer converges on the truth ----


def observe(world: LivingWorld, run_at: datetime, hf_window_days: int, arxiv_window_days: int, seen: dict) -> None:
    """One 06:00 run of an observer that refetches every day still inside its window, as issue 12 asks of `daily`."""
    today = run_at.date()
    for back in range(hf_window_days + 1):
        day = today - timedelta(days=back)
        for item in world.hf_items(day, run_at):
            seen["hf"][item["paper"]["id"]] = (day, item["paper"]["upvotes"], item["numComments"])
    for back in range(arxiv_window_days + 1):
        day = today - timedelta(days=back)
        for field in ("submittedDate", "lastUpdatedDate"):
            seen["arxiv"].update(entry_versions(world.arxiv_entries(day_query(day, field), run_at)))


def test_an_observer_running_at_six_with_outages_ends_with_exactly_the_truth():
    world = LivingWorld(START, END, seed=3, settings=replace(WorldSettings(), revision_delay_days=(1.0, 6.0)))
    outage_dates = {date(2024, 3, 14), date(2024, 3, 15)} | {date(2024, 3, 25) + timedelta(days=n) for n in range(10)}
    seen: dict = {"hf": {}, "arxiv": {}}
    run_date = START
    last_run_date = START
    while run_date <= END + timedelta(days=30):
        if run_date not in outage_dates:
            # Look back far enough to cover the last outage, HF's settling, and arXiv's announcement lag.
            gap_days = (run_date - last_run_date).days
            observe(world, day_at(run_date, 6), 16 + gap_days, 5 + gap_days, seen)
            last_run_date = run_date
        run_date += timedelta(days=1)
    truth = world.truth(day_at(run_date, 0))
    assert seen["arxiv"] == {paper_id: t.version for paper_id, t in truth.arxiv_papers.items()}
    assert seen["hf"] == {i: (t.listing_date, t.upvote_count, t.comment_count) for i, t in truth.hf_papers.items()}
    assert all(t.settled for t in truth.hf_papers.values())


def test_a_run_that_fetches_only_today_at_six_keeps_almost_nothing():
    seen: dict = {"hf": {}, "arxiv": {}}
    for day in [START + timedelta(days=n) for n in range((END - START).days + 1)]:
        observe(WORLD, day_at(day, 6), 0, 0, seen)
    truth = WORLD.truth(LATE)
    assert len(seen["hf"]) < 0.2 * len(truth.hf_papers)
    assert seen["arxiv"] == {}


def test_some_new_versions_change_the_title_and_the_entry_shows_the_latest():
    paper = next(p for p in WORLD.arxiv_papers if any(v.title for v in p.versions) and set(p.categories) & set(MAIN_CATEGORIES))
    retitled = next(v for v in paper.versions if v.title)
    v1_day = paper.submitted_at.date()

    def title_at(moment: datetime) -> str:
        rows = parse_arxiv(atom_of(WORLD.arxiv_entries(day_query(v1_day), moment)), "test").rows
        return rows.filter(rows["arxiv_id"] == paper.arxiv_id)["title"].item()

    assert title_at(retitled.announced_at - timedelta(seconds=1)) == paper.title
    assert title_at(LATE) == retitled.title != paper.title
