"""What the HubSpot emulator's request handlers share: the error type and request/response helpers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from sandbox.hubspot.data import ALIASES, iso


class ApiError(Exception):
    """Answer with HubSpot's error envelope."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def object_type(name: str) -> str:
    """The canonical object type of a path segment (`deals`, `deal`, `0-3`); 400 when unknown."""
    type_ = ALIASES.get(name.lower())
    if type_ is None:
        raise ApiError(400, f"Unable to infer object type from: {name}")
    return type_


async def read_json(request: web.Request) -> Any:
    """The request body as JSON; 400 in HubSpot's words when it is not JSON."""
    try:
        return json.loads(await request.text() or "null")
    except ValueError as exc:
        raise ApiError(400, f"Invalid input JSON on line 1: {exc}") from None


def batch_body(results: list, errors: list[dict] | None = None) -> dict[str, Any]:
    """A batch answer: status COMPLETE, results, and numErrors/errors when some inputs failed."""
    stamp = iso(datetime.now(UTC))
    body: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": stamp, "completedAt": stamp}
    if errors:
        body.update(numErrors=len(errors), errors=errors)
    return body


def batch_inputs(body: Any, limit: int, what: str = "{id}") -> list[dict]:
    """The `inputs` list of a batch request: each an object, at most `limit` of them."""
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise ApiError(400, f"inputs must be a list of {what}")
    if len(inputs) > limit:
        raise ApiError(400, f"Batch input size {len(inputs)} exceeds the limit of {limit}")
    return inputs
