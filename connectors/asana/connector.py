"""AsanaConnector: the delivery project that carries the HubSpot deal ID in a text custom field.

No Asana endpoint finds projects by a custom field's value, so the connector indexes every
project of the workspace (in the store, shared by all processes) and reads one project's
sections, tasks and stories per card. Every SDK call goes through the Runner: one call per
page, so each page is rate-limited and retried on its own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any, Final

import asana
import urllib3
from asana.rest import ApiException
from cachetools import LRUCache
from urllib3.util.retry import Retry

from connectors.asana.derive import (
    CHANGE_WINDOW,
    Record,
    completed_on,
    deal_value,
    milestones,
    next_deliverable,
    person,
    phase,
    story_candidates,
    story_changes,
    track_owner,
)
from connectors.asana.hooks import AsanaWebhookApi
from connectors.asana.index import INDEX_FIELDS, SYSTEM, AsanaProjectIndex
from connectors.asana.review import AsanaProjectReview
from connectors.asana.templates import AsanaTemplates
from connectors.errors import (
    ConfigError,
    ConnectorError,
    NotFoundError,
    UnavailableError,
    error_for_status,
    unreachable,
)
from connectors.ports import AsanaStore, BudgetFactory
from connectors.runtime import FIRST_BUILD_WAIT, Policy, Runner, local_budget
from connectors.types import Change, Delivery, Person

log = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://app.asana.com/api/1.0"
# opt_fields go out as comma-separated strings: the SDK sends a list as its Python repr.
PROJECT_FIELDS: Final = INDEX_FIELDS + ",owner.name,owner.email"
SECTION_FIELDS: Final = "name"
TASK_FIELDS: Final = (
    "name,completed,due_on,due_at,assignee.name,resource_subtype,memberships.section.name,"
    "memberships.project.gid,modified_at,completed_at"
)
STORY_FIELDS: Final = "resource_subtype,created_at,created_by.name,old_dates,new_dates,assignee.name"
STORY_KINDS: Final = frozenset({"due_date_changed", "assigned", "unassigned"})
MAX_PAGES: Final = 1000
PROJECT_URL: Final = "https://app.asana.com/0/{gid}/list"


def classify(exc: BaseException) -> ConnectorError | None:
    """Sort an SDK or transport exception into the connector hierarchy."""
    if isinstance(exc, ApiException):
        status = exc.status or 0
        return error_for_status(SYSTEM, status, f"HTTP {status}: {_error_message(exc)}", _retry_after(exc))
    if isinstance(exc, (urllib3.exceptions.HTTPError, OSError)):
        return UnavailableError(SYSTEM, unreachable("Asana", exc))
    return None


def _error_message(exc: ApiException) -> str:
    try:
        return "; ".join(e.get("message", "") for e in json.loads(exc.body)["errors"])
    except (TypeError, ValueError, KeyError, AttributeError):
        return str(exc.reason or "error")


def _retry_after(exc: ApiException) -> float | None:
    try:
        return float(exc.headers.get("Retry-After")) if exc.headers else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Events:
    """New events on a resource; `resynced` when there was no valid sync token (first call, or expired)."""

    items: tuple[dict[str, Any], ...]
    resynced: bool


class AsanaConnector(AsanaWebhookApi, AsanaTemplates, AsanaProjectReview, AsanaProjectIndex):
    """Delivery status of a deal from its Asana project; knows nothing of Slack."""

    def __init__(
        self,
        access_token: str,
        workspace_gid: str,
        store: AsanaStore,
        base_url: str = DEFAULT_BASE_URL,
        deal_field: str = "HubSpot Deal ID",
        *,
        max_workers: int = 10,
        index_max_age: float = 900.0,
        miss_refresh_interval: float = 60.0,
        page_size: int = 100,
        story_concurrency: int = 6,
        requests_per_minute: int = 1500,
        policy: Policy = Policy(),
        budgets: BudgetFactory = local_budget,  # shared by several replicas when the host says so
        clock: Callable[[], float] = time.monotonic,
        utcnow: Callable[[], datetime] = lambda: datetime.now(UTC),
        first_build_wait: float = FIRST_BUILD_WAIT,
    ) -> None:
        if not 1 <= page_size <= 100:
            raise ConfigError(SYSTEM, "page_size must be between 1 and 100")
        self.workspace_gid = workspace_gid
        self.store = store
        self.deal_field = deal_field
        self.index_max_age = index_max_age
        self.miss_refresh_interval = miss_refresh_interval
        self.page_size = page_size
        self.story_concurrency = story_concurrency
        self.first_build_wait = first_build_wait  # how long a card waits for the index's first build
        self._clock = clock
        self._utcnow = utcnow
        config = asana.Configuration()
        config.host = base_url.rstrip("/")
        config.access_token = access_token
        config.connection_pool_maxsize = max_workers
        # The SDK's default Retry re-sends 429/5xx inside urllib3 (sleeping up to a minute in a
        # worker thread), then raises MaxRetryError. The Runner retries within its deadline instead.
        config.retry_strategy = Retry(total=False)
        self._client = asana.ApiClient(config)
        self._projects = asana.ProjectsApi(self._client)
        self._sections = asana.SectionsApi(self._client)
        self._tasks = asana.TasksApi(self._client)
        self._stories = asana.StoriesApi(self._client)
        self._users = asana.UsersApi(self._client)
        self._events = asana.EventsApi(self._client)
        # A float timeout is ignored by the SDK (it checks for int): pass (connect, read).
        self._timeout = (min(3.0, policy.timeout), policy.timeout)
        self.runner = Runner(
            SYSTEM,
            classify,
            max_workers=max_workers,
            policy=policy,
            limiters={"default": budgets(SYSTEM, "default", requests_per_minute, 60.0)},
        )
        self._refresh: asyncio.Future[int] | None = None
        self._last_scan: float | None = None  # when the last scan started (clock)
        self._fresh_until = float("-inf")  # (clock) until then the index is known fresh: no store read per card
        self._stories_cache: LRUCache[tuple[str, str], list[dict[str, Any]]] = LRUCache(maxsize=20000)

    def close(self) -> None:
        """Stop the executor and drop pooled connections."""
        if self._refresh is not None:
            self._refresh.cancel()
        self.runner.close()
        self._client.rest_client.pool_manager.clear()
        pool = getattr(self._client, "pool", None)  # the SDK's own ThreadPool, unused here
        if pool is not None:
            pool.close()

    # -- SDK calls ----------------------------------------------------------------------

    def _invoke(self, method: Callable[..., Any], args: tuple[Any, ...], opts: dict[str, Any]) -> Any:
        # The SDK mutates `opts`: each attempt gets its own copy.
        return method(*args, dict(opts), full_payload=True, _request_timeout=self._timeout)

    async def _call(self, method: Callable[..., Any], *args: Any, opts: dict[str, Any]) -> dict[str, Any]:
        """One request: the full payload ({"data", "next_page"})."""
        return await self.runner.call(self._invoke, method, args, opts)

    async def _rest(
        self, page: dict[str, Any], method: Callable[..., Any], *args: Any, opts: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The items of `page` and of every page after it, one Runner call per page."""
        items = list(page.get("data") or [])
        for _ in range(MAX_PAGES):
            offset = (page.get("next_page") or {}).get("offset")
            if not offset:
                return items
            page = await self._call(method, *args, opts={**opts, "offset": offset})
            items.extend(page.get("data") or [])
        raise UnavailableError(SYSTEM, f"more than {MAX_PAGES} pages")

    async def _list(self, method: Callable[..., Any], *args: Any, fields: str) -> list[dict[str, Any]]:
        """Every item of a list endpoint."""
        opts = {"limit": self.page_size, "opt_fields": fields}
        return await self._rest(await self._call(method, *args, opts=opts), method, *args, opts=opts)

    async def check(self) -> Person:
        """Who the token belongs to (for doctor / health checks)."""
        me = await self._call(self._users.get_user, "me", opts={"opt_fields": "name,email"})
        return person(me.get("data")) or Person(name="(unnamed)")

    # -- the card -----------------------------------------------------------------------

    async def delivery(self, deal_id: str, *, today: date) -> Delivery | None:
        """Phase, next deliverable, PM and recent changes of the deal's project; None without one."""
        deal_id = deal_id.strip()
        for _ in range(2):
            found = await self.find_project(deal_id)
            if found is None:
                return None
            fetched = await self._fetch(found.project_gid, deal_id)
            if fetched is not None:
                return await self._assemble(found.project_gid, *fetched, today=today)
            # The index was stale (project gone, or its deal field changed): look again once.
            if not await self._refresh_on_miss():
                return None
        return None

    async def _fetch(
        self, gid: str, deal_id: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]] | None:
        """Project, sections and tasks (first tasks page concurrently with the others)."""
        task_opts = {"limit": self.page_size, "opt_fields": TASK_FIELDS}
        try:
            project, sections, first = await asyncio.gather(
                self._call(self._projects.get_project, gid, opts={"opt_fields": PROJECT_FIELDS}),
                self._list(self._sections.get_sections_for_project, gid, fields=SECTION_FIELDS),
                self._call(self._tasks.get_tasks_for_project, gid, opts=task_opts),
            )
        except NotFoundError:
            return None
        if deal_value(project.get("data") or {}, self.deal_field) != deal_id:
            return None
        tasks = await self._rest(first, self._tasks.get_tasks_for_project, gid, opts=task_opts)
        return project["data"], sections, tasks

    async def _assemble(
        self,
        gid: str,
        project: dict[str, Any],
        sections: list[dict[str, Any]],
        tasks: list[dict[str, Any]],
        *,
        today: date,
    ) -> Delivery:
        since = datetime.combine(today, dtime.min, UTC) - CHANGE_WINDOW
        owner = person(project.get("owner"))
        name = project.get("name") or ""
        task_changes, pm_changes = await asyncio.gather(
            self._task_changes(tasks, since), self._pm_changes(gid, name, owner)
        )
        current, completed = phase(gid, sections, tasks)
        changes = sorted(task_changes + pm_changes, key=lambda c: c.at, reverse=True)
        return Delivery(
            project_id=gid,
            project_name=name,
            url=PROJECT_URL.format(gid=gid),
            pm=owner,
            phase=current,
            next_deliverable=next_deliverable(tasks),
            changes=tuple(changes),
            completed=completed,
            completed_on=completed_on(tasks) if completed else None,
            milestones=milestones(tasks),
        )

    async def _task_changes(self, tasks: list[dict[str, Any]], since: datetime) -> list[Change]:
        """Due-date moves and reassignments from the stories of the tasks that can have recent ones."""
        gate = asyncio.Semaphore(self.story_concurrency)

        async def one(task: Record) -> list[Change]:
            key = (task["gid"], task.get("modified_at") or "")
            stories = self._stories_cache.get(key)
            if stories is None or not task.get("modified_at"):
                async with gate:
                    try:
                        every = await self._list(self._stories.get_stories_for_task, task["gid"], fields=STORY_FIELDS)
                    except NotFoundError:  # deleted since the task list was read
                        return []
                stories = [s for s in every if s.get("resource_subtype") in STORY_KINDS]
                self._stories_cache[key] = stories
            return story_changes(task, stories, since)

        results = await asyncio.gather(*(one(t) for t in story_candidates(tasks, since)))
        return [change for found in results for change in found]

    async def _pm_changes(self, gid: str, project_name: str, owner: Person | None) -> list[Change]:
        """PM changes seen on this project in the last 30 days (the last owner seen is kept in the store)."""
        key = f"asana-owner:{gid}"
        stored = await self.store.get_sync(key)
        value, changes = track_owner(stored, project_name, owner, self._utcnow())
        if value != stored:
            await self.store.set_sync(key, value)
        return changes

    # -- events (a backup for webhooks, which Asana delivers at most once) --------------

    async def events(self, resource_gid: str) -> Events:
        """Events on a project or task since the last call; the sync token is kept in the store."""
        key = f"asana-events:{resource_gid}"
        sync = await self.store.get_sync(key)
        items: list[dict[str, Any]] = []
        resynced = False
        for _ in range(MAX_PAGES):
            page = await self.runner.call(self._events_page, resource_gid, sync)
            resynced = resynced or page.get("resynced", False)
            items.extend(page.get("data") or [])
            sync = page["sync"]
            await self.store.set_sync(key, sync)
            if not page.get("has_more"):
                break
        return Events(tuple(items), resynced)

    def _events_page(self, resource_gid: str, sync: str | None) -> dict[str, Any]:
        opts: dict[str, Any] = {"sync": sync} if sync else {}
        try:
            return self._events.get_events(resource_gid, opts, full_payload=True, _request_timeout=self._timeout)
        except ApiException as exc:
            if exc.status != 412:
                raise
            body = json.loads(exc.body)  # no (or an expired) token: 412 carries a fresh one
            return {"data": [], "sync": body["sync"], "has_more": False, "resynced": True}
