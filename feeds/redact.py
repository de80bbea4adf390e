"""Configured secrets never leave the process: not in printed lines, logs, artifacts or exceptions.

A server may echo the request's headers in an error body (debug endpoints, some proxies), and that
body is quoted in the error a feed-day fails with, which is printed, logged and stored by Prefect.
Every secret a client is configured with is registered here; `redact` replaces it wherever it
appears, and a logging filter does the same for every record, whoever logs it.
"""

from __future__ import annotations

import logging
import threading

MASK = "[redacted]"
# Shorter values could be ordinary words; no real token is this short.
MIN_SECRET_CHARS = 6

_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    if value and len(value.strip()) >= MIN_SECRET_CHARS:
        with _lock:
            _secrets.add(value.strip())
        install_log_filter()


def redact(text: str) -> str:
    if not _secrets or not isinstance(text, str):
        return text
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with every registered secret masked (message and arguments alike)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            try:
                message = record.getMessage()
            except Exception:  # a malformed record is logging's problem, not a leak
                return True
            cleaned = redact(message)
            if cleaned != message or record.args:
                record.msg, record.args = cleaned, None
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactingFilter()


def install_log_filter() -> None:
    """On every handler of the root logger and of Prefect's loggers (handlers see records of child loggers)."""
    names = ["", "prefect", "prefect.flow_runs", "prefect.task_runs"]
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
