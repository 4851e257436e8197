"""Emulated HubSpot CRM API: `HubSpotEmulator(accounts, today=...)`, served by `Sandbox`."""

from sandbox.hubspot.data import BOT_NOTE_MARKER
from sandbox.hubspot.emulator import DEFAULT_TOKEN, HubSpotEmulator
from sandbox.hubspot.scopes import DEFAULT_SCOPES

__all__ = ["BOT_NOTE_MARKER", "DEFAULT_SCOPES", "DEFAULT_TOKEN", "HubSpotEmulator"]
