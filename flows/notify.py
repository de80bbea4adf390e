"""Where digests go: Prefect notification blocks (Slack, email, a generic webhook, ...).

A watch names its block as `block-type-slug/block-name`, the form `Block.load` takes, so any
notification block a person made in the Prefect UI works. `--webhook URL` makes a Custom Webhook
block for the watch, named `paperlake-watch-NAME`, that POSTs JSON: `text` (subject, then body, the
field Slack-compatible receivers read), `subject`, `body` and `watch`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

WEBHOOK_BLOCK_SLUG = "custom-webhook"
WEBHOOK_TIMEOUT_SECONDS = 20.0


class BlockError(ValueError):
    """A notification block that is not there, or a webhook URL that cannot be one."""


def webhook_block_name(watch_name: str) -> str:
    return f"paperlake-watch-{watch_name}"


def checked_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockError(f"--webhook {url!r} is not an http:// or https:// URL with a host")
    return url.strip()


def save_webhook_block(watch_name: str, url: str) -> str:
    """A Custom Webhook block posting digests of `watch_name` to `url`; returns its `slug/name`."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    name = webhook_block_name(watch_name)
    block = CustomWebhookNotificationBlock(
        name=name,
        url=checked_url(url),
        method="POST",
        json_data={"text": "{{subject}}\n{{body}}", "subject": "{{subject}}", "body": "{{body}}", "watch": watch_name},
        timeout=WEBHOOK_TIMEOUT_SECONDS,
    )
    block.save(name, overwrite=True)
    return f"{WEBHOOK_BLOCK_SLUG}/{name}"


def resolve_block(reference: str) -> str:
    """`slug/name`, or a bare block name, of an existing notification block -> its `slug/name`."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        documents = [d for d in client.read_block_documents() if d.name and not d.is_anonymous]
    notifiers = {
        f"{d.block_type.slug}/{d.name}": d for d in documents
        if d.block_type and "notify" in (d.block_schema.capabilities if d.block_schema else [])
    }
    if "/" in reference:
        if reference in notifiers:
            return reference
        found = []
    else:
        found = [ref for ref in notifiers if ref.split("/", 1)[1] == reference]
        if len(found) == 1:
            return found[0]
    known = ", ".join(sorted(notifiers)) or "none (make one in the Prefect UI, or use --webhook URL)"
    if len(found) > 1:
        raise BlockError(f"several notification blocks are named {reference!r}: give one of {', '.join(sorted(found))}")
    raise BlockError(f"no Prefect notification block {reference!r}; the notification blocks are: {known}")


def send(reference: str, subject: str, body: str) -> None:
    """Send through the block; raises when it could not (an HTTP error, a refused connection)."""
    from prefect.blocks.abstract import NotificationBlock
    from prefect.blocks.core import Block

    block = Block.load(reference)
    if not isinstance(block, NotificationBlock):
        raise BlockError(f"block {reference!r} is not a notification block")
    with block.raise_on_failure():
        block.notify(body, subject)
