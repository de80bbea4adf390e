"""Feeds: one module per source, each with the same small interface (see feeds.base)."""
