"""`paperlake watch add|list|remove` and `paperlake digest` on the scenario lake (tests/explore_scenario.py);
every mistake is one line naming what to fix."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from paperlake.cli import app
from tests.explore_scenario import A, B, C, T, write_scenario

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def scenario(lake):
    write_scenario(lake)
    return lake


def paperlake(lake, *args: str, code: int = 0):
    result = runner.invoke(app, [*args, "--lake", lake.uri])
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_add_list_digest_and_remove_a_watch(scenario, tmp_path):
    added = paperlake(scenario, "watch", "add", "routing", "--words", '"sparse routing" theorems', "--since", "2024-03-01")
    assert added.stdout.strip() == (
        "added watch routing: digests after each daily run, papers listed from 2024-03-01 on, shown as the digest-routing artifact only"
    )
    [listed] = csv_rows(paperlake(scenario, "watch", "list", "--format", "csv").stdout)
    assert listed == {
        "watch_name": "routing", "any_terms": '["sparse routing", "theorems"]', "all_terms": "[]", "authors": "[]",
        "categories": "[]", "notify_block": "", "since_date": "2024-03-01", "delivered_count": "0", "last_digest_at": "",
    }
    # "sparse routing" is in B's abstract and T's title (not A's "Sparse Mixture Routing"); C's abstract proves theorems.
    digest = csv_rows(paperlake(scenario, "digest", "routing", "--format", "csv").stdout)
    assert [r["paper_id"] for r in digest] == [B, C, T]  # most upvoted first
    assert digest[0]["authors"] == json.dumps(["Chen Xu", "Ana Ruiz"])
    assert digest[0]["link"] == f"https://arxiv.org/abs/{B}" and digest[2]["link"] == ""
    assert json.loads(paperlake(scenario, "digest", "routing", "-f", "json").stdout)[0]["feeds"] == ["hf_daily"]
    later = csv_rows(paperlake(scenario, "digest", "routing", "--since", "2024-03-06", "-f", "csv").stdout)
    assert [r["paper_id"] for r in later] == [C, T] and [r["digest_id"] for r in later] == ["", ""]
    paperlake(scenario, "digest", "routing", "--out", str(tmp_path / "digest.json"))
    assert len(json.loads((tmp_path / "digest.json").read_text())) == 3
    assert scenario.read("digest_deliveries").is_empty()  # showing a digest sends and records nothing

    assert paperlake(scenario, "watch", "remove", "routing").stdout.startswith("removed watch routing: no more digests")
    assert paperlake(scenario, "watch", "list", "-f", "csv").stdout.strip() == ",".join(
        ["watch_name", "any_terms", "all_terms", "authors", "categories", "notify_block", "since_date", "delivered_count", "last_digest_at"]
    )
    [gone] = csv_rows(paperlake(scenario, "watch", "list", "--all", "-f", "csv").stdout)
    assert gone["status"] == "removed" and gone["removed_at"]

    # An empty digest says so (on stderr), so an empty table is never a silent stand-in.
    paperlake(scenario, "watch", "add", "quiet", "--words", "zeppelin", "--since", "2024-03-01")
    empty = paperlake(scenario, "digest", "quiet", "-f", "csv")
    assert csv_rows(empty.stdout) == [] and "nothing new for watch quiet: no paper listed from 2024-03-01 on matches it" in empty.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["watch", "add", "My Watch", "--words", "x"], "'My Watch': a watch name is lowercase letters, digits and dashes"),
        (["watch", "add", "w"], "a watch needs --words, --all-words, --authors or --categories"),
        (["watch", "add", "w", "--words", '"world model'], "cannot read '\"world model': No closing quotation"),
        (["watch", "add", "w", "--words", "x", "--webhook", "hooks.example.com/x"], "--webhook 'hooks.example.com/x' is not an http:// or https:// URL"),
        (["watch", "add", "w", "--words", "x", "--webhook", "https://h/x", "--notify", "b"], "give --webhook URL or --notify BLOCK, not both"),
        (["watch", "add", "w", "--words", "x", "--since", "yesterday"], "'yesterday' is not a date of the form YYYY-MM-DD"),
        (["watch", "remove", "nope"], "no watch named 'nope'; the watches are: none yet (`paperlake watch add`)"),
        (["digest", "nope"], "no watch named 'nope'; the watches are: none yet (`paperlake watch add`)"),
    ],
)
def test_mistakes_are_one_line(scenario, args, message):
    result = paperlake(scenario, *args, code=2)
    assert message in " ".join(result.output.split()), result.output
    assert "Traceback" not in result.output


def test_a_duplicate_name_is_refused_and_the_first_watch_kept(scenario):
    paperlake(scenario, "watch", "add", "routing", "--words", "routing")
    result = paperlake(scenario, "watch", "add", "routing", "--words", "cats", code=2)
    assert result.output.strip() == "error: a watch named 'routing' exists already; `paperlake watch remove routing` first"
    assert scenario.read("watches")["any_terms"].to_list() == [["routing"]]


@pytest.mark.usefixtures("prefect_harness")
def test_webhook_makes_a_block_and_notify_names_an_existing_one(scenario):
    from prefect.blocks.notifications import CustomWebhookNotificationBlock, SlackWebhook

    added = paperlake(scenario, "watch", "add", "cats", "--all-words", "satellite images", "--webhook", "http://127.0.0.1:9/hook")
    assert "sent through Prefect block custom-webhook/paperlake-watch-cats" in added.stdout
    assert CustomWebhookNotificationBlock.load("paperlake-watch-cats").url == "http://127.0.0.1:9/hook"

    SlackWebhook(url="https://hooks.slack.com/services/T000/B000/XXXX").save("team-papers", overwrite=True)
    paperlake(scenario, "watch", "add", "proofs", "--words", "proof", "--notify", "team-papers")
    blocks = dict(scenario.read("watches").select("watch_name", "notify_block").iter_rows())
    assert blocks == {"cats": "custom-webhook/paperlake-watch-cats", "proofs": "slack-webhook/team-papers"}

    unknown = paperlake(scenario, "watch", "add", "w", "--words", "x", "--notify", "no-such-block", code=2)
    assert unknown.output.startswith("error: no Prefect notification block 'no-such-block'; the notification blocks are: ")
    assert "slack-webhook/team-papers" in unknown.output and len(unknown.output.strip().splitlines()) == 1
    assert "w" not in scenario.read("watches")["watch_name"].to_list()


@pytest.mark.parametrize(
    "criteria, expected",
    [
        (["--authors", "Ana Ruiz"], [B, A]),
        (["--authors", "bo li, EMILE MOREAU"], [A, "2402.09999"]),  # the authors column, accents folded
        (["--authors", "Ana Ruiz", "--categories", "cs.CL physics"], [A]),  # B is on Hugging Face only: no category
        (["--categories", "physics"], ["2402.09999"]),  # physics.ao-ph, a cross-list
        (["--words", "remote sensing"], [B]),  # a Hugging Face keyword
        (["--words", '"remote sensing"', "--all-words", "cats satellite"], [B]),
        (["--authors", "Nobody Known"], []),
    ],
)
def test_authors_categories_and_keywords_of_the_richer_papers_row(scenario, criteria, expected):
    paperlake(scenario, "watch", "add", "w", *criteria, "--since", "2024-03-01")
    assert [r["paper_id"] for r in csv_rows(paperlake(scenario, "digest", "w", "-f", "csv").stdout)] == expected
