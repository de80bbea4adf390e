"""The one module that imports Great Expectations: suites as GX objects, and running them.

GX takes 3-4 s and 230 MB to import, so nothing on a read-only path imports this module; the gate
imports it when the first batch is checked. The context and the suites are built once per
process and shared (GX is not known to be thread-safe, so checks run one at a time).
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import polars as pl

from expectations.rules import Param, Rule, Suite
from settings.heap import freeze_long_lived

# Set before the import: GX reads them when it loads.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
logging.getLogger("great_expectations").setLevel(logging.WARNING)

import great_expectations as gx  # noqa: E402
from great_expectations.core import ExpectationSuiteValidationResult  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from great_expectations.execution_engine import pandas_execution_engine  # noqa: E402

# GX fingerprints every pandas batch below this size (an md5 over every value, kept as a batch
# marker no page of ours shows): half of each check's time, 2 of the 3.8 s a year of page copies
# spent in GX. 0 turns it off; a GX without the constant ignores the assignment.
pandas_execution_engine.HASH_THRESHOLD = 0


def _quiet_gx_loggers() -> None:
    """GX pins some of its module loggers to INFO at import; let them inherit the quiet parent."""
    for name, logger in logging.root.manager.loggerDict.items():
        if name.startswith("great_expectations.") and isinstance(logger, logging.Logger) and logger.level < logging.WARNING:
            logger.setLevel(logging.NOTSET)


_quiet_gx_loggers()

DATASOURCE_NAME = "paperlake"
# Row lists GX returns in COMPLETE mode; the gate reads them, then they are dropped so a result
# kept for Data Docs stays small on a 70k-row batch.
_BULKY_RESULT_KEYS = ("unexpected_list", "unexpected_index_list", "unexpected_index_query")

# Held around every use of the context; docs.py takes it too.
lock = threading.RLock()
_context = None
_suites: dict[str, tuple[Suite, Any]] = {}  # name -> (rules it was built from, GX suite)


@dataclass
class Checked:
    """What GX found in one batch."""

    result: ExpectationSuiteValidationResult
    failing_rows: dict[str, list[int]] = field(default_factory=dict)  # rule -> row positions
    errors: dict[str, str] = field(default_factory=dict)  # rule -> why GX could not evaluate it


def context():
    """The process's ephemeral GX context (in memory; nothing written until Data Docs are built)."""
    global _context
    with lock:
        if _context is None:
            ctx = gx.get_context(mode="ephemeral")
            ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
            ctx.config.analytics_enabled = False
            ctx.data_sources.add_pandas(DATASOURCE_NAME)
            _context = ctx
            freeze_long_lived("gx context")  # GX's 230,000 objects, kept for the process: out of every GC walk
        return _context


def registered_suite(suite: Suite):
    """The GX ExpectationSuite for `suite`, added to the context on first use (again if its rules changed)."""
    with lock:
        source, gx_suite = _suites.get(suite.name, (None, None))
        if source != suite:
            ctx = context()  # GX objects resolve their context on creation
            if gx_suite is not None:
                ctx.suites.delete(suite.name)
            gx_suite = ctx.suites.add(
                gx.ExpectationSuite(
                    name=suite.name,
                    expectations=[to_expectation(rule) for rule in suite.rules],
                    meta={"table": suite.table, "notes": suite.spec.description},
                )
            )
            _suites[suite.name] = (suite, gx_suite)
        return gx_suite


def to_expectation(rule: Rule):
    kind = "rows that break it are quarantined" if rule.level == "row" else "a break rejects the whole batch"
    cls = getattr(gx.expectations, rule.expectation)
    kwargs = {k: _gx_value(v) for k, v in rule.kwargs.items()}
    return cls(**kwargs, meta={"rule": rule.name, "level": rule.level}, notes=f"paperlake rule `{rule.name}`: {kind}.")


def _gx_value(value: Any) -> Any:
    if isinstance(value, Param):
        return {"$PARAMETER": value.name}
    if isinstance(value, date) and not isinstance(value, datetime):
        # pandas holds Polars dates as datetime64; GX compares them only with datetimes.
        return datetime(value.year, value.month, value.day)
    return value


def parameters(today: date) -> dict[str, Any]:
    return {"today": _gx_value(today)}


def check(suite: Suite, batch: pl.DataFrame, today: date) -> Checked:
    """Run the suite over `batch`; map every failing row back to its position in `batch`."""
    frame = _for_gx(suite, batch).to_pandas()
    with lock:
        gx_suite = registered_suite(suite)
        batch_definition = _batch_definition(suite.table)
        gx_batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = gx_batch.validate(gx_suite, result_format="COMPLETE", expectation_parameters=parameters(today))
        _forget_batches()
    del frame, gx_batch
    _release_freed_memory()
    return _read(result)


def _forget_batches() -> None:
    """Drop the batch and the metrics GX's execution engine keeps for every batch it ever validated.

    The engine lives as long as the context, and its caches are keyed by batch: nothing reads them
    again, yet they held every check's pandas copy (and its Arrow columns) for the rest of the
    process, about 110 MB after a year of page copies in two loads, under every later step's peak.
    """
    engine = context().data_sources.get(DATASOURCE_NAME).get_execution_engine()
    engine.batch_manager.reset_batch_cache()  # the last batch of each asset, with its pandas copy
    engine.batch_manager.batch_data_cache.clear()
    metric_cache = getattr(engine, "_metric_cache", None)  # private: absent or renamed in a later GX, nothing to clear
    if isinstance(metric_cache, dict):
        metric_cache.clear()


def _release_freed_memory() -> None:
    """Give the pages of the pandas copy and GX's intermediate columns back to the system.

    They are Python and NumPy allocations (glibc malloc), which keeps freed pages mapped: a year's
    sightings check left about 90 MB resident for the rest of the load. No-op off glibc. Arrow
    buffers of the conversion come from pyarrow's own pool (mimalloc), which keeps freed pages too:
    its arena held 56-69 MB between a backfill's loads (20 MB with this), pages Polars and delta-rs
    cannot reuse.
    """
    import pyarrow

    pyarrow.default_memory_pool().release_unused()
    global _malloc_trim
    if _malloc_trim is None:
        try:
            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None


# Nanosecond datetimes hold 1677-09-22..2262-04-11; a date outside is moved to the nearest end,
# still outside every range a rule allows (arXiv's epoch .. today), so it still breaks the rule.
_NS_FIRST_DATE, _NS_LAST_DATE = date(1678, 1, 1), date(2261, 12, 31)


def _for_gx(suite: Suite, batch: pl.DataFrame) -> pl.DataFrame:
    """Only the columns the rules read, in the types GX checks fastest.

    - Raw payloads become a null/not-null marker: rules only ask whether a Binary column is null,
      and copying megabytes of payload into pandas objects would cost more than the whole check.
    - Dates become nanosecond datetimes: GX compares those with a range in one vectorized step, and
      calls Python once per row for pandas' millisecond ones (what a Polars date becomes).
    """
    def column(name: str) -> pl.Expr:
        dtype = batch.schema[name]
        if dtype == pl.Binary:
            return pl.when(pl.col(name).is_not_null()).then(pl.lit(True)).alias(name)
        if dtype == pl.Date:
            return pl.col(name).clip(_NS_FIRST_DATE, _NS_LAST_DATE).cast(pl.Datetime("ns"))
        return pl.col(name)

    return batch.select(column(c) for c in suite.used_columns)


def _batch_definition(table: str):
    datasource = context().data_sources.get(DATASOURCE_NAME)
    try:
        asset = datasource.get_asset(table)
    except LookupError:
        asset = datasource.add_dataframe_asset(table)
    try:
        return asset.get_batch_definition("whole")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole")


def _read(result: ExpectationSuiteValidationResult) -> Checked:
    checked = Checked(result)
    for item in result.results:
        rule = item.expectation_config.meta["rule"]
        problem = _exception_message(item.exception_info or {})
        if problem:
            checked.errors[rule] = problem
        elif not item.success:
            rows = item.result.get("unexpected_index_list")
            if rows is None:
                checked.errors[rule] = "Great Expectations reported a failure without the failing rows"
            else:
                checked.failing_rows[rule] = sorted({int(i) for i in rows})
        for key in _BULKY_RESULT_KEYS:
            item.result.pop(key, None)
    return checked


def _exception_message(info: dict) -> str | None:
    """GX reports an expectation that could not run either flat or keyed by metric; read both."""
    if "raised_exception" in info:
        return info.get("exception_message") if info["raised_exception"] else None
    for nested in info.values():
        if isinstance(nested, dict) and (nested.get("exception_message") or nested.get("exception_traceback")):
            return nested.get("exception_message") or nested["exception_traceback"].strip().splitlines()[-1]
    return None
