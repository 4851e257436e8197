"""`/account doctor` and /healthz: is everything connected, flowing and delivered?"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from blocks.admin import reason_words
from bot.store import keys
from bot.webhooks import WEBHOOK_SOURCES
from connectors.errors import AuthError, ConnectorError, NotFoundError

PROBE_DEADLINE = 5.0


class Doctor:
    """What `/account doctor` and `/healthz` report, from the connectors' state and the store."""

    def __init__(
        self,
        settings: Any,
        store: Any,
        hubspot: Any,
        asana: Any,
        accounting: Any,
        writeback: Any = None,
        projects: Any = None,
        unlinked: Any = None,
        liveness: Any = None,
        indexes: Any = None,
        replicas: Any = None,
    ) -> None:
        self.settings = settings
        self.replicas = replicas  # bot.replicas.Replicas with REDIS_URL
        self.unlinked = unlinked
        self.liveness = liveness  # the alert worker's liveness(): why its lease loop is not alive, or None
        self.indexes = indexes  # bot.indexes.IndexBuilds
        self.writeback = writeback
        self.projects = projects
        self.store = store
        self.hubspot = hubspot
        self.asana = asana
        self.accounting = accounting  # QuickBooks or NetSuite

    async def report(self, *, probe: bool = True) -> dict[str, Any]:
        """Connectors (auth, last success), webhooks, pollers, outbox, broken subscriptions, token expiry."""
        return await _report(self, probe=probe)


async def _report(services: Doctor, *, probe: bool) -> dict[str, Any]:
    store = services.store
    now = time.time()
    connectors: dict[str, Any] = {}
    accounting = services.accounting
    probes = {"hubspot": _probe_hubspot, "asana": _probe_asana, accounting.system: _probe_accounting}
    results = (
        await asyncio.gather(
            *(asyncio.wait_for(fn(services), PROBE_DEADLINE) for fn in probes.values()), return_exceptions=True
        )
        if probe
        else [None] * 3
    )
    for (name, _), result in zip(probes.items(), results):
        if name == accounting.system:
            state = dict(accounting.health())
            state["index_age_seconds"] = await accounting.index_age()
        else:
            connector = getattr(services, name)
            state = dict(connector.runner.health()) if hasattr(connector, "runner") else {}
        state["mode"] = "sandbox" if name in services.settings.sandbox_systems else "live"
        if probe:
            state["auth"] = _auth_word(result)
        connectors[name] = state
    webhooks = {}
    for source in (s for s in WEBHOOK_SOURCES if s in (accounting.system, "hubspot", "asana")):
        value = await store.get_sync(keys.webhook_last(source))
        webhooks[source] = float(value) if value else None
    pollers = {}
    for source in (accounting.system, "hubspot"):
        value = await store.get_sync(keys.poll_ok(source))
        pollers[source] = {
            "last_ok": float(value) if value else None,
            "lag_seconds": round(now - float(value), 1) if value else None,
        }
    broken = [
        {"channel": s.channel_id, "account": s.deal_name, "reason": s.broken_reason, "since": s.broken_at}
        for s in await store.subscriptions()
        if s.broken_reason
    ]
    lease = await store.lease_holder("alerts")
    outbox = await store.outbox_stats(now)
    problems = outbox_problems(outbox, lease)
    stalled = services.liveness() if services.liveness is not None else None
    if stalled:
        problems.append(f"This process: {stalled}.")
    if getattr(getattr(accounting, "tokens", None), "unsaved", False):
        problems.append(
            "QuickBooks rotated its tokens but the database refused to store them: they live only in "
            "this process's memory. Fix the database before restarting, or an admin will have to "
            "re-authorise QuickBooks."
        )
    writeback = services.writeback
    if writeback is not None and writeback.enabled:
        if probe:
            await writeback.check_setup()
        problems += writeback_problems(writeback.report())
    projects = services.projects
    project_state: dict[str, Any] = {"configured": False}
    if projects is not None:
        project_state = await projects.report() if probe else {"configured": projects.configured}
        problems += project_problems(project_state)
    redis_state: dict[str, Any] = {"configured": False}
    if services.replicas is not None:
        if probe:
            await services.replicas.ping()
        redis_state = {"configured": True, **services.replicas.health()}
        problems += redis_problems(redis_state)
    links = await link_state(services, probe=probe)
    problems += links.pop("problems")
    problems += scope_problems(connectors.get("hubspot", {}).get("missing_scopes") or [])
    index_state = services.indexes.report() if services.indexes is not None else {}
    problems += index_problems(index_state)
    healthy = all(c.get("available", True) and c.get("auth", "ok") == "ok" for c in connectors.values())
    extra: dict[str, Any] = {}
    if hasattr(accounting, "refresh_token_expires_at"):  # an OAuth 2.0 refresh token that dies (QuickBooks)
        expires = accounting.refresh_token_expires_at
        extra["quickbooks_refresh_token_expires_at"] = expires.isoformat() if expires else None
    return {
        "status": "ok" if healthy and not problems else "degraded",
        "problems": problems,
        "connectors": connectors,
        **extra,
        "webhooks_last_delivered": webhooks,
        "pollers": pollers,
        "outbox": outbox,
        "broken_subscriptions": broken,
        "alert_worker": {"holder": lease[0], "lease_expires_at": lease[1]} if lease else None,
        "hubspot_writeback": writeback.report() if writeback is not None else {"enabled": False},
        "project_on_close": project_state,
        "redis": redis_state,
        "links": links,
        "indexes": index_state,
    }


def redis_problems(state: dict[str, Any]) -> list[str]:
    """Redis (REDIS_URL) not answering: the replicas no longer share budgets and cache."""
    if not state.get("configured") or state.get("available", True):
        return []
    return [
        f"Redis (REDIS_URL) isn't answering ({state.get('last_error')}): each replica now spends the vendors' "
        "rate budgets and fills its status cache on its own, so several replicas together can exceed HubSpot's "
        "and QuickBooks' limits. Check that Redis is running and reachable from every replica."
    ]


async def link_state(services: Doctor, *, probe: bool) -> dict[str, Any]:
    """Whether invoices carry the deal field at all, and the counts of the last `/account unlinked`."""
    problems: list[str] = []
    state: dict[str, Any] = {}
    qbo = services.accounting
    try:
        problem = await asyncio.wait_for(qbo.deal_field_problem(sync=probe), PROBE_DEADLINE)
    except (TimeoutError, ConnectorError) as exc:  # the index is being built: say what the store knows
        state["deal_field_error"] = exc.message if isinstance(exc, ConnectorError) else "no answer in time"
        problem = await qbo.deal_field_problem(sync=False)
    if problem:
        problems.append(problem)
    unlinked = services.unlinked
    last = await unlinked.last_counts() if unlinked is not None else None
    if last is not None:
        counts, at = last
        state.update(counts=counts, checked_at=at)
    else:
        state["counts"] = None
    state["problems"] = problems
    return state


INDEX_WORDS = {"asana": "Asana project", "quickbooks": "QuickBooks invoice", "netsuite": "NetSuite invoice"}


def index_problems(state: dict[str, Any]) -> list[str]:
    """A join index whose start-up build failed: cards scan on demand (slowly) until it is fixed."""
    return [
        f"The {INDEX_WORDS.get(name, name)} index could not be built at start-up ({build['error']}): the first "
        "cards that need it build it themselves and are slow. Fix what the error says, then restart the bot."
        for name, build in state.items()
        if build.get("state") == "failed"
    ]


def project_problems(state: dict[str, Any]) -> list[str]:
    """Project on close: a template that isn't there, and the projects it could not make."""
    problems = []
    if state.get("configured") and state.get("template_exists") is False:
        problems.append(
            f"Project on close: ASANA_PROJECT_TEMPLATE_GID {state.get('template_gid')} is not a template "
            "this Asana token can see. Check the gid, and that the token's user is in the template's team."
        )
    if state.get("template_error"):
        problems.append(f"Project on close: reading the template failed: {state['template_error']}")
    for failure in state.get("failures", [])[:5]:
        problems.append(
            f"Project on close: the delivery project for deal {failure['deal_id']} was not made: "
            f"{failure['error']}. The next time the win is seen it is tried again."
        )
    return problems


# What a HubSpot scope is for, in the words of the card and the admin.
SCOPE_USES = {
    "crm.objects.deals.read": "reading deals (every card)",
    "crm.objects.companies.read": "company names on cards",
    "tickets": "open escalations on cards and escalation alerts",
    "crm.objects.contacts.read": "the last client communication",
    "sales-email-read": "emails as the last client communication",
    "crm.objects.owners.read": "deal owners' names and DMs",
    "crm.objects.contacts.write": "logging a communication from the card",
    "crm.objects.deals.write": "write-back onto the deal",
    "crm.schemas.deals.read": "checking the write-back properties",
    "crm.schemas.deals.write": "`accountbot setup hubspot`",
}


def scope_problems(missing: list[str]) -> list[str]:
    """Scopes HubSpot refused calls for, each with what it is needed for, and what to do."""
    if not missing:
        return []
    uses = "; ".join(f"`{s}` ({SCOPE_USES.get(s, 'a call the bot makes')})" for s in missing)
    return [
        f"The HubSpot token lacks {len(missing)} scope{_s(len(missing))}: {uses}. Add "
        f"{'it' if len(missing) == 1 else 'them'} to the private app (HubSpot → Settings → Integrations → "
        "Private apps), then use its token; the rest of each card works meanwhile."
    ]


def writeback_problems(state: dict[str, Any]) -> list[str]:
    """The write-back's troubles as sentences that say what to do."""
    problems = []
    if state.get("missing_properties"):
        names = ", ".join(f"`{name}`" for name in state["missing_properties"])
        problems.append(
            f"HubSpot write-back is waiting: the deal properties {names} don't exist. Run "
            "`accountbot setup hubspot` (cards and alerts work meanwhile)."
        )
    if state.get("problem"):
        problems.append(f"HubSpot write-back: {state['problem']}")
    return problems


def _auth_word(result: Any) -> str:
    if result is None or result is True:
        return "ok"
    if isinstance(result, AuthError):
        return "refused: " + result.message
    if isinstance(result, ConnectorError):
        return "unknown (" + result.message + ")"
    if isinstance(result, asyncio.TimeoutError):
        return "unknown (no answer)"
    return f"unknown ({type(result).__name__})"


async def _probe_hubspot(services: Any) -> bool:
    runner = getattr(services.hubspot, "runner", None)
    if runner is not None:
        runner.missing_scopes.clear()  # the probe reads what a card reads: what it is refused is missing now
    try:
        await services.hubspot.get_deal("1")
    except NotFoundError:
        pass  # the token works: HubSpot said the record isn't there
    return True


async def _probe_asana(services: Any) -> bool:
    await services.asana.check()
    return True


async def _probe_accounting(services: Any) -> bool:
    await services.accounting.probe()
    return True


# What to do about a history error, by Slack's error code.
HISTORY_FIXES = {
    "missing_scope": "add the missing scope to the Slack app (manifest.yml lists it) and reinstall the app",
    "not_in_channel": "invite @accountbot back to the channel",
    "channel_not_found": "the channel is gone or private to the bot: invite @accountbot or unsubscribe",
}


def outbox_problems(outbox: dict[str, Any], lease: tuple[str, float] | None) -> list[str]:
    """The outbox's troubles as sentences that say what to do."""
    problems = []
    for error, count in outbox.get("unverifiable", {}).items():
        fix = HISTORY_FIXES.get(error.split(" ", 1)[0], "check the Slack app's installation")
        problems.append(
            f"{count} alert{_s(count)} can't be checked against the channel's history ({error}): {fix}. "
            "Until then such alerts are sent again unchecked and may show twice."
        )
    if outbox.get("sent_unverified_7d"):
        n = outbox["sent_unverified_7d"]
        problems.append(
            f"{n} alert{_s(n)} in the last 7 days went out without a check for an earlier copy; they may show twice."
        )
    if outbox.get("stuck"):
        holder = f" (lease held by {lease[0]})" if lease else " (no process holds the alert lease)"
        problems.append(
            f"{outbox['stuck']} alert send{_s(outbox['stuck'])} unsettled for over 2 minutes{holder}: "
            "check that `accountbot worker` or `serve` is running and can reach Slack."
        )
    if outbox.get("overdue"):
        problems.append(
            f"{outbox['overdue']} alert{_s(outbox['overdue'])} more than 5 minutes late (the oldest "
            f"{round(outbox['oldest_overdue_seconds'] / 60)} min): Slack may be rate limiting or down."
        )
    for reason, count in outbox.get("failed_reasons", {}).items():
        problems.append(f"{count} alert{_s(count)} could not be delivered: {reason_words(reason.split(' ', 1)[0])}.")
    return problems


def _s(n: int) -> str:
    return "" if n == 1 else "s"
