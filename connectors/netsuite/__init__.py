"""The NetSuite connector: a standalone SuiteTalk REST client (TBA on aiohttp) and money per deal.

It imports nothing of the bot, the handlers, the blocks or Slack.
"""

from connectors.netsuite.client import NetSuiteClient, Policy
from connectors.netsuite.connector import DEAL_FIELD, NetSuiteConnector
from connectors.netsuite.errors import NetSuiteError
from connectors.netsuite.types import UnlinkedInvoice

__all__ = ["DEAL_FIELD", "NetSuiteClient", "NetSuiteConnector", "NetSuiteError", "Policy", "UnlinkedInvoice"]
