"""Posts to a response_url outside a listener's `respond` (e.g. after a modal, which has none)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.webhook.async_client import AsyncWebhookClient

log = logging.getLogger(__name__)


async def replace_message(response_url: str, payload: dict[str, Any]) -> bool:
    """Replace the message a response_url belongs to; False (logged) when Slack refused."""
    response = await AsyncWebhookClient(response_url).send_dict({**payload, "replace_original": True})
    if response.status_code != 200:
        log.warning("message update failed: %s %s", response.status_code, response.body)
        return False
    return True
