"""Where things live: re-exported from `settings`, the bottom-level package, so existing callers keep working.

lake/ and feeds/ import from `settings` directly; this module is for the CLI and older callers.
"""

from settings import (  # noqa: F401
    DEFAULT_LAKE_URI,
    DOCS_ENV,
    LAKE_ENV,
    LakeUri,
    lake_uri_of,
    quiet_prefect_defaults,
    resolve_lake_uri,
    validation_docs_dir,
)
