"""The HubSpot connector, through the real SDK, against the HubSpot emulator on loopback."""

from __future__ import annotations

import asyncio
import json
import time as clock
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.settings import Settings
from bot.wiring import hubspot_from
from connectors.errors import AuthError, ConfigError, NotFoundError, UnavailableError
from connectors.hubspot import BOT_NOTE_MARKER, HubSpotConnector, parse_deal_url
from connectors.runtime import Policy
from sandbox.book import PORTAL_ID
from sandbox.core import RateWindow
from sandbox.hubspot import BOT_NOTE_MARKER as SANDBOX_MARKER
from sandbox.hubspot import HubSpotEmulator
from tests.conftest import TODAY

ACME, ACME_ROBOTICS, UMBRELLA, STARK, OSCORP, TYRELL = (
    "18340012001",
    "18340012014",
    "18340012004",
    "18340012005",
    "18340012012",
    "18340012013",
)
FAST = Policy(timeout=2.0, retries=2, backoff=0.01)
BOOK_NOW = datetime.combine(TODAY, time(15), UTC)  # the book's offsets count back from here
CASES = json.loads((Path(__file__).parent / "fixtures" / "hubspot_emulator_cases.json").read_text())


@pytest.fixture
def connect(
    hub: HubSpotEmulator, hubspot_connectors: Callable[..., HubSpotConnector]
) -> Callable[..., HubSpotConnector]:
    """Build connectors pointed at the emulator, with quick retries (closed at teardown)."""

    def _connect(token: str | None = None, **kwargs: Any) -> HubSpotConnector:
        kwargs.setdefault("policy", FAST)
        return hubspot_connectors(hub, token=token, **kwargs)

    return _connect


@pytest.fixture
def hs(connect: Callable[..., HubSpotConnector]) -> HubSpotConnector:
    """A connector with the default settings (and quick retries)."""
    return connect()


async def raw(
    hub: HubSpotEmulator, method: str, path: str, body: Any = None, token: str | None = "default"
) -> tuple[int, Any, Any]:
    """One HTTP request to the emulator, bypassing the SDK: (status, JSON body, headers)."""
    headers = {} if token is None else {"Authorization": f"Bearer {hub.access_token if token == 'default' else token}"}
    async with aiohttp.ClientSession() as session:
        async with session.request(method, hub.base_url + path, json=body, headers=headers) as response:
            return response.status, await response.json(), response.headers


# -- URLs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://app.hubspot.com/contacts/4471203/record/0-3/18340012001", ("4471203", "18340012001")),
        ("https://app.hubspot.com/contacts/4471203/record/0-3/18340012001/", ("4471203", "18340012001")),
        (
            "https://app.hubspot.com/contacts/4471203/record/0-3/18340012001/view/1?tab=activity",
            ("4471203", "18340012001"),
        ),
        ("https://app.hubspot.com/contacts/4471203/deal/18340012001", ("4471203", "18340012001")),
        ("https://app.hubspot.com/contacts/4471203/deal/18340012001/?foo=bar#x", ("4471203", "18340012001")),
        ("https://app-eu1.hubspot.com/contacts/26190935/record/0-3/99", ("26190935", "99")),
        ("https://app-na2.hubspot.com/contacts/1/deal/2", ("1", "2")),
        ("  https://APP.hubspot.com/contacts/4471203/record/0-3/5  ", ("4471203", "5")),
        ("https://app.hubspot.com/contacts/4471203/record/0-3/18340012001|Acme deal", ("4471203", "18340012001")),
        ("https://app.hubspot.com/contacts/4471203/record/0-2/18340012001", None),  # a company
        ("https://app.hubspot.com/contacts/4471203/record/0-3/", None),
        ("https://app.hubspot.com/contacts/4471203/record/0-3/abc", None),
        ("https://app.hubspot.com/contacts/4471203/record/0-3/123abc", None),
        ("https://evil.example/contacts/4471203/record/0-3/1", None),
        ("https://app.hubspot.com.evil.example/contacts/4471203/record/0-3/1", None),
        ("ftp://app.hubspot.com/contacts/4471203/record/0-3/1", None),
        ("Acme", None),
        ("", None),
    ],
)
def test_parse_deal_url(url: str, expected: tuple[str, str] | None) -> None:
    """Deal record URLs of every form and region parse; anything else is None."""
    assert parse_deal_url(url) == expected


# -- resolve -------------------------------------------------------------------------------


async def test_resolve_by_deal_name(hs: HubSpotConnector) -> None:
    """An exact deal name ranks first with the exact score."""
    best = (await hs.resolve("Globex – Customer Data Platform"))[0]
    assert (best.deal_id, best.score, best.stage_label, best.amount) == (
        "18340012002",
        3.0,
        "Closed won",
        Decimal("212500.00"),
    )


async def test_resolve_by_company_name_that_differs_from_the_deal_name(hs: HubSpotConnector) -> None:
    """'Stark Industries' is only the company's name; its deal is found through the association."""
    matches = await hs.resolve("Stark Industries")
    assert [(m.deal_id, m.name, m.company_name) for m in matches] == [
        (STARK, "Stark Manufacturing – MES Integration", "Stark Industries")
    ]


@pytest.mark.parametrize(
    "query",
    [
        STARK,
        f" {STARK} ",
        f"https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-3/{STARK}",
        f"https://app.hubspot.com/contacts/{PORTAL_ID}/deal/{STARK}/",
        f"https://app-eu1.hubspot.com/contacts/{PORTAL_ID}/record/0-3/{STARK}?interaction=note",
        f"<https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-3/{STARK}>",
    ],
)
async def test_resolve_by_id_and_url(hs: HubSpotConnector, hub: HubSpotEmulator, query: str) -> None:
    """A deal ID or any form of deal URL resolves to exactly that deal, without a search."""
    matches = await hs.resolve(query)
    assert [(m.deal_id, m.company_name) for m in matches] == [(STARK, "Stark Industries")]
    assert hub.count("/search") == 0


async def test_resolve_url_of_another_portal_or_unknown_id(hs: HubSpotConnector) -> None:
    """A URL from another portal, or an ID no deal has, matches nothing."""
    assert await hs.resolve(f"https://app.hubspot.com/contacts/999/record/0-3/{STARK}") == []
    assert await hs.resolve(f"https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-3/42") == []
    assert await hs.resolve("42") == []
    assert await hs.resolve("   ") == []


async def test_resolve_several_acmes_ranked(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    """Prefix matches beat word matches; closed-won beats lost; recent beats older."""
    hub.add_deal(
        "18340019901", "Acme Corp – Website Refresh", company="Acme Corp", stage="closedlost", close_days_ago=2
    )
    hub.add_deal("18340019902", "Roadrunner – Acme Anvil Supply", close_days_ago=1)
    matches = await hs.resolve("Acme")
    assert [m.deal_id for m in matches] == [ACME_ROBOTICS, ACME, "18340019901", "18340019902"]
    assert [m.score for m in matches] == [2.0, 2.0, 2.0, 1.0]
    exact = await hs.resolve("acme logistics inc.")
    assert exact[0].deal_id == ACME and exact[0].score == 3.0
    assert len(await hs.resolve("Acme", limit=2)) == 2


async def test_resolve_follows_search_pages(connect: Callable, hub: HubSpotEmulator) -> None:
    """Matches beyond the first page of search results are found, each deal once."""
    for n in range(12):
        hub.add_deal(str(18340019800 + n), f"Zenith Branch {n:02d} – Rollout", company=f"Zenith Branch {n:02d}")
    hs = connect(search_page_size=5)
    matches = await hs.resolve("Zenith", limit=50)
    assert sorted(m.deal_id for m in matches) == [str(18340019800 + n) for n in range(12)]
    pages = [c.body.get("after") for c in hub.calls if c.path.endswith("/deals/search") and c.status == 200]
    assert pages == [None, "5", "10"]


# -- deals ---------------------------------------------------------------------------------


async def test_get_deal(hs: HubSpotConnector) -> None:
    """Stage and pipeline labels, won from metadata, exact amount, owner, company, record URL."""
    deal = await hs.get_deal(ACME)
    assert (deal.name, deal.stage_id, deal.stage_label, deal.pipeline_label) == (
        "Acme Logistics – Fleet Portal Rebuild",
        "closedwon",
        "Closed won",
        "Sales Pipeline",
    )
    assert deal.is_closed and deal.is_won
    assert deal.amount == Decimal("148000.00") and deal.currency == "USD"
    assert deal.close_date == TODAY - timedelta(days=92)
    assert deal.owner is not None and (deal.owner.name, deal.owner.email, deal.owner.id) == (
        "Maya Chen",
        "maya.chen@brightline.example",
        "51110001",
    )
    assert deal.company_name == "Acme Logistics Inc."
    assert deal.url == f"https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-3/{ACME}"


@pytest.mark.parametrize(
    ("deal_id", "pipeline", "closed", "won", "currency"),
    [
        (TYRELL, "Sales Pipeline", False, False, "USD"),
        (OSCORP, "Renewals", True, True, "EUR"),
        ("18340019903", "Sales Pipeline", True, False, "USD"),  # closed lost: probability 0
    ],
)
async def test_get_deal_other_stages(
    hs: HubSpotConnector, hub: HubSpotEmulator, deal_id: str, pipeline: str, closed: bool, won: bool, currency: str
) -> None:
    """Open is not closed; a signed renewal in another pipeline is won; closed-lost is closed, not won."""
    hub.add_deal("18340019903", "Lost cause", stage="closedlost")
    deal = await hs.get_deal(deal_id)
    assert (deal.pipeline_label, deal.is_closed, deal.is_won, deal.currency) == (pipeline, closed, won, currency)


async def test_unknown_deal_not_found(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    """Unknown, removed and malformed deal IDs raise NotFoundError."""
    with pytest.raises(NotFoundError):
        await hs.get_deal("999")
    hub.remove_deal(TYRELL)
    with pytest.raises(NotFoundError):
        await hs.get_deal(TYRELL)
    calls = hs.calls
    with pytest.raises(NotFoundError):
        await hs.get_deal("../owners")
    assert hs.calls == calls


# -- escalations ---------------------------------------------------------------------------


async def test_open_escalations_follow_metadata_not_labels(hs: HubSpotConnector) -> None:
    """'Closed – awaiting client sign-off' is OPEN in metadata and counts; closed tickets don't."""
    escalations = await hs.open_escalations(UMBRELLA)
    assert [(e.subject, e.priority, e.stage_label) for e in escalations] == [
        ("Login fails for patients on iOS 17", "HIGH", "Waiting on us"),
        ("Appointment reminders sent twice", "MEDIUM", "Closed – awaiting client sign-off"),
    ]
    assert escalations[0].created_at == BOOK_NOW - timedelta(days=2.2)
    assert escalations[0].url == f"https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-5/{escalations[0].id}"
    assert await hs.open_escalations("18340012002") == []  # Globex: its only ticket is resolved
    assert await hs.open_escalations(ACME) == []  # no tickets at all


async def test_escalations_sorted_and_follow_stage_changes(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    """Priority first, then newest; a ticket moved to a closed stage drops out."""
    old = hub.add_ticket(ACME, "Old high", priority="HIGH", days_ago=5)
    new = hub.add_ticket(ACME, "New high", priority="HIGH", days_ago=1)
    urgent = hub.add_ticket(ACME, "Site down", priority="URGENT", stage="2", days_ago=3)
    low = hub.add_ticket(ACME, "Typo", priority="LOW", days_ago=0)
    assert [e.id for e in await hs.open_escalations(ACME)] == [urgent, new, old, low]
    hub.set_ticket_stage(urgent, "5")
    assert [e.id for e in await hs.open_escalations(ACME)] == [new, old, low]


async def test_association_paging_is_followed(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    """With one association per page, every ticket and engagement is still seen."""
    hub.association_page_size = 1
    assert len(await hs.open_escalations(UMBRELLA)) == 2
    assert (await hs.last_communication(UMBRELLA)).kind == "call"  # type: ignore[union-attr]


# -- communications ------------------------------------------------------------------------


async def test_last_communication_ignores_internal_notes(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    """Umbrella's newest record is an internal note: the call before it is the last communication."""
    last = await hs.last_communication(UMBRELLA)
    assert last is not None
    assert (last.kind, last.author) == ("call", "Tom Becker")
    assert last.summary.startswith("Client CTO upset about iOS login bug")
    assert last.at == BOOK_NOW - timedelta(days=1.5)
    hub.add_deal("18340019904", "Quiet deal")
    assert await hs.last_communication("18340019904") is None


async def test_note_logged_by_the_bot_counts(hs: HubSpotConnector) -> None:
    """A note carrying the bot's marker is a client communication, with its author."""
    assert BOT_NOTE_MARKER == SANDBOX_MARKER
    last = await hs.last_communication(OSCORP)
    assert last is not None
    assert (last.kind, last.summary, last.author) == (
        "other",
        "Client asked for an invoice in euros — re-issued",
        "Priya Raman",
    )


@pytest.mark.parametrize(
    ("kind", "object_type", "type_id", "body_property"),
    [
        ("email", "emails", 210, "hs_email_text"),
        ("call", "calls", 206, "hs_call_body"),
        ("meeting", "meetings", 212, "hs_meeting_body"),
        ("other", "notes", 214, "hs_note_body"),
    ],
)
async def test_log_communication(
    hs: HubSpotConnector, hub: HubSpotEmulator, kind: str, object_type: str, type_id: int, body_property: str
) -> None:
    """The engagement is created, associated with the deal, and becomes the last communication."""
    when = datetime(2026, 11, 25, 9, 30, 15, 123456, tzinfo=UTC)
    logged = await hs.log_communication(
        UMBRELLA,
        kind,
        "Walked the CTO through the iOS fix",
        when,
        "Sam Okafor",
        author_email="Sam.Okafor@brightline.example",
    )
    created = hub.created[-1]
    assert (created["type"], created["id"], created["associations"]) == (
        object_type,
        logged.id,
        [("deals", UMBRELLA, type_id)],
    )
    assert created["properties"]["hs_timestamp"] == "2026-11-25T09:30:15.123Z"
    assert created["properties"]["hubspot_owner_id"] == "51110004"
    assert "Logged by Sam Okafor from Slack" in created["properties"][body_property]
    assert logged.id in hub.associated_ids("deals", UMBRELLA, object_type)
    last = await hs.last_communication(UMBRELLA)
    assert last == logged
    assert (last.kind, last.summary, last.author) == (kind, "Walked the CTO through the iOS fix", "Sam Okafor")


async def test_log_communication_is_not_retried_on_server_error(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    """A 5xx on the create is reported, never replayed (it may have gone through)."""
    hub.inject(503, count=2, path_contains="/crm/v3/objects/notes", method="POST")
    with pytest.raises(UnavailableError):
        await hs.log_communication(ACME, "other", "Hallway chat", datetime.now(UTC), "Maya Chen")
    assert hub.count("/crm/v3/objects/notes", method="POST") == 1


async def test_card_fetches_take_two_round_trips(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    """Once pipelines and owners are cached, the three card fetches share one deal read: 5 calls in 2 waves."""
    await asyncio.gather(hs.get_deal(ACME), hs.open_escalations(ACME))  # warm the caches
    hub.reset_calls()
    before = hs.calls
    hub.faults.latency = 0.5
    await asyncio.gather(hs.get_deal(UMBRELLA), hs.open_escalations(UMBRELLA), hs.last_communication(UMBRELLA))
    assert hs.calls - before == len(hub.calls) == 5
    paths = sorted(c.path for c in hub.calls)
    assert paths == sorted(
        [
            f"/crm/v3/objects/deals/{UMBRELLA}",  # with its companies, tickets and engagements inline
            f"/crm/v3/objects/companies/{hub.associated_ids('deals', UMBRELLA, 'companies')[0]}",
            "/crm/v3/objects/tickets/batch/read",
            "/crm/v3/objects/calls/batch/read",
            "/crm/v3/objects/notes/batch/read",
        ]
    ), paths
    assert not hub.count("/crm/v4/associations")
    starts = sorted(c.at for c in hub.calls)
    waves = 1 + sum(1 for a, b in zip(starts, starts[1:]) if b - a > 0.25)
    assert waves == 2


# -- failures ------------------------------------------------------------------------------


async def test_wrong_token_is_auth_error(connect: Callable, hub: HubSpotEmulator) -> None:
    """A refused token raises AuthError; the emulator answers HubSpot's 401 envelope."""
    with pytest.raises(AuthError):
        await connect(token="pat-na1-wrong").get_deal(ACME)
    for token in (None, "pat-na1-wrong"):
        status, body, _ = await raw(hub, "GET", f"/crm/v3/objects/deals/{ACME}", token=token)
        assert status == 401
        assert body["status"] == "error" and body["category"] == "INVALID_AUTHENTICATION"
        assert body["correlationId"] and body["message"]


async def test_rate_limit_with_retry_after_is_retried(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    """A 429 with Retry-After is waited out and retried."""
    hub.inject(429, retry_after=1, path_contains=f"/deals/{ACME}")
    deal = await hs.get_deal(ACME)
    assert deal.id == ACME
    assert [c.status for c in hub.calls if f"/deals/{ACME}" in c.path] == [429, 200]


async def test_server_error_on_search_is_retried(hs: HubSpotConnector, hub: HubSpotEmulator) -> None:
    """A 500 on POST search is retried (searching is safe to repeat)."""
    hub.inject(500, path_contains="/deals/search", method="POST")
    matches = await hs.resolve("Initech")
    assert [m.name for m in matches] == ["Initech – TPS Automation"]
    assert [c.status for c in hub.calls if "/deals/search" in c.path] == [500, 200]


async def test_unresponsive_hubspot_is_unavailable_within_deadline(connect: Callable, hub: HubSpotEmulator) -> None:
    """When HubSpot stops answering, the call fails with UnavailableError within its deadline."""
    hs = connect(policy=Policy(timeout=0.2, retries=1, backoff=0.01))
    hub.faults.latency = 1.5  # far beyond the deadline (`hang` would hold the server's shutdown for 60 s)
    started = clock.monotonic()
    with pytest.raises(UnavailableError):
        await hs.get_deal(ACME)
    assert clock.monotonic() - started < 1.4


async def test_unreachable_hubspot_is_unavailable(connect: Callable, hub: HubSpotEmulator) -> None:
    """A reset connection (urllib3's own retries off) maps to UnavailableError."""
    hs = connect(policy=Policy(timeout=2.0, retries=1, backoff=0.01))
    hub.faults.refuse = True
    with pytest.raises(UnavailableError):
        await hs.open_escalations(ACME)
    assert hub.count(f"/crm/v3/objects/deals/{ACME}") == 2  # ours: 1 + 1 retry, none by urllib3
    assert hub.count("/crm/v3/pipelines/tickets") == 2


def test_from_settings() -> None:
    """Settings give token, portal and base URL; no token is a ConfigError."""
    hs = hubspot_from(
        Settings(hubspot_access_token="pat", hubspot_portal_id="42", hubspot_base_url="http://127.0.0.1:9")
    )
    assert (hs.portal_id, hs.base_url) == ("42", "http://127.0.0.1:9")
    hs.close()
    with pytest.raises(ConfigError):
        hubspot_from(Settings())


# -- the emulator refuses and answers as HubSpot does ---------------------------------------


@pytest.mark.parametrize("case", CASES["searches"], ids=[c["id"] for c in CASES["searches"]])
async def test_emulator_search_semantics(hub: HubSpotEmulator, case: dict) -> None:
    """Filter groups OR, filters AND, operators, wildcards and text query select the right deals."""
    status, body, _ = await raw(hub, "POST", "/crm/v3/objects/deals/search", {"limit": 200, **case["body"]})
    assert status == 200
    assert sorted(r["id"] for r in body["results"]) == case["expected"]
    assert body["total"] == len(case["expected"])


async def test_emulator_search_properties_sort_and_paging(hub: HubSpotEmulator) -> None:
    """Default properties unless listed; one sort; `after` pages with a total."""
    won = {"filterGroups": [{"filters": [{"propertyName": "dealstage", "operator": "EQ", "value": "closedwon"}]}]}
    _, first, _ = await raw(
        hub,
        "POST",
        "/crm/v3/objects/deals/search",
        {**won, "limit": 5, "sorts": [{"propertyName": "amount", "direction": "DESCENDING"}]},
    )
    assert first["total"] == 12 and first["paging"]["next"]["after"] == "5"
    assert [r["properties"]["amount"] for r in first["results"]][:2] == ["288000.00", "212500.00"]
    assert set(first["results"][0]["properties"]) == {
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    }
    _, last, _ = await raw(
        hub,
        "POST",
        "/crm/v3/objects/deals/search",
        {**won, "limit": 5, "after": "10", "sorts": ["-amount"], "properties": ["hubspot_owner_id"]},
    )
    assert len(last["results"]) == 2 and "paging" not in last
    assert set(last["results"][0]["properties"]) == {
        "hubspot_owner_id",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    }


@pytest.mark.parametrize("case", CASES["refusals"], ids=[c["id"] for c in CASES["refusals"]])
async def test_emulator_refuses_what_hubspot_refuses(hub: HubSpotEmulator, case: dict) -> None:
    """Bad input gets 400 VALIDATION_ERROR, unknown records 404 OBJECT_NOT_FOUND, in HubSpot's envelope."""
    status, body, _ = await raw(hub, case["method"], case["path"], case.get("body"))
    assert status == case["status"]
    assert body["status"] == "error" and body["correlationId"] and body["message"]
    assert body["category"] == {400: "VALIDATION_ERROR", 404: "OBJECT_NOT_FOUND"}[status]
    assert hub.created == []


@pytest.mark.parametrize(
    ("path", "size"),
    [("/crm/v3/objects/deals/batch/read", 101), ("/crm/v4/associations/deals/tickets/batch/read", 1001)],
)
async def test_emulator_batch_size_limits(hub: HubSpotEmulator, path: str, size: int) -> None:
    """Batch reads take at most 100 records, association reads at most 1000 sources."""
    status, body, _ = await raw(hub, "POST", path, {"inputs": [{"id": str(n + 1)} for n in range(size)]})
    assert (status, body["category"]) == (400, "VALIDATION_ERROR")


async def test_emulator_rate_limits(hub: HubSpotEmulator) -> None:
    """Search allows 5 per second, other calls the ten-second window; 429 in HubSpot's shape."""
    statuses = [await raw(hub, "POST", "/crm/v3/objects/tickets/search", {}) for _ in range(6)]
    assert [s for s, _, _ in statuses] == [200] * 5 + [429]
    _, body, headers = statuses[-1]
    assert (body["errorType"], body["policyName"], body["message"]) == (
        "RATE_LIMIT",
        "SECONDLY",
        "You have reached your secondly limit.",
    )
    assert int(headers["Retry-After"]) >= 1
    hub.general_window = RateWindow(2, 10.0)
    owners = [await raw(hub, "GET", "/crm/v3/owners/") for _ in range(3)]
    assert [s for s, _, _ in owners] == [200, 200, 429]
    assert owners[0][2]["X-HubSpot-RateLimit-Max"] == "2"
    assert owners[2][1]["policyName"] == "TEN_SECONDLY_ROLLING"


async def test_emulator_associations_and_pipelines_wire_format(hub: HubSpotEmulator) -> None:
    """v4 reads carry numeric toObjectId, typed labels and 207 for sources without any; metadata are strings."""
    status, body, _ = await raw(
        hub, "POST", "/crm/v4/associations/deals/companies/batch/read", {"inputs": [{"id": ACME}, {"id": "42"}]}
    )
    assert status == 207
    (result,) = body["results"]
    assert result["from"] == {"id": ACME} and isinstance(result["to"][0]["toObjectId"], int)
    assert result["to"][0]["associationTypes"] == [
        {"category": "HUBSPOT_DEFINED", "typeId": 5, "label": "Primary"},
        {"category": "HUBSPOT_DEFINED", "typeId": 341, "label": None},
    ]
    assert body["errors"][0]["subCategory"] == "crm.associations.NO_ASSOCIATIONS_FOUND"
    _, pipelines, _ = await raw(hub, "GET", "/crm/v3/pipelines/deals")
    stages = {s["id"]: s["metadata"] for p in pipelines["results"] for s in p["stages"]}
    assert stages["closedwon"] == {"isClosed": "true", "probability": "1.0"}
    _, tickets, _ = await raw(hub, "GET", "/crm/v3/pipelines/tickets")
    assert tickets["results"][0]["stages"][2]["metadata"] == {"ticketState": "OPEN"}
