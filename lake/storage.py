"""Storage options for a lake on object storage (`s3://bucket/prefix`), resolved in one place.

Where they come from, later ones winning:
1. the standard AWS variables in the environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...);
2. a Prefect Secret block named by $PAPERLAKE_STORAGE_SECRET holding a JSON object of options
   (so keys need not sit in a deployment's environment);
3. `--storage-option KEY=VALUE` pairs given to the command.

Delta on S3 stays safe under concurrent writers only if a commit cannot overwrite another's:
delta-rs writes each `_delta_log/NNN.json` with a conditional put (If-None-Match), which
`AWS_CONDITIONAL_PUT=etag` turns on. That is the default here, and the "unsafe rename" escape
hatch, which silently loses commits when two runs overlap, is refused.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Iterable, Mapping

SECRET_BLOCK_ENV = "PAPERLAKE_STORAGE_SECRET"
OBJECT_STORE_SCHEMES = ("s3://", "s3a://")
# The AWS variables delta-rs and Polars understand; anything else in the environment stays out.
AWS_ENV_KEYS = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ALLOW_HTTP",
    "AWS_CONDITIONAL_PUT",
    "AWS_PROFILE",
    "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
)
SAFE_COMMITS = {"AWS_CONDITIONAL_PUT": "etag"}
UNSAFE_RENAME_KEYS = ("AWS_S3_ALLOW_UNSAFE_RENAME", "aws_s3_allow_unsafe_rename", "allow_unsafe_rename")

# `--storage-option` pairs of this process: set once by the command line, read by every Lake the
# command opens, flows included (they run in the same process and take only the lake's URI, so
# keys never become flow parameters that Prefect would store).
_command_options: dict[str, str] = {}


class StorageOptionError(ValueError):
    pass


def is_object_store(uri: str) -> bool:
    return uri.lower().startswith(OBJECT_STORE_SCHEMES)


def parse_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """`KEY=VALUE` strings -> a dict; the value may itself hold `=`."""
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise StorageOptionError(f"--storage-option takes KEY=VALUE, not {pair!r}")
        options[key.strip()] = value
    return options


def set_command_options(options: Mapping[str, str]) -> None:
    _command_options.clear()
    _command_options.update(options)


def options_for(uri: str, environ: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """The storage options a lake at `uri` is opened with; None for a local folder."""
    if not is_object_store(uri):
        return dict(_command_options) or None
    environ = os.environ if environ is None else environ
    options = {key: environ[key] for key in AWS_ENV_KEYS if environ.get(key)}
    options.update(_secret_block_options(environ.get(SECRET_BLOCK_ENV, "").strip()))
    options.update(_command_options)
    _refuse_unsafe_rename(options, environ)
    return {**SAFE_COMMITS, **options} if not _names_conditional_put(options) else options


def _names_conditional_put(options: Mapping[str, str]) -> bool:
    return any(key.lower() in ("aws_conditional_put", "conditional_put") for key in options)


def _refuse_unsafe_rename(options: Mapping[str, str], environ: Mapping[str, str]) -> None:
    set_in = [key for key in UNSAFE_RENAME_KEYS if str(options.get(key, environ.get(key, ""))).lower() == "true"]
    if set_in:
        raise StorageOptionError(
            f"{set_in[0]}=true lets two runs overwrite each other's commits; paperlake commits with "
            "conditional writes (AWS_CONDITIONAL_PUT=etag) instead: unset it"
        )


def _secret_block_options(block_name: str) -> dict[str, str]:
    return dict(_load_secret_block(block_name)) if block_name else {}


@lru_cache(maxsize=4)
def _load_secret_block(block_name: str) -> tuple[tuple[str, str], ...]:
    """Options kept in a Prefect Secret block (a JSON object), read once per process.

    Prefect is imported only when a block is named, so reading a lake stays fast.
    """
    from prefect.blocks.system import Secret

    value = Secret.load(block_name).get()
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise StorageOptionError(f"Prefect Secret block {block_name!r} must hold a JSON object of storage options")
    return tuple((str(key), str(item)) for key, item in value.items())
