"""Typed results of the NetSuite connector that connectors.types has no counterpart for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class UnlinkedInvoice:
    """An invoice whose deal field is empty: a candidate for link repair."""

    id: str
    doc_number: str | None
    txn_date: date | None
    due_on: date | None
    total: Decimal
    balance: Decimal
    currency: str
    customer_id: str | None
    customer_name: str | None
    url: str | None = None
