"""The arXiv-volume world (issue 14's benchmark feeds): built a day at a time, the same whatever order days are asked in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from feeds.arxiv import search_query
from paperlake.living_model import MAIN_CATEGORIES, WorldSettings
from paperlake.living_volume import VolumeWorld

SETTINGS = replace(WorldSettings(), arxiv_weekday_count=(40, 60), arxiv_weekend_count=(5, 10), hf_weekday_count=(20, 30), yearly_growth=1.2)
START, END = date(2020, 1, 1), date(2022, 12, 31)
LATER = datetime(2023, 3, 1, tzinfo=UTC)  # every version announced, every count settled


def world(**options) -> VolumeWorld:
    return VolumeWorld(START, END, seed=3, settings=SETTINGS, **options)


def test_a_day_is_the_same_whichever_days_were_made_before_it():
    day = date(2021, 6, 15)
    fresh = world().papers_submitted_on(day)
    walked = world(cached_day_count=2)
    for offset in range(20, 0, -1):
        walked.papers_submitted_on(day - timedelta(days=offset))

    assert walked.papers_submitted_on(day) == fresh and len(fresh) >= 40


def test_ids_number_a_months_submissions_in_order_without_gaps():
    w = world()
    june = [p for d in range(1, 31) for p in w.papers_submitted_on(date(2021, 6, d))]
    numbers = [int(p.arxiv_id.split(".")[1]) for p in june]

    assert all(p.arxiv_id.startswith("2106.") for p in june)
    assert numbers == list(range(numbers[0], numbers[0] + len(june)))
    assert [p.submitted_at for p in june] == sorted(p.submitted_at for p in june)
    assert w.paper(june[123].arxiv_id) == june[123]


def test_volume_grows_twenty_percent_a_year():
    w = world()
    first = sum(w.submission_count(START + timedelta(days=n)) for n in range(365))
    third = sum(w.submission_count(date(2022, 1, 1) + timedelta(days=n)) for n in range(365))

    assert 1.3 < third / first < 1.6  # 1.2 ** 2 = 1.44


def test_titles_do_not_repeat_and_are_hard_wrapped_in_atom():
    w = world()
    papers = [p for n in range(60) for p in w.papers_submitted_on(START + timedelta(days=n))]

    assert len({p.title.casefold() for p in papers}) == len(papers)
    entries = w.arxiv_entries(search_query(MAIN_CATEGORIES, date(2020, 2, 3)), LATER)
    assert any("\n" in e.findtext("{http://www.w3.org/2005/Atom}title") for e in entries)


def test_a_days_query_returns_its_papers_in_the_categories_at_their_latest_version():
    w = world()
    day = date(2020, 3, 4)
    entries = w.arxiv_entries(search_query(MAIN_CATEGORIES, day), LATER)
    expected = {p.arxiv_id for p in w.papers_submitted_on(day) if set(p.categories) & set(MAIN_CATEGORIES)}
    ids = [e.findtext("{http://www.w3.org/2005/Atom}id") for e in entries]

    assert {i.rsplit("/", 1)[1].split("v")[0] for i in ids} == expected
    assert any(i.endswith(("v2", "v3")) for i in ids)


def test_a_days_new_versions_come_from_papers_submitted_weeks_before():
    w = world()
    day = date(2020, 5, 20)
    entries = w.arxiv_entries(search_query(MAIN_CATEGORIES, day, field="lastUpdatedDate"), LATER)
    published = {e.findtext("{http://www.w3.org/2005/Atom}published")[:10] for e in entries}

    assert str(day) in published and any(p < str(day) for p in published)


def test_hf_lists_draw_announced_papers_once_each():
    w = world()
    listed = [item["paper"]["id"] for n in range(30) for item in w.hf_items(date(2020, 4, 1) + timedelta(days=n), LATER)]

    assert len(listed) == len(set(listed)) > 300
    assert sum(w.paper(i) is not None for i in listed) > 0.8 * len(listed)


def test_memory_holds_only_the_cached_days():
    w = world(cached_day_count=5)
    for n in range(40):
        w.papers_submitted_on(START + timedelta(days=n))

    assert len(w._days) == 5


def test_texts_are_each_papers_own_but_a_few_papers_are_sent_twice_and_dupes_finds_those():
    import polars as pl

    from transforms.dupes import DEFAULT_MIN_SCORE, find_duplicates, link_id
    from transforms.identity import with_title_key

    w = world()
    papers = [p for n in range(365) for p in w.papers_submitted_on(START + timedelta(days=n))]
    twins = {link_id(a.arxiv_id, b.arxiv_id) for a, b in zip(papers, papers[1:]) if a.versions[0].summary == b.versions[0].summary}
    frame = with_title_key(pl.DataFrame(
        {"paper_id": [p.arxiv_id for p in papers], "title": [p.title for p in papers], "abstract": [p.versions[0].summary for p in papers]}
    ))

    assert len(papers) > 15_000 and 0.001 < len(twins) / len(papers) < 0.004
    assert frame["abstract"].n_unique() == len(papers) - len(twins)  # no two other papers share an abstract
    found = find_duplicates(frame, 60)
    assert set(found["link_id"]) == twins  # every resubmission, and nothing else looks alike
    assert found["score"].min() >= DEFAULT_MIN_SCORE and found["reason"].str.starts_with("titles differ by a typo").all()
