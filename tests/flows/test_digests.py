"""The daily run's digest step against the living world: watches that match and that do not, a real
webhook receiver on 127.0.0.1, a real Prefect server; retried and overlapping runs send a paper once."""

from __future__ import annotations

import json
import re
import threading
from datetime import date, timedelta

import polars as pl
import pytest

from flows.daily import daily
from flows.digests import digest
from flows.notify import save_webhook_block
from lake import table_setup, watches, writes
from tests.flows.artifact_lookup import artifacts_of_run, run_id_of
from tests.flows.live_fixtures import no_heartbeats  # noqa: F401
from tests.flows.living_fixtures import living, living_world, scheduled_at  # noqa: F401
from tests.flows.webhook_fixtures import receiver  # noqa: F401

pytestmark = pytest.mark.usefixtures("prefect_harness", "no_heartbeats")

DAYS = (date(2024, 3, 18), date(2024, 3, 19))  # a Monday and a Tuesday of the living world
# "World Models" and "Theorem Proving" are among the living world's title parts; nothing there is about chromodynamics.
WORLD = {"any_terms": ["world models", "theorem"]}
WORLD_PATTERN = re.compile(r"\b(world models|theorem)\b")


def add(lake, name: str, block: str | None, **criteria) -> None:
    row = {"watch_name": name, "status": watches.ACTIVE, "since_date": DAYS[0], "created_at": scheduled_at(DAYS[0]),
           "notify_block": block, **criteria}
    watches.add_watch(lake, row, writes.CommitInfo("test"))


def expected_ids(lake, pattern: re.Pattern, exclude: set[str] = frozenset()) -> set[str]:
    """Worked out apart from transforms/watches.py: the papers whose title or abstract says it."""
    papers = lake.read("papers").filter(pl.col("last_seen_date") >= DAYS[0])
    return {
        row["paper_id"] for row in papers.iter_rows(named=True)
        if pattern.search(" ".join(f"{row['title']} {row['abstract'] or ''}".lower().split())) and row["paper_id"] not in exclude
    }


def linked_ids(body: str) -> list[str]:
    return re.findall(r"https://arxiv\.org/abs/(\S+)", body)


def run_daily(living, lake, day: date):
    at = scheduled_at(day + timedelta(days=1))
    living.set_clock(at)
    state = daily(day, lake_uri=lake.uri, now=at, return_state=True)
    assert state.is_completed(), state
    return artifacts_of_run(run_id_of(state))


def test_each_watch_gets_its_new_papers_once_through_its_block(living, lake, receiver):
    table_setup.ensure_tables(lake)
    add(lake, "world", save_webhook_block("world", receiver.url), **WORLD)
    add(lake, "nothing", save_webhook_block("nothing", receiver.url), any_terms=["chromodynamics"])
    add(lake, "theorems", None, all_terms=["theorem", "proving"])  # no block: the artifact only
    add(lake, "park", None, authors=["park", "tomas haddad"], categories=["cs"])  # the richer papers row (gold columns)

    artifacts = run_daily(living, lake, DAYS[0])
    first = expected_ids(lake, WORLD_PATTERN)
    assert len(first) >= 3  # the day has some: the test means something
    [post] = receiver.posts  # one digest sent: "nothing" matched nothing, "theorems" has no block
    assert post["json"]["watch"] == "world" and post["user_agent"] == "Prefect Notifications"
    assert post["json"]["subject"] == f"paperlake digest world: {len(first)} new papers"
    assert sorted(linked_ids(post["json"]["body"])) == sorted(first)
    assert post["json"]["text"].startswith(post["json"]["subject"] + "\n- ")

    rows = json.loads(artifacts["digest-world"].data)
    assert artifacts["digest-world"].type == "table" and sorted(r["paper_id"] for r in rows) == sorted(first)
    titles = dict(lake.read("papers").select("paper_id", "title").iter_rows())
    assert all(r["title"] == titles[r["paper_id"]] and r["link"] == f"https://arxiv.org/abs/{r['paper_id']}" for r in rows)
    assert {r["feeds"] for r in rows} <= {"arxiv", "hf_daily", "arxiv, hf_daily"}
    assert "digest-nothing" not in artifacts
    theorem_ids = expected_ids(lake, re.compile(r"\btheorem proving\b"))
    assert sorted(r["paper_id"] for r in json.loads(artifacts["digest-theorems"].data)) == sorted(theorem_ids)

    papers = lake.read("papers").filter(pl.col("last_seen_date") >= DAYS[0]).to_dicts()
    park_ids = {
        p["paper_id"] for p in papers
        if any(a.split()[-1] == "Park" or a == "Tomás Haddad" for a in p["authors"] or [])
        and any(c.startswith("cs.") for c in p["categories"] or [])
    }
    park_rows = json.loads(artifacts["digest-park"].data)
    assert len(park_ids) >= 3 and sorted(r["paper_id"] for r in park_rows) == sorted(park_ids)
    assert all("Park" in r["authors"] or "Tomás Haddad" in r["authors"] for r in park_rows)

    deliveries = lake.read("digest_deliveries")
    assert dict(deliveries.group_by("watch_name", "status").len().select(pl.concat_str("watch_name", "status", separator=":"), "len").iter_rows()) == {
        "world:sent": len(first), "theorems:artifact_only": len(theorem_ids), "park:artifact_only": len(park_ids)
    }

    # A retried run (same day, same clock) finds nothing new: nothing sent, no digest artifact.
    again = run_daily(living, lake, DAYS[0])
    assert len(receiver.posts) == 1 and "digest-world" not in again
    assert lake.read("digest_deliveries").height == deliveries.height

    # The next day: only papers no digest of the watch held.
    run_daily(living, lake, DAYS[1])
    second = expected_ids(lake, WORLD_PATTERN, exclude=first)
    assert second and len(receiver.posts) == 2
    assert sorted(linked_ids(receiver.posts[1]["json"]["body"])) == sorted(second)
    world = lake.read("digest_deliveries").filter(pl.col("watch_name") == "world")
    assert world.height == world["paper_id"].n_unique() == len(first | second)


def test_a_failed_send_is_recorded_and_never_resent(living, lake, receiver):
    table_setup.ensure_tables(lake)
    add(lake, "world", save_webhook_block("world", receiver.url), **WORLD)
    receiver.status = 500
    run_daily(living, lake, DAYS[0])  # the load succeeds; the digest's failure is logged and recorded
    assert len(receiver.posts) == 1
    failed = lake.read("digest_deliveries")
    assert set(failed["status"]) == {"failed"} and "500" in failed["error"][0]

    receiver.status = 200
    run_daily(living, lake, DAYS[0])
    assert len(receiver.posts) == 1  # at most once: the failed digest is not sent again


def test_a_run_dying_between_claim_and_send_does_not_resend(living, lake, receiver, monkeypatch):
    run_daily(living, lake, DAYS[0])
    add(lake, "world", save_webhook_block("world", receiver.url), **WORLD)
    at = scheduled_at(DAYS[1])

    def dies(*args):
        raise RuntimeError("the process died here")

    with monkeypatch.context() as patched, pytest.raises(RuntimeError, match="the process died here"):
        patched.setattr("flows.digests.publish_digest", dies)  # after the claim, before the artifact and the send
        digest(lake.uri, at, None)
    assert digest(lake.uri, at, None)[0].paper_count == 0  # the retry finds them claimed: nothing to send
    assert receiver.posts == []
    claimed = lake.read("digest_deliveries")
    assert set(claimed["status"]) == {"claimed"} and set(claimed["paper_id"]) == expected_ids(lake, WORLD_PATTERN)


def test_overlapping_digests_send_each_paper_once(living, lake, receiver):
    run_daily(living, lake, DAYS[0])  # papers first, no watch yet
    add(lake, "world", save_webhook_block("world", receiver.url), **WORLD)
    at = scheduled_at(DAYS[1])
    outcomes: list = []
    start = threading.Barrier(3)

    def one_run() -> None:
        start.wait()
        outcomes.extend(digest(lake.uri, at, None))

    threads = [threading.Thread(target=one_run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = [paper_id for body in receiver.bodies_of("world") for paper_id in linked_ids(body)]
    assert sorted(sent) == sorted(expected_ids(lake, WORLD_PATTERN))  # every paper once, in whichever run claimed it
    assert sum(o.paper_count for o in outcomes) == len(sent) and len(receiver.posts) == sum(o.paper_count > 0 for o in outcomes)
