"""A snapshot of an account's status, as stored (daily and after every event) and read back for history."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class HealthDetail(TypedDict):
    level: str
    reasons: list[str]
    upsell: bool
    upsell_reason: str | None


class Snapshot(TypedDict):
    """The compact JSON kept per account and moment; `missing` names the sections that could not be read."""

    v: int
    taken_at: str  # ISO 8601
    deal_id: str
    missing: list[str]
    project_id: str | None
    project: str | None
    phase: str | None
    progress: float | None  # share of the project's tasks done, 0..1
    is_last: bool
    pm: str | None
    pm_id: str | None
    milestones: list[list]  # [id, name, due_on or None, completed]
    next: list | None  # [id, name, due_on or None]
    escalations: int | None
    outstanding: str | None
    overdue: str | None
    currency: str | None
    last_contact: str | None
    health: str
    # added by the snapshotter when it stores one
    name: NotRequired[str]
    health_detail: NotRequired[HealthDetail]
    partial: NotRequired[bool]
