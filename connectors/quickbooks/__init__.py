"""QuickBooks Online: a deal's invoices and payments, joined on the invoice's "Deal ID" field."""

from connectors.quickbooks.connector import QuickBooksConnector

__all__ = ["QuickBooksConnector"]
