"""The $PAPERLAKE_HTTP_* knobs: only those set are turned, and a bad value names its variable."""

from __future__ import annotations

import pytest

from feeds.http_settings import settings_from_env
from tests.feeds.replay_fixtures import FAST


def test_settings_from_env_turns_only_the_knobs_that_are_set():
    environ = {"PAPERLAKE_HTTP_BACKOFF_SECONDS": "0.01", "PAPERLAKE_HTTP_MAX_RESPONSE_BYTES": "1000", "PAPERLAKE_HTTP_MAX_ATTEMPTS": ""}
    settings = settings_from_env(environ, FAST)
    assert (settings.backoff_seconds, settings.max_response_bytes, settings.max_attempts) == (0.01, 1000, FAST.max_attempts)
    with pytest.raises(ValueError, match=r"\$PAPERLAKE_HTTP_MAX_ATTEMPTS must be an integer, not 'many'"):
        settings_from_env({"PAPERLAKE_HTTP_MAX_ATTEMPTS": "many"})
