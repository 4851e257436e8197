"""The NetSuite (SuiteTalk REST) emulator (`NetSuiteEmulator`): TBA, SuiteQL and the invoice record."""

from sandbox.netsuite.emulator import ACCOUNT_ID, DEAL_FIELD, NetSuiteEmulator

__all__ = ["ACCOUNT_ID", "DEAL_FIELD", "NetSuiteEmulator"]
