"""The deal record stays alive in HubSpot: the card's headline facts written onto the deal.

Whenever the bot learns a status (a card, an alert event's snapshot, a logged communication,
the daily round) it works out the `accountbot_*` values that status vouches for — sections
that failed are left alone, never cleared — and writes only those that changed since its
last write, in batches of 100, through the connector's shared rate limiter. Until
`accountbot setup hubspot` has made the properties (or when one is deleted), nothing is
written and nothing retried in a loop: doctor says what to run; a running bot picks the
setup up at its next write. `HUBSPOT_WRITEBACK=false` turns it all off.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any, Final

from bot.models import AccountStatus
from bot.store import keys
from connectors.errors import ConnectorError, MissingScopes, RateLimitedError, Refused, UnavailableError
from connectors.hubspot.properties import PropertySpec

if TYPE_CHECKING:
    from bot.store import Store
    from connectors.hubspot import HubSpotConnector

log = logging.getLogger(__name__)

GROUP: Final = "accountbot"
GROUP_LABEL: Final = "Delivery & billing (accountbot)"
NOTE: Final = " Kept current by accountbot; an edit here is overwritten at its next update."
DONE: Final = "All work done"
FLUSH_AFTER: Final = 0.5  # seconds a learned status waits, so that a burst goes as one batch
RECHECK_AFTER: Final = 600.0  # seconds before properties are looked for again after setup was missing


def _spec(name: str, label: str, kind: str, field: str, what: str, **extra: Any) -> PropertySpec:
    return PropertySpec(name, label, kind, field, what + NOTE, **extra)


PROPERTIES: Final = (
    _spec(
        "accountbot_health",
        "Health",
        "enumeration",
        "select",
        "The account's health colour.",
        options=(("Green", "green"), ("Yellow", "yellow"), ("Red", "red")),
    ),
    _spec("accountbot_health_reason", "Health reason", "string", "text", "Why the account has that colour."),
    _spec("accountbot_phase", "Delivery phase", "string", "text", "The phase the delivery project is in (Asana)."),
    _spec("accountbot_progress", "Delivery progress (%)", "number", "number", "Percent of the project's tasks done."),
    _spec("accountbot_next_deliverable", "Next deliverable", "string", "text", "The next milestone or task due."),
    _spec("accountbot_next_deliverable_due", "Next deliverable due", "date", "date", "When it is due."),
    _spec("accountbot_pm", "Project manager", "string", "text", "The delivery project's owner (Asana)."),
    _spec("accountbot_open_escalations", "Open escalations", "number", "number", "Open tickets on the deal."),
    _spec("accountbot_invoiced", "Invoiced", "number", "number", "Invoiced on the deal, in the invoice currency."),
    _spec("accountbot_paid", "Paid", "number", "number", "Paid on the deal's invoices."),
    _spec("accountbot_outstanding", "Outstanding", "number", "number", "Still open on the deal's invoices."),
    _spec("accountbot_overdue", "Overdue", "number", "number", "Open balance past its due date."),
    _spec(
        "accountbot_last_client_communication",
        "Last client communication",
        "datetime",
        "date",
        "The newest email, call or meeting with the client.",
    ),
    _spec("accountbot_project_url", "Delivery project", "string", "text", "The Asana project of the delivery."),
    _spec("accountbot_synced_at", "Synced by accountbot", "datetime", "date", "When accountbot last wrote these."),
)
NAMES: Final = frozenset(p.name for p in PROPERTIES)


def deal_values(status: AccountStatus) -> dict[str, str]:
    """The properties this status vouches for, as HubSpot takes them ("" clears one); failed sections left out."""
    out: dict[str, str] = {}
    health = status.health
    if health is not None and not status.partial:
        out["accountbot_health"] = health.level
        out["accountbot_health_reason"] = "; ".join(health.reasons) or "on track"
    if status.delivery.ok:
        out.update(_delivery(status))
    if status.escalations.ok:
        out["accountbot_open_escalations"] = str(len(status.escalations.value or ()))
    if status.money.ok:
        money = status.money.value
        for name in ("invoiced", "paid", "outstanding", "overdue"):
            out[f"accountbot_{name}"] = str(getattr(money, name)) if money is not None else ""
    if status.communication.ok:
        comm = status.communication.value
        out["accountbot_last_client_communication"] = str(int(comm.at.timestamp() * 1000)) if comm else ""
    return out


def _delivery(status: AccountStatus) -> dict[str, str]:
    delivery = status.delivery.value
    if delivery is None:
        return dict.fromkeys(
            (
                "accountbot_phase",
                "accountbot_progress",
                "accountbot_next_deliverable",
                "accountbot_next_deliverable_due",
                "accountbot_pm",
                "accountbot_project_url",
            ),
            "",
        )
    phase, item = delivery.phase, delivery.next_deliverable
    progress = ""
    if phase is not None and phase.project_total:
        progress = f"{100 * phase.project_done / phase.project_total:.1f}".rstrip("0").rstrip(".")
    elif delivery.completed:
        progress = "100"
    return {
        "accountbot_phase": phase.name if phase else (DONE if delivery.completed else ""),
        "accountbot_progress": progress,
        "accountbot_next_deliverable": item.name if item else "",
        "accountbot_next_deliverable_due": item.due_on.isoformat() if item and item.due_on else "",
        "accountbot_pm": delivery.pm.name if delivery.pm else "",
        "accountbot_project_url": delivery.url,
    }


class WriteBack:
    """Learns statuses, writes what changed; knows whether setup has run and what HubSpot last said."""

    def __init__(
        self, store: Store, hubspot: HubSpotConnector, *, enabled: bool = True, flush_after: float = FLUSH_AFTER
    ) -> None:
        self.store = store
        self.hubspot = hubspot
        self.enabled = enabled
        self.flush_after = flush_after
        self.missing: tuple[str, ...] | None = None  # properties not in HubSpot (None: not checked yet)
        self.problem: str | None = None  # the last refusal, in words
        self.last_write: float | None = None
        self.writes = 0  # deals written
        self._pending: dict[str, dict[str, str]] = {}
        self._checked: float = -1e18
        self._setup_seen: str | None = None
        self._flusher: asyncio.Task[int] | None = None

    def learned(self, status: AccountStatus) -> None:
        """A status to write when it differs from what HubSpot holds; written shortly, in the background."""
        if not self.enabled:
            return
        values = deal_values(status)
        if values:
            self._pending[status.deal_id] = {**self._pending.get(status.deal_id, {}), **values}
            if self._flusher is None or self._flusher.done():
                self._flusher = asyncio.ensure_future(self._flush_later())

    async def _flush_later(self) -> int:
        await asyncio.sleep(self.flush_after)
        try:
            return await self.flush()
        except Exception:  # a background write must never take anything else down
            log.exception("write-back failed")
            return 0

    async def flush(self) -> int:
        """Write every pending change now; the number of deals written."""
        pending, self._pending = self._pending, {}
        if not pending or not self.enabled or not await self._ready():
            return 0
        held = await self.store.written_values(pending)
        updates: dict[str, dict[str, str]] = {}
        for deal_id, values in pending.items():
            changed = {k: v for k, v in values.items() if held.get(deal_id, {}).get(k, "") != v}
            if changed:
                updates[deal_id] = {**changed, "accountbot_synced_at": str(int(time.time() * 1000))}
        if not updates:
            return 0
        try:
            done = await self.hubspot.update_deals(updates)
        except Refused as exc:
            self._refused(exc)
            return 0
        except MissingScopes as exc:
            self.problem = exc.message
            self._checked = time.monotonic()  # looked again at the next recheck, not at every status
            self.missing = self.missing or ()
            return 0
        except (RateLimitedError, UnavailableError) as exc:  # HubSpot busy or down: these go out next time
            log.info("write-back postponed: %s", exc.message)
            for deal_id, values in pending.items():
                self._pending[deal_id] = {**values, **self._pending.get(deal_id, {})}
            return 0
        await self.store.record_written({d: updates[d] for d in done.written})
        self.writes += len(done.written)
        self.last_write = time.time()
        self.problem = None
        return len(done.written)

    def _refused(self, exc: Refused) -> None:
        """HubSpot won't take the values: a deleted property (setup again), or a value it refuses (say which)."""
        gone = sorted(
            {
                str(name)
                for d in exc.details
                if d.get("code") == "PROPERTY_DOESNT_EXIST"
                for name in (d.get("context") or {}).get("propertyName") or ()
            }
            & NAMES
        )
        if gone:
            self.missing = tuple(gone)
            self._checked = time.monotonic()
            log.warning("write-back paused: HubSpot has no %s; run `accountbot setup hubspot`", ", ".join(gone))
        else:
            self.problem = f"HubSpot refused the write-back: {exc.message}"
            log.warning(self.problem)

    async def _ready(self, *, force: bool = False) -> bool:
        """Whether the properties exist (checked once, again after `setup hubspot` ran, or after a while)."""
        setup_at = await self.store.get_sync(keys.HUBSPOT_SETUP_AT)
        due = time.monotonic() - self._checked > RECHECK_AFTER or setup_at != self._setup_seen
        if force or self.missing is None or (self.missing and due) or (self.problem and due):
            self._setup_seen = setup_at
            self._checked = time.monotonic()
            try:
                names = await self.hubspot.deal_property_names()
            except ConnectorError as exc:
                self.problem = exc.message
                return False
            self.missing = tuple(sorted(NAMES - names))
            self.problem = None
        return not self.missing

    async def check_setup(self) -> None:
        """Look for the properties now (doctor asks)."""
        if self.enabled:
            await self._ready(force=True)

    def report(self) -> dict[str, Any]:
        """For doctor and /healthz."""
        return {
            "enabled": self.enabled,
            "missing_properties": list(self.missing or ()),
            "checked": self.missing is not None,
            "problem": self.problem,
            "last_write_at": self.last_write,
            "deals_written": self.writes,
            "pending": len(self._pending),
        }

    async def close(self) -> None:
        """Stop a background write (shutdown)."""
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)


async def setup(hubspot: HubSpotConnector, store: Store) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Create the property group and every property; (created, already there). Safe to run again."""
    group_new = await hubspot.create_property_group(GROUP, GROUP_LABEL)
    have = await hubspot.deal_property_names()
    todo = [p for p in PROPERTIES if p.name not in have]
    made = await hubspot.create_deal_properties(todo, GROUP)
    await store.set_sync(keys.HUBSPOT_SETUP_AT, str(time.time()))
    created = (("group " + GROUP,) if group_new else ()) + made.created
    existing = (() if group_new else ("group " + GROUP,)) + tuple(sorted(NAMES & have)) + made.existing
    return created, existing
