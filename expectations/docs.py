"""Data Docs (Great Expectations' HTML report) and a short validation summary for the run.

The HTML site lives in a folder beside the lake. Validation results are kept there as JSON as
well, so each build indexes every run so far, not just the current process's.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Iterable

from expectations.docs_offline import make_site_offline
from expectations.gate_result import GateResult
from expectations.suites import SUITES

RESULTS_FOLDER = "results"  # validation results as GX JSON, under docs_dir
# Enough history to compare a feed-day with the weeks before; older pages drop off the index.
INDEX_RESULT_LIMIT = 500


def build_data_docs(results: Iterable[GateResult], docs_dir: Path) -> Path:
    """Add `results` to the Data Docs site in `docs_dir` and rebuild it; returns its index.html."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from expectations import gx_runtime

    docs_dir = Path(docs_dir).resolve()
    started = time.time() - 1  # file times may be a little coarse
    site_name, store = _site(docs_dir)
    for suite in SUITES.values():
        gx_runtime.registered_suite(suite)
    resource_ids: list = [ExpectationSuiteIdentifier(name=s.name) for s in SUITES.values()]
    with gx_runtime.lock:
        for result in results:
            if result.validation is None:
                continue
            suite_id = ExpectationSuiteIdentifier(name=result.validation.suite_name)
            run_id = RunIdentifier(run_name=result.run_id or "adhoc", run_time=result.validated_at)
            key = _free_key(store, suite_id, run_id, f"{result.feed}-{result.snapshot_date.isoformat()}")
            # What the pages show as run and data asset; GX fills these only for its own runs.
            result.validation.meta["run_id"] = run_id
            result.validation.meta["batch_kwargs"] = {"data_asset_name": key.batch_identifier}
            result.validation.meta["paperlake"] = {k: str(v) for k, v in result.summary.items()}
            store.set(key, result.validation)
            resource_ids.append(key)
        gx_runtime.context().build_data_docs(site_names=[site_name], resource_identifiers=resource_ids)
    make_site_offline(docs_dir, started)  # GX's pages fetch their CSS and JS from CDNs: blank without internet
    return docs_dir / "index.html"


def _site(docs_dir: Path):
    """The site and results store for `docs_dir`, registered with the context once per folder."""
    from expectations import gx_runtime

    ctx = gx_runtime.context()
    tag = hashlib.sha1(str(docs_dir).encode()).hexdigest()[:12]
    site_name, store_name = f"paperlake_{tag}", f"paperlake_results_{tag}"
    with gx_runtime.lock:
        if store_name not in ctx.stores:
            backend = {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir / RESULTS_FOLDER)}
            ctx.add_store(store_name, {"class_name": "ValidationResultsStore", "store_backend": backend})
            ctx.add_data_docs_site(
                site_name,
                {
                    "class_name": "SiteBuilder",
                    "show_how_to_buttons": False,
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                    "site_index_builder": {
                        "class_name": "DefaultSiteIndexBuilder",
                        "validation_results_limit": INDEX_RESULT_LIMIT,
                    },
                    "site_section_builders": {
                        "validations": {"source_store_name": store_name},
                        "profiling": "None",
                    },
                },
            )
    return site_name, ctx.stores[store_name]


def _free_key(store, suite_id, run_id, batch_label: str):
    """A result key not used yet; two batches of one feed-day in one run keep both pages."""
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier

    for n in range(1, 1000):
        label = batch_label if n == 1 else f"{batch_label}-{n}"
        key = ValidationResultIdentifier(expectation_suite_identifier=suite_id, run_id=run_id, batch_identifier=label)
        if not store.has_key(key):
            return key
    raise RuntimeError(f"too many results for {batch_label} in one run")


def summary_rows(results: Iterable[GateResult]) -> list[dict]:
    """Per batch: table, feed, date, rows in, passed (clean), quarantined, rejected, failed rules."""
    return [r.summary for r in results]


def summary_markdown(results: Iterable[GateResult], docs_index: Path | None = None) -> str:
    """The validation summary for a Prefect artifact: one line per table and feed-day."""
    return summaries_markdown(summary_rows(results), docs_index)


def summaries_markdown(summaries: Iterable[dict], docs_index: str | Path | None = None) -> str:
    """A markdown table of validation summaries (GateResult.summary dicts), readable in the Prefect UI
    itself; the Data Docs' place follows as a path (a browser will not open file:// from the UI)."""
    lines = [
        "| table | feed | date | rows | passed | quarantined | rejected | failed rules |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for s in summaries:
        rules = ", ".join(f"{rule} ({n})" for rule, n in s["failed_rules"].items()) or "-"
        if s["rejected_by"]:
            rules += " — **rejected by " + ", ".join(s["rejected_by"]) + "**"
        lines.append(
            f"| {s['table']} | {s['feed']} | {s['snapshot_date']} | {s['rows_in']} | {s['rows_clean']} "
            f"| {s['rows_quarantined']} | {s['rows_rejected']} | {rules} |"
        )
    if docs_index is not None:
        where = str(docs_index) if "://" in str(docs_index) else str(Path(docs_index).resolve())
        uri = where if "://" in where else Path(where).as_uri()
        lines.append(f"\nEvery expectation of each batch, in Great Expectations Data Docs (offline pages, on the machine "
                     f"that ran the flow): `{where}` ([{uri}]({uri}))")
    return "\n".join(lines)
