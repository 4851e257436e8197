"""Verify and parse incoming webhooks (QuickBooks, HubSpot, Asana) into normalized signals.

Pure and I/O-free: every function takes the raw request pieces (body bytes, header values,
secrets, the clock) and either returns data or raises `WebhookRejected` carrying the HTTP
status to answer (401 for authentication, 400 for a payload we cannot read). Reasons never
contain a secret or a computed signature.
"""

from bot.webhooks.asana import asana_handshake, asana_signature, parse_asana, verify_asana
from bot.webhooks.common import WEBHOOK_SOURCES, Signal, Source, WebhookRejected
from bot.webhooks.hubspot import hubspot_signature_v3, parse_hubspot, public_uri, verify_hubspot_v3
from bot.webhooks.quickbooks import parse_quickbooks, quickbooks_signature, verify_quickbooks

__all__ = [
    "WEBHOOK_SOURCES",
    "Signal",
    "Source",
    "WebhookRejected",
    "asana_handshake",
    "asana_signature",
    "hubspot_signature_v3",
    "parse_asana",
    "parse_hubspot",
    "parse_quickbooks",
    "public_uri",
    "quickbooks_signature",
    "verify_asana",
    "verify_hubspot_v3",
    "verify_quickbooks",
]
