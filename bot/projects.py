"""The project is created on close: a deal won in any pipeline gets its delivery project, already joined.

With ASANA_PROJECT_TEMPLATE_GID and ASANA_TEAM_GID set, a deal that becomes closed won (its
stage's metadata: isClosed and probability 1.0) and that no delivery project carries gets one:
the template instantiated, named after the deal, in that team, starting on the close date (the
template's other requested dates keep their defaults: `is_strict` is off), the deal ID put into
ASANA_DEAL_FIELD (the field added first when the template lacks it), the project indexed at
once. Exactly one per deal however often and by however many processes the win is heard of: a
record per deal in the store says who is making it and how far it got (the job once Asana
answered), so a restart in the middle resumes; a failure is kept in words, told to doctor and
the deal owner, and the next sighting of the win tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from bot.models.alerts import AlertKind, ProjectAlert
from connectors.errors import ConnectorError, NotFoundError

if TYPE_CHECKING:
    from bot.alerts.recorder import EventRecorder
    from bot.settings import Settings
    from bot.status import StatusService
    from bot.store import ProjectWork, Store
    from connectors.asana import AsanaConnector
    from connectors.hubspot import HubSpotConnector
    from connectors.types import Deal

log = logging.getLogger(__name__)
STALE_AFTER: Final = 120.0  # a record no process touched for this long is taken over (its maker died)
HEARTBEAT: Final = 20.0
JOB_TIMEOUT: Final = 600.0  # seconds to wait for Asana's job before calling it failed


class ProjectFailed(Exception):
    """The project could not be made; the reason in words."""


class ProjectOnClose:
    """Hears of won deals (webhooks, the poller) and makes each one's delivery project once."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        hubspot: HubSpotConnector,
        asana: AsanaConnector,
        status: StatusService,
        recorder: EventRecorder,
        holder: str,
        *,
        poll_every: float = 0.5,
    ) -> None:
        self.settings = settings
        self.store = store
        self.hubspot = hubspot
        self.asana = asana
        self.status = status
        self.recorder = recorder
        self.holder = holder
        self.poll_every = poll_every
        self._running: dict[str, asyncio.Task[None]] = {}

    @property
    def configured(self) -> bool:
        """Both the template and the team are set."""
        return bool(self.settings.asana_project_template_gid and self.settings.asana_team_gid)

    async def on_stage_change(self, deal_id: str) -> bool:
        """The deal's stage changed: if it is now won, make its project (in the background); True if started."""
        if not self.configured or deal_id in self._running:
            return False
        try:
            deal = await self.hubspot.get_deal(deal_id)
        except NotFoundError:
            return False
        if not deal.is_won:
            return False  # lost, or moving between open stages
        task = asyncio.ensure_future(self._make(deal))
        self._running[deal_id] = task
        task.add_done_callback(lambda done: self._done(deal_id, done))
        return True

    def _done(self, deal_id: str, task: asyncio.Task[None]) -> None:
        self._running.pop(deal_id, None)
        if not task.cancelled() and task.exception() is not None:  # never silently
            log.error("making the delivery project of deal %s failed", deal_id, exc_info=task.exception())

    async def wait(self) -> None:
        """Until every project being made now is done (tests, shutdown)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def close(self) -> None:
        """Stop making projects (another process resumes them from the store)."""
        for task in list(self._running.values()):
            task.cancel()
        await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def _make(self, deal: Deal) -> None:
        work = await self.store.take_project_work(deal.id, deal.name, self.holder, STALE_AFTER)
        if work is None:
            return  # made already (or a project carried it), or another process is making it now
        beat = asyncio.ensure_future(self._heartbeat(deal.id))
        try:
            await self._build(deal, work)
        except (ProjectFailed, ConnectorError) as exc:
            reason = exc.message if isinstance(exc, ConnectorError) else str(exc)
            log.warning("delivery project for deal %s not made: %s", deal.id, reason)
            await self.store.update_project_work(deal.id, self.holder, state="failed", error=reason, release=True)
            await self._announce(deal, None, None, failed=reason, attempt=work.attempts)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _build(self, deal: Deal, work: ProjectWork) -> None:
        existing = await self.asana.find_project(deal.id, patient=True)  # never a second project
        if existing is not None and existing.project_gid != work.project_gid:
            await self.store.update_project_work(
                deal.id, self.holder, state="existing", project_gid=existing.project_gid, release=True
            )
            return
        project_gid = work.project_gid
        if work.job_gid is None and work.resumed:  # its maker died: maybe after asking Asana, before noting the job
            adopted = await self.asana.projects_named(deal.name, created_after=work.started_at)
            if adopted:
                project_gid = adopted[0]
                log.info("deal %s: adopting project %s made by an earlier attempt", deal.id, project_gid)
        if work.job_gid is None and project_gid is None:
            template = await self.asana.template(self.settings.asana_project_template_gid or "")
            job = await self.asana.instantiate(
                template, deal.name, self.settings.asana_team_gid or "", deal.close_date or date.today()
            )
            project_gid = job.project_gid
            await self.store.update_project_work(deal.id, self.holder, job_gid=job.gid, project_gid=project_gid)
            project_gid = await self._finished(job.gid) or project_gid
        elif work.job_gid is not None:
            project_gid = await self._finished(work.job_gid) or project_gid
        if not project_gid:
            raise ProjectFailed("Asana's job finished without a project")
        added = await self.asana.put_deal_id(project_gid, deal.id)
        await self.asana.index_project(project_gid, deal.id, deal.name)
        self.status.invalidate(deal.id, ("delivery",))
        await self.store.update_project_work(
            deal.id,
            self.holder,
            state="created",
            project_gid=project_gid,
            field_added=int(added),
            error=None,
            release=True,
        )
        log.info("delivery project %s made for deal %s", project_gid, deal.id)
        await self._announce(deal, project_gid, added)

    async def _finished(self, job_gid: str) -> str | None:
        """Poll the job until it succeeds (its project) or fails (ProjectFailed)."""
        started = time.monotonic()
        deadline = started + JOB_TIMEOUT
        pause = self.poll_every
        while True:
            job = await self.asana.job(job_gid)
            if job.status == "succeeded":
                return job.project_gid
            if job.status == "failed":
                raise ProjectFailed("Asana's job making the project from the template failed")
            if time.monotonic() > deadline:
                raise ProjectFailed(f"Asana's job was still {job.status} after {JOB_TIMEOUT / 60:.0f} minutes")
            await asyncio.sleep(pause)
            # Most jobs end within a minute: look every second until then (a rep is waiting for the
            # announcement), then every 5 s; one project per won deal makes either cheap for Asana's budget.
            pause = min(pause * 1.5, 1.0 if time.monotonic() - started < 60 else 5.0)

    async def _heartbeat(self, deal_id: str) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            await self.store.update_project_work(deal_id, self.holder)

    async def _announce(
        self, deal: Deal, project_gid: str | None, added: bool | None, *, failed: str | None = None, attempt: int = 0
    ) -> None:
        """ "Delivery project created for <deal>" (or why not) to subscribed channels and the deal owner."""
        first, due, url, name = None, None, None, None
        if project_gid is not None:
            status = await self.status.get_status(deal.id, refresh=True)
            delivery = status.delivery.value
            if delivery is not None:
                url, name = delivery.url, delivery.project_name
                milestone = next(iter(delivery.milestones), None)
                item = delivery.next_deliverable
                first = milestone.name if milestone else item.name if item else None
                when = milestone.due_on if milestone else item.due_on if item else None
                due = when.isoformat() if when else None
        payload: ProjectAlert = {
            "deal_id": deal.id,
            "deal_name": deal.name,
            "project_name": name or deal.name,
            "project_url": url,
            "first_milestone": first,
            "first_milestone_due": due,
            "field_added": bool(added),
            "failed": failed,
        }
        portal = self.settings.hubspot_portal_id
        key = f"project:{portal}:{deal.id}" if failed is None else f"project-failed:{portal}:{deal.id}:{attempt}"
        owner = deal.owner.email if deal.owner else None
        await self.recorder.record(key, AlertKind.PROJECTS, deal.id, payload, owner)

    async def report(self) -> dict[str, Any]:
        """For doctor: configured or not, the template, and the latest projects made or failed."""
        if not self.configured:
            return {"configured": False}
        state: dict[str, Any] = {
            "configured": True,
            "template_gid": self.settings.asana_project_template_gid,
            "team_gid": self.settings.asana_team_gid,
        }
        try:
            template = await self.asana.template(self.settings.asana_project_template_gid or "")
            state.update(template=template.name, template_exists=True)
        except NotFoundError:
            state.update(template_exists=False)
        except ConnectorError as exc:
            state.update(template_error=exc.message)
        recent = await self.store.recent_project_work(20)
        made = [w for w in recent if w.state == "created"]
        state["last_made"] = (
            {
                "deal_id": made[0].deal_id,
                "project_gid": made[0].project_gid,
                "at": made[0].updated_at,
                "field_added": made[0].field_added,
            }
            if made
            else None
        )
        state["failures"] = [
            {"deal_id": w.deal_id, "error": w.error, "at": w.updated_at} for w in recent if w.state == "failed"
        ]
        return state
