"""The suites as data: readable, derived from lake/schemas.py, and free of Great Expectations."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from expectations.common import BOILERPLATE_PATTERN
from expectations.rules import ARXIV_ID_PATTERN, Rule, Suite, not_null
from expectations.suites import SUITES, suite_for
from lake.schemas import SIGHTINGS, TABLES

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "arxiv_id", ["2403.01234", "0704.0001", "1412.9999", "2501.00001", "hep-th/9901001", "math.GT/0309136", "cond-mat/0211034"]
)
def test_arxiv_id_forms_are_accepted(arxiv_id):
    assert re.fullmatch(ARXIV_ID_PATTERN, arxiv_id)


@pytest.mark.parametrize(
    "arxiv_id",
    ["2403.01234v2", "hep-th/9901001v1", "2403.123", "2413.01234", "2400.01234", "arXiv:2403.01234", "2403.01234 ", "2403.012345", "HEP-TH/9901001"],
)
def test_other_forms_are_not_arxiv_ids(arxiv_id):
    assert not re.fullmatch(ARXIV_ID_PATTERN, arxiv_id)


@pytest.mark.parametrize("line", ["Subscribe", "subscribe", " new ", "NEW", "Get trending papers in your email inbox!", "Mar 11", "Sept. 3", "Error", "Rate exceeded."])
def test_page_furniture_is_boilerplate(line):
    assert re.search(BOILERPLATE_PATTERN, line)


@pytest.mark.parametrize("title", ["New Methods for Subscribe-Publish Systems", "Error Bounds for Sparse Recovery", "March of the Transformers", "Newton's Method Revisited"])
def test_real_titles_are_not_boilerplate(title):
    assert not re.search(BOILERPLATE_PATTERN, title)


@pytest.mark.parametrize("table", sorted(SUITES))
def test_each_required_column_has_a_not_null_rule_and_the_key_is_unique(table):
    suite = suite_for(table)
    names = [r.name for r in suite.rules]
    assert [f"{c}_not_null" for c in TABLES[table].required_columns] == names[: len(TABLES[table].required_columns)]
    assert suite.rule("duplicate_key").level == "batch"
    assert set(suite.rule("duplicate_key").used_columns) == set(TABLES[table].key)


def test_a_suite_refuses_rules_on_columns_its_table_lacks():
    with pytest.raises(ValueError, match="lack"):
        Suite(SIGHTINGS, rules=(not_null("score"),))
    with pytest.raises(ValueError, match="repeat"):
        Suite(SIGHTINGS, rules=(not_null("title"), not_null("title")))


def test_every_rule_names_a_real_gx_expectation():
    import great_expectations as gx

    for suite in SUITES.values():
        for rule in suite.rules:
            assert isinstance(rule, Rule) and hasattr(gx.expectations, rule.expectation), rule


def test_reading_rules_and_quarantine_does_not_import_great_expectations():
    code = (
        "import sys; import expectations.gate, expectations.suites, expectations.quarantine, expectations.docs; "
        "print('great_expectations' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
