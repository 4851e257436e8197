"""HubSpot connector: `HubSpotConnector` (deals, escalations, communications) and `parse_deal_url`."""

from connectors.hubspot.connector import HubSpotConnector
from connectors.hubspot.records import BOT_NOTE_MARKER, classify, match_score, parse_deal_url

__all__ = ["BOT_NOTE_MARKER", "HubSpotConnector", "classify", "match_score", "parse_deal_url"]
