"""The QuickBooks Online emulator (`QuickBooksEmulator`) and its query grammar."""

from sandbox.quickbooks.emulator import QuickBooksEmulator
from sandbox.quickbooks.query import QueryError, parse_query, run_query

__all__ = ["QuickBooksEmulator", "QueryError", "parse_query", "run_query"]
