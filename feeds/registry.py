"""The live feeds paperlake can fetch, by name. A feed module exposes FEED and from_env()."""

from __future__ import annotations

import importlib

LIVE_FEEDS = ("hf_daily", "arxiv")


def open_feed(name: str, **options):
    """The feed `name`, configured from the environment (base URL, token, categories); `options` go to
    the feed (a `clock`, a page size)."""
    if name not in LIVE_FEEDS:
        raise ValueError(f"unknown feed {name!r}; the live feeds are: {', '.join(LIVE_FEEDS)}")
    return importlib.import_module(f"feeds.{name}").from_env(**options)


def parse_feed_names(value: str | None) -> list[str]:
    """`hf_daily,arxiv` -> ['hf_daily', 'arxiv'], checked; None -> every live feed."""
    if not value:
        return list(LIVE_FEEDS)
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in LIVE_FEEDS]
    if unknown:
        raise ValueError(f"unknown feed(s) {', '.join(unknown)}; the live feeds are: {', '.join(LIVE_FEEDS)}")
    return names
