"""Webhook registration: `POST /webhooks` with its handshake, `GET /webhooks`, `DELETE /webhooks/{gid}`,
and signed deliveries to each webhook's target.

As Asana does it: in the middle of the POST, Asana sends the target a handshake carrying a
fresh `X-Hook-Secret`; the target must answer 200 or 204 echoing it, else the webhook is not
made and the POST fails. The 201 answer carries the webhook and, beside `data`, the secret.
Every later delivery is signed (X-Hook-Signature, hex HMAC-SHA256 of the body) with that
webhook's own secret. Targets must be https; "localhost" is refused as Asana refuses it. The
sandbox has no public host, so plain http to a loopback address is accepted (a sandbox-only
allowance: the bot's own checks still ask for an https PUBLIC_URL outside the sandbox).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from sandbox.asana.api import Answer, AsanaApi
from sandbox.asana.errors import AsanaError, missing
from sandbox.asana.fields import Tree

HANDSHAKE_TIMEOUT: Final = 10.0
# Wording *unconfirmed*: Asana documents only that a failed handshake fails the POST.
HANDSHAKE_FAILED: Final = "Could not complete the handshake with the target: it did not echo X-Hook-Secret."


@dataclass
class HookRec:
    gid: str
    resource: str
    target: str
    secret: str
    created_at: str
    active: bool = True
    deliveries: list[int] = field(default_factory=list)  # HTTP statuses the target answered


class AsanaHooks(AsanaApi):
    """Webhooks on projects and tasks; mixed into AsanaEmulator."""

    def _init_hooks(self) -> None:
        self.hooks: dict[str, HookRec] = {}

    def hook_routes(self, app: web.Application, endpoint: Any) -> None:
        """Register the webhook endpoints through the emulator's auth/limits wrapper."""
        app.router.add_post("/api/1.0/webhooks", endpoint(self._create_hook))
        app.router.add_get("/api/1.0/webhooks", endpoint(self._list_hooks))
        app.router.add_delete("/api/1.0/webhooks/{gid}", endpoint(self._delete_hook))

    def hooks_on(self, resource_gid: str) -> list[HookRec]:
        """The active webhooks on a project or task."""
        return [h for h in self.hooks.values() if h.resource == resource_gid and h.active]

    async def deliver(self, hook_gid: str, events: list[dict[str, Any]], *, secret: str | None = None) -> int:
        """POST `events` to a webhook's target, signed with its secret (or `secret`, to forge one); the status."""
        hook = self.hooks[hook_gid]
        body = json.dumps({"events": events}, separators=(",", ":")).encode()
        signature = hmac.new((secret or hook.secret).encode(), body, hashlib.sha256).hexdigest()
        async with aiohttp.ClientSession() as http:
            async with http.post(
                hook.target, data=body, headers={"X-Hook-Signature": signature, "Content-Type": "application/json"}
            ) as resp:
                hook.deliveries.append(resp.status)
                return resp.status

    async def _create_hook(self, request: web.Request, fields: Tree | None) -> Answer:
        data = await self._data(request)
        resource, target = data.get("resource"), data.get("target")
        if not resource:
            raise missing("resource")
        if not isinstance(target, str) or not target:
            raise missing("target")
        resource = str(resource)
        if resource in self.projects:
            self._project_for(request, resource)
            name = self.projects[resource].name
        elif resource in self.tasks:
            name = self.tasks[resource].name
        else:
            raise AsanaError(404, f"resource: Unknown object: {resource}")
        _check_target(target)
        if any(h.resource == resource and h.target == target for h in self.hooks_on(resource)):
            raise AsanaError(400, "Duplicate webhook: one already exists for this resource and target.")  # unconfirmed
        secret = secrets.token_hex(32)
        if not await _handshake(target, secret):
            raise AsanaError(400, HANDSHAKE_FAILED)
        gid = self._gid()
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        hook = self.hooks[gid] = HookRec(gid, resource, target, secret, now)
        return 201, {"data": self._hook_view(hook, name), "X-Hook-Secret": secret}

    async def _list_hooks(self, request: web.Request, fields: Tree | None) -> Answer:
        workspace = request.query.get("workspace")
        if not workspace:
            raise missing("workspace")
        self._workspace_gid(workspace)
        wanted = request.query.get("resource")
        hooks = [h for h in self.hooks.values() if h.active and (wanted is None or h.resource == wanted)]
        names = {**{g: p.name for g, p in self.projects.items()}, **{g: t.name for g, t in self.tasks.items()}}
        return self._page(request, "webhook", hooks, fields, lambda h: self._hook_view(h, names.get(h.resource, "")))

    async def _delete_hook(self, request: web.Request, fields: Tree | None) -> Answer:
        hook = self._find(self.hooks, "webhook", request.match_info["gid"])
        hook.active = False
        del self.hooks[hook.gid]
        return {"data": {}}

    @staticmethod
    def _hook_view(hook: HookRec, name: str) -> dict[str, Any]:
        return {
            "gid": hook.gid,
            "resource_type": "webhook",
            "active": hook.active,
            "resource": {"gid": hook.resource, "name": name},
            "target": hook.target,
            "created_at": hook.created_at,
            "last_failure_at": None,
            "last_failure_content": "",
            "last_success_at": None,
            "filters": [],
        }


def _check_target(target: str) -> None:
    """https anywhere, or http on a loopback address (the sandbox); never the name localhost."""
    parts = urlsplit(target)
    host = parts.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        raise AsanaError(403, "Invalid target: localhost is not a valid hostname.")  # wording unconfirmed
    if parts.scheme == "https" and host:
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "http" or not loopback:
        raise AsanaError(400, "target: Must be an https URL.")  # wording unconfirmed


async def _handshake(target: str, secret: str) -> bool:
    """POST the handshake to the target; True when it answered 200/204 echoing the secret."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HANDSHAKE_TIMEOUT)) as http:
            async with http.post(target, data=b"", headers={"X-Hook-Secret": secret}) as resp:
                echoed = resp.headers.get("X-Hook-Secret", "")
                return resp.status in (200, 204) and hmac.compare_digest(echoed, secret)
    except (aiohttp.ClientError, OSError, TimeoutError):
        return False
