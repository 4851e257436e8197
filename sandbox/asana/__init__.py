"""The Asana emulator: the REST API (/api/1.0) as the official SDK sees it.

It enforces what the real service does where the connector touches it: Bearer auth (401),
`limit` 1..100 and opaque `offset` tokens (400), compact records unless `opt_fields` asks
(unknown fields 400), 404 for unknown gids, 1500 requests/min and 50 concurrent reads per
token (429 with Retry-After), task search premium-only (402), events sync tokens (412).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import date, datetime, timezone
from typing import Any, Awaitable, Callable, Final, Sequence

from aiohttp import web

from sandbox.asana.data import AsanaData, ProjectRec, TaskRec
from sandbox.asana.fields import OptFieldError, Tree, check, parse_opt_fields, render
from sandbox.asana.webhooks import AsanaWebhooks
from sandbox.book import ASANA_WORKSPACE_GID, PEOPLE, Account
from sandbox.core import Emulator, RateWindow, bearer_token

API: Final = "/api/1.0"
HELP: Final = ("For more information on API status codes and how to handle them, "
               "read the docs on errors: https://developers.asana.com/docs/errors")
SANDBOX_TOKEN: Final = "2/1201994857360011/1209999999999999:sandboxasanatoken"
EVENTS_PAGE: Final = 100


class AsanaError(Exception):
    """Answer with `status` and Asana's error envelope."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


Handler = Callable[[web.Request, "Tree | None"], Awaitable[dict[str, Any]]]


class AsanaEmulator(AsanaWebhooks, AsanaData, Emulator):
    """Asana on loopback, seeded with one project per account of the book."""

    name = "asana"

    def __init__(self, accounts: Sequence[Account], *, today: date | None = None) -> None:
        Emulator.__init__(self, today)
        self.tokens: dict[str, str] = {SANDBOX_TOKEN: PEOPLE[0].asana_gid}  # token -> user gid
        self.rate_limit = 1500  # requests per `rate_window` seconds per token
        self.rate_window = 60.0
        self.max_concurrent_reads = 50  # concurrent requests (one token in the sandbox)
        self._window = RateWindow(self.rate_limit, self.rate_window)
        self._secret = secrets.token_bytes(16)  # signs offset and sync tokens (stateless, opaque)
        self._seed(accounts)

    def env(self) -> dict[str, str]:
        """The variables that point accountbot at this emulator."""
        return {"ASANA_ACCESS_TOKEN": SANDBOX_TOKEN, "ASANA_WORKSPACE_GID": ASANA_WORKSPACE_GID,
                "ASANA_BASE_URL": self.base_url + API}

    def error_response(self, status: int, message: str, **extra: Any) -> web.Response:
        """Asana's envelope: {"errors": [{"message", "help"}], ...}."""
        return web.json_response({"errors": [{"message": message, "help": HELP}], **extra}, status=status)

    # -- routes -------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        routes: dict[str, Handler] = {
            "/users/me": self._me,
            "/users/{gid}": self._user_one,
            "/workspaces/{gid}": self._workspace,
            "/workspaces/{gid}/projects": self._workspace_projects,
            "/workspaces/{gid}/tasks/search": self._task_search,
            "/projects/{gid}": self._project,
            "/projects/{gid}/sections": self._project_sections,
            "/projects/{gid}/tasks": self._project_tasks,
            "/tasks": self._tasks,
            "/tasks/{gid}": self._task,
            "/tasks/{gid}/stories": self._task_stories,
            "/events": self._events,
        }
        for path, handler in routes.items():
            app.router.add_get(API + path, self._endpoint(handler))

    def _endpoint(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def run(request: web.Request) -> web.Response:
            token = bearer_token(request)
            if token is None or token not in self.tokens:
                return self.error_response(401, "Not Authorized")
            if self._window.limit != self.rate_limit or self._window.window != self.rate_window:
                self._window = RateWindow(self.rate_limit, self.rate_window)
            wait = self._window.hit(token)
            if wait is not None:
                return self.rate_limited_response(wait)
            if self.inflight > self.max_concurrent_reads:  # counted by the base, latency included
                return self.rate_limited_response(1)
            try:
                fields = parse_opt_fields(request.query.get("opt_fields"))
                return web.json_response(await handler(request, fields))
            except OptFieldError as exc:
                return self.error_response(400, f"opt_fields: Unknown field: {exc}")
            except AsanaError as exc:
                return self.error_response(exc.status, exc.message, **exc.extra)
        return run

    # -- helpers ------------------------------------------------------------------------

    def _one(self, kind: str, value: dict[str, Any], fields: Tree | None) -> dict[str, Any]:
        check(kind, fields)
        return {"data": render(kind, value, fields, full=True)}

    def _page(self, request: web.Request, kind: str, items: list[Any], fields: Tree | None,
              view: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        """One page of a list, with Asana's `limit` / `offset` rules and `next_page`."""
        check(kind, fields)
        raw_limit, offset = request.query.get("limit"), request.query.get("offset")
        if raw_limit is None:
            if offset is not None:
                raise AsanaError(400, "offset: You must specify a limit to use pagination.")
            if len(items) > 100:
                raise AsanaError(400, "The result is too large. You should use pagination (may require specifying a limit).")
            return {"data": [render(kind, view(i), fields) for i in items]}
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
            raise AsanaError(400, "limit: Must be an integer between 1 and 100.")
        limit, start = int(raw_limit), 0
        if offset is not None:
            entry = self._unsign(offset)
            if entry is None or entry.get("path") != request.path:
                raise AsanaError(400, "offset: Your pagination token is invalid.")
            start = int(entry["at"])
        chunk = items[start:start + limit]
        next_page = None
        if start + limit < len(items):
            token = self._sign({"path": request.path, "at": start + limit})
            path = request.path[len(API):] + f"?limit={limit}&offset={token}"
            next_page = {"offset": token, "path": path, "uri": self.base_url + API + path}
        return {"data": [render(kind, view(i), fields) for i in chunk], "next_page": next_page}

    def _find(self, table: dict[str, Any], kind: str, gid: str) -> Any:
        if not gid.isdigit():
            raise AsanaError(400, f"{kind}: Not a Long: {gid}")
        if gid not in table:
            raise AsanaError(404, f"{kind}: Unknown object: {gid}")
        return table[gid]

    def _workspace_gid(self, gid: str) -> None:
        if gid != self.workspace["gid"]:
            self._find({}, "workspace", gid)

    # -- handlers -----------------------------------------------------------------------

    async def _me(self, request: web.Request, fields: Tree | None) -> dict[str, Any]:
        return self._one("user", self.users[self.tokens[bearer_token(request) or ""]], fields)

    async def _user_one(self, request: web.Request, fields: Tree | None) -> dict[str, Any]:
        return self._one("user", self._find(self.users, "user", request.match_info["gid"]), fields)

    async def _workspace(self, request: web.Request, fields: Tree | None) -> dict[str, Any]:
        self._workspace_gid(request.match_info["gid"])
        return self._one("workspace", self.workspace, fields)

    async def _workspace_projects(self, request: web.Request, fields: Tree | None) -> dict[str, Any]:
        self._workspace_gid(request.match_info["gid"])
        projects = list(self.projects.values())
        archived = request.query.get("archived")
        if archived is not None:
            if archived.lower() not in ("true", "false"):
                raise AsanaError(400, f"archived: Not a boolean: {archived}")
            projects = [p for p in projects if p.archived == (archived.lower() == "true")]
        return self._page(request, "project", projects, fields, self.project_view)

    async def _task_search(self, request: web.Request, fields: Tree | None) -> dict[str, Any]:
        self._workspace_gid(request.match_info["gid"])
        raise AsanaError(402, "Search is only available to premium users.")

    async def _project(self, request: web.Request, fields: Tree | None) -> dict[str, Any]:
        project: ProjectRec = self._find(self.projects, "project", request.match_info["gid"])
        return self._one("project", self.project_view(project), fields)

    async def _project_sections(self, request: web.Request, fields: Tree | None) -> dict[str, Any]:
        project: ProjectRec = self._find(self.projects, "project", request.match_info["gid"])
        return self._page(request, "section", project.sections, fields, self.section_view)

    async def _project_tasks(self, request: web.Request, fields: Tree | None) -> dict[str, Any]:
        return self._list_tasks(request, request.match_info["gid"], fields)

    async def _tasks(self, request: web.Request, fields: Tree | None) -> dict[str, Any]:
        if "project" not in request.query:
            raise AsanaError(400, "Must specify exactly one of project, tag, section, user task list, "
                                  "or assignee + workspace")
        return self._list_tasks(request, request.query["project"], fields)

    def _list_tasks(self, request: web.Request, project_gid: str, fields: Tree | None) -> dict[str, Any]:
        project: ProjectRec = self._find(self.projects, "project", project_gid)
        tasks = self.project_tasks(project.gid)
        since = request.query.get("completed_since")
        if since is not None:  # "now": incomplete tasks only; a time: also those completed since
            cutoff = None
            if since != "now":
                try:
                    cutoff = datetime.fromisoformat(since)
                except ValueError:
                    raise AsanaError(400, f"completed_since: Not a date-time: {since}") from None
                if cutoff.tzinfo is None:
                    cutoff = cutoff.replace(tzinfo=timezone.utc)
            tasks = [t for t in tasks if not t.completed or (
                cutoff is not None and t.completed_at is not None and t.completed_at >= cutoff)]
        return self._page(request, "task", tasks, fields, self.task_view)

    async def _task(self, request: web.Request, fields: Tree | None) -> dict[str, Any]:
        task: TaskRec = self._find(self.tasks, "task", request.match_info["gid"])
        return self._one("task", self.task_view(task), fields)

    async def _task_stories(self, request: web.Request, fields: Tree | None) -> dict[str, Any]:
        task: TaskRec = self._find(self.tasks, "task", request.match_info["gid"])
        return self._page(request, "story", task.stories, fields, lambda s: s)

    async def _events(self, request: web.Request, fields: Tree | None) -> dict[str, Any]:
        """Events on a project or task since the sync token; without a valid one, 412 and a new token."""
        check("event", fields)
        resource = request.query.get("resource", "")
        if not resource:
            raise AsanaError(400, "resource: Missing input")
        if resource not in self.projects and resource not in self.tasks:
            self._find({}, "resource", resource)
        head = self.events[-1][0] if self.events else 0
        entry = self._unsign(request.query.get("sync", ""))
        if entry is None or entry.get("resource") != resource:
            raise AsanaError(412, "Sync token invalid or too old. If you are attempting to keep resources "
                                  "in sync, you must fetch the full dataset for this query now and use the "
                                  "new sync token for the next sync.", sync=self._sign({"resource": resource, "at": head}))
        pending = [(seq, e) for seq, gids, e in self.events if seq > int(entry["at"]) and resource in gids]
        chunk = pending[:EVENTS_PAGE]
        fresh = self._sign({"resource": resource, "at": chunk[-1][0] if chunk else int(entry["at"])})
        return {"data": [render("event", e, fields) for _, e in chunk], "sync": fresh,
                "has_more": len(pending) > EVENTS_PAGE}

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

