"""The Asana emulator: the REST API (/api/1.0) as the official SDK sees it.

It enforces what the real service does where the connector touches it: Bearer auth (401),
`limit` 1..100 and opaque `offset` tokens (400), compact records unless `opt_fields` asks
(unknown fields 400), 404 for unknown gids, 403 for what is in a team the token's user is
not in, task search premium-only (402), events sync tokens (412), and the limits of
`sandbox.asana.limits` (429 with Retry-After): `rate_limit` requests per `rate_window`
seconds per token, reads and writes alike (1500/min, a paid domain; set `RATE_LIMIT_FREE`,
150, for a free one), `max_concurrent_reads` (50) and `max_concurrent_writes` (15) in
flight. Writes: project templates and their jobs (`sandbox.asana.templates`), project
updates and custom field settings (`sandbox.asana.writes`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, Final

from aiohttp import web

from sandbox.asana.api import API, Answer
from sandbox.asana.errors import HELP, RATE_LIMITED, AsanaError, RateLimited
from sandbox.asana.fields import OptFieldError, Tree, parse_opt_fields
from sandbox.asana.hooks import AsanaHooks
from sandbox.asana.limits import (
    MAX_CONCURRENT_READS,
    MAX_CONCURRENT_WRITES,
    RATE_LIMIT_FREE,
    RATE_LIMIT_PAID,
    RATE_WINDOW,
    READ_METHODS,
    QuotaWindow,
)
from sandbox.asana.reads import AsanaReads
from sandbox.asana.templates import AsanaTemplates
from sandbox.asana.webhooks import AsanaWebhooks
from sandbox.asana.writes import AsanaWrites
from sandbox.book import ASANA_WORKSPACE_GID, PEOPLE, Account
from sandbox.core import CONTROL_PREFIX, Emulator, bearer_token

__all__ = ["AsanaEmulator", "AsanaError", "RATE_LIMIT_FREE", "RATE_LIMIT_PAID", "SANDBOX_TOKEN"]

SANDBOX_TOKEN: Final = "2/1201994857360011/1209999999999999:sandboxasanatoken"

Handler = Callable[[web.Request, "Tree | None"], Awaitable[Answer]]


class AsanaEmulator(AsanaWebhooks, AsanaHooks, AsanaReads, AsanaWrites, AsanaTemplates, Emulator):
    """Asana on loopback, seeded with one project per account of the book, and a template."""

    name = "asana"

    def __init__(self, accounts: Sequence[Account], *, today: date | None = None) -> None:
        Emulator.__init__(self, today)
        self.tokens: dict[str, str] = {SANDBOX_TOKEN: PEOPLE[0].asana_gid}  # token -> user gid
        self.rate_limit = RATE_LIMIT_PAID  # requests per `rate_window` seconds per token, writes included
        self.rate_window = RATE_WINDOW
        self.max_concurrent_reads = MAX_CONCURRENT_READS  # GETs in flight (one token in the sandbox)
        self.max_concurrent_writes = MAX_CONCURRENT_WRITES  # POST/PUT/PATCH/DELETE in flight
        self.rate_clock: Callable[[], float] = time.monotonic  # tests move it instead of sleeping
        self._window = QuotaWindow(self.rate_limit, self.rate_window, self.rate_clock)
        self._in_flight = {"read": 0, "write": 0}
        self._init_api()
        self._init_hooks()
        self._seed(accounts)
        self._seed_templates()

    def env(self) -> dict[str, str]:
        """The variables that point accountbot at this emulator (project-on-close configured)."""
        return {
            "ASANA_ACCESS_TOKEN": SANDBOX_TOKEN,
            "ASANA_WORKSPACE_GID": ASANA_WORKSPACE_GID,
            "ASANA_BASE_URL": self.base_url + API,
            "ASANA_TEAM_GID": self.team_gid,
            "ASANA_PROJECT_TEMPLATE_GID": self.template_gid,
        }

    def error_response(self, status: int, message: str, **extra: Any) -> web.Response:
        """Asana's envelope: {"errors": [{"message", "help"}], ...}."""
        return web.json_response({"errors": [{"message": message, "help": HELP}], **extra}, status=status)

    def rate_limited_response(self, retry_after: float) -> web.Response:
        """429 with Retry-After and the sentence of Asana's rate-limit page."""
        response = self.error_response(429, RATE_LIMITED)
        response.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
        return response

    # -- routes -------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """The base app, with the in-flight count outermost (so injected latency counts too)."""
        app = super().build_app()
        app.middlewares.insert(0, self._count_in_flight)
        return app

    @web.middleware
    async def _count_in_flight(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        kind = "read" if request.method in READ_METHODS else "write"
        self._in_flight[kind] += 1
        try:
            return await handler(request)
        finally:
            self._in_flight[kind] -= 1

    def add_routes(self, app: web.Application) -> None:
        gets: dict[str, Handler] = {
            "/users/me": self._me,
            "/users/{gid}": self._user_one,
            "/users/{gid}/teams": self._user_teams,
            "/workspaces/{gid}": self._workspace,
            "/workspaces/{gid}/projects": self._workspace_projects,
            "/workspaces/{gid}/teams": self._workspace_teams,
            "/workspaces/{gid}/custom_fields": self._workspace_custom_fields,
            "/workspaces/{gid}/tasks/search": self._task_search,
            "/teams/{gid}": self._team,
            "/projects/{gid}": self._project,
            "/projects/{gid}/sections": self._project_sections,
            "/projects/{gid}/tasks": self._project_tasks,
            "/projects/{gid}/custom_field_settings": self._project_settings,
            "/tasks": self._tasks,
            "/tasks/{gid}": self._task,
            "/tasks/{gid}/stories": self._task_stories,
            "/events": self._events,
            "/project_templates": self._templates,
            "/project_templates/{gid}": self._template,
            "/jobs/{gid}": self._job,
        }
        for path, handler in gets.items():
            app.router.add_get(API + path, self._endpoint(handler))
        app.router.add_put(API + "/projects/{gid}", self._endpoint(self._update_project))
        app.router.add_post(API + "/projects/{gid}/addCustomFieldSetting", self._endpoint(self._add_setting_route))
        app.router.add_post(
            API + "/project_templates/{gid}/instantiateProject", self._endpoint(self._instantiate_project)
        )
        self.hook_routes(app, self._endpoint)

    def _endpoint(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def run(request: web.Request) -> web.Response:
            token = bearer_token(request)
            if token is None or token not in self.tokens:
                return self.error_response(401, "Not Authorized")
            window = self._window
            if (window.limit, window.window, window.clock) != (self.rate_limit, self.rate_window, self.rate_clock):
                self._window = QuotaWindow(self.rate_limit, self.rate_window, self.rate_clock)
            wait = self._window.hit(token)
            if wait is not None:
                return self.rate_limited_response(wait)
            if request.method in READ_METHODS:
                crowded = self._in_flight["read"] > self.max_concurrent_reads
            else:
                crowded = self._in_flight["write"] > self.max_concurrent_writes
            if crowded:
                return self.rate_limited_response(1)
            self.advance_jobs()
            try:
                fields = parse_opt_fields(request.query.get("opt_fields"))
                answer = await handler(request, fields)
            except OptFieldError as exc:
                return self.error_response(400, f"opt_fields: Unknown field: {exc}")
            except RateLimited as exc:
                return self.rate_limited_response(exc.retry_after)
            except AsanaError as exc:
                return self.error_response(exc.status, exc.message, **exc.extra)
            status, body = answer if isinstance(answer, tuple) else (200, answer)
            return web.json_response(body, status=status)

        return run
