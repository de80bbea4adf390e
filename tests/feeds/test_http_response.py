"""What a failed fetch says, and that it survives the trip through Prefect's pickling."""

from __future__ import annotations

import pickle
from datetime import date

from feeds.http_response import FetchError

DAY = date(2024, 3, 11)


def test_fetch_error_survives_pickling():
    error = FetchError("arxiv", DAY, "http://127.0.0.1/api/query", "arXiv API error: bad query", 200)
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) == "arxiv 2024-03-11: arXiv API error: bad query (HTTP 200) GET http://127.0.0.1/api/query"
