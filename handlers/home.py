"""App Home "My accounts": opened, filtered, paged, the digest switched on or off."""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp

from blocks import ids
from handlers import acked_first, services_of


async def on_home_opened(event: dict[str, Any], client: Any, context: Any) -> None:
    """The Home tab opened: the rep's book."""
    if event.get("tab", "home") == "home":
        await services_of(context).home.show(event["user"], _publisher(client, event["user"]))


async def on_filter(ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any, context: Any) -> None:
    """All / needs attention / upsell moments."""
    await ack()
    user = body["user"]["id"]
    await services_of(context).home.choose_filter(user, action.get("value"), _publisher(client, user))


async def on_page(ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any, context: Any) -> None:
    """Previous / next page."""
    await ack()
    user, meta = body["user"]["id"], _metadata(body)
    await services_of(context).home.show(
        user, _publisher(client, user), filter=meta.get("filter"), page=int(action.get("value") or 0)
    )


async def on_digest(ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any, context: Any) -> None:
    """The weekly digest switch."""
    await ack()
    user, meta = body["user"]["id"], _metadata(body)
    await services_of(context).home.set_digest(
        user,
        action.get("value") != "off",
        _publisher(client, user),
        filter=meta.get("filter"),
        page=int(meta.get("page") or 0),
    )


def register(app: AsyncApp) -> None:
    """app_home_opened and the Home buttons."""
    app.event("app_home_opened")(acked_first(on_home_opened))
    app.action(re.compile(rf"^{ids.HOME_FILTER}"))(acked_first(on_filter))
    app.action(re.compile(rf"^{ids.HOME_PAGE}"))(acked_first(on_page))
    app.action(ids.HOME_DIGEST)(acked_first(on_digest))


def _publisher(client: Any, user_id: str) -> Any:
    """views.publish of this user's Home tab, for the service to call."""
    return partial(_publish, client, user_id)


async def _publish(client: Any, user_id: str, view: dict[str, Any]) -> Any:
    return await client.views_publish(user_id=user_id, view=view)


def _metadata(body: dict[str, Any]) -> dict[str, Any]:
    """The Home view's private_metadata: the filter and page it shows."""
    try:
        return json.loads((body.get("view") or {}).get("private_metadata") or "{}")
    except ValueError:
        return {}
