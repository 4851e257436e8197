"""Asana webhook secrets that nobody else can replace: one per webhook, taken only from our own registrations.

`accountbot setup asana` registers a webhook per delivery project with a target URL of its
own (`/webhooks/asana?hook=<nonce>`) and records the pending registration first; Asana's
handshake for that target arrives at `serve` while the registration is under way, and only
then is its secret kept, under that nonce. A handshake nobody is waiting for is refused,
except the very first one when no secret is stored at all (a webhook registered by hand).
A delivery is checked against its own webhook's secret; one that matches none gets 401.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Final

log = logging.getLogger(__name__)

PENDING: Final = "asana-hook-pending:"  # nonce -> when the registration window closes
SECRET: Final = "asana-hook-secret:"  # nonce -> the handshake's secret
PROJECT: Final = "asana-hook-project:"  # project gid -> "webhook gid|nonce"
LEGACY: Final = "asana:hook-secret"  # the single secret of a webhook registered by hand
WINDOW: Final = 60.0  # seconds a registration waits for its handshake


@dataclass
class Registration:
    """What `setup asana` did: projects with a webhook already, newly registered, and failures in words."""

    existing: list[str] = field(default_factory=list)
    registered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


class AsanaHookSecrets:
    """Handshakes and secrets of the Asana webhooks, kept in the store (shared by every process)."""

    def __init__(self, store: Any, env_secret: str | None = None) -> None:
        self.store = store
        self.env_secret = env_secret

    async def handshake(self, hook: str | None, secret: str) -> bool:
        """Keep `secret` if this handshake answers a registration we are making (or is the very first)."""
        if hook:
            closes = await self.store.get_sync(PENDING + hook)
            if closes is None or float(closes) < time.time() or await self.store.get_sync(SECRET + hook):
                log.warning("Asana handshake for %r refused: no registration of ours is waiting for it", hook)
                return False
            await self.store.set_sync(SECRET + hook, secret)
            await self.store.delete_sync(PENDING + hook)
            return True
        if self.env_secret or await self.store.get_sync(LEGACY) or await self.store.syncs_with_prefix(SECRET):
            log.warning(
                "Asana handshake refused: a webhook secret is already held (register webhooks with "
                "`accountbot setup asana`)"
            )
            return False
        await self.store.set_sync(LEGACY, secret)
        return True

    async def secret_for(self, hook: str | None) -> str | None:
        """The secret a delivery to this target must be signed with (None: nothing can verify it)."""
        if hook:
            return await self.store.get_sync(SECRET + hook)
        return self.env_secret or await self.store.get_sync(LEGACY)

    async def register(self, asana: Any, public_url: str, project_gids: list[str]) -> Registration:
        """A webhook on each project that has none of ours yet; its secret arrives through `serve`."""
        result = Registration()
        ours = {w.resource_gid for w in await asana.webhooks() if w.active and w.target.startswith(public_url)}
        for gid in project_gids:
            if gid in ours:
                result.existing.append(gid)
                continue
            nonce = secrets.token_urlsafe(16)
            await self.store.set_sync(PENDING + nonce, str(time.time() + WINDOW))
            try:
                hook = await asana.create_webhook(gid, f"{public_url.rstrip('/')}/webhooks/asana?hook={nonce}")
            except Exception as exc:  # the handshake failed, the project is gone, ...
                await self.store.delete_sync(PENDING + nonce)
                result.failed[gid] = getattr(exc, "message", None) or str(exc)
                continue
            if not await self.store.get_sync(SECRET + nonce):
                result.failed[gid] = "Asana made the webhook but its handshake never reached serve"
                await asana.delete_webhook(hook.gid)
                continue
            await self.store.set_sync(PROJECT + gid, f"{hook.gid}|{nonce}")
            result.registered.append(gid)
        return result

    async def registered(self) -> int:
        """How many webhooks have a secret of ours (for doctor)."""
        return len(await self.store.syncs_with_prefix(SECRET)) + (1 if await self.store.get_sync(LEGACY) else 0)
