"""The demo book: accounts seen from HubSpot, Asana and QuickBooks, joined on the deal ID.

Dates are offsets from the sandbox's `today`, so the demo always looks current. Names
differ across systems on purpose: the join is the deal ID, never the name.
"""

from __future__ import annotations

from sandbox.book.accounts import BOOK_BY_DEAL, DEMO_ACCOUNTS
from sandbox.book.generated import FILLER_CUSTOMERS, filler_invoices, generated_book
from sandbox.book.people import (
    ASANA_WORKSPACE_GID,
    DEAL_PIPELINES,
    PEOPLE,
    PEOPLE_BY_KEY,
    PORTAL_ID,
    QBO_REALM_ID,
    TICKET_STAGES,
)
from sandbox.book.records import Account, Engagement, Human, Invoice, Project, Story, Task, Ticket
from sandbox.book.template import STD_SECTIONS, phase_tasks

__all__ = [
    "ASANA_WORKSPACE_GID",
    "BOOK_BY_DEAL",
    "DEAL_PIPELINES",
    "DEMO_ACCOUNTS",
    "FILLER_CUSTOMERS",
    "PEOPLE",
    "PEOPLE_BY_KEY",
    "PORTAL_ID",
    "QBO_REALM_ID",
    "STD_SECTIONS",
    "TICKET_STAGES",
    "Account",
    "Engagement",
    "Human",
    "Invoice",
    "Project",
    "Story",
    "Task",
    "Ticket",
    "filler_invoices",
    "generated_book",
    "phase_tasks",
]
