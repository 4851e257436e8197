"""Asana webhooks of the delivery projects: create (Asana handshakes with the target meanwhile), list, delete."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asana

if TYPE_CHECKING:
    from connectors.runtime import Runner


@dataclass(frozen=True)
class Webhook:
    """A webhook Asana holds: on which resource, to which target."""

    gid: str
    resource_gid: str
    target: str
    active: bool


class AsanaWebhookApi:
    """`create_webhook`, `webhooks`, `delete_webhook` (mixed into AsanaConnector)."""

    if TYPE_CHECKING:  # provided by AsanaConnector
        runner: Runner
        workspace_gid: str
        _client: Any

        async def _call(self, method: Callable[..., Any], *args: Any, opts: dict[str, Any]) -> dict[str, Any]: ...

        async def _list(self, method: Callable[..., Any], *args: Any, fields: str) -> list[dict[str, Any]]: ...

    @property
    def _webhooks_api(self) -> Any:
        api = getattr(self, "_hooks_sdk", None)
        if api is None:
            api = self._hooks_sdk = asana.WebhooksApi(self._client)
        return api

    async def create_webhook(self, resource_gid: str, target: str) -> Webhook:
        """Register a webhook; Asana's handshake reaches `target` before this returns."""
        body = {"data": {"resource": resource_gid, "target": target}}
        page = await self._call(self._webhooks_api.create_webhook, body, opts={})
        return _webhook(page.get("data") or {})

    async def webhooks(self) -> list[Webhook]:
        """Every webhook of the workspace this token made."""
        found = await self._list(self._webhooks_api.get_webhooks, self.workspace_gid, fields="resource,target,active")
        return [_webhook(item) for item in found]

    async def delete_webhook(self, webhook_gid: str) -> None:
        """Remove a webhook."""
        await self._call(self._webhooks_api.delete_webhook, webhook_gid, opts={})


def _webhook(item: dict[str, Any]) -> Webhook:
    return Webhook(
        str(item.get("gid") or ""),
        str((item.get("resource") or {}).get("gid") or ""),
        str(item.get("target") or ""),
        bool(item.get("active", True)),
    )
