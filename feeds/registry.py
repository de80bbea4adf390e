"""The live feeds paperlake can fetch, by name. A feed module exposes FEED, SETTLING, settling_of() and from_env()."""

from __future__ import annotations

import importlib
import os
from typing import Mapping

from feeds.settling import Settling

LIVE_FEEDS = ("hf_daily", "arxiv")


def open_feed(name: str, **options):
    """The feed `name`, configured from the environment (base URL, token, categories, settle period);
    `options` go to the feed (a `clock`, a page size)."""
    return _feed_module(name).from_env(**options)


def settling_of(name: str, environ: Mapping[str, str] = os.environ) -> Settling:
    """How feed `name`'s days settle, with its $PAPERLAKE_*_SETTLE_DAYS override; opens no connection."""
    return _feed_module(name).settling_of(environ)


def max_load_day_count(name: str) -> int | None:
    """The most days of feed `name` a backfill loads together (None: bounded by bytes alone)."""
    return getattr(_feed_module(name), "MAX_LOAD_DAY_COUNT", None)


def parse_feed_names(value: str | None) -> list[str]:
    """`hf_daily,arxiv` -> ['hf_daily', 'arxiv'], checked; None -> every live feed."""
    if not value:
        return list(LIVE_FEEDS)
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in LIVE_FEEDS]
    if unknown:
        raise ValueError(f"unknown feed(s) {', '.join(unknown)}; the live feeds are: {', '.join(LIVE_FEEDS)}")
    return names


def _feed_module(name: str):
    if name not in LIVE_FEEDS:
        raise ValueError(f"unknown feed {name!r}; the live feeds are: {', '.join(LIVE_FEEDS)}")
    return importlib.import_module(f"feeds.{name}")
