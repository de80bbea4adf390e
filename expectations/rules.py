"""The vocabulary the suites are written in: a rule is a named Great Expectations expectation
plus the sentence a person reads when a row breaks it.

Rules are plain data so that reading or listing them never imports Great Expectations (3-4 s,
230 MB); `expectations.gx_runtime` turns them into GX expectations only when a batch is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Mapping

from lake.table_spec import TableSpec
from transforms.identity import TITLE_ID_PREFIX

# arXiv opened in August 1991; nothing it lists predates that year.
ARXIV_EPOCH_DATE = date(1991, 1, 1)

# New ids are YYMM.NNNN (2007-2014) or YYMM.NNNNN (2015-); old ones archive[.SC]/YYMMNNN.
# Both without the vN suffix: the version is a property of a sighting, not of the paper.
ARXIV_ID_PATTERN = (
    r"(?:\d{2}(?:0[1-9]|1[0-2])\.\d{4,5}"
    r"|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{2}(?:0[1-9]|1[0-2])\d{3})"
)
# blake2b digest of the normalized title (transforms/identity.py); length left open on purpose.
TITLE_PAPER_ID_PATTERN = re.escape(TITLE_ID_PREFIX) + r"[0-9a-f]{16,64}"

RuleLevel = Literal["row", "batch"]


@dataclass(frozen=True)
class Param:
    """A bound known only when a batch is checked (today's date), passed to GX as $PARAMETER."""

    name: str


TODAY = Param("today")


@dataclass(frozen=True)
class Rule:
    """One expectation. `row` rules quarantine the rows that break them; `batch` rules reject the batch.

    `reason` is a str.format template; it may use {column}, {value}, {length}, {other}
    (the second column's value), {other_column} and any expectation keyword, with Params resolved.
    """

    name: str
    expectation: str
    kwargs: Mapping[str, Any]
    reason: str
    level: RuleLevel = "row"

    @property
    def used_columns(self) -> tuple[str, ...]:
        """The columns the expectation reads; the first is the one a reason calls {column}."""
        single = tuple(v for k, v in self.kwargs.items() if k in ("column", "column_A", "column_B"))
        return single + tuple(self.kwargs.get("column_list", ()))


def not_null(column: str) -> Rule:
    return Rule(f"{column}_not_null", "ExpectColumnValuesToNotBeNull", {"column": column}, "{column} is missing (null)")


def length_between(name: str, column: str, min_chars: int, max_chars: int, why: str) -> Rule:
    return Rule(
        name,
        "ExpectColumnValueLengthsToBeBetween",
        {"column": column, "min_value": min_chars, "max_value": max_chars},
        "{column} is {length} characters long; " + f"a {column} has {min_chars} to {max_chars} ({why})",
    )


def matches(name: str, column: str, pattern: str, expected: str) -> Rule:
    return Rule(
        name,
        "ExpectColumnValuesToMatchRegex",
        {"column": column, "regex": f"^{pattern}$"},
        "{column} {value} is not " + expected,
    )


def does_not_match(name: str, column: str, pattern: str, what: str) -> Rule:
    return Rule(name, "ExpectColumnValuesToNotMatchRegex", {"column": column, "regex": pattern}, "{column} {value} is " + what)


def between(name: str, column: str, min_value: Any = None, max_value: Any = None, why: str = "") -> Rule:
    bounds = {k: v for k, v in (("min_value", min_value), ("max_value", max_value)) if v is not None}
    if min_value is not None and max_value is not None:
        allowed = "between {min_value} and {max_value}"
    elif min_value is not None:
        allowed = "at least {min_value}"
    else:
        allowed = "at most {max_value}"
    suffix = f" ({why})" if why else ""
    return Rule(
        name, "ExpectColumnValuesToBeBetween", {"column": column, **bounds}, "{column} is {value}; it must be " + allowed + suffix
    )


def in_set(name: str, column: str, values: tuple[str, ...]) -> Rule:
    return Rule(
        name,
        "ExpectColumnValuesToBeInSet",
        {"column": column, "value_set": list(values)},
        "{column} {value} is not one of " + ", ".join(values),
    )


def at_least(name: str, column: str, other_column: str) -> Rule:
    """`column` >= `other_column` wherever both are present."""
    return Rule(
        name,
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {"column_A": column, "column_B": other_column, "or_equal": True, "ignore_row_if": "either_value_is_missing"},
        "{column} {value} is less than {other_column} {other}",
    )


def equal_when_present(name: str, column: str, other_column: str) -> Rule:
    return Rule(
        name,
        "ExpectColumnPairValuesToBeEqual",
        {"column_A": column, "column_B": other_column, "ignore_row_if": "either_value_is_missing"},
        "{column} {value} differs from {other_column} {other}",
    )


def unique_key(spec: TableSpec) -> Rule:
    """The table's key, unique within a batch; rows with a null key part are left to the not-null rules."""
    columns = list(spec.key)
    if len(columns) == 1:
        expectation, kwargs = "ExpectColumnValuesToBeUnique", {"column": columns[0]}
    else:
        expectation = "ExpectCompoundColumnsToBeUnique"
        kwargs = {"column_list": columns, "ignore_row_if": "any_value_is_missing"}
    return Rule("duplicate_key", expectation, kwargs, "key " + ", ".join(columns) + " repeats", level="batch")


def required_not_null(spec: TableSpec) -> list[Rule]:
    """Every column lake/schemas.py marks required must be present on every row."""
    return [not_null(c) for c in spec.required_columns]


@dataclass(frozen=True)
class Suite:
    """One table's expectations, in the order a row's first broken rule is reported."""

    spec: TableSpec
    rules: tuple[Rule, ...]

    @property
    def table(self) -> str:
        return self.spec.name

    @property
    def name(self) -> str:
        return self.spec.name

    def rule(self, name: str) -> Rule:
        return next(r for r in self.rules if r.name == name)

    @property
    def row_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.level == "row")

    @property
    def used_columns(self) -> list[str]:
        wanted = {c for r in self.rules for c in r.used_columns}
        return [c for c in self.spec.column_names if c in wanted]

    def __post_init__(self) -> None:
        names = [r.name for r in self.rules]
        if len(names) != len(set(names)):
            raise ValueError(f"suite {self.name}: rule names repeat: {names}")
        unknown = sorted({c for r in self.rules for c in r.used_columns} - set(self.spec.column_names))
        if unknown:
            raise ValueError(f"suite {self.name}: rules name columns the table lacks: {unknown}")
