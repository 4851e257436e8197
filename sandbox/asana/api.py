"""What every Asana handler shares: the caller, paging, single records, lookups with visibility,
request bodies, and the opaque tokens (offsets, sync) the emulator signs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any, Final

from aiohttp import web

from sandbox.asana.data import AsanaData
from sandbox.asana.errors import AsanaError, missing
from sandbox.asana.fields import Tree, check, render
from sandbox.asana.records import ProjectRec
from sandbox.core import bearer_token

API: Final = "/api/1.0"
TOP_LEVEL_KEYS: Final = ("data", "options")

Answer = dict[str, Any] | tuple[int, dict[str, Any]]  # a body (200), or (status, body)


class AsanaApi(AsanaData):
    """Helpers of the handlers; mixed into AsanaEmulator with the resource mixins."""

    tokens: dict[str, str]  # token -> user gid
    base_url: str

    def _init_api(self) -> None:
        self._secret = secrets.token_bytes(16)  # signs offset and sync tokens (stateless, opaque)

    def _caller(self, request: web.Request) -> str:
        """The gid of the user whose token made the request (auth was checked before)."""
        return self.tokens[bearer_token(request) or ""]

    def _one(self, kind: str, value: dict[str, Any], fields: Tree | None) -> dict[str, Any]:
        check(kind, fields)
        return {"data": render(kind, value, fields, full=True)}

    def _page(
        self,
        request: web.Request,
        kind: str,
        items: list[Any],
        fields: Tree | None,
        view: Callable[[Any], dict[str, Any]],
    ) -> dict[str, Any]:
        """One page of a list, with Asana's `limit` / `offset` rules and `next_page`."""
        check(kind, fields)
        raw_limit, offset = request.query.get("limit"), request.query.get("offset")
        if raw_limit is None:
            if offset is not None:
                raise AsanaError(400, "offset: You must specify a limit to use pagination.")
            if len(items) > 100:
                raise AsanaError(
                    400, "The result is too large. You should use pagination (may require specifying a limit)."
                )
            return {"data": [render(kind, view(i), fields) for i in items]}
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
            raise AsanaError(400, "limit: Must be an integer between 1 and 100.")
        limit, start = int(raw_limit), 0
        if offset is not None:
            entry = self._unsign(offset)
            if entry is None or entry.get("path") != request.path:
                raise AsanaError(400, "offset: Your pagination token is invalid.")
            start = int(entry["at"])
        chunk = items[start : start + limit]
        next_page = None
        if start + limit < len(items):
            token = self._sign({"path": request.path, "at": start + limit})
            path = request.path[len(API) :] + f"?limit={limit}&offset={token}"
            next_page = {"offset": token, "path": path, "uri": self.base_url + API + path}
        return {"data": [render(kind, view(i), fields) for i in chunk], "next_page": next_page}

    def _find(self, table: dict[str, Any], kind: str, gid: str) -> Any:
        """The record `gid` of a path parameter: 400 if not a number, 404 if unknown."""
        if not gid.isdigit():
            raise AsanaError(400, f"{kind}: Not a Long: {gid}")
        if gid not in table:
            raise AsanaError(404, f"{kind}: Unknown object: {gid}")
        return table[gid]

    def _project_for(self, request: web.Request, gid: str) -> ProjectRec:
        """The project of a path parameter, 403 when it is in a team the caller is not in."""
        project: ProjectRec = self._find(self.projects, "project", gid)
        if not self.visible(project, self._caller(request)):
            raise AsanaError(403, "You do not have access to this project.")
        return project

    def _workspace_gid(self, gid: str) -> None:
        if gid != self.workspace["gid"]:
            self._find({}, "workspace", gid)

    async def _data(self, request: web.Request) -> dict[str, Any]:
        """The `data` object of a JSON write body.

        Not JSON: Asana's words. A stray top-level key and a missing `data` object: the
        wording is *unconfirmed* (reports quote the first; the second follows "x: Missing input").
        """
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            raise AsanaError(400, "Could not parse request data, invalid JSON") from None
        if not isinstance(body, dict):
            raise AsanaError(400, "Could not parse request data, invalid JSON")
        for key in body:
            if key not in TOP_LEVEL_KEYS:
                raise AsanaError(
                    400,
                    f"Unrecognized request field '{key}'. The only allowed keys at the "
                    f"top level are: {', '.join(TOP_LEVEL_KEYS)}.",
                )
        data = body.get("data")
        if not isinstance(data, dict):
            raise missing("data")
        return data

    # -- opaque tokens --------------------------------------------------------------------

    def _sign(self, payload: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
        mac = hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:24]
        return f"{body}.{mac}"

    def _unsign(self, token: str) -> dict[str, Any] | None:
        """The payload of a token this emulator issued, or None for anything else."""
        body, _, mac = token.partition(".")
        if not hmac.compare_digest(mac, hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:24]):
            return None
        try:
            value = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
