"""HubSpot records as the bot sees them: URLs, constants, parsing of SDK objects, error sorting.

Pure functions, no I/O; `connector.py` does the calls.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import urlsplit

import urllib3

from connectors.errors import (
    ConnectorError,
    MissingScopes,
    NotFoundError,
    Refused,
    UnavailableError,
    error_for_status,
    unreachable,
)
from connectors.types import Communication, CommunicationKind, Deal, DealMatch, Escalation, Person

SYSTEM: Final = "hubspot"
APP_URL: Final = "https://app.hubspot.com"
# First line of a note the bot logs as a client communication; other notes are internal.
BOT_NOTE_MARKER: Final = "Client communication logged from Slack"
LOGGED_BY_RE: Final = re.compile(r"^Logged by (.+) from Slack$")
PRIORITY_ORDER: Final = {"URGENT": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}
DEAL_PROPERTIES: Final = [
    "dealname",
    "dealstage",
    "pipeline",
    "amount",
    "closedate",
    "hubspot_owner_id",
    "deal_currency_code",
]
TICKET_PROPERTIES: Final = ["subject", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "createdate"]
COMM_PROPERTIES: Final = {  # object type -> (title property, body property)
    "emails": ("hs_email_subject", "hs_email_text"),
    "calls": ("hs_call_title", "hs_call_body"),
    "meetings": ("hs_meeting_title", "hs_meeting_body"),
    "notes": (None, "hs_note_body"),
}
# object type -> the properties read to build a Communication
COMM_READ_PROPERTIES: Final = {
    t: ["hs_timestamp", "hubspot_owner_id", *filter(None, props)] for t, props in COMM_PROPERTIES.items()
}
PRIMARY_DEAL_COMPANY: Final = 5  # HUBSPOT_DEFINED deal -> company type id of the primary company
# kind -> (object type, HUBSPOT_DEFINED association type id to a deal)
LOG_KINDS: Final = {
    "email": ("emails", 210),
    "call": ("calls", 206),
    "meeting": ("meetings", 212),
    "other": ("notes", 214),
}
# engagement object type -> the kind of communication it records (a bot note is "other")
KIND_OF_TYPE: Final[dict[str, CommunicationKind]] = {
    "emails": "email",
    "calls": "call",
    "meetings": "meeting",
    "notes": "other",
}
DEAL_URL_PATH: Final = re.compile(r"^/contacts/(\d+)/(?:record/0-3|deal)/(\d+)(?:/|$)")
APP_HOST: Final = re.compile(r"^app(?:-[a-z]{2,4}\d{1,2})?\.hubspot\.com$")
DEAL_ID: Final = re.compile(r"^\d{1,20}$")


async def gather_all(*aws: Awaitable[Any]) -> list[Any]:
    """Await everything; raise the first failure only once all are done (no orphaned errors)."""
    results = await asyncio.gather(*aws, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def parse_deal_url(url: str) -> tuple[str, str] | None:
    """(portal id, deal id) of a HubSpot deal record URL, any region; None for anything else."""
    try:
        parts = urlsplit(url.strip().split("|", 1)[0])
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not APP_HOST.match((parts.hostname or "").lower()):
        return None
    match = DEAL_URL_PATH.match(parts.path)
    return (match.group(1), match.group(2)) if match else None


def classify(exc: BaseException) -> ConnectorError | None:
    """Sort an SDK/urllib3 exception into the connector hierarchy."""
    status = getattr(exc, "status", None)
    if type(exc).__module__.startswith("hubspot.") and isinstance(status, int):  # any sub-package's ApiException
        body = _body(exc)
        if status == 403 and body.get("category") == "MISSING_SCOPES":
            scopes = tuple(
                sorted(
                    {
                        s
                        for e in body.get("errors") or ()
                        if isinstance(e, dict)
                        for s in (e.get("context") or {}).get("requiredGranularScopes") or ()
                    }
                )
            )
            return MissingScopes(
                SYSTEM,
                f"HTTP 403 MISSING_SCOPES: the HubSpot token lacks the scope {' or '.join(scopes) or '(unnamed)'}: "
                "add it to the private app (HubSpot → Settings → Integrations → Private "
                "apps) and use the app's token",
                scopes,
            )
        if status == 400 and body.get("category") == "VALIDATION_ERROR":
            details = tuple(e for e in body.get("errors") or () if isinstance(e, dict))
            return Refused(SYSTEM, error_message(exc), details)
        return error_for_status(SYSTEM, status, error_message(exc), retry_after_of(exc))
    if isinstance(exc, (urllib3.exceptions.HTTPError, OSError)):  # MaxRetryError, timeouts, resets
        return UnavailableError(SYSTEM, unreachable("HubSpot", exc))
    if isinstance(exc, (ValueError, TypeError)):  # a response the SDK could not read
        return ConnectorError(SYSTEM, f"unexpected response: {exc}")
    return None


@dataclass(frozen=True)
class Stage:
    """A pipeline stage: its label and its metadata (string values, as HubSpot sends them)."""

    id: str
    label: str
    pipeline_label: str
    metadata: dict[str, str]


def match_score(query: str, name: str) -> float:
    """3 exact, 2 prefix, 1 every query word starts a word of the name, 0.5 otherwise (matched elsewhere)."""
    q, n = words(query), words(name)
    if not q or not n:
        return 0.0
    if n == q:
        return 3.0
    if n[: len(q)] == q:
        return 2.0
    return 1.0 if all(any(w.startswith(x) for w in n) for x in q) else 0.5


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def engagement_properties(kind: str, summary: str, author: str, when: datetime) -> dict[str, str]:
    """The engagement's properties; the body says who logged it from Slack."""
    stamp = when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    title = summary.splitlines()[0]
    title = title if len(title) <= 100 else title[:99] + "…"
    trailer = f"Logged by {author} from Slack"
    body = f"<p>{html.escape(summary)}</p><p>{html.escape(trailer)}</p>"
    if kind == "email":
        return {
            "hs_timestamp": stamp,
            "hs_email_subject": title,
            "hs_email_text": f"{summary}\n\n{trailer}",
            "hs_email_direction": "EMAIL",
            "hs_email_status": "SENT",
        }
    if kind == "call":
        return {"hs_timestamp": stamp, "hs_call_title": title, "hs_call_body": body, "hs_call_status": "COMPLETED"}
    if kind == "meeting":
        return {
            "hs_timestamp": stamp,
            "hs_meeting_title": title,
            "hs_meeting_body": body,
            "hs_meeting_start_time": stamp,
            "hs_meeting_end_time": stamp,
            "hs_meeting_outcome": "COMPLETED",
        }
    return {"hs_timestamp": stamp, "hs_note_body": f"<p><strong>{BOT_NOTE_MARKER}</strong></p>{body}"}


def communication_from(object_type: str, obj: Any, owners: dict[str, Person]) -> Communication | None:
    props = obj.properties or {}
    title_prop, body_prop = COMM_PROPERTIES[object_type]
    lines = text_lines(props.get(body_prop) or "")
    is_bot_note = bool(lines) and lines[0].startswith(BOT_NOTE_MARKER)
    if object_type == "notes" and not is_bot_note:
        return None  # an internal note
    lines = lines[1:] if is_bot_note else lines
    author = None
    if lines and (logged := LOGGED_BY_RE.match(lines[-1])):
        author, lines = logged.group(1), lines[:-1]
    owner = owners.get(props.get("hubspot_owner_id") or "")
    title = (props.get(title_prop) or "").strip() if title_prop else ""
    summary = "\n".join(lines) if author or not title else title
    kind = KIND_OF_TYPE[object_type]
    at = to_datetime(props.get("hs_timestamp")) or obj.created_at
    return Communication(str(obj.id), kind, at, summary or title, author or (owner.name if owner else None))


def latest_communication(records: Iterable[tuple[str, Any]], owners: dict[str, Person]) -> Communication | None:
    """The newest client communication among (object type, engagement) pairs; internal notes skipped."""
    found = [c for t, obj in records if (c := communication_from(t, obj, owners))]
    return max(found, key=lambda c: (c.at, c.id), default=None)


def deal_from(obj: Any, stage: Stage | None, owner: Person | None, company_name: str | None, url: str | None) -> Deal:
    """A deal (SDK object) as a Deal, its stage, owner and company already resolved."""
    props = obj.properties or {}
    return Deal(
        id=str(obj.id),
        name=props.get("dealname") or f"Deal {obj.id}",
        stage_id=props.get("dealstage") or "",
        stage_label=stage.label if stage else props.get("dealstage") or "",
        pipeline_label=stage.pipeline_label if stage else props.get("pipeline") or "",
        is_closed=is_closed(stage),
        is_won=is_won(stage),
        amount=to_decimal(props.get("amount")),
        currency=props.get("deal_currency_code") or None,
        close_date=to_date(props.get("closedate")),
        owner=owner,
        company_name=company_name,
        url=url,
    )


def match_from(obj: Any, stage: Stage | None) -> DealMatch:
    """A deal (SDK search or read object) as a DealMatch: name, stage, amount, close date, currency."""
    props = obj.properties or {}
    return DealMatch(
        str(obj.id),
        props.get("dealname") or f"Deal {obj.id}",
        stage.label if stage else props.get("dealstage") or "",
        to_decimal(props.get("amount")),
        to_date(props.get("closedate")),
        currency=props.get("deal_currency_code") or None,
    )


def text_lines(body: str) -> list[str]:
    """Non-empty lines of an HTML (or plain text) engagement body."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", body)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return [line.strip() for line in text.splitlines() if line.strip()]


def primary_company(obj: Any) -> str | None:
    """The deal's primary company (any associated company when none is marked primary)."""
    companies = (obj.associations or {}).get("companies")
    results = list(companies.results or []) if companies else []
    return first_primary((str(a.id), a.type == "deal_to_company") for a in results)


def primary_company_v4(links: Iterable[Any]) -> str | None:
    """The primary company among a deal's v4 association results (`to` items), as `primary_company`."""
    return first_primary(
        (
            str(t.to_object_id),
            any(
                s.type_id == PRIMARY_DEAL_COMPANY and s.category == "HUBSPOT_DEFINED" for s in t.association_types or []
            ),
        )
        for t in links
    )


def first_primary(companies: Iterable[tuple[str, bool]]) -> str | None:
    """The first (id, is primary) marked primary, else the first one; None when empty."""
    ordered = sorted(companies, key=lambda c: not c[1])
    return ordered[0][0] if ordered else None


def person_from(owner: Any) -> Person:
    name = " ".join(p for p in (owner.first_name, owner.last_name) if p) or owner.email or f"Owner {owner.id}"
    return Person(name=name, email=owner.email, id=str(owner.id))


def is_closed(stage: Stage | None) -> bool:
    return stage is not None and stage.metadata.get("isClosed", "").lower() == "true"


def is_won(stage: Stage | None) -> bool:
    """Closed-won: isClosed and probability 1.0 (DESIGN.md)."""
    if stage is None or not is_closed(stage):
        return False
    try:
        return float(stage.metadata.get("probability", "")) == 1.0
    except ValueError:
        return False


def find_stage(stages: dict[str, Stage], pipeline: str | None, stage_id: str | None) -> Stage | None:
    """The stage of a record, by pipeline and stage id (by stage id alone when the pipeline is unknown)."""
    if not stage_id:
        return None
    return stages.get(f"{pipeline}/{stage_id}") or stages.get(stage_id)


def ticket_state(stage: Stage | None) -> str | None:
    if stage is None:
        return None
    state = stage.metadata.get("ticketState", "").upper()
    if not state and "isClosed" in stage.metadata:  # older portals
        state = "CLOSED" if is_closed(stage) else "OPEN"
    return state or None


def escalation_from(ticket: Any, stage: Stage | None, url: str | None) -> Escalation:
    """A ticket (SDK object) as an Escalation: subject, priority, creation time, stage label."""
    props = ticket.properties or {}
    return Escalation(
        id=str(ticket.id),
        subject=props.get("subject") or "(no subject)",
        priority=(props.get("hs_ticket_priority") or "").upper() or None,
        created_at=to_datetime(props.get("createdate")) or ticket.created_at,
        stage_label=stage.label if stage else props.get("hs_pipeline_stage") or "",
        url=url,
    )


def check_id(deal_id: str) -> str:
    deal_id = str(deal_id).strip()
    if not DEAL_ID.match(deal_id):
        raise NotFoundError(SYSTEM, f"{deal_id!r} is not a HubSpot record id")
    return deal_id


def to_decimal(raw: str | None) -> Decimal | None:
    try:
        return Decimal(raw) if raw not in (None, "") else None
    except InvalidOperation:
        return None


def to_datetime(raw: str | None) -> datetime | None:
    """HubSpot timestamps: ISO 8601 (with Z) or epoch milliseconds."""
    if not raw:
        return None
    try:
        if raw.isdigit():
            return datetime.fromtimestamp(int(raw) / 1000, UTC)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_date(raw: str | None) -> date | None:
    moment = to_datetime(raw)
    return moment.astimezone(UTC).date() if moment else None


def _body(exc: Any) -> dict[str, Any]:
    """HubSpot's JSON error body of an SDK exception ({} when there is none)."""
    try:
        body = json.loads(exc.body or "{}")
    except (ValueError, AttributeError, TypeError):
        return {}
    return body if isinstance(body, dict) else {}


def error_message(exc: Any) -> str:
    try:
        body = json.loads(exc.body or "{}")
        detail = body.get("message") or exc.reason
        category = body.get("category") or body.get("errorType")
    except (ValueError, AttributeError, TypeError):
        detail, category = exc.reason, None
    return f"HTTP {exc.status}" + (f" {category}" if category else "") + f": {detail}"


def retry_after_of(exc: Any) -> float | None:
    value = (exc.headers or {}).get("Retry-After")
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
