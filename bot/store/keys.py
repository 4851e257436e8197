"""Names of the values the bot keeps in the store's sync table (cursors, marks, last-seen times)."""

from __future__ import annotations

from typing import Final

ALERTING_SINCE: Final = "alerts:since"  # when this installation began alerting
HUBSPOT_TICKETS_SINCE: Final = "poll:hubspot:since"
HUBSPOT_WINS_SINCE: Final = "poll:hubspot-wins:since"  # deals that entered a won stage after this
DAILY_SNAPSHOTS: Final = "snapshot:daily"  # "<started>|<last deal done>" while a round runs
DAILY_SNAPSHOTS_LAST: Final = "snapshot:daily:last"
HUBSPOT_SETUP_AT: Final = "hubspot:setup:at"  # when `accountbot setup hubspot` last ran (running bots re-check)


def payment_cursor(system: str) -> str:
    """The accounting poller's cursor (poll:quickbooks:cursor, poll:netsuite:cursor)."""
    return f"poll:{system}:cursor"


def poll_ok(source: str) -> str:
    """When a poller of `source` last succeeded."""
    return f"poll:{source}:ok"


def webhook_last(source: str) -> str:
    """When a verified webhook from `source` last arrived."""
    return f"webhook:{source}:last"
